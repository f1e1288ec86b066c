"""build_model: config → HybridModel (scattering front end + registered head)."""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn

from parametricSN.errors import UserError
from parametricSN.models._cfg import cfg_value
from parametricSN.models.hybrid import HybridModel, check_second_order, feature_shape
from parametricSN.models.registry import get_head

_ARCHITECTURES = ("scattering", "identity")


def build_scattering(cfg: dict, image_size: Sequence[int]) -> Optional[nn.Module]:
    """The ``ParametricScattering2D`` the config asks for, or None for ``architecture: identity``."""
    architecture = str(cfg_value(cfg, "scattering", "architecture")).lower()
    if architecture not in _ARCHITECTURES:
        raise UserError(
            f"scattering.architecture must be one of {', '.join(_ARCHITECTURES)}, got {architecture!r}"
        )
    if architecture == "identity":
        return None
    from parametricSN.scattering import ParametricScattering2D

    return ParametricScattering2D(
        cfg_value(cfg, "scattering", "J"),
        shape=(int(image_size[0]), int(image_size[1])),
        L=cfg_value(cfg, "scattering", "L"),
        max_order=cfg_value(cfg, "scattering", "max_order"),
        learnable=bool(cfg_value(cfg, "scattering", "learnable")),
        init=str(cfg_value(cfg, "scattering", "init_params")).lower(),
        parameterization=str(cfg_value(cfg, "scattering", "parameterization")).lower(),
        seed=cfg_value(cfg, "general", "seed"),
        bounded=bool(cfg_value(cfg, "scattering", "bounded")),
    )


def build_model(cfg: dict, in_channels: int, num_classes: int, image_size: Sequence[int]) -> HybridModel:
    """Scattering (from ``cfg["scattering"]``) + head ``HEADS[cfg["model"]["name"]]``.

    Args:
        cfg: nested config dict (architecture §2; missing keys take their defaults).
        in_channels: C, image channels from the data (1 for grayscale).
        num_classes: number of logits.
        image_size: (H, W) of the model's input images.

    Returns a HybridModel on the CPU mapping (B, C, H, W) to (B, num_classes). Its initial weights
    depend only on the config: everything is created under ``general.seed`` inside a forked torch
    RNG, so the caller's global RNG state is neither used nor changed.
    """
    head_builder = get_head(cfg_value(cfg, "model", "name"))
    seed = cfg_value(cfg, "general", "seed")
    seed = 0 if seed is None else int(seed)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # CPU only: the model is built on the CPU
        scattering = build_scattering(cfg, image_size)
        second_order = bool(cfg_value(cfg, "scattering", "second_order"))
        check_second_order(scattering, second_order)  # before building a possibly large head
        channels, spatial = feature_shape(scattering, second_order, in_channels, image_size)
        head = head_builder(channels, spatial, num_classes, cfg)
        model = HybridModel(scattering, head, second_order=second_order)
    model.build_info = {
        "in_channels": int(in_channels),
        "num_classes": int(num_classes),
        "image_size": [int(image_size[0]), int(image_size[1])],
    }
    return model
