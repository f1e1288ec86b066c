"""build_model: config → HybridModel (scattering front end + registered head)."""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn

from parametricSN.config import section
from parametricSN.models.hybrid import HybridModel, check_second_order, feature_shape
from parametricSN.models.registry import get_head

def build_scattering(cfg, image_size: Sequence[int]) -> Optional[nn.Module]:
    """The ``ParametricScattering2D`` the config asks for, or None for ``architecture: identity``."""
    scat = section(cfg, "scattering")
    if scat.architecture == "identity":
        return None
    from parametricSN.scattering import ParametricScattering2D

    return ParametricScattering2D(
        scat.J, shape=(int(image_size[0]), int(image_size[1])), L=scat.L, max_order=scat.max_order,
        learnable=scat.learnable, init=scat.init_params, parameterization=scat.parameterization,
        seed=section(cfg, "general").seed, bounded=scat.bounded,
    )


def build_model(cfg, in_channels: int, num_classes: int, image_size: Sequence[int]) -> HybridModel:
    """Scattering (from ``cfg["scattering"]``) + head ``HEADS[cfg["model"]["name"]]``.

    Args:
        cfg: a :class:`parametricSN.config.Config`, or a partial nested mapping (its keys normalised
            by the config's SCHEMA, missing keys at their defaults: ``parametricSN.config.section``).
        in_channels: C, image channels from the data (1 for grayscale).
        num_classes: number of logits.
        image_size: (H, W) of the model's input images.

    Returns a HybridModel on the CPU mapping (B, C, H, W) to (B, num_classes). Its initial weights
    depend only on the config: everything is created under ``general.seed`` inside a forked torch
    RNG, so the caller's global RNG state is neither used nor changed.
    """
    head_builder = get_head(section(cfg, "model").name)
    seed = section(cfg, "general").seed
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # CPU only: the model is built on the CPU
        scattering = build_scattering(cfg, image_size)
        second_order = section(cfg, "scattering").second_order
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
