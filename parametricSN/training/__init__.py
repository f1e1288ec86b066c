"""Training pieces: optimizer groups and schedules, losses, the train/evaluate loop.

The run orchestration (data, model, MLflow) lives in :mod:`parametricSN.run`.
"""

from parametricSN.training.losses import build_loss, cosine_loss, cross_entropy_loss
from parametricSN.training.loop import EpochStats, NonFiniteLossError, batch_bounds, evaluate, train_epoch
from parametricSN.training.optim import (
    GROUPS,
    Schedule,
    build_optimizer,
    build_schedule,
    group_lrs,
    optimizer_steps_per_epoch,
    parameter_groups,
)

__all__ = [
    "GROUPS", "EpochStats", "NonFiniteLossError", "Schedule", "batch_bounds", "build_loss",
    "build_optimizer", "build_schedule", "cosine_loss", "cross_entropy_loss", "evaluate",
    "group_lrs", "optimizer_steps_per_epoch", "parameter_groups", "train_epoch",
]
