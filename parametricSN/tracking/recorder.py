"""In-memory records of a training run: per-epoch metric history and the filter trajectory.

``History``: metric name → [(epoch, value), …], the form ``figures.curves.plot_learning_curves`` takes.

``Stopwatch``: wall-clock seconds per named section of a run (``train_s``, ``test_s``, …).

``TrajectoryRecorder``: the learnable filter parameters (and optionally the filters themselves,
for the progression GIF) after every epoch, thinned to at most ``max_frames`` evenly spaced
epochs that always include the initial bank (epoch 0, step 0) and the final one. Which epochs
are kept is decided up front from the number of epochs, so memory stays bounded however long the
run is. Saved as ``trajectory.npz``: one array (T, …) per filter-parameter name, plus ``steps``
(T,) optimizer steps and ``epochs`` (T,).
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import torch

from parametricSN.scattering.morlet import PARAMETER_NAMES as BANK_PARAMETERS


class History(defaultdict):
    """metric name → list of (epoch, value) pairs, in the order they were added."""

    def __init__(self):
        super().__init__(list)

    def add(self, epoch: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self[name].append((int(epoch), float(value)))

    def last(self, name: str, default: float = float("nan")) -> float:
        """The most recent value of ``name`` (``default`` if never added)."""
        return self[name][-1][1] if self.get(name) else default


class Stopwatch:
    """Wall-clock seconds spent in named sections, summed over every use of a name.

        watch = Stopwatch()
        with watch("test_s"):
            ...
        watch.seconds["test_s"]   # float seconds; a name never used reads 0.0
    """

    def __init__(self):
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


def run_timings(timer: Stopwatch) -> dict[str, float]:
    """A run's time split (seconds), logged as metrics (architecture §5): ``setup_s`` (config,
    data, model, before the MLflow run exists), ``train_s`` (the epoch loop without evaluation),
    ``test_s`` (the evaluation passes), ``duration_s`` = train_s + test_s."""
    seconds = timer.seconds
    return {"setup_s": seconds["setup_s"], "train_s": max(seconds["duration_s"] - seconds["test_s"], 0.0),
            "test_s": seconds["test_s"], "duration_s": seconds["duration_s"]}


def frame_epochs(epochs: int, max_frames: int = 200) -> set[int]:
    """Epochs (0 = before training … ``epochs``) at which to record; at most max(2, max_frames),
    evenly spaced, always 0 and ``epochs``."""
    count = min(epochs + 1, max(2, max_frames))
    return {int(round(e)) for e in np.linspace(0, epochs, count)}


class TrajectoryRecorder:
    """Records ``scattering.filter_values()`` (and optionally ``wavelet_filters()``).

    Args:
        scattering: a ParametricScattering2D (learnable, else there is nothing to record).
        epochs: number of training epochs of the run.
        max_frames: most frames kept (first and last always).
        parameters: record the filter parameters (name → (T, *shape) arrays).
        filters: also keep the (J·L, Hp, Wp) Fourier filters per frame (for the GIF).
    """

    def __init__(self, scattering, epochs: int, max_frames: int = 200, parameters: bool = True,
                 filters: bool = False):
        self.scattering = scattering
        self.keep = frame_epochs(epochs, max_frames)
        self.record_parameters = parameters
        self.record_filters = filters
        self.epochs: list[int] = []
        self.steps: list[int] = []
        self.values: dict[str, list[np.ndarray]] = defaultdict(list)
        self.filter_frames: list[torch.Tensor] = []

    def record(self, epoch: int, step: int) -> bool:
        """Record the current bank if ``epoch`` is one of the kept epochs; True if recorded."""
        if epoch not in self.keep or (self.epochs and self.epochs[-1] == epoch):
            return False
        self.epochs.append(int(epoch))
        self.steps.append(int(step))
        if self.record_parameters:
            for name, value in self.scattering.filter_values().items():
                self.values[name].append(value.cpu().numpy().copy())
        if self.record_filters:
            self.filter_frames.append(self.scattering.wavelet_filters().detach().cpu())
        return True

    def arrays(self) -> dict[str, np.ndarray]:
        """name → (T, …) float arrays, plus ``steps`` and ``epochs`` (T,) int64."""
        out = {name: np.stack(frames) for name, frames in self.values.items()}
        out["steps"] = np.asarray(self.steps, dtype=np.int64)
        out["epochs"] = np.asarray(self.epochs, dtype=np.int64)
        return out

    def save(self, path: str | Path) -> Path:
        """Write :meth:`arrays` as a compressed ``.npz``; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **self.arrays())
        return path




def bank_tracking(scattering, epochs: int, *, param_distance: bool, filter_video: bool,
                  max_frames: int = 200) -> tuple["TrajectoryRecorder | None", bool]:
    """What a run records of its filter bank: ``(recorder or None, log_distance)``.

    The trajectory is recorded for a learnable Morlet bank (θ, ξ, σ, γ), or for any learnable bank
    when ``filter_video`` asks for the GIFs; the bank distances are logged for a Morlet bank when
    ``param_distance`` (scattering.param_distance) is true.
    """
    filters = scattering.filter_parameters() if scattering is not None else {}
    tracks_bank = bool(filters) and all(name in filters for name in BANK_PARAMETERS)
    filter_video = bool(filters) and filter_video
    recorder = None
    if filters and (tracks_bank or filter_video):
        recorder = TrajectoryRecorder(scattering, epochs, max_frames, parameters=True, filters=filter_video)
    return recorder, tracks_bank and param_distance
