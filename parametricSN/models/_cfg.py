"""Reading the config keys the models use, tolerant of partial dicts.

``parametricSN.config`` hands us a validated dict with every default filled; a researcher calling
``build_model`` by hand may pass only the sections they care about. The defaults below are those
of contracts §2 for the keys this package reads.
"""

from __future__ import annotations

from typing import Any, Mapping

_DEFAULTS = {
    "general": {"seed": 0},
    "scattering": {
        "J": 2,
        "L": 8,
        "max_order": 2,
        "init_params": "tight-frame",
        "learnable": True,
        "second_order": False,
        "architecture": "scattering",
        "parameterization": "canonical",
    },
    "model": {"name": "linear_layer", "width": 8, "mlp_hidden": [512], "weights": None},
}


def cfg_value(cfg: Mapping[str, Any] | None, section: str, key: str) -> Any:
    """cfg[section][key], or its contracts §2 default when the section or key is absent."""
    sect = (cfg or {}).get(section) or {}
    if key in sect:
        return sect[key]
    return _DEFAULTS[section][key]
