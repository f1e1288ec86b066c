"""Checkpoint files and the bad cases of resuming: each is one line, and nothing recorded is lost."""
import errno

import pytest
import torch
from mlflow.tracking import MlflowClient

from parametricSN.errors import UserError
from parametricSN.run import main as train_main
from parametricSN.run import run_training
from parametricSN.training import checkpoint as checkpoint_module
from parametricSN.training.checkpoint import (FORMAT_VERSION, RunLock, checkpoint_files, load_checkpoint,
                                              rng_states, set_rng_states, write_checkpoint)
from parametricSN.tracking.resumable import open_resume

from resume_helpers import after_epoch, raise_, resumable_cfg


def payload(epoch, **extra):
    base = {key: 0 for key in checkpoint_module.REQUIRED_KEYS}
    return {**base, "format": FORMAT_VERSION, "epoch": epoch, "model": {"w": torch.full((3,), float(epoch))},
            **extra}


def test_writes_are_atomic_and_the_newest_two_are_kept(tmp_path):
    (tmp_path / ".epoch-000009.pt.123.tmp").write_bytes(b"half")  # left by a killed writer
    for epoch in (1, 2, 3):
        write_checkpoint(payload(epoch), tmp_path)
    assert [p.name for p in checkpoint_files(tmp_path)] == ["epoch-000003.pt", "epoch-000002.pt"]
    assert not list(tmp_path.glob("*.tmp"))
    loaded, path = load_checkpoint(tmp_path)
    assert path.name == "epoch-000003.pt" and torch.equal(loaded["model"]["w"], torch.full((3,), 3.0))


def test_a_failed_write_leaves_the_previous_checkpoints(tmp_path, monkeypatch):
    write_checkpoint(payload(1), tmp_path)

    def full_disk(obj, handle):
        handle.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", full_disk)
    with pytest.raises(OSError):
        write_checkpoint(payload(2), tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["epoch-000001.pt"]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "incomplete"])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, damage):
    write_checkpoint(payload(1), tmp_path)
    write_checkpoint(payload(2), tmp_path)
    newest = tmp_path / "epoch-000002.pt"
    if damage == "truncated":
        newest.write_bytes(newest.read_bytes()[:100])
    elif damage == "garbage":
        newest.write_bytes(b"\x00" * 64)
    else:
        torch.save({"format": FORMAT_VERSION, "epoch": 2}, newest)
    lines = []
    loaded, path = load_checkpoint(tmp_path, warn=lines.append)
    assert path.name == "epoch-000001.pt" and loaded["epoch"] == 1
    assert len(lines) == 1 and "epoch-000002.pt is unreadable" in lines[0] and "using epoch-000001.pt" in lines[0]


def test_no_readable_checkpoint_or_another_format_is_one_line(tmp_path):
    with pytest.raises(UserError, match="no checkpoint in"):
        load_checkpoint(tmp_path)
    (tmp_path / "epoch-000001.pt").write_bytes(b"junk")
    with pytest.raises(UserError, match="unreadable .* no earlier one; start the run over"):
        load_checkpoint(tmp_path)
    write_checkpoint({**payload(2), "format": FORMAT_VERSION + 1, "code_version": "9.9"}, tmp_path)
    with pytest.raises(UserError, match=f"format version {FORMAT_VERSION + 1}, this code reads {FORMAT_VERSION}"):
        load_checkpoint(tmp_path)


def test_random_states_round_trip():
    import random

    import numpy as np

    states = rng_states()
    first = (torch.rand(3), np.random.rand(3), random.random())
    set_rng_states(states)
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1]) and first[2] == again[2]


