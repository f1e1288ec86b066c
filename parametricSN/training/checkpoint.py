"""Checkpoints of a training run, so that it continues where it stopped (``train --resume RUN_ID``).

What a checkpoint holds (:class:`RunState`): the model, optimizer, schedule and loss-scaler states;
the epoch and optimizer step reached; every random state that affects the numbers (torch CPU and
CUDA, numpy, python, the batch-order generator — the augmentation draws from torch's global RNG);
the metric history, the filter trajectory, the bank before training and the bank distance's
reference (what the figures and the last metrics need); the section times; the config and its hash;
the format version and the code version that wrote it. On CPU a run resumed from a checkpoint ends
with exactly the numbers of the same run never interrupted.

Where (:func:`checkpoint_folder`): ``general.checkpoint_dir/<run id>/`` when set (on a cluster: a
folder every node sees), else ``<folder of the sqlite store>/checkpoints/<run id>/`` (or of a
``file:`` store), else — a tracking server — ``~/.cache/parametricSN/checkpoints/<run id>/``.

When (:class:`Checkpointer`): the state is captured in memory after every epoch (a copy of the
tensors, so that a signal can be answered at once) and written every ``general.checkpoint_minutes``
(0 = after every epoch), on SIGUSR1 (training goes on), and on SIGTERM / SIGINT (the run then
ends KILLED). A write goes to a temporary file that is renamed into place: a checkpoint on disk is
complete or absent. The newest two are kept, so that a damaged newest one falls back to the one
before. A write that fails (a full disk) warns once; the run goes on and keeps its last good
checkpoint. The folder is removed when the run ends FINISHED, unless ``general.keep_checkpoints``.
A lock file in the folder marks a run being trained, so that nothing resumes it twice.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import re
import shutil
import signal
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import torch

from parametricSN.errors import UserError

FORMAT_VERSION = 1
KEEP_NEWEST = 2
LOCK_NAME = ".lock"
_FILE = re.compile(r"^epoch-(\d{6,})\.pt$")


def checkpoint_folder(checkpoint_dir: str | None, tracking_uri: str, run_id: str) -> Path:
    """The absolute folder of run ``run_id``'s checkpoints (see the module docstring)."""
    from parametricSN.tracking.store import sqlite_path

    if checkpoint_dir:
        root = Path(checkpoint_dir).expanduser()
    elif sqlite_path(tracking_uri) is not None:
        root = sqlite_path(tracking_uri).expanduser().parent / "checkpoints"
    elif tracking_uri.startswith("file:") or "://" not in tracking_uri:
        root = Path(tracking_uri.removeprefix("file://").removeprefix("file:")).expanduser() / "checkpoints"
    else:
        root = Path.home() / ".cache" / "parametricSN" / "checkpoints"
    return (root / run_id).resolve()


# --------------------------------------------------------------------------------- random states

def rng_states() -> dict[str, Any]:
    """Every global random state a run draws from, in a form ``torch.load(weights_only=True)`` reads."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    states = {"torch": torch.get_rng_state(), "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos,
                                                          has_gauss, gauss],
              "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: Mapping[str, Any]) -> None:
    """Put back what :func:`rng_states` captured."""
    torch.set_rng_state(states["torch"])
    kind, keys, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(gauss)))
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


# ------------------------------------------------------------------------------------ run state

@dataclass
class LoopState:
    """Where the epoch loop stands: epochs completed, optimizer steps taken, the last evaluation
    accuracy (percent) and the batch-order generator."""

    generator: torch.Generator
    epoch: int = 0
    step: int = 0
    test_acc: float = float("nan")


def _detached_copy(value):
    """A deep copy whose tensors are clones (the training goes on changing the originals)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {key: _detached_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_detached_copy(item) for item in value)
    return copy.deepcopy(value)


