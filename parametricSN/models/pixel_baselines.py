"""The ``resnet50`` head: torchvision's ResNet-50 (the KTH / X-ray pixel baseline).

Randomly initialised unless ``model.weights`` names a local file holding a torchvision ResNet-50
state_dict (e.g. ImageNet weights downloaded beforehand); nothing is ever downloaded. The file is
read with ``torch.load(weights_only=True)``. Every key must match except the final ``fc`` layer,
which is loaded only when its shape matches ``num_classes``. When the input has C ≠ 3 channels
(a grayscale X-ray: C = 1) ``conv1`` takes C channels; pretrained RGB kernels are adapted by summing
over the colour axis and spreading the sum evenly over the C channels, so a gray image gives the
same first-layer response as the equivalent RGB image.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn
import torchvision

from parametricSN.errors import UserError
from parametricSN.config import section
from parametricSN.models.registry import register_head


def resnet50(in_channels: int, num_classes: int, weights: str | os.PathLike | None = None) -> nn.Module:
    """ResNet-50, images (B, in_channels, H, W) → logits (B, num_classes); optional local weights."""
    model = torchvision.models.resnet50(weights=None, num_classes=num_classes)
    if in_channels != 3:
        old = model.conv1
        model.conv1 = nn.Conv2d(
            in_channels, old.out_channels, kernel_size=old.kernel_size, stride=old.stride,
            padding=old.padding, bias=False,
        )
    if weights is not None:
        _load_weights(model, Path(weights), in_channels)
    return model


def _load_weights(model: nn.Module, path: Path, in_channels: int) -> None:
    if not path.is_file():
        raise UserError(
            f"model.weights: file {str(path)!r} not found; give a local torchvision ResNet-50 "
            f"state_dict file or null for random init (weights are never downloaded)"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickled modules, corrupt files, ...
        raise UserError(
            f"model.weights: cannot read {str(path)!r} as a tensor state_dict with "
            f"torch.load(weights_only=True) ({type(exc).__name__}); save model.state_dict() instead"
        ) from None
    if not isinstance(state, dict):
        raise UserError(f"model.weights: {str(path)!r} holds a {type(state).__name__}, not a state_dict")
    state = dict(state)
    own = model.state_dict()
    if "conv1.weight" in state and in_channels != 3 and state["conv1.weight"].shape[1] == 3:
        rgb = state["conv1.weight"]
        state["conv1.weight"] = rgb.sum(dim=1, keepdim=True).repeat(1, in_channels, 1, 1) / in_channels
    for key in ("fc.weight", "fc.bias"):
        if key in state and state[key].shape != own[key].shape:
            del state[key]
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        raise UserError(
            f"model.weights: {str(path)!r} does not fit a ResNet-50 with {in_channels} input channels "
            f"({str(exc).splitlines()[-1].strip()})"
        ) from None
    missing = [k for k in missing if not k.startswith("fc.")]
    if missing or unexpected:
        raise UserError(
            f"model.weights: {str(path)!r} is not a torchvision ResNet-50 state_dict "
            f"(missing {missing[:3]}, unexpected {list(unexpected)[:3]})"
        )


@register_head("resnet50")
def build_resnet50_head(in_channels, spatial_shape, num_classes, cfg) -> nn.Module:
    """The ``resnet50`` head; ``model.weights`` optionally names a local state_dict file."""
    return resnet50(in_channels, num_classes, section(cfg, "model").weights)
