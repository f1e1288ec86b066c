"""Training augmentations on uint8 image batches (B, C, H, W); randomness from the torch global RNG.

Modes (docs/augmentation.md), per dataset family:
- ``autoaugment``: the published recipe (docs/augmentation.md), random crop (CIFAR/digits: padding 4; KTH/X-ray:
  crop from the stored 200/260 image) + horizontal flip + one of the 25 published CIFAR-10
  sub-policies (magnitudes drawn within their bins; scipy cubic-spline geometry, PIL colour ops) +
  Cutout filled with the image's mean at the published placement
  (parametricSN.data.autoaugment).
- ``autoaugment-torchvision``: NOT the published recipe: the same crop + flip, then torchvision's
  AutoAugment (CIFAR-10 policy) and a zero-filled Cutout centred uniformly in the image.
- ``original-cifar``: CIFAR/digits random crop (padding 4) + flip; KTH ±10° rotation + random crop
  + flip; X-ray random crop + flip; folder (your own images, its default): random crop after zero
  padding of 1/8 of the side + flip (a shift of up to 1/8 and a mirror: label-preserving for
  photographs, textures and X-rays alike, with no colour change).
- ``noaugment``: centre crop to the model size only.
The Cutout square is 16×16 at 32×32 and scales with the model size: side = round(16 · min(H, W) / 32)
(64 for KTH 128, 112 for X-ray 224).
Random numbers are always drawn on the CPU, so a seeded run picks the same augmentation on any device.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from parametricSN.data.autoaugment import MeanCutout, PublishedAutoAugment
from parametricSN.data.images import center_crop
from parametricSN.errors import UserError

AUGMENTATIONS = ("autoaugment", "autoaugment-torchvision", "original-cifar", "noaugment")
CIFAR_PADDING = 4
CUTOUT_AT_32 = 16
KTH_ROTATION_DEGREES = 10.0


def cutout_length(image_size: tuple[int, int]) -> int:
    """Side of the Cutout square for a model input of image_size: 16 at 32×32, proportional."""
    return max(1, int(round(CUTOUT_AT_32 * min(image_size) / 32)))


class RandomCrop:
    """Per-sample random (H, W) window of the batch, after zero padding of ``padding`` pixels."""

    def __init__(self, size: tuple[int, int], padding: int = 0):
        self.size, self.padding = tuple(size), padding

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.size
        if self.padding:
            x = F.pad(x, (self.padding,) * 4)
        h0, w0 = x.shape[-2:]
        tops = torch.randint(0, h0 - h + 1, (len(x),)).tolist()
        lefts = torch.randint(0, w0 - w + 1, (len(x),)).tolist()
        return torch.stack([img[:, t:t + h, l:l + w] for img, t, l in zip(x, tops, lefts)])


class CenterCrop:
    """Deterministic centre (H, W) window."""

    def __init__(self, size: tuple[int, int]):
        self.size = tuple(size)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return center_crop(x, self.size)


class HorizontalFlip:
    """Mirror each image left-right with probability 1/2."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flip = (torch.rand(len(x)) < 0.5).to(x.device)
        return torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)


class RandomRotateCrop:
    """Rotate each image about its centre by an angle uniform in [-degrees, degrees] (positive =
    counter-clockwise, bilinear, zero fill), then take a random (H, W) window — fused: one
    grid_sample for the batch that only computes the windows."""

    def __init__(self, degrees: float, size: tuple[int, int]):
        self.degrees, self.size = float(degrees), tuple(size)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h0, w0 = x.shape
        h, w = self.size
        angles = torch.deg2rad((torch.rand(b, dtype=torch.float64) * 2 - 1) * self.degrees)
        tops = torch.randint(0, h0 - h + 1, (b,)).tolist()
        lefts = torch.randint(0, w0 - w + 1, (b,)).tolist()
        cos, sin = torch.cos(angles), torch.sin(angles)
        # source = R · output in pixel units about the centre, written in grid_sample's [-1, 1] units
        theta = torch.zeros(b, 2, 3, dtype=torch.float64)
        theta[:, 0, 0], theta[:, 0, 1] = cos, -sin * h0 / w0
        theta[:, 1, 0], theta[:, 1, 1] = sin * w0 / h0, cos
        grid = F.affine_grid(theta.to(torch.float32), [b, 1, h0, w0], align_corners=False)
        windows = torch.stack([g[t:t + h, l:l + w] for g, t, l in zip(grid, tops, lefts)])
        out = F.grid_sample(x.to(torch.float32), windows.to(x.device), mode="bilinear",
                            padding_mode="zeros", align_corners=False)
        return out.round().clamp(0, 255).to(torch.uint8)


