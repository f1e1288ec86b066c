"""One training epoch and one evaluation pass over tensors held in memory (no DataLoader).

The training set is a uint8 tensor (N, C, H0, W0) on the device; an epoch draws a permutation from
a seeded ``torch.Generator``, cuts it into micro-batches of ``batch_size``, and takes one optimizer
step per ``accum_steps`` micro-batches. ``prepare`` turns a uint8 batch into the model's float input
(for training: augment → to_float → normalize).

Gradient accumulation: each micro-batch's mean loss is weighted by its share of the samples in its
optimizer step (= 1/accum_steps when the micro-batches are full), so the accumulated gradient is
exactly the gradient of the mean loss over the step's samples — the big-batch gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn

from parametricSN.training.losses import LossFn
from parametricSN.training.optim import Schedule, group_lrs
from parametricSN.training.precision import FP32, Precision

Prepare = Callable[[torch.Tensor], torch.Tensor]


class NonFiniteLossError(RuntimeError):
    """Training diverged: the loss (or a filter parameter) became NaN or ±inf. One-line message."""


@dataclass
class EpochStats:
    """Mean loss and accuracy (percent) over the epoch's samples, as seen while training.

    ``lrs``: the LR per group used by the epoch's LAST optimizer step ({"lr_head": …, …}).
    ``steps``: optimizer steps taken.
    """

    loss: float
    acc: float
    steps: int
    lrs: dict[str, float] = field(default_factory=dict)


def batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """[start, stop) of consecutive batches covering range(n).

    A trailing batch of a single sample is merged into the previous one: BatchNorm cannot
    normalise one sample with a 1×1 spatial map, and one sample carries a very noisy gradient.
    """
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def train_epoch(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    prepare: Prepare,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    schedule: Schedule | None,
    *,
    batch_size: int,
    accum_steps: int = 1,
    generator: torch.Generator,
    epoch: int = 1,
    precision: Precision = FP32,
    penalty: Callable[[], torch.Tensor] | None = None,
) -> EpochStats:
    """Train ``model`` for one epoch over (images (N, …) uint8, targets (N,) int64).

    ``precision``: autocast of the forward passes and (fp16) loss scaling; default float32.
    ``penalty``: ``() -> scalar`` added once to each optimizer step's loss (e.g. the filters'
    Littlewood–Paley pull); not part of the reported loss.

    Raises NonFiniteLossError after the epoch if any micro-batch loss was NaN/inf.
    Does NOT step per-epoch schedules (the caller calls ``schedule.after_epoch()``).
    """
    model.train()
    n = images.shape[0]
    order = torch.randperm(n, generator=generator).to(images.device)
    batches = [order[a:b] for a, b in batch_bounds(n, batch_size)]
    losses, correct, lrs, steps = [], torch.zeros((), device=images.device), {}, 0

    for first in range(0, len(batches), accum_steps):
        step_batches = batches[first:first + accum_steps]
        step_samples = sum(len(idx) for idx in step_batches)
        optimizer.zero_grad(set_to_none=True)
        for idx in step_batches:
            with precision.autocast():
                logits = model(prepare(images[idx]))
                y = targets[idx]
                loss = loss_fn(logits, y).float()
            precision.backward(loss * (len(idx) / step_samples))
            losses.append(loss.detach() * len(idx))
            correct += (logits.detach().argmax(dim=1) == y).sum()
        if penalty is not None:
            precision.backward(penalty().float())
        lrs = group_lrs(optimizer)
        precision.step(optimizer)
        steps += 1
        if schedule is not None:
            schedule.after_optimizer_step()

    per_batch = torch.stack(losses)
    # one device-to-host transfer per epoch (on CUDA each transfer waits for the queued work)
    summary = [per_batch.sum(), torch.isfinite(per_batch).all(), correct]
    total, finite, right = torch.stack([t.double() for t in summary]).tolist()
    if not finite:
        bad = int((~torch.isfinite(per_batch)).nonzero()[0, 0])
        raise NonFiniteLossError(
            f"training loss is {float(per_batch[bad]) / len(batches[bad]):.3g} at epoch {epoch}, "
            f"micro-batch {bad + 1} of {len(batches)}; lower the learning rates (optim.max_lr, optim.lr, "
            f"scattering.lr_scattering, scattering.lr_orientation)"
        )
    return EpochStats(loss=total / n, acc=100.0 * right / n, steps=steps, lrs=lrs)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    prepare: Prepare,
    loss_fn: LossFn,
    *,
    batch_size: int,
    precision: Precision = FP32,
) -> tuple[float, float]:
    """(mean loss, accuracy in percent) of ``model`` in eval mode over (images (M, …), targets (M,)).

    Processes ``batch_size`` images at a time without gradients (under ``precision``'s autocast);
    restores the model's mode after.
    """
    was_training = model.training
    model.eval()
    total_loss = torch.zeros((), dtype=torch.float64, device=images.device)
    correct = torch.zeros((), dtype=torch.int64, device=images.device)
    m = images.shape[0]
    try:
        for start in range(0, m, batch_size):
            x = prepare(images[start:start + batch_size])
            y = targets[start:start + batch_size]
            with precision.autocast():
                logits = model(x)
            total_loss += loss_fn(logits, y).double() * len(y)
            correct += (logits.argmax(dim=1) == y).sum()
    finally:
        model.train(was_training)
    if m == 0:
        return math.nan, math.nan
    return float(total_loss) / m, 100.0 * float(correct) / m
