"""The head registry: the names `model.name` may take, and how researchers add their own.

A head builder is a callable

    builder(in_channels: int, spatial_shape: (h, w), num_classes: int, cfg: dict) -> nn.Module

returning a module that maps features (B, in_channels, h, w) to logits (B, num_classes).
``in_channels`` is C·K for a hybrid (C image channels, K scattering coefficients per channel)
or C for raw pixels; ``cfg`` is the whole nested config dict (read your own keys from it).

Example (in a module imported before the run starts)::

    from parametricSN.models import register_head

    @register_head("my_head")
    def build_my_head(in_channels, spatial_shape, num_classes, cfg):
        return nn.Sequential(nn.Flatten(), nn.LazyLinear(num_classes))

then set ``model.name: my_head`` in the config.
"""

from __future__ import annotations

from typing import Callable, Dict, Tuple

import torch.nn as nn

from parametricSN.errors import UserError

HeadBuilder = Callable[[int, Tuple[int, int], int, dict], nn.Module]

HEADS: Dict[str, HeadBuilder] = {}


def register_head(name: str, *, replace: bool = False) -> Callable[[HeadBuilder], HeadBuilder]:
    """Decorator registering ``builder`` under ``name`` (case-insensitive) in :data:`HEADS`.

    Registering a name twice raises ValueError unless ``replace=True`` or the new builder is a
    re-definition of the same function (same module and qualified name, e.g. a re-run notebook
    cell). Returns the builder unchanged.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"head name must be a non-empty string, got {name!r}")
    key = name.strip().lower()

    def decorator(builder: HeadBuilder) -> HeadBuilder:
        if not callable(builder):
            raise TypeError(f"register_head({name!r}) must decorate a callable, got {builder!r}")
        old = HEADS.get(key)
        if old is not None and old is not builder and not replace and not _same_definition(old, builder):
            raise ValueError(
                f"head {key!r} is already registered by {_describe(old)}; "
                f"pass register_head({key!r}, replace=True) to override it"
            )
        HEADS[key] = builder
        return builder

    return decorator


def get_head(name: str) -> HeadBuilder:
    """The builder registered as ``name`` (case-insensitive); UserError listing the known heads."""
    key = str(name).strip().lower()
    if key not in HEADS:
        known = ", ".join(sorted(HEADS))
        raise UserError(
            f"model.name {name!r} is not a registered head; registered: {known} "
            f"(add your own with parametricSN.models.register_head)"
        )
    return HEADS[key]


def _same_definition(a: Callable, b: Callable) -> bool:
    if "<lambda>" in getattr(a, "__qualname__", "<lambda>"):
        return False
    return (getattr(a, "__module__", None), getattr(a, "__qualname__", None)) == (
        getattr(b, "__module__", None),
        getattr(b, "__qualname__", None),
    )


def _describe(builder: Callable) -> str:
    return f"{getattr(builder, '__module__', '?')}.{getattr(builder, '__qualname__', repr(builder))}"
