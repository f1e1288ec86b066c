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