class TorchvisionAutoAugment:
    """torchvision's AutoAugment (CIFAR-10 policy), one policy draw per image. Not the published
    recipe: a fixed magnitude per index with a random sign, nearest-neighbour geometry."""

    def __init__(self):
        self.transform = v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.transform(img) for img in x])


class Cutout:
    """Zero one length×length square per image, centred uniformly in the image, clipped at the
    borders (DeVries & Taylor, 2017); the ``autoaugment-torchvision`` Cutout, not the published one
    (that is parametricSN.data.autoaugment.MeanCutout)."""

    def __init__(self, length: int):
        self.length = int(length)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        cy = torch.randint(0, h, (b,))
        cx = torch.randint(0, w, (b,))
        half = self.length // 2
        ys, xs = torch.arange(h), torch.arange(w)
        in_y = (ys >= (cy - half)[:, None]) & (ys < (cy - half + self.length)[:, None])
        in_x = (xs >= (cx - half)[:, None]) & (xs < (cx - half + self.length)[:, None])
        hole = (in_y[:, :, None] & in_x[:, None, :]).to(x.device)
        return x.masked_fill(hole[:, None], 0)


class Augment:
    """Callable chain of batch steps: uint8 (B, C, H0, W0) -> uint8 (B, C, H, W)."""

    def __init__(self, mode: str, steps: Sequence):
        self.mode, self.steps = mode, list(steps)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.uint8 or x.dim() != 4:
            raise ValueError(f"augment expects a uint8 (B, C, H, W) batch, got {x.dtype} {tuple(x.shape)}")
        for step in self.steps:
            x = step(x)
        return x.contiguous()

    def __repr__(self) -> str:
        return f"Augment({self.mode!r}: {', '.join(type(s).__name__ for s in self.steps)})"


def make_augment(mode: str, family: str, image_size: tuple[int, int]) -> Augment:
    """The training augmentation ``mode`` for a dataset family ('cifar' — also digits —,
    'kth', 'xray', 'folder') producing model-size (H, W) images."""
    if mode not in AUGMENTATIONS:
        raise UserError(f"dataset.augment={mode!r} is not allowed: use one of {', '.join(AUGMENTATIONS)}")
    size = tuple(image_size)
    if mode == "noaugment":
        return Augment(mode, [CenterCrop(size)])
    if family == "cifar":
        crop_flip = [RandomCrop(size, padding=CIFAR_PADDING), HorizontalFlip()]
    elif family in ("kth", "xray"):
        crop_flip = [RandomCrop(size), HorizontalFlip()]
    elif family == "folder":
        crop_flip = [RandomCrop(size, padding=max(1, round(min(size) / 8))), HorizontalFlip()]
    else:
        raise ValueError(f"unknown dataset family {family!r}")
    if mode == "autoaugment":
        return Augment(mode, crop_flip + [PublishedAutoAugment(), MeanCutout(cutout_length(size))])
    if mode == "autoaugment-torchvision":
        return Augment(mode, crop_flip + [TorchvisionAutoAugment(), Cutout(cutout_length(size))])
    if family == "kth":  # original-cifar, KTH variant: rotate the stored 200×200 image, then crop
        return Augment(mode, [RandomRotateCrop(KTH_ROTATION_DEGREES, size), HorizontalFlip()])
    return Augment(mode, crop_flip)

