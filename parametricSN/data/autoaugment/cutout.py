"""The published Cutout (docs/augmentation.md) on uint8 (N, C, H, W) batches: one L×L block per image, filled
with the image's own mean value, at the predecessor's placement.

At 32×32 (L = 16): top t and left l are uniform integers in [−8, 16); the filled rows are
[max(t, 0), t + 16) and the filled columns [c0, l + 16) with c0 = 0 if l < 0 else max(t, 0).
The c0 rule is an upstream slip (the left edge reuses the clipped TOP), reproduced on purpose: the
published numbers were trained with it, and it makes the block narrower or wider than L.
For other sizes the same rule holds with t ∈ [−(L // 2), H − L) and l ∈ [−(L // 2), W − L): the
block may stick out of the top / left edge by up to half its side and always ends inside the image,
as at 32×32 (where −8 = −L/2 and 16 = H − L).
"""

from __future__ import annotations

import torch


def placement_range(side: int, length: int) -> tuple[int, int]:
    """[low, high) of the top (side = H) or left (side = W) corner of an L = length block."""
    return -(length // 2), side - length


def draw_cutout(batch: int, size: tuple[int, int], length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(top, left) int64 (batch,) on the CPU from the torch global RNG: tops first, then lefts."""
    h, w = size
    top = torch.randint(*placement_range(h, length), (batch,))
    left = torch.randint(*placement_range(w, length), (batch,))
    return top, left


def cutout_mask(top: torch.Tensor, left: torch.Tensor, length: int, size: tuple[int, int]) -> torch.Tensor:
    """bool (N, H, W): the filled pixels for corners top, left (N,)."""
    h, w = size
    r0, r1 = top.clamp(min=0), top + length
    c0, c1 = torch.where(left < 0, torch.zeros_like(top), top.clamp(min=0)), left + length  # the slip
    rows, cols = torch.arange(h), torch.arange(w)
    in_rows = (rows >= r0[:, None]) & (rows < r1[:, None])
    in_cols = (cols >= c0[:, None]) & (cols < c1[:, None])
    return in_rows[:, :, None] & in_cols[:, None, :]


def image_means(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N,): the mean of each whole image (all channels), truncated."""
    flat = images.flatten(1)
    return (flat.sum(1, dtype=torch.int64) // flat.shape[1]).to(torch.uint8)


def mean_cutout(images: torch.Tensor, top: torch.Tensor, left: torch.Tensor, length: int) -> torch.Tensor:
    """uint8 (N, C, H, W) → uint8: the block of each image set to that image's mean."""
    hole = cutout_mask(top, left, length, images.shape[-2:]).to(images.device)
    return torch.where(hole[:, None], image_means(images).view(-1, 1, 1, 1), images)


class MeanCutout:
    """Batch step: the published Cutout with an L×L block (L = 16 at 32×32)."""

    def __init__(self, length: int):
        self.length = int(length)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        top, left = draw_cutout(len(images), images.shape[-2:], self.length)
        return mean_cutout(images, top, left, self.length)