@dataclass
class RunState:
    """The live objects of one run whose state a checkpoint holds, and how to capture and restore it.

    ``history``: metric name → [(epoch, value)]; ``timer``: a Stopwatch; ``recorder``: a
    TrajectoryRecorder or None; ``before``: the bank's filters before training (or None);
    ``distances``: the BankDistance hook or None; ``config``: the run's config as a plain dict with
    absolute paths; ``config_hash``: its hash.
    """

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Any
    precision: Any
    history: Any
    timer: Any
    recorder: Any
    before: Any
    distances: Any
    config: dict
    config_hash: str

    def capture(self, loop: LoopState) -> dict[str, Any]:
        """The checkpoint payload at the end of epoch ``loop.epoch`` (tensors copied)."""
        from parametricSN import __version__

        scheduler = self.schedule.scheduler
        scaler = self.precision.scaler
        recorder = None
        if self.recorder is not None:
            recorder = {"epochs": list(self.recorder.epochs), "steps": list(self.recorder.steps),
                        "values": {name: [torch.from_numpy(v) for v in frames]
                                   for name, frames in self.recorder.values.items()},
                        "filter_frames": list(self.recorder.filter_frames)}
        return _detached_copy({
            "format": FORMAT_VERSION, "code_version": __version__, "config": self.config,
            "config_hash": self.config_hash,
            "epoch": loop.epoch, "step": loop.step, "test_acc": loop.test_acc,
            "generator": loop.generator.get_state(), "rng": rng_states(),
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "schedule": None if scheduler is None else scheduler.state_dict(),
            "scaler": None if scaler is None else scaler.state_dict(),
            "history": {name: list(values) for name, values in self.history.items()},
            "timer": dict(self.timer.seconds), "recorder": recorder, "before": self.before,
            "distances_initial": None if self.distances is None else self.distances.initial,
        })

    def restore(self, payload: Mapping[str, Any], loop: LoopState) -> None:
        """Put every state of ``payload`` back into the live objects and ``loop``. UserError naming
        the mismatch when the model or optimizer does not fit (another code version)."""
        try:
            self.model.load_state_dict(payload["model"])
            self.optimizer.load_state_dict(payload["optimizer"])
        except (RuntimeError, ValueError, KeyError) as error:
            first = " ".join(str(error).split())[:300]
            raise UserError(f"the checkpoint does not fit this code's model (written by parametricSN "
                            f"{payload.get('code_version')}): {first}; resume it with that version, or "
                            f"start the run over") from None
        if payload["schedule"] is not None:
            self.schedule.scheduler.load_state_dict(payload["schedule"])
        if payload["scaler"] is not None and self.precision.scaler is not None:
            self.precision.scaler.load_state_dict(payload["scaler"])
        self.history.clear()
        for name, values in payload["history"].items():
            self.history[name] = [tuple(v) for v in values]
        self.timer.seconds.clear()
        self.timer.seconds.update(payload["timer"])
        if self.recorder is not None and payload["recorder"] is not None:
            saved = payload["recorder"]
            self.recorder.epochs[:] = saved["epochs"]
            self.recorder.steps[:] = saved["steps"]
            self.recorder.values.clear()
            for name, frames in saved["values"].items():
                self.recorder.values[name] = [frame.numpy() for frame in frames]
            self.recorder.filter_frames[:] = saved["filter_frames"]
        self.before = payload["before"]
        if self.distances is not None and payload["distances_initial"] is not None:
            self.distances.initial = payload["distances_initial"]
        loop.epoch, loop.step, loop.test_acc = payload["epoch"], payload["step"], payload["test_acc"]
        loop.generator.set_state(payload["generator"])
        set_rng_states(payload["rng"])


# ------------------------------------------------------------------------------ files on disk

def checkpoint_files(folder: Path) -> list[Path]:
    """The checkpoint files of ``folder``, newest (highest epoch) first."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _FILE.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def write_checkpoint(payload: Mapping[str, Any], folder: Path) -> Path:
    """Write ``payload`` as ``folder/epoch-NNNNNN.pt`` atomically (temporary file, fsync, rename),
    then delete all but the newest KEEP_NEWEST. Raises OSError (e.g. a full disk), leaving the
    files that were there."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".epoch-*.tmp"):  # left by a process killed while writing
        stale.unlink(missing_ok=True)
    final = folder / f"epoch-{int(payload['epoch']):06d}.pt"
    temporary = folder / f".{final.name}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)
    for old in checkpoint_files(folder)[KEEP_NEWEST:]:
        old.unlink(missing_ok=True)
    return final


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


REQUIRED_KEYS = ("format", "config", "config_hash", "epoch", "step", "generator", "rng", "model",
                 "optimizer", "schedule", "history", "timer")


def load_checkpoint(folder: Path, *, warn: Callable[[str], None] = print) -> tuple[dict, Path]:
    """The newest readable checkpoint of ``folder`` and its path. A damaged newest one (truncated,
    corrupt, incomplete) is reported through ``warn`` (one line) and the previous one is used.
    UserError when there is none, or none readable, or it is of another format version."""
    files = checkpoint_files(folder)
    if not files:
        raise UserError(f"no checkpoint in {folder}")
    for index, path in enumerate(files):
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            missing = [key for key in REQUIRED_KEYS if key not in payload]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
        except Exception as error:  # noqa: BLE001 - any damage means: try the previous one
            reason = " ".join(f"{type(error).__name__}: {error}".split())[:200]
            rest = files[index + 1:]
            if not rest:
                raise UserError(f"checkpoint {path} is unreadable ({reason}) and there is no earlier one; "
                                f"start the run over") from None
            warn(f"warning: checkpoint {path.name} is unreadable ({reason}); using {rest[0].name}")
            continue
        if payload["format"] != FORMAT_VERSION:
            raise UserError(f"checkpoint {path} has format version {payload['format']}, this code reads "
                            f"{FORMAT_VERSION} (written by parametricSN {payload.get('code_version')}): "
                            f"resume it with that version, or start the run over")
        return payload, path
    raise AssertionError("unreachable")


