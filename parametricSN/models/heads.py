"""Small heads on scattering features: ``linear_layer`` (the paper's "LL") and ``mlp``.

Both take features (B, C_in, h, w) — C_in = C·K for a hybrid — and return logits (B, classes).
"""

from __future__ import annotations

from typing import Sequence, Tuple

import torch
import torch.nn as nn

from parametricSN.config import section
from parametricSN.models.registry import register_head


class LinearHead(nn.Module):
    """BatchNorm2d(C_in) → flatten → Linear(C_in·h·w → classes).

    On CIFAR with J=2 (C_in = 3·81 = 243, h = w = 8) this has 2·243 + 243·64·10 + 10 = 156,016
    parameters.
    """

    def __init__(self, in_channels: int, spatial_shape: Tuple[int, int], num_classes: int):
        super().__init__()
        h, w = spatial_shape
        self.bn = nn.BatchNorm2d(in_channels)
        self.fc = nn.Linear(in_channels * h * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C_in, h, w) → logits (B, classes)."""
        return self.fc(torch.flatten(self.bn(x), 1))


class MLPHead(nn.Module):
    """BatchNorm2d(C_in) → flatten → [Linear → ReLU] per hidden size → Linear → classes."""

    def __init__(
        self,
        in_channels: int,
        spatial_shape: Tuple[int, int],
        num_classes: int,
        hidden: Sequence[int] = (512,),
    ):
        super().__init__()
        h, w = spatial_shape
        self.bn = nn.BatchNorm2d(in_channels)
        layers = []
        width = in_channels * h * w
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(inplace=True)]
            width = size
        layers.append(nn.Linear(width, num_classes))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C_in, h, w) → logits (B, classes)."""
        return self.mlp(torch.flatten(self.bn(x), 1))


@register_head("linear_layer")
def build_linear_head(in_channels, spatial_shape, num_classes, cfg) -> nn.Module:
    """The ``linear_layer`` head (no config keys)."""
    return LinearHead(in_channels, spatial_shape, num_classes)


@register_head("mlp")
def build_mlp_head(in_channels, spatial_shape, num_classes, cfg) -> nn.Module:
    """The ``mlp`` head; hidden sizes from ``model.mlp_hidden`` (list of positive ints)."""
    return MLPHead(in_channels, spatial_shape, num_classes, section(cfg, "model").mlp_hidden)
