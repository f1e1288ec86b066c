"""The epoch loop of one run (:func:`fit`) and the evaluation pass it calls (:func:`make_evaluator`).

``fit`` trains epoch by epoch, tests every ``step_test`` epochs and at the last, and hands each
epoch's metrics to one hook, ``log(metrics, epoch)`` (the run's MLflow logging, architecture §5);
it knows nothing of MLflow. Metric names: train_loss, train_acc, lr_* and momentum
(:func:`parametricSN.training.optim.group_lrs`), test_loss, test_acc (on the evaluation split),
param_distance, param_distance_tight_frame (step 0 = before training), filter_penalty (with a
penalty).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from tqdm import tqdm

from parametricSN.scattering.morlet import PARAMETER_NAMES as BANK_PARAMETERS
from parametricSN.training.checkpoint import LoopState
from parametricSN.training.filter_learning import filters_frozen, warmup_epochs
from parametricSN.training.loop import NonFiniteLossError, evaluate, train_epoch
from parametricSN.training.precision import FP32, Precision
from parametricSN.training.progress import ProgressLines

LogHook = Callable[[Mapping[str, float], int], None]


@dataclass(frozen=True)
class FitSettings:
    """How long and in what batches :func:`fit` trains: ``epochs``; a test every ``step_test``
    epochs (and at the last); micro-batches of ``train_batch_size`` images, ``accum_steps`` per
    optimizer step; evaluation batches of ``test_batch_size``; ``seed`` seeds the batch order; the
    filters are frozen for the first ``frozen_epochs`` epochs."""

    epochs: int
    step_test: int
    train_batch_size: int
    test_batch_size: int
    accum_steps: int = 1
    seed: int = 0
    frozen_epochs: int = 0

    @classmethod
    def from_config(cls, cfg) -> "FitSettings":
        """The settings a validated Config states (model.epoch, model.step_test, dataset.*_batch_size,
        dataset.accum_step_multiple, general.seed, scattering.filter_warmup)."""
        return cls(epochs=cfg.model.epoch, step_test=cfg.model.step_test,
                   train_batch_size=cfg.dataset.train_batch_size, test_batch_size=cfg.dataset.test_batch_size,
                   accum_steps=cfg.dataset.accum_step_multiple, seed=cfg.general.seed,
                   frozen_epochs=warmup_epochs(cfg.scattering.filter_warmup, cfg.model.epoch))


@dataclass
class FitHooks:
    """What :func:`fit` reports to, none of which changes the numbers: ``log(metrics, epoch)``;
    ``recorder`` (a TrajectoryRecorder) records the bank after every epoch; ``distances`` (a
    :class:`BankDistance`) is logged at step 0 and after every epoch; evaluation passes run inside
    ``timer("test_s")`` (a Stopwatch); ``epoch_end(loop)`` is called after each epoch is logged
    (the run's Checkpointer); the progress (``progress``, its label ``desc``): a bar on a terminal
    (on terminal line ``bar_position``), else a plain line every 5 minutes (training.progress)."""

    log: LogHook = lambda metrics, epoch: None
    recorder: Any = None
    distances: "BankDistance | None" = None
    timer: Any = None
    epoch_end: Callable[[LoopState], None] | None = None
    progress: bool = True
    desc: str = "train"
    bar_position: int | None = None


def fit(model, data, loss_fn, optimizer, schedule, settings: FitSettings, *, device: torch.device,
        precision: Precision = FP32, penalty: Callable[[], torch.Tensor] | None = None,
        hooks: FitHooks | None = None, loop: LoopState | None = None) -> LoopState:
    """Train ``model`` on ``data`` (a DataBundle) as ``settings`` say. Raises NonFiniteLossError.

    ``precision``: autocast and loss scaling (training.precision). ``penalty`` (``() -> scalar``,
    e.g. the Littlewood–Paley pull of :mod:`parametricSN.training.filter_learning`) joins every
    optimizer step after the frozen epochs and is logged as metric ``filter_penalty`` (see
    ``train_epoch``). ``loop``: where a resumed run stands (its model, optimizer, schedule and
    random states already restored); None starts at epoch 0. Returns the final loop state.
    """
    hooks = hooks or FitHooks()
    timer = hooks.timer or (lambda name: contextlib.nullcontext())
    train_images, train_targets = data.train_images.to(device), data.train_targets.to(device)
    test_images, test_targets = data.test_images.to(device), data.test_targets.to(device)
    prepare_train = lambda u8: data.normalize(data.to_float(data.augment(u8)))  # noqa: E731
    prepare_test = lambda u8: data.normalize(data.to_float(u8))  # noqa: E731
    evaluate_now = make_evaluator(model, data, test_images, test_targets, prepare_test, loss_fn,
                                  batch_size=settings.test_batch_size, precision=precision)
    if loop is None:
        loop = LoopState(torch.Generator().manual_seed(settings.seed))
    scattering = model.scattering
    if loop.epoch == 0:
        if hooks.distances is not None:
            hooks.log(hooks.distances(), 0)
        if hooks.recorder is not None:
            hooks.recorder.record(0, 0)

    epochs = settings.epochs
    on_terminal = hooks.progress and sys.stderr.isatty()
    bar = tqdm(range(loop.epoch + 1, epochs + 1), desc=hooks.desc, unit="epoch", file=sys.stderr,
               disable=not on_terminal, dynamic_ncols=True, position=hooks.bar_position, leave=None,
               initial=loop.epoch, total=epochs)
    lines = ProgressLines(hooks.desc, epochs, loop.epoch) if hooks.progress and not on_terminal else None
    with bar:
        for epoch in bar:
            frozen = epoch <= settings.frozen_epochs
            with filters_frozen(scattering, frozen):
                stats = train_epoch(model, train_images, train_targets, prepare_train, loss_fn, optimizer,
                                    schedule, batch_size=settings.train_batch_size,
                                    accum_steps=settings.accum_steps, generator=loop.generator, epoch=epoch,
                                    precision=precision, penalty=None if frozen else penalty)
            schedule.after_epoch()
            loop.step += stats.steps
            check_filters_finite(scattering, epoch)
            metrics = {"train_loss": stats.loss, "train_acc": stats.acc, **stats.lrs}
            if penalty is not None:
                with torch.no_grad():
                    metrics["filter_penalty"] = float(penalty())
            if hooks.distances is not None:
                metrics.update(hooks.distances())
            if epoch % settings.step_test == 0 or epoch == epochs:
                with timer("test_s"):
                    test_loss, loop.test_acc = evaluate_now()
                metrics.update(test_loss=test_loss, test_acc=loop.test_acc)
            hooks.log(metrics, epoch)
            if hooks.recorder is not None:
                hooks.recorder.record(epoch, loop.step)
            loop.epoch = epoch
            if hooks.epoch_end is not None:
                hooks.epoch_end(loop)
            bar.set_postfix(loss=f"{stats.loss:.3f}", acc=f"{stats.acc:.1f}", test_acc=f"{loop.test_acc:.1f}",
                            refresh=False)
            if lines is not None:
                lines.update(epoch, stats.loss, stats.acc, loop.test_acc)
    return loop


class BankDistance:
    """``() -> {"param_distance": …, "param_distance_tight_frame": …}``: the bank's distance to its
    initial values (wavelets paired by index) and to kymatio's tight frame (optimally paired)."""

    def __init__(self, scattering) -> None:
        from parametricSN.scattering import tight_frame_parameters

        self.scattering = scattering
        self.initial = self._bank()
        self.tight = tight_frame_parameters(scattering.J, scattering.L)

    def _bank(self) -> dict[str, torch.Tensor]:
        """Per-wavelet θ, ξ, σ, γ of the current bank, (J·L,) float64 each."""
        values = torch.stack([getattr(self.scattering, name).detach() for name in BANK_PARAMETERS])
        return dict(zip(BANK_PARAMETERS, values.double().cpu()))  # one device-to-host transfer

    def __call__(self) -> dict[str, float]:
        from parametricSN.scattering import bank_distance

        current = self._bank()
        return {"param_distance": bank_distance(current, self.initial, match=False),
                "param_distance_tight_frame": bank_distance(current, self.tight, match=True)}


def make_evaluator(model, data, images, targets, prepare, loss_fn, *, batch_size: int, precision: Precision):
    """``() -> (loss, accuracy %)`` over the evaluation images. With a fixed front end, its features
    are computed at the first call (or taken from the process's FEATURE_CACHE, shared between runs)
    and each test pass runs only the head, on the same batches: the numbers do not change."""
    from parametricSN.training import features

    if not features.has_fixed_front_end(model) or len(images) == 0:
        def evaluate_model() -> tuple[float, float]:
            scattering = getattr(model, "scattering", None)
            rebuilt_once = scattering.filters_built_once() if scattering is not None else contextlib.nullcontext()
            with rebuilt_once:   # one filter build per pass, not per batch
                return evaluate(model, images, targets, prepare, loss_fn, batch_size=batch_size,
                                precision=precision)

        return evaluate_model
    cached: list[torch.Tensor] = []

    def evaluate_head() -> tuple[float, float]:
        if not cached:
            cached.append(features.FEATURE_CACHE.features(model, images, prepare, batch_size=batch_size,
                                                          prepare_tag=f"mean={data.mean} std={data.std}"))
        return evaluate(model.head, cached[0], targets, lambda x: x, loss_fn, batch_size=batch_size,
                        precision=precision)

    return evaluate_head


def check_filters_finite(scattering, epoch: int) -> None:
    """NonFiniteLossError if a learnable filter parameter became NaN/inf (the loss may still be finite)."""
    if scattering is None or not scattering.filter_parameters():
        return
    params = scattering.filter_parameters()
    finite = torch.stack([torch.isfinite(p).all() for p in params.values()]).tolist()  # one transfer
    for name, ok in zip(params, finite):
        if not ok:
            raise NonFiniteLossError(
                f"filter parameter {name} became nan/inf at epoch {epoch}; lower the learning rates "
                f"(scattering.lr_scattering, scattering.lr_orientation, optim.max_lr, optim.lr)")
