"""The six deformations of the stability analysis (the paper's stability study), each a function of a strength.

Every deformation takes images (B, C, H, W) float in [0, 1] (before normalisation; any C, any
H × W) and a strength s ≥ 0, and returns images of the same shape; strength 0 returns the input
unchanged (exactly), so the distance curve starts at 0. Geometric deformations use bilinear
interpolation and fill with 0 (black) where the deformed image samples outside the original.

| name        | strength (x axis)                          | range    | implementation                 |
|-------------|--------------------------------------------|----------|--------------------------------|
| rotation    | angle, degrees (counter-clockwise)         | 0 – 10   | v2.functional.rotate           |
| shear       | horizontal shear angle, degrees            | 0 – 10   | v2.functional.affine           |
| perspective | distortion scale d (as RandomPerspective)  | 0 – 0.2  | v2.functional.perspective      |
| sharpness   | sharpness factor − 1                       | 0 – 50   | v2.functional.adjust_sharpness |
| translation | horizontal shift, percent of the width     | 0 – 10   | v2.functional.affine           |
| diffeo      | deformation size sup_u ‖∇τ(u)‖             | 0 – 0.8  | grid_sample, x(u − τ(u))       |

Choices the paper leaves open:
- perspective: the two top corners move inwards by d·W/2 each (a keystone, the largest
  horizontal corner offset torchvision's RandomPerspective can draw at scale d); bottom corners stay.
- sharpness: the factor is 1 + s, so that strength 0 is the identity (factor 1) and the range
  covers the paper's factors up to ~50; a factor 0 (a blur) would not be "no deformation".
- diffeo: τ(u) = v·(0.5·u0 + 0.3·u1², 0.3·u1) on the normalised grid u ∈ [−1, 1]² of pixel
  centres, u0 horizontal (x), u1 vertical (y), as grid_sample reads them. Its Jacobian
  v·[[0.5, 0.6·u1], [0, 0.3]] has its largest operator norm at |u1| = 1: ``DIFFEO_UNIT_SIZE``
  = ‖[[0.5, 0.6], [0, 0.3]]‖₂ ≈ 0.8162. A strength s (the deformation size) uses
  v = s / DIFFEO_UNIT_SIZE; sizes stay below 1, where u ↦ u − τ(u) is a diffeomorphism. The size
  is measured in normalised coordinates (equal to pixel units for square images).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as nnf
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from parametricSN.errors import UserError

__all__ = ["Deformation", "DEFORMATIONS", "DIFFEO_UNIT_SIZE", "STRENGTH_COUNT", "get_deformations",
           "diffeo_displacement"]

STRENGTH_COUNT = 20
_BILINEAR = InterpolationMode.BILINEAR
# sup_u ‖∇τ(u)‖₂ of τ(u) = (0.5·u0 + 0.3·u1², 0.3·u1) over [−1, 1]², reached at |u1| = 1.
DIFFEO_UNIT_SIZE = float(np.linalg.norm(np.array([[0.5, 0.6], [0.0, 0.3]]), ord=2))


@dataclass(frozen=True)
class Deformation:
    """A named deformation family τ_s, s ∈ [0, max_strength].

    transform(images (B, C, H, W) float [0, 1], s: float) -> (B, C, H, W); ``xlabel`` describes
    the strength's unit for figures.
    """

    name: str
    max_strength: float
    xlabel: str
    transform: Callable[[torch.Tensor, float], torch.Tensor]

    def strengths(self, count: int = STRENGTH_COUNT) -> np.ndarray:
        """``count`` evenly spaced strengths from 0 to max_strength inclusive, float64 (count,)."""
        return np.linspace(0.0, self.max_strength, count)

    def __call__(self, images: torch.Tensor, strength: float) -> torch.Tensor:
        if images.ndim != 4:
            raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
        if strength == 0:
            return images.clone()
        return self.transform(images, float(strength))


def _rotation(x: torch.Tensor, degrees: float) -> torch.Tensor:
    return TF.rotate(x, angle=degrees, interpolation=_BILINEAR)


def _shear(x: torch.Tensor, degrees: float) -> torch.Tensor:
    return TF.affine(x, angle=0.0, translate=[0.0, 0.0], scale=1.0, shear=[degrees, 0.0],
                     interpolation=_BILINEAR)


def _perspective(x: torch.Tensor, scale: float) -> torch.Tensor:
    height, width = x.shape[-2:]
    right, bottom = width - 1, height - 1
    inset = scale * width / 2
    start = [[0, 0], [right, 0], [right, bottom], [0, bottom]]
    end = [[inset, 0], [right - inset, 0], [right, bottom], [0, bottom]]
    return TF.perspective(x, start, end, interpolation=_BILINEAR)


def _sharpness(x: torch.Tensor, amount: float) -> torch.Tensor:
    return TF.adjust_sharpness(x, sharpness_factor=1.0 + amount)


def _translation(x: torch.Tensor, percent: float) -> torch.Tensor:
    shift = percent / 100.0 * x.shape[-1]
    return TF.affine(x, angle=0.0, translate=[shift, 0.0], scale=1.0, shear=[0.0, 0.0],
                     interpolation=_BILINEAR)


def _pixel_centre_grid(height: int, width: int, dtype, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised coordinates (u0 horizontal, u1 vertical) of pixel centres, each (H, W)."""
    u0 = (2 * torch.arange(width, dtype=dtype, device=device) + 1) / width - 1
    u1 = (2 * torch.arange(height, dtype=dtype, device=device) + 1) / height - 1
    grid_u1, grid_u0 = torch.meshgrid(u1, u0, indexing="ij")
    return grid_u0, grid_u1


def diffeo_displacement(u0: torch.Tensor, u1: torch.Tensor, size: float) -> tuple[torch.Tensor, torch.Tensor]:
    """τ(u) = v·(0.5·u0 + 0.3·u1², 0.3·u1) with v = size / DIFFEO_UNIT_SIZE; returns (τ0, τ1)."""
    v = size / DIFFEO_UNIT_SIZE
    return v * (0.5 * u0 + 0.3 * u1 ** 2), v * (0.3 * u1)


def _diffeo(x: torch.Tensor, size: float) -> torch.Tensor:
    height, width = x.shape[-2:]
    work = x if x.is_floating_point() else x.float()
    u0, u1 = _pixel_centre_grid(height, width, work.dtype, work.device)
    tau0, tau1 = diffeo_displacement(u0, u1, size)
    grid = torch.stack([u0 - tau0, u1 - tau1], dim=-1).expand(x.shape[0], height, width, 2)
    return nnf.grid_sample(work, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


DEFORMATIONS: dict[str, Deformation] = {
    d.name: d for d in (
        Deformation("rotation", 10.0, "rotation angle (degrees)", _rotation),
        Deformation("shear", 10.0, "shear angle (degrees)", _shear),
        Deformation("perspective", 0.2, "perspective distortion scale", _perspective),
        Deformation("sharpness", 50.0, "sharpness factor − 1", _sharpness),
        Deformation("translation", 10.0, "horizontal translation (% of width)", _translation),
        Deformation("diffeo", 0.8, "deformation size sup‖∇τ‖", _diffeo),
    )
}


def get_deformations(names=None) -> list[Deformation]:
    """The deformations named in ``names`` (all six, in table order, when None or empty)."""
    if not names:
        return list(DEFORMATIONS.values())
    unknown = [name for name in names if name not in DEFORMATIONS]
    if unknown:
        raise UserError(f"unknown deformation {unknown[0]!r}; allowed: {', '.join(DEFORMATIONS)}")
    return [DEFORMATIONS[name] for name in dict.fromkeys(names)]
