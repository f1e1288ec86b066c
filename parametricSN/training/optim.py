"""Optimizer with three parameter groups, and the learning-rate schedules (SPEC §5).

Groups (architecture §1 rule), each with its own learning rate; empty groups are left out:

====================  ====================================  ===============================  ============
group                 parameters                            LR (peak LR for onecycle)        weight decay
====================  ====================================  ===============================  ============
``head``              everything that is not a filter param  optim.lr (onecycle: optim.max_lr)  optim.weight_decay
``orientation``       scattering ``theta``                  scattering.lr_orientation        0
``scattering``        every other filter parameter           scattering.lr_scattering         0
                      (xi, sigma, gamma, or the pixelwise
                      ``fourier_filters``)
====================  ====================================  ===============================  ============

Schedules: ``onecycle`` is stepped once per OPTIMIZER step (after gradient accumulation), with one
peak per group, ``div_factor``, ``three_phase`` and cosine annealing. As published (torch's default),
it cycles the momentum inversely to the LR, from ``optim.max_momentum`` (0.95) down to
``optim.base_momentum`` (0.85) at the LR peak and back (Adam: its β1); ``optim.momentum`` is then
unused. ``optim.cycle_momentum: false`` keeps ``optim.momentum`` constant instead. ``cosine`` (CosineAnnealingLR, ``optim.T_max`` epochs,
default model.epoch) and ``step`` (StepLR every ``optim.step_size`` epochs by ``optim.step_gamma``)
are stepped once per epoch. ``none`` keeps the LRs constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import torch
import torch.nn as nn

from parametricSN.errors import UserError

GROUPS = ("head", "orientation", "scattering")


def _get(cfg: Mapping[str, Any], section: str, key: str, default: Any = None) -> Any:
    value = (cfg.get(section) or {}).get(key, default)
    return default if value is None else value


def filter_parameter_names(model: nn.Module) -> dict[str, nn.Parameter]:
    """The learnable filter parameters of ``model.scattering`` by name ({} without a learnable one)."""
    scattering = getattr(model, "scattering", None)
    if scattering is None or not hasattr(scattering, "filter_parameters"):
        return {}
    return {name: p for name, p in scattering.filter_parameters().items() if p.requires_grad}


def parameter_groups(model: nn.Module, cfg: Mapping[str, Any]) -> list[dict]:
    """Param-group dicts for torch.optim: keys ``name``, ``params``, ``lr``, ``peak_lr``, ``weight_decay``.

    ``lr`` is the constant/initial LR of the non-onecycle schedules; ``peak_lr`` is the onecycle peak.
    """
    filters = filter_parameter_names(model)
    orientation = [p for name, p in filters.items() if name == "theta"]
    scattering = [p for name, p in filters.items() if name != "theta"]
    filter_ids = {id(p) for p in filters.values()}
    head = [p for p in model.parameters() if p.requires_grad and id(p) not in filter_ids]

    lr_orientation = float(_get(cfg, "scattering", "lr_orientation", 0.1))
    lr_scattering = float(_get(cfg, "scattering", "lr_scattering", 0.1))
    groups = [
        dict(name="head", params=head, lr=float(_get(cfg, "optim", "lr", 0.1)),
             peak_lr=float(_get(cfg, "optim", "max_lr", 0.06)),
             weight_decay=float(_get(cfg, "optim", "weight_decay", 5e-4))),
        dict(name="orientation", params=orientation, lr=lr_orientation, peak_lr=lr_orientation,
             weight_decay=0.0),
        dict(name="scattering", params=scattering, lr=lr_scattering, peak_lr=lr_scattering,
             weight_decay=0.0),
    ]
    return [g for g in groups if g["params"]]


def build_optimizer(model: nn.Module, cfg: Mapping[str, Any]) -> torch.optim.Optimizer:
    """SGD (optim.momentum) or Adam over :func:`parameter_groups`. UserError for another optim.name."""
    groups = parameter_groups(model, cfg)
    if not groups:
        raise UserError("the model has no trainable parameters; check model.name and scattering.learnable")
    name = str(_get(cfg, "optim", "name", "sgd")).lower()
    if name == "sgd":
        return torch.optim.SGD(groups, lr=groups[0]["lr"], momentum=float(_get(cfg, "optim", "momentum", 0.9)))
    if name == "adam":
        return torch.optim.Adam(groups, lr=groups[0]["lr"])
    raise UserError(f"optim.name {name!r} is not known; allowed: sgd, adam")


def group_lrs(optimizer: torch.optim.Optimizer) -> dict[str, float]:
    """Current LR per group as metric names: {"lr_head": …, "lr_orientation": …, "lr_scattering": …},
    plus ``momentum`` (SGD's momentum or Adam's β1 of the first group; every group shares it)."""
    lrs = {f"lr_{g.get('name', i)}": float(g["lr"]) for i, g in enumerate(optimizer.param_groups)}
    first = optimizer.param_groups[0]
    if "momentum" in first:
        lrs["momentum"] = float(first["momentum"])
    elif "betas" in first:
        lrs["momentum"] = float(first["betas"][0])
    return lrs


def optimizer_steps_per_epoch(num_batches: int, accum_steps: int) -> int:
    """Optimizer steps in an epoch of ``num_batches`` micro-batches, ``accum_steps`` per step."""
    return math.ceil(num_batches / accum_steps)


@dataclass
class Schedule:
    """A torch LR scheduler plus WHEN it is stepped (per optimizer step or per epoch).

    ``total_steps``: optimizer steps of the whole run (onecycle's length; informative otherwise).
    """

    scheduler: Any
    per_step: bool
    total_steps: int

    def after_optimizer_step(self) -> None:
        if self.scheduler is not None and self.per_step:
            self.scheduler.step()

    def after_epoch(self) -> None:
        if self.scheduler is not None and not self.per_step:
            self.scheduler.step()


def build_schedule(optimizer: torch.optim.Optimizer, cfg: Mapping[str, Any], steps_per_epoch: int) -> Schedule:
    """The optim.scheduler of ``cfg`` for a run of model.epoch epochs × ``steps_per_epoch`` optimizer steps."""
    epochs = int(_get(cfg, "model", "epoch", 1))
    total_steps = max(1, epochs * steps_per_epoch)
    name = str(_get(cfg, "optim", "scheduler", "onecycle")).lower()
    if name == "onecycle":
        peaks = [g["peak_lr"] for g in optimizer.param_groups]
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=peaks, total_steps=total_steps, anneal_strategy="cos",
            div_factor=float(_get(cfg, "optim", "div_factor", 25.0)),
            three_phase=bool(_get(cfg, "optim", "three_phase", False)),
            cycle_momentum=bool(_get(cfg, "optim", "cycle_momentum", True)),
            base_momentum=float(_get(cfg, "optim", "base_momentum", 0.85)),
            max_momentum=float(_get(cfg, "optim", "max_momentum", 0.95)),
        )
        return Schedule(scheduler, per_step=True, total_steps=total_steps)
    if name == "cosine":
        t_max = int(_get(cfg, "optim", "T_max", epochs))
        return Schedule(torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max), False, total_steps)
    if name == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=int(_get(cfg, "optim", "step_size", 30)),
            gamma=float(_get(cfg, "optim", "step_gamma", 0.1)))
        return Schedule(scheduler, per_step=False, total_steps=total_steps)
    if name == "none":
        return Schedule(None, per_step=False, total_steps=total_steps)
    raise UserError(f"optim.scheduler {name!r} is not known; allowed: onecycle, cosine, step, none")
