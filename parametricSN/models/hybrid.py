"""HybridModel: a scattering front end (or none) followed by a trainable head."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn as nn

from parametricSN.errors import UserError


def second_order_count(J: int, L: int) -> int:
    """K2 = L²·J(J−1)/2, the number of order-2 scattering coefficients per input channel."""
    return L * L * J * (J - 1) // 2


def check_second_order(scattering: Optional[nn.Module], second_order: bool) -> None:
    """UserError unless ``second_order`` is false or the scattering has order-2 coefficients."""
    if not second_order:
        return
    if scattering is None:
        raise UserError("scattering.second_order: true needs scattering.architecture: scattering, not identity")
    if scattering.max_order != 2 or second_order_count(scattering.J, scattering.L) == 0:
        raise UserError(
            f"scattering.second_order: true needs max_order 2 and J >= 2 "
            f"(got max_order {scattering.max_order}, J {scattering.J}); set it to false"
        )


class HybridModel(nn.Module):
    """features(x) → head.

    Args:
        scattering: a ``ParametricScattering2D`` (or any module mapping (B, C, H, W) to
            (B, C, K, h, w) with attributes J, L, max_order), or None for raw pixels.
        head: module mapping features (B, C_f, h, w) to logits (B, classes).
        second_order: keep only the K2 = L²·J(J−1)/2 order-2 coefficients (the last K2 of the K
            in kymatio's order [S0, S1, S2]); needs max_order 2 and J ≥ 2.
    """

    def __init__(self, scattering: Optional[nn.Module], head: nn.Module, second_order: bool = False):
        super().__init__()
        check_second_order(scattering, second_order)
        self.scattering = scattering
        self.head = head
        self.second_order = bool(second_order)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) → (B, C·K, h, w) scattering coefficients (K → K2 with second_order),
        channel index c·K + k; or x itself when there is no scattering. The scattering runs in
        x's dtype (float32, or float64 for a float64 model) even inside autocast."""
        if self.scattering is None:
            return x
        with torch.autocast(x.device.type, enabled=False):   # the scattering keeps x's precision
            s = self.scattering(x)                            # under mixed precision (training/precision.py)
        if self.second_order:
            s = s[:, :, -second_order_count(self.scattering.J, self.scattering.L):]
        b, c, k, h, w = s.shape
        return s.reshape(b, c * k, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) → logits (B, classes)."""
        return self.head(self.features(x))


def feature_shape(
    scattering: Optional[nn.Module], second_order: bool, in_channels: int, image_size: Tuple[int, int]
) -> Tuple[int, Tuple[int, int]]:
    """(channels, (h, w)) of ``HybridModel.features`` for images (in_channels, *image_size)."""
    if scattering is None:
        return in_channels, (int(image_size[0]), int(image_size[1]))
    k = second_order_count(scattering.J, scattering.L) if second_order else scattering.K
    h, w = scattering.output_shape
    return in_channels * k, (int(h), int(w))