def test_a_full_disk_warns_once_and_the_run_goes_on(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/store.db"
    write = checkpoint_module.write_checkpoint

    def fill_up(data, folder):
        if data["epoch"] >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(data, folder)

    monkeypatch.setattr(checkpoint_module, "write_checkpoint", fill_up)
    with pytest.warns(UserWarning, match="could not write a checkpoint") as caught:
        result = run_training(resumable_cfg(uri, epochs=5), progress=False, figures=False)
    assert result.status == "FINISHED"
    assert sum("could not write a checkpoint" in str(w.message) for w in caught) == 1
    assert "keeps epoch-000002.pt" in str([w.message for w in caught])
    assert [p.name for p in checkpoint_files(tmp_path / "checkpoints" / result.run_id)][0] == "epoch-000002.pt"


@pytest.fixture
def killed_run(tmp_path, monkeypatch):
    """(store URI, run id, checkpoint folder) of a run stopped by Ctrl-C after epoch 2."""
    uri = f"sqlite:///{tmp_path}/store.db"
    with monkeypatch.context() as patch:
        after_epoch(patch, 2, raise_(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            run_training(resumable_cfg(uri, epochs=4), progress=False, figures=False)
    client = MlflowClient(tracking_uri=uri)
    run = client.search_runs([client.get_experiment_by_name("resume").experiment_id])[0]
    return uri, run.info.run_id, tmp_path / "checkpoints" / run.info.run_id


def resume(uri, run_id, *extra):
    return train_main(["--resume", run_id, "--tracking-uri", uri, "--no-progress", "--no-figures", *extra])


def test_resuming_without_a_checkpoint_says_how_to_start_over(killed_run):
    uri, run_id, folder = killed_run
    for path in checkpoint_files(folder):
        path.unlink()
    with pytest.raises(UserError, match=f"run {run_id} has no checkpoint in .* start it over with: "):
        resume(uri, run_id)


def test_a_checkpoint_of_another_config_is_refused(killed_run):
    uri, run_id, folder = killed_run
    newest = checkpoint_files(folder)[0]
    data = torch.load(newest, weights_only=True)
    torch.save({**data, "config_hash": "0" * 40}, newest)
    with pytest.raises(UserError, match="is of another config"):
        resume(uri, run_id)
    torch.save(data, newest)  # the run's own checkpoint again, but an override changes the config
    with pytest.raises(UserError, match="checkpoint is of another config .* only general.cores"):
        resume(uri, run_id, "model.epoch=9")
    assert resume(uri, run_id, "general.cores=1", "model.save=false") == 0  # bookkeeping keys may change


def test_a_checkpoint_of_another_code_version_is_refused(killed_run):
    uri, run_id, folder = killed_run
    newest = checkpoint_files(folder)[0]
    data = torch.load(newest, weights_only=True)
    data["model"] = {f"renamed.{key}": value for key, value in data["model"].items()}
    torch.save(data, newest)
    with pytest.raises(UserError, match="does not fit this code's model .* start the run over"):
        resume(uri, run_id)
    assert MlflowClient(tracking_uri=uri).get_run(run_id).info.status == "KILLED"  # nothing changed


def test_a_run_being_trained_or_finished_or_unknown_is_refused(killed_run):
    uri, run_id, folder = killed_run
    lock = RunLock(folder).acquire("other")
    try:
        with pytest.raises(UserError, match="being trained by another process"):
            open_resume(uri, run_id)
    finally:
        lock.release()
    with pytest.raises(UserError, match="no such run"):
        resume(uri, "0" * 32)
    assert resume(uri, run_id) == 0
    with pytest.raises(UserError, match="is FINISHED: nothing to resume"):
        resume(uri, run_id)


def test_checkpoints_move_with_checkpoint_dir(killed_run, tmp_path):
    uri, run_id, folder = killed_run
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    folder.rename(moved / run_id)
    with pytest.raises(UserError, match="give --checkpoint-dir if they moved"):
        resume(uri, run_id)
    assert resume(uri, run_id, "--checkpoint-dir", str(moved)) == 0
    tags = MlflowClient(tracking_uri=uri).get_run(run_id).data.tags
    assert tags["parametricSN.checkpoint_dir"] == str(moved / run_id)


def test_an_unwritable_checkpoint_folder_is_one_line_and_the_run_ends_failed(tmp_path):
    uri = f"sqlite:///{tmp_path}/store.db"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the checkpoint folder should go")
    with pytest.raises(UserError, match="general.checkpoint_dir: cannot create .* set it to a writable folder"):
        run_training(resumable_cfg(uri, epochs=1, checkpoint_dir=str(blocker)), progress=False, figures=False)
    client = MlflowClient(tracking_uri=uri)
    [run] = client.search_runs([client.get_experiment_by_name("resume").experiment_id])
    assert run.info.status == "FAILED"