class RunLock:
    """An exclusive lock on a run's checkpoint folder, held while the run trains (released by the
    operating system when the process dies, SIGKILL included)."""

    def __init__(self, folder: Path):
        from filelock import FileLock

        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(f"general.checkpoint_dir: cannot create {folder} ({error.strerror or error}); "
                            f"set it to a writable folder") from None
        self.lock = FileLock(str(folder / LOCK_NAME))

    def acquire(self, run_id: str, wait_s: float = 0.0) -> "RunLock":
        """Hold the lock (waiting up to ``wait_s`` seconds); UserError when another process holds it."""
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=wait_s)
        except Timeout:
            raise UserError(f"run {run_id} is being trained by another process (its checkpoint folder "
                            f"{Path(self.lock.lock_file).parent} is locked); wait for it or stop it first") from None
        return self

    def release(self) -> None:
        self.lock.release()


def is_locked(folder: Path) -> bool:
    """True when another process holds ``folder``'s run lock (the run is being trained)."""
    from filelock import FileLock, Timeout

    if not (folder / LOCK_NAME).exists():
        return False
    lock = FileLock(str(folder / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


# --------------------------------------------------------------------------------- checkpointer

class Checkpointer:
    """Captures a run's state after every epoch and writes it when due (see the module docstring).

    ``every_minutes``: between writes (0 = every epoch); ``seconds``: total time spent capturing and
    writing (logged as metric ``checkpoint_s``); ``written``: checkpoints written by this process.
    """

    def __init__(self, state: RunState, folder: Path, every_minutes: float, run_id: str = "",
                 warn: Callable[[str], None] = lambda line: warnings.warn(line, stacklevel=3)):
        self.state, self.folder, self.every_s, self.run_id = state, folder, 60.0 * every_minutes, run_id
        self.warn = warn
        self.latest: dict | None = None
        self.latest_written = -1
        self.last_write = time.monotonic()
        self.seconds = 0.0
        self.written = 0
        self._warned = False
        self._writing = False

    def epoch_end(self, loop: LoopState) -> None:
        """Capture the state after epoch ``loop.epoch``; write it when ``every_minutes`` have passed."""
        started = time.perf_counter()
        self.latest = self.state.capture(loop)
        self.seconds += time.perf_counter() - started
        if time.monotonic() - self.last_write >= self.every_s:
            self.write_latest()

    def write_latest(self) -> Path | None:
        """Write the newest captured state unless it is on disk already (or being written). A failed
        write warns once and keeps the last good checkpoint; the run goes on."""
        if self.latest is None or self._writing or self.latest["epoch"] == self.latest_written:
            return None
        self._writing = True
        started = time.perf_counter()
        try:
            path = write_checkpoint(self.latest, self.folder)
        except OSError as error:
            if not self._warned:
                self._warned = True
                kept = checkpoint_files(self.folder)
                self.warn(f"could not write a checkpoint to {self.folder} ({error.strerror or error}); the run "
                          f"goes on and keeps {kept[0].name if kept else 'no checkpoint'}")
            return None
        finally:
            self._writing = False
            self.seconds += time.perf_counter() - started
            self.last_write = time.monotonic()
        self.latest_written = int(self.latest["epoch"])
        self.written += 1
        return path

    def remove(self) -> None:
        """Delete the run's checkpoint folder (after a FINISHED run)."""
        shutil.rmtree(self.folder, ignore_errors=True)


ACTIVE: list[Checkpointer] = []  # the run this process is training (for submitit's checkpoint call)


@contextlib.contextmanager
def active_checkpointer(checkpointer: Checkpointer) -> Iterator[Checkpointer]:
    """Make ``checkpointer`` the process's active one (:data:`ACTIVE`, what a submitit job's
    ``checkpoint`` writes when SLURM is about to stop it) and, on the main thread, let SIGUSR1 write
    its newest captured state at once while training goes on (unless SIGUSR1 has a handler already)."""
    ACTIVE.append(checkpointer)
    previous = None
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGUSR1"):
        if signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, signal.SIG_IGN, None):
            previous = signal.signal(signal.SIGUSR1, lambda signum, frame: checkpointer.write_latest())
    try:
        yield checkpointer
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)
        ACTIVE.remove(checkpointer)
