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
from typing import Callable, Mapping

import torch
from tqdm import tqdm

from parametricSN.training.filter_learning import filters_frozen
from parametricSN.training.loop import NonFiniteLossError, evaluate, train_epoch
from parametricSN.training.precision import Precision

from parametricSN.scattering.morlet import PARAMETER_NAMES as BANK_PARAMETERS
LogHook = Callable[[Mapping[str, float], int], None]


def fit(model, data, loss_fn, optimizer, schedule, *, device: torch.device, epochs: int, step_test: int,
        train_batch_size: int, test_batch_size: int, accum_steps: int = 1, seed: int = 0,
        precision: str = "fp32", log: LogHook = lambda metrics, epoch: None, recorder=None,
        track_distance: bool = False, timer=None, progress: bool = True,
        desc: str = "train", bar_position: int | None = None, frozen_epochs: int = 0,
        penalty: Callable[[], torch.Tensor] | None = None) -> None:
    """Train ``model`` on ``data`` (a DataBundle) for ``epochs`` epochs. Raises NonFiniteLossError.

    ``seed`` seeds the batch order; ``recorder`` (a TrajectoryRecorder) records the bank after
    every epoch; ``track_distance`` logs the bank's distance to its start and to the tight frame
    (``parametricSN.scattering.bank_distance``); evaluation passes run inside ``timer("test_s")``
    when a timer is given (``parametricSN.tracking.recorder.Stopwatch``). The filters are frozen for
    the first ``frozen_epochs`` epochs; ``penalty`` (``() -> scalar``, e.g. the Littlewood–Paley pull
    of :mod:`parametricSN.training.filter_learning`) joins every optimizer step after them and is
    logged as metric ``filter_penalty`` (see ``train_epoch``).
    """
    if timer is None:
        timer = lambda name: contextlib.nullcontext()  # noqa: E731
    train_images, train_targets = data.train_images.to(device), data.train_targets.to(device)
    test_images, test_targets = data.test_images.to(device), data.test_targets.to(device)
    prepare_train = lambda u8: data.normalize(data.to_float(data.augment(u8)))  # noqa: E731
    prepare_test = lambda u8: data.normalize(data.to_float(u8))  # noqa: E731
    amp = Precision.build(precision, device)
    evaluate_now = make_evaluator(model, data, test_images, test_targets, prepare_test, loss_fn,
                                  batch_size=test_batch_size, precision=amp)
    generator = torch.Generator().manual_seed(seed)
    scattering = model.scattering
    distances = BankDistance(scattering) if track_distance else None
    if distances is not None:
        log(distances(), 0)
    if recorder is not None:
        recorder.record(0, 0)

    step, test_acc = 0, float("nan")
    bar = tqdm(range(1, epochs + 1), desc=desc, unit="epoch", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, position=bar_position, leave=None)
    with bar:
        for epoch in bar:
            frozen = epoch <= frozen_epochs
            with filters_frozen(scattering, frozen):
                stats = train_epoch(model, train_images, train_targets, prepare_train, loss_fn, optimizer,
                                    schedule, batch_size=train_batch_size, accum_steps=accum_steps,
                                    generator=generator, epoch=epoch, precision=amp,
                                    penalty=None if frozen else penalty)
            schedule.after_epoch()
            step += stats.steps
            check_filters_finite(scattering, epoch)
            metrics = {"train_loss": stats.loss, "train_acc": stats.acc, **stats.lrs}
            if penalty is not None:
                with torch.no_grad():
                    metrics["filter_penalty"] = float(penalty())
            if distances is not None:
                metrics.update(distances())
            if epoch % step_test == 0 or epoch == epochs:
                with timer("test_s"):
                    test_loss, test_acc = evaluate_now()
                metrics.update(test_loss=test_loss, test_acc=test_acc)
            log(metrics, epoch)
            if recorder is not None:
                recorder.record(epoch, step)
            bar.set_postfix(loss=f"{stats.loss:.3f}", acc=f"{stats.acc:.1f}", test_acc=f"{test_acc:.1f}",
                            refresh=False)


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
