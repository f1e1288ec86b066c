"""A sweep rerun continues its stopped runs from their checkpoints (same MLflow run, exact numbers),
and a submitit job that times out checkpoints, is requeued and resumes."""
import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from parametricSN.config import validate_config
from parametricSN.experiments import Sweep, run_sweep
from parametricSN.experiments.executors import Job, SubmititExecutor, run_training_in_worker
from parametricSN.run import run_training

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from resume_helpers import after_epoch, assert_same_run, raise_, resumable_cfg, wait_for_checkpoint  # noqa: E402


def runs(uri):
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("resume")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])


def test_a_sweep_rerun_resumes_its_killed_run(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/store.db"
    cfg = resumable_cfg(uri, epochs=5)
    sweep = Sweep("resume", {key: value for key, value in cfg.items() if key != "mlflow"}, seeds=(3,), variants=())
    argv = ["--tracking-uri", uri]

    with monkeypatch.context() as patch:
        after_epoch(patch, 2, raise_(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            run_sweep(sweep, argv, out=io.StringIO())
    [killed] = runs(uri)
    assert killed.info.status == "KILLED"

    out = io.StringIO()
    assert run_sweep(sweep, argv, out=out) == 0
    lines = out.getvalue().splitlines()
    assert any("resume    " in line and f"run {killed.info.run_id} from its checkpoint" in line for line in lines)
    assert [r.info.status for r in runs(uri)] == ["FINISHED"]  # the same run, continued

    reference = run_training({**cfg, "mlflow": {"tracking_uri": uri, "experiment_name": "reference"}},
                             progress=False, figures=False)
    assert_same_run(uri, reference.run_id, killed.info.run_id, lambda run_id: tmp_path / "checkpoints" / run_id)


def test_a_sweep_leaves_alone_a_run_another_process_is_training(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient as Client

    from parametricSN.training.checkpoint import RunLock

    uri = f"sqlite:///{tmp_path}/store.db"
    cfg = resumable_cfg(uri, epochs=2)
    sweep = Sweep("resume", {key: value for key, value in cfg.items() if key != "mlflow"}, seeds=(3,), variants=())
    with monkeypatch.context() as patch:
        after_epoch(patch, 1, raise_(SystemExit))  # then marked RUNNING: a process that died, as after SIGKILL
        with pytest.raises(SystemExit):
            run_sweep(sweep, ["--tracking-uri", uri], out=io.StringIO())
    [run] = runs(uri)
    Client(tracking_uri=uri).update_run(run.info.run_id, status="RUNNING")
    lock = RunLock(tmp_path / "checkpoints" / run.info.run_id).acquire(run.info.run_id)  # "another process"
    try:
        out = io.StringIO()
        assert run_sweep(sweep, ["--tracking-uri", uri], out=out) == 0
        assert "SKIPPED   " in out.getvalue() and "being trained by another process" in out.getvalue()
        assert len(runs(uri)) == 1
    finally:
        lock.release()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def _training_process(controller: int) -> int:
    """The pid of the task submitit's local controller started (its child running python)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = _children(controller)
        if children:
            return children[0]
        time.sleep(0.05)
    raise AssertionError("submitit started no task")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc (Linux)")
def test_a_timed_out_submitit_job_checkpoints_requeues_and_resumes(tmp_path, monkeypatch):
    """submitit's local executor, and the signal it sends a job before its time limit, sent once the
    run has checkpointed a few epochs: the job checkpoints, is requeued, resumes the same MLflow
    run and ends with the numbers of an uninterrupted run."""
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]))
    uri = f"sqlite:///{tmp_path}/store.db"
    cfg = resumable_cfg(uri, epochs=40)
    executor = SubmititExecutor(cluster="local", folder=str(tmp_path / "submitit" / "%j"), timeout_min=30,
                                cpus_per_run=1, wait=False, max_requeues=3)
    executor.run([Job(0, "timeout", validate_config(cfg), run_training_in_worker)])
    [handle] = executor.submitted
    task = _training_process(handle._process.pid)
    wait_for_checkpoint(tmp_path / "checkpoints", 3, lambda: not handle.done())
    os.kill(task, signal.SIGUSR2)  # what submitit's controller sends signal_delay_s before the limit
    outcome = handle.result()
    log = (handle.stdout() or "") + (handle.stderr() or "")
    assert outcome.status == "FINISHED", log[-3000:]
    assert "Requeued job" in log and "resuming run" in log
    [run] = runs(uri)
    assert run.info.run_id == outcome.run_id and run.data.tags["parametricSN.resumes"] == "1"

    reference = run_training({**cfg, "mlflow": {"tracking_uri": uri, "experiment_name": "reference"}},
                             progress=False, figures=False)
    assert_same_run(uri, reference.run_id, run.info.run_id, lambda run_id: tmp_path / "checkpoints" / run_id)
