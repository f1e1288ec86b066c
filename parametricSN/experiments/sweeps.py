"""Sweeps: a base configuration crossed with seeds, extra axes (KTH samples, sizes) and filter banks.

A :class:`Sweep` is what an experiment script declares; :meth:`Sweep.expand` turns it into the
list of runs (partial nested configs, validated later by the runner). The grid order is
seed-major, then the extra axes (e.g. KTH sample), then variant, as in the published scripts.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Variant:
    """One filter bank setting: initialisation and whether the filters are learned."""

    init: str  # "tight-frame" | "random"
    learnable: bool

    def settings(self) -> Dict[str, Dict[str, Any]]:
        return {"scattering": {"init_params": self.init, "learnable": self.learnable}}


#: The four scattering variants of the paper, in its table order.
SCATTERING_VARIANTS: Tuple[Variant, ...] = (
    Variant("tight-frame", True),
    Variant("tight-frame", False),
    Variant("random", True),
    Variant("random", False),
)


@dataclass
class Sweep:
    """A base config (nested partial dict) × ``seeds`` × ``axes`` × ``variants``.

    ``variants=()`` keeps the base's own scattering settings (pixel baselines: seeds alone).
    ``axes`` maps dotted config keys to the values to sweep, e.g.
    ``{"dataset.sample": ("d", "c", "b", "a")}`` (KTH physical samples) or
    ``{"dataset.train_sample_num": (100, 500)}``. ``experiment`` is the default MLflow experiment.
    """

    experiment: str
    base: Dict[str, Dict[str, Any]]
    seeds: Sequence[int]
    variants: Sequence[Variant] = SCATTERING_VARIANTS
    axes: Mapping[str, Sequence[Any]] = field(default_factory=dict)

    def expand(self, seeds: Optional[Sequence[int]] = None) -> List[Dict[str, Dict[str, Any]]]:
        """The runs, each a nested partial config; ``seeds`` replaces the sweep's own seeds."""
        keys = list(self.axes)
        runs = []
        for seed in self.seeds if seeds is None else seeds:
            for values in itertools.product(*(self.axes[key] for key in keys)):
                for variant in self.variants or (None,):
                    run = copy.deepcopy(self.base)
                    deep_update(run, {"general": {"seed": int(seed)}})
                    for key, value in zip(keys, values):
                        section, name = key.split(".", 1)
                        deep_update(run, {section: {name: value}})
                    if variant is not None:
                        deep_update(run, variant.settings())
                    runs.append(run)
        return runs

    def __len__(self) -> int:
        size = len(self.seeds) * max(1, len(self.variants))
        for values in self.axes.values():
            size *= len(values)
        return size


def deep_update(target: Dict[str, Any], update: Mapping[str, Any]) -> Dict[str, Any]:
    """Merge ``update`` into ``target`` in place (nested dicts merged, other values replaced)."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


HEAD_ABBREVIATIONS = {
    "linear_layer": "LL",
    "cnn": "WRN",
    "mlp": "MLP",
    "resnet50": "ResNet50",
    "cnn_standard": "CNN",
}


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def variant_label(flat: Mapping[str, Any]) -> str:
    """The paper's row label of a run, from its flattened config (values may be strings).

    "TF LS+LL" (tight-frame, learnable, linear head), "Rand S+WRN" (random, fixed, cnn head),
    "WRN only" (cnn head on pixels). A non-canonical parameterisation is appended in brackets.
    """
    head = str(flat.get("model.name", "linear_layer")).strip().lower()
    head = HEAD_ABBREVIATIONS.get(head, head)
    if str(flat.get("scattering.architecture", "scattering")).strip().lower() == "identity":
        return f"{head} only"
    init = str(flat.get("scattering.init_params", "tight-frame")).strip().lower()
    init = {"tight-frame": "TF", "random": "Rand"}.get(init, init)
    learned = "LS" if _truthy(flat.get("scattering.learnable", True)) else "S"
    label = f"{init} {learned}+{head}"
    parameterization = str(flat.get("scattering.parameterization", "canonical")).strip().lower()
    if parameterization not in ("canonical", "none", ""):
        label += f" [{parameterization}]"
    return label


def flatten(nested: Mapping[str, Any]) -> Dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (one level of sections, as the config has)."""
    flat = {}
    for section, values in nested.items():
        if isinstance(values, Mapping):
            for key, value in values.items():
                flat[f"{section}.{key}"] = value
        else:
            flat[section] = values
    return flat
