"""Hybrid models: a scattering front end (or raw pixels) followed by a registered head.

    build_model(cfg, in_channels, num_classes, image_size) -> HybridModel
    register_head(name)  — decorator adding a head builder to HEADS (see registry.py)
    save_model(folder, model, cfg, info) / load_model(folder) -> (model, cfg, info)

Built-in heads: linear_layer, mlp, cnn (kymatio's small-sample WRN; on pixels the "WRN only"
baseline), cnn_standard (kymatio's pixel variant), resnet50 (torchvision).
"""

from parametricSN.models.registry import HEADS, get_head, register_head

# Importing these modules registers the built-in heads.
from parametricSN.models import heads as _heads  # noqa: F401,E402
from parametricSN.models import pixel_baselines as _pixel_baselines  # noqa: F401,E402
from parametricSN.models import wide_resnet as _wide_resnet  # noqa: F401,E402
from parametricSN.models.builder import build_model, build_scattering  # noqa: E402
from parametricSN.models.hybrid import HybridModel, feature_shape, second_order_count  # noqa: E402
from parametricSN.models.io import load_model, save_model  # noqa: E402

__all__ = [
    "HEADS",
    "HybridModel",
    "build_model",
    "build_scattering",
    "feature_shape",
    "get_head",
    "load_model",
    "register_head",
    "save_model",
    "second_order_count",
]
