"""Classification losses: ``cross-entropy`` and ``cosine``.

Both map logits (B, classes) float and integer targets (B,) int64 to a scalar: the MEAN over the
batch, so that gradient accumulation can weight micro-batches by their share of the step.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from parametricSN.config import normalise

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def cross_entropy_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross-entropy. logits (B, classes), targets (B,) int64 → scalar."""
    return F.cross_entropy(logits, targets)


def cosine_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of 1 − cos(logits, one-hot(target)). logits (B, classes), targets (B,) → scalar in [0, 2].

    cos(z, e_y) = z_y / ‖z‖, so the loss only cares about the direction of the logits.
    """
    one_hot = F.one_hot(targets, num_classes=logits.shape[1]).to(logits.dtype)
    return (1.0 - F.cosine_similarity(logits, one_hot, dim=1, eps=1e-8)).mean()


LOSSES: dict[str, LossFn] = {"cross-entropy": cross_entropy_loss, "cosine": cosine_loss}


def build_loss(name: str) -> LossFn:
    """The loss called ``name`` (model.loss: 'cross-entropy' or 'cosine', in any spelling the config
    accepts)."""
    return LOSSES[normalise("model", "loss", name)]
