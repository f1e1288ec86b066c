"""``python -m parametricSN runs``: each run's state (finished, training, resumable, stopped,
crashed), the epoch it reached, and the commands that continue the stopped runs.

The runs are written straight into a store with MlflowClient, in the form training leaves them
(tags parametricSN.checkpoint_dir / resumes / command, param model.epoch, one train_loss per
epoch, a checkpoint folder with epoch-NNNNNN.pt files and its lock)."""

import os
import subprocess
import sys
import textwrap

import pytest
from mlflow.tracking import MlflowClient

from parametricSN.errors import UserError
from parametricSN.tracking.listing import format_lines, list_runs, main
from parametricSN.training.checkpoint import RunLock

COMMAND = "python experiments/x.py --seeds 1"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store with one run in each state; returns (uri, {state: run id}, checkpoint root)."""
    root = tmp_path_factory.mktemp("listing")
    uri = f"sqlite:///{root}/store.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("unit")
    ids = {}

    def make(name, status, epochs_logged, checkpoint_epochs=(), resumes=0, final=None):
        run = client.create_run(experiment, run_name=name)
        run_id = run.info.run_id
        folder = root / "checkpoints" / run_id
        client.log_param(run_id, "model.epoch", 10)
        client.set_tag(run_id, "parametricSN.command", COMMAND)
        client.set_tag(run_id, "parametricSN.checkpoint_dir", str(folder))
        client.set_tag(run_id, "parametricSN.resumes", str(resumes))
        for epoch in range(1, epochs_logged + 1):
            client.log_metric(run_id, "train_loss", 1.0 / epoch, step=epoch)
        if final is not None:
            for key, value in (("final_test_acc", final), ("setup_s", 30.0), ("duration_s", 9000.0)):
                client.log_metric(run_id, key, value)
        folder.mkdir(parents=True)
        for epoch in checkpoint_epochs:
            (folder / f"epoch-{epoch:06d}.pt").write_bytes(b"x")
        if status != "RUNNING":
            client.set_terminated(run_id, status)
        return run_id, folder

    ids["finished"], _ = make("done", "FINISHED", 10, final=61.25)
    ids["resumable"], _ = make("killed", "KILLED", 7, checkpoint_epochs=(5, 6), resumes=2)
    ids["crashed"], _ = make("oom", "RUNNING", 3)
    ids["stopped"], _ = make("early", "FAILED", 0)
    ids["training"], folder = make("busy", "RUNNING", 4, checkpoint_epochs=(4,))
    # the lock of a run being trained, held by another process (as a training run holds it)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from parametricSN.training.checkpoint import RunLock
        lock = RunLock(Path({str(folder)!r})).acquire("busy")  # held while the object lives
        print("held", flush=True)
        time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert holder.stdout.readline().strip() == "held"
    try:
        yield uri, ids
    finally:
        holder.kill()
        holder.wait()


def test_every_state_epoch_and_checkpoint(store):
    uri, ids = store
    lines = {line.state: line for line in list_runs(uri, now=None)}
    assert {state: line.run_id for state, line in lines.items()} == ids
    assert (lines["finished"].epoch, lines["finished"].final, lines["finished"].trained_s) == (10, 61.25, 9030.0)
    assert lines["resumable"].trained_s is None
    assert (lines["resumable"].epoch, lines["resumable"].checkpoint_epoch, lines["resumable"].resumes) == (7, 6, 2)
    assert lines["crashed"].epoch == 3 and lines["crashed"].checkpoint_epoch is None
    assert lines["stopped"].epoch is None and lines["stopped"].checkpoint_epoch is None
    assert lines["training"].epoch == 4 and lines["training"].checkpoint_age_s >= 0
    assert all(line.epochs == 10 for line in lines.values())


def test_the_output_says_how_to_continue_each_stopped_run(store):
    uri, ids = store
    text = format_lines(list_runs(uri), uri)
    assert f"python -m parametricSN train --resume {ids['resumable']} --tracking-uri {uri}" in text
    assert f"  {COMMAND}" in text
    for state in ("training", "crashed", "stopped", "finished"):
        assert f"--resume {ids[state]}" not in text
    assert "2 runs stopped with no checkpoint: start them over" in text
    row = next(line for line in text.splitlines() if ids["resumable"] in line)
    assert "resumable" in row and "7/10" in row and "epoch 6," in row
    assert "2.5 h" in next(line for line in text.splitlines() if ids["finished"] in line)  # trained 9,030 s


def test_state_filter_and_unknown_experiment(store, capsys):
    uri, ids = store
    assert main(["--tracking-uri", uri, "--state", "training"]) == 0
    out = capsys.readouterr().out
    assert ids["training"] in out and all(ids[s] not in out for s in ids if s != "training")
    with pytest.raises(UserError, match="experiment .nope. not found in .*; known: Default, unit"):
        main(["--tracking-uri", uri, "--experiment", "nope"])


def test_a_lock_released_by_a_dead_process_makes_a_running_run_resumable(tmp_path):
    uri = f"sqlite:///{tmp_path}/store.db"
    client = MlflowClient(tracking_uri=uri)
    run_id = client.create_run(client.create_experiment("unit"), run_name="sigkilled").info.run_id
    folder = tmp_path / "checkpoints" / run_id
    client.set_tag(run_id, "parametricSN.checkpoint_dir", str(folder))
    lock = RunLock(folder).acquire(run_id)  # released below as the OS releases a killed process's lock
    (folder / "epoch-000002.pt").write_bytes(b"x")
    lock.release()
    (line,) = list_runs(uri)
    assert line.state == "resumable" and line.checkpoint_epoch == 2
