"""Named filter-learning recipes: how the Morlet filters are trained, as config settings.

``published`` is the paper's recipe (filter peaks 0.1, unconstrained θ, ξ, σ, γ). The others are
the candidates measured in ``benchmarks/RESULTS-real-cifar.md`` (``benchmarks/learnable_vs_fixed.py``).
An experiment script takes one with ``--recipe NAME``; ``summarize`` labels each run with the recipe
its params match (:func:`recipe_of`).
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Mapping, Optional

from parametricSN.config import SCHEMA

#: name → nested settings the recipe applies on top of a run's config.
FILTER_RECIPES: Dict[str, Dict[str, Dict[str, Any]]] = {
    "published": {},
    # ξ ∈ (0, π), σ, γ in bounded intervals by a sigmoid reparameterisation (no aliasing wavelet)
    "bounded": {"scattering": {"bounded": True}},
    # filters frozen for the first 30 % of the epochs while the head fits
    # (benchmarks/RESULTS-real-cifar.md)
    "warmup": {"scattering": {"filter_warmup": 0.3}},
    # the warm-up with the Littlewood–Paley pull toward the tight frame (weight 1): the best measured
    # for a tight-frame start at 100 samples
    "warmup-lp": {"scattering": {"filter_warmup": 0.3, "lp_pull": 1.0}},
}

#: The settings a recipe may change, with the value the published recipe has (the config's default).
_PUBLISHED_VALUES: Dict[str, Any] = {f"scattering.{key}": SCHEMA["scattering"][key].default
                                     for key in ("bounded", "filter_warmup", "lp_pull")}


def named_recipe(name: str) -> Callable[[dict], dict]:
    """``cfg -> cfg`` applying FILTER_RECIPES[name] to a learnable bank (KeyError for an unknown
    name). A fixed bank's config is returned as it is: how filters are learned does not concern it,
    so its runs (and config hashes) are shared between recipes."""
    settings = FILTER_RECIPES[name]

    def apply(cfg: dict) -> dict:
        if not cfg.get("scattering", {}).get("learnable", True):
            return cfg
        out = copy.deepcopy(cfg)
        for section, keys in settings.items():
            out.setdefault(section, {}).update(keys)
        return out

    apply.__name__ = f"recipe_{name}"
    return apply


def recipe_of(params: Mapping[str, Any]) -> Optional[str]:
    """The recipe a learnable run's flat params (``{"scattering.bounded": "True", ...}``, as MLflow
    stores them, or typed values) match; for settings of no named recipe, the settings that differ
    from the published ones (``"lp_pull=1.0"``, ``"bounded=True, filter_warmup=0.3"``), so such a run
    is never counted as published. None for a fixed bank."""
    def value(key: str) -> str:
        return str(params.get(key, _PUBLISHED_VALUES[key]))

    if str(params.get("scattering.learnable", True)) in ("False", "false"):
        return None
    for name, settings in FILTER_RECIPES.items():
        wanted = dict(_PUBLISHED_VALUES)
        wanted.update({f"{s}.{k}": v for s, keys in settings.items() for k, v in keys.items()})
        if all(value(key) == str(v) for key, v in wanted.items()):
            return name
    return ", ".join(f"{key.split('.', 1)[1]}={value(key)}" for key, published in _PUBLISHED_VALUES.items()
                     if value(key) != str(published))
