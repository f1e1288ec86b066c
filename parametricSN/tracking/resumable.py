"""Which MLflow runs can continue from a checkpoint, and opening one to continue it.

A training run records where its checkpoints live in the tag ``parametricSN.checkpoint_dir`` and how
many times it was resumed in ``parametricSN.resumes`` (see ``parametricSN.training.checkpoint``).
:func:`open_resume` checks everything that can be wrong before anything is changed — the run exists,
is not FINISHED, has a readable checkpoint of its own config, and no other process trains it — and
holds the run's lock from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from parametricSN.errors import UserError
from parametricSN.training.checkpoint import RunLock, checkpoint_files, is_locked, load_checkpoint

CHECKPOINT_TAG = "parametricSN.checkpoint_dir"
RESUMES_TAG = "parametricSN.resumes"
RESUMABLE_STATUSES = ("KILLED", "FAILED", "RUNNING")


@dataclass
class Resume:
    """An opened run to continue: its id, checkpoint folder and file, the checkpoint's contents
    (``payload``), the held lock, and ``resumes`` (how many times it has been resumed, this one
    included)."""

    run_id: str
    folder: Path
    checkpoint: Path
    payload: dict
    lock: RunLock
    resumes: int


def _run_record(tracking_uri: str, run_id: str):
    from mlflow.exceptions import MlflowException

    from parametricSN.tracking.store import open_client, retry

    client = open_client(tracking_uri)
    try:
        return retry(lambda: client.get_run(run_id), tracking_uri, f"reading run {run_id}")
    except MlflowException:
        raise UserError(f"--resume {run_id}: no such run in {tracking_uri}; check the run id and "
                        f"--tracking-uri") from None


def open_resume(tracking_uri: str, run_id: str, checkpoint_dir: Optional[str] = None,
                warn: Callable[[str], None] = print, wait_s: float = 0.0) -> Resume:
    """Open run ``run_id`` of the store at ``tracking_uri`` to continue it from its newest readable
    checkpoint (``checkpoint_dir``: the parent folder, when the run's own tag no longer points
    where the checkpoints are). UserError (one line) for a missing or FINISHED run, no or no
    readable checkpoint, a checkpoint of another config, or a run trained by another process (after
    waiting ``wait_s`` seconds for it to stop)."""
    record = _run_record(tracking_uri, run_id)
    tags = record.data.tags
    command = tags.get("parametricSN.command", "python -m parametricSN train --config <its config>")
    if record.info.status == "FINISHED":
        raise UserError(f"run {run_id} is FINISHED: nothing to resume")
    if checkpoint_dir:
        folder = Path(checkpoint_dir).expanduser().resolve() / run_id
    elif tags.get(CHECKPOINT_TAG):
        folder = Path(tags[CHECKPOINT_TAG])
    else:
        raise UserError(f"run {run_id} records no checkpoint folder (it predates checkpoints); start it "
                        f"over with: {command}")
    if not checkpoint_files(folder):
        raise UserError(f"run {run_id} has no checkpoint in {folder} (it stopped before its first one, or "
                        f"they were removed); give --checkpoint-dir if they moved, or start it over with: {command}")
    lock = RunLock(folder).acquire(run_id, wait_s)
    try:
        payload, path = load_checkpoint(folder, warn=warn)
        expected = tags.get("config_hash")
        if expected and payload["config_hash"] != expected:
            raise UserError(f"checkpoint {path} is of another config (hash {payload['config_hash'][:10]}) than "
                            f"run {run_id} (hash {expected[:10]}); it does not belong to this run")
    except BaseException:
        lock.release()
        raise
    return Resume(run_id, folder, path, payload, lock, int(tags.get(RESUMES_TAG, 0)) + 1)


def resumable(run: Any) -> bool:
    """True when an MLflow run (a ``search_runs`` result) stopped with a checkpoint to continue
    from and no process trains it now."""
    folder = run.data.tags.get(CHECKPOINT_TAG)
    if run.info.status not in RESUMABLE_STATUSES or not folder:
        return False
    return bool(checkpoint_files(Path(folder))) and not is_locked(Path(folder))


def being_trained(run: Any) -> bool:
    """True when an MLflow run (a ``search_runs`` result) is RUNNING and a process holds its lock."""
    folder = run.data.tags.get(CHECKPOINT_TAG)
    return run.info.status == "RUNNING" and bool(folder) and is_locked(Path(folder))


def newest_resumable(runs: Iterable[Any]) -> Optional[str]:
    """The id of the most recently started resumable run among ``runs``, else None."""
    candidates = sorted((run for run in runs if resumable(run)), key=lambda run: run.info.start_time or 0)
    return candidates[-1].info.run_id if candidates else None
