"""A run stopped at any point continues from its checkpoint to exactly the numbers of the same run
never stopped (CPU): same MLflow run, every step logged once, bit-identical final weights."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from parametricSN.run import main as train_main
from parametricSN.run import run_training
from parametricSN.training import checkpoint as checkpoint_module
from parametricSN.training.checkpoint import checkpoint_files

from resume_helpers import after_epoch, assert_same_run, raise_, resumable_cfg, wait_for_checkpoint

REPO = Path(__file__).resolve().parents[2]
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def folder_of(tmp_path):
    return lambda run_id: tmp_path / "checkpoints" / run_id


def only_run_id(store_uri, status):
    client = MlflowClient(tracking_uri=store_uri)
    experiment = client.get_experiment_by_name("resume")
    runs = client.search_runs([experiment.experiment_id], filter_string=f"attributes.status = '{status}'")
    assert len(runs) == 1, [r.info.status for r in runs]
    return runs[0].info.run_id


@pytest.mark.parametrize("epochs_checkpointed", [1, 4])
def test_interrupted_run_resumes_to_the_same_numbers(tmp_path, monkeypatch, epochs_checkpointed):
    uri = f"sqlite:///{tmp_path}/store.db"
    reference = run_training(resumable_cfg(uri), progress=False, figures=False)

    with monkeypatch.context() as patch:
        after_epoch(patch, epochs_checkpointed, raise_(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            run_training(resumable_cfg(uri), progress=False, figures=False)
    killed = only_run_id(uri, "KILLED")
    assert [p.name for p in checkpoint_files(tmp_path / "checkpoints" / killed)][0] == \
        f"epoch-{epochs_checkpointed:06d}.pt"

    assert train_main(["--resume", killed, "--tracking-uri", uri, "--no-progress", "--no-figures"]) == 0
    run = MlflowClient(tracking_uri=uri).get_run(killed)
    assert run.info.status == "FINISHED"
    assert run.data.tags["parametricSN.resumes"] == "1"
    assert run.data.metrics["final_test_acc"] == reference.final_test_acc
    assert_same_run(uri, reference.run_id, killed, folder_of(tmp_path))


def test_checkpoints_are_removed_when_the_run_finishes_unless_kept(tmp_path):
    uri = f"sqlite:///{tmp_path}/store.db"
    result = run_training(resumable_cfg(uri, epochs=2, keep_checkpoints=False), progress=False, figures=False)
    assert not (tmp_path / "checkpoints" / result.run_id).exists()
    tags = MlflowClient(tracking_uri=uri).get_run(result.run_id).data.tags
    assert tags["parametricSN.checkpoint_dir"] == str(tmp_path / "checkpoints" / result.run_id)


def test_sigusr1_writes_a_checkpoint_and_training_goes_on(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/store.db"
    after_epoch(monkeypatch, 2, lambda: os.kill(os.getpid(), signal.SIGUSR1))
    seen = []
    write = checkpoint_module.write_checkpoint
    monkeypatch.setattr(checkpoint_module, "write_checkpoint",
                        lambda payload, folder: seen.append(payload["epoch"]) or write(payload, folder))
    result = run_training(resumable_cfg(uri, epochs=4, checkpoint_minutes=60), progress=False, figures=False)
    assert result.status == "FINISHED"
    assert seen == [2]  # only the signal wrote (60 minutes between scheduled checkpoints)
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL  # handler removed after the run


def _start_training(uri: str, tmp_path: Path) -> subprocess.Popen:
    cfg = resumable_cfg(uri, epochs=40)
    overrides = [f"{section}.{key}={value}" for section, keys in cfg.items() for key, value in keys.items()
                 if section != "mlflow"]
    command = [sys.executable, "-m", "parametricSN", "train", "--config", str(REPO / "conf" / "digits.yml"),
               "--no-progress", "--no-figures", f"mlflow.tracking_uri={uri}", "mlflow.experiment_name=resume",
               *overrides]
    return subprocess.Popen(command, cwd=tmp_path, env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_process_resumes_exactly(tmp_path, stop):
    """SIGKILL at whatever point the run is (the run stays RUNNING, its last checkpoint is at most
    one epoch old) or SIGTERM (the run ends KILLED after writing its newest state)."""
    uri = f"sqlite:///{tmp_path}/store.db"
    process = _start_training(uri, tmp_path)
    run_id = wait_for_checkpoint(tmp_path / "checkpoints", 3, lambda: process.poll() is None)
    process.send_signal(stop)
    output = process.communicate(timeout=60)[0]
    status = MlflowClient(tracking_uri=uri).get_run(run_id).info.status
    if stop == signal.SIGTERM:
        assert process.returncode == 130 and status == "KILLED", output
        assert f"train --resume {run_id}" in output
    else:
        assert status == "RUNNING"

    resumed = subprocess.run([sys.executable, "-m", "parametricSN", "train", "--resume", run_id, "--tracking-uri",
                              uri, "--no-progress", "--no-figures"], cwd=tmp_path, env=CHILD_ENV, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming run" in resumed.stderr

    reference = run_training(resumable_cfg(uri, epochs=40), progress=False, figures=False)
    assert_same_run(uri, reference.run_id, run_id, folder_of(tmp_path))
