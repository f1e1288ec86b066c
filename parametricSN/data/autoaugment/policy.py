"""The 25 CIFAR-10 sub-policies of the published recipe (docs/augmentation.md), their magnitude sampling, and
their batched application to uint8 (B, C, H, W) images.

Sampling, per image: one sub-policy uniformly; op k (k = 1, 2) runs if u_k < p_k (u_k uniform in
[0, 1)); its value is drawn uniformly in [bins[m_k], bins[m_k + 1]) of the op's 11-point table
(``MAGNITUDE_BINS``), so a low index of a signed range is one-sided (ShearX m = 0: [−0.3, −0.24)).
Interpretations where the published description leaves a detail open:
- Posterize: the drawn value is truncated to whole bits (the table's only Posterize has m = 7,
  whose bins are both 7, so it always keeps 7 bits);
- Solarize: the drawn threshold stays fractional (v is inverted when v ≥ threshold, as PIL does for
  a float threshold);
- TranslateX / TranslateY: the drawn fraction times the image width / height, in pixels;
- values are drawn for every image and op, also when the op does not run (fixed RNG consumption).
All draws come from the torch global RNG on the CPU, in this order: sub-policy indices (B,), then
one float64 uniform array (B, 4) = (u_1, u_2, magnitude 1, magnitude 2).
Each op maps uint8 → uint8 (rounding as PIL / scipy on uint8 images), so two ops in a sub-policy
compose like the predecessor's PIL-image pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from parametricSN.data.autoaugment import colour, geometric

SUB_POLICIES: tuple[tuple[tuple[str, float, int], tuple[str, float, int]], ...] = (
    (("Invert", 0.1, 7), ("Contrast", 0.2, 6)),
    (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
    (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
    (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.5, 8), ("Equalize", 0.9, 2)),
    (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
    (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
    (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
    (("Equalize", 0.6, 5), ("Equalize", 0.5, 1)),
    (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
    (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
    (("Equalize", 0.3, 7), ("AutoContrast", 0.4, 8)),
    (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
    (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
    (("Solarize", 0.5, 2), ("Invert", 0.0, 3)),
    (("Equalize", 0.2, 0), ("AutoContrast", 0.6, 0)),
    (("Equalize", 0.2, 8), ("Equalize", 0.6, 4)),
    (("Color", 0.9, 9), ("Equalize", 0.6, 6)),
    (("AutoContrast", 0.8, 4), ("Solarize", 0.2, 8)),
    (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
    (("Solarize", 0.4, 5), ("AutoContrast", 0.9, 3)),
    (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.9, 2), ("Solarize", 0.8, 3)),
    (("Equalize", 0.8, 8), ("Invert", 0.1, 3)),
    (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, 1)),
)

_ENHANCE = np.linspace(0.1, 1.9, 11)
_SHEAR = np.linspace(-0.3, 0.3, 11)
_TRANSLATE = np.linspace(-150 / 331, 150 / 331, 11)  # a fraction of the image size
MAGNITUDE_BINS: dict[str, np.ndarray | None] = {
    "ShearX": _SHEAR, "ShearY": _SHEAR, "TranslateX": _TRANSLATE, "TranslateY": _TRANSLATE,
    "Rotate": np.linspace(-30, 30, 11), "Solarize": np.linspace(0, 256, 11),
    "Posterize": np.round(np.linspace(4, 8, 11)),
    "Contrast": _ENHANCE, "Color": _ENHANCE, "Brightness": _ENHANCE, "Sharpness": _ENHANCE,
    "AutoContrast": None, "Equalize": None, "Invert": None,
}

# op(images uint8 (N, C, H, W), values float64 (N,) on the CPU) -> uint8 (N, C, H, W)
OPS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "ShearX": geometric.shear_x,
    "ShearY": geometric.shear_y,
    "TranslateX": lambda x, v: geometric.translate_x(x, v * x.shape[-1]),
    "TranslateY": lambda x, v: geometric.translate_y(x, v * x.shape[-2]),
    "Rotate": geometric.rotate,
    "Solarize": colour.solarize,
    "Posterize": lambda x, v: colour.posterize(x, v.trunc().long()),
    "Contrast": colour.contrast,
    "Color": colour.color,
    "Brightness": colour.brightness,
    "Sharpness": colour.sharpness,
    "AutoContrast": lambda x, v: colour.autocontrast(x),
    "Equalize": lambda x, v: colour.equalize(x),
    "Invert": lambda x, v: colour.invert(x),
}
OP_NAMES = tuple(OPS)


def magnitude_range(name: str, m: int) -> tuple[float, float]:
    """[low, high] of op ``name``'s value at magnitude index m (0 … 9); (0, 0) if it has none."""
    bins = MAGNITUDE_BINS[name]
    return (0.0, 0.0) if bins is None else (float(bins[m]), float(bins[m + 1]))


def _table() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    ops = torch.tensor([[OP_NAMES.index(name) for name, _, _ in pair] for pair in SUB_POLICIES])
    prob = torch.tensor([[p for _, p, _ in pair] for pair in SUB_POLICIES], dtype=torch.float64)
    ranges = torch.tensor([[magnitude_range(name, m) for name, _, m in pair] for pair in SUB_POLICIES],
                          dtype=torch.float64)
    return ops, prob, ranges[..., 0], ranges[..., 1]


_OPS, _PROB, _LOW, _HIGH = _table()  # (25, 2) each


@dataclass
class SubPolicyDraws:
    """Per-image draws (CPU): policy int64 (B,); runs bool (B, 2); values float64 (B, 2) (the op's
    magnitude in its own units: factor, degrees, fraction of the size, threshold, bits)."""
    policy: torch.Tensor
    runs: torch.Tensor
    values: torch.Tensor

    @property
    def ops(self) -> torch.Tensor:
        """int64 (B, 2) indices into OP_NAMES."""
        return _OPS[self.policy]


def draw_subpolicies(batch: int) -> SubPolicyDraws:
    """Draw sub-policies, run decisions and magnitudes for ``batch`` images (torch global RNG, CPU)."""
    policy = torch.randint(0, len(SUB_POLICIES), (batch,))
    u = torch.rand(batch, 4, dtype=torch.float64)
    runs = u[:, :2] < _PROB[policy]
    low, high = _LOW[policy], _HIGH[policy]
    return SubPolicyDraws(policy, runs, low + u[:, 2:] * (high - low))


def apply_subpolicies(images: torch.Tensor, draws: SubPolicyDraws) -> torch.Tensor:
    """uint8 (B, C, H, W) → uint8 (B, C, H, W): op 1 then op 2 of each image's sub-policy, each op
    batched over the images that run it. ``images`` is not modified."""
    out = images.clone()
    ops = draws.ops
    for slot in (0, 1):
        for op in ops[draws.runs[:, slot], slot].unique().tolist():
            chosen = ((ops[:, slot] == op) & draws.runs[:, slot]).nonzero().flatten()
            on_device = chosen.to(out.device)
            out[on_device] = OPS[OP_NAMES[op]](out[on_device], draws.values[chosen, slot])
    return out


class PublishedAutoAugment:
    """Batch step: one published CIFAR-10 sub-policy per image (docs/augmentation.md)."""

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return apply_subpolicies(images, draw_subpolicies(len(images)))
