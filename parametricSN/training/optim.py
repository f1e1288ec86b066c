"""Optimizer with three parameter groups, and the learning-rate schedules (the paper's).

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

from parametricSN.config import section
from parametricSN.errors import UserError

GROUPS = ("head", "orientation", "scattering")


def filter_parameter_names(model: nn.Module) -> dict[str, nn.Parameter]:
    """The learnable filter parameters of ``model.scattering`` by name ({} without a learnable one)."""
    scattering = getattr(model, "scattering", None)
    if scattering is None or not hasattr(scattering, "filter_parameters"):
        return {}
    return {name: p for name, p in scattering.filter_parameters().items() if p.requires_grad}


def parameter_groups(model: nn.Module, cfg: Mapping[str, Any]) -> list[dict]:
    """Param-group dicts for torch.optim: keys ``name``, ``params``, ``lr``, ``peak_lr``, ``weight_decay``.

    ``cfg``: a Config, or a partial mapping (``parametricSN.config.section``: defaults filled).

    ``lr`` is the constant/initial LR of the non-onecycle schedules; ``peak_lr`` is the onecycle peak.
    """
    filters = filter_parameter_names(model)
    orientation = [p for name, p in filters.items() if name == "theta"]
    scattering = [p for name, p in filters.items() if name != "theta"]
    filter_ids = {id(p) for p in filters.values()}
    head = [p for p in model.parameters() if p.requires_grad and id(p) not in filter_ids]

    scat, optim = section(cfg, "scattering"), section(cfg, "optim")
    groups = [
        dict(name="head", params=head, lr=optim.lr, peak_lr=optim.max_lr, weight_decay=optim.weight_decay),
        dict(name="orientation", params=orientation, lr=scat.lr_orientation, peak_lr=scat.lr_orientation,
             weight_decay=0.0),
        dict(name="scattering", params=scattering, lr=scat.lr_scattering, peak_lr=scat.lr_scattering,
             weight_decay=0.0),
    ]
    return [g for g in groups if g["params"]]


def build_optimizer(model: nn.Module, cfg: Mapping[str, Any]) -> torch.optim.Optimizer:
    """SGD (optim.momentum) or Adam over :func:`parameter_groups`."""
    groups = parameter_groups(model, cfg)
    if not groups:
        raise UserError("the model has no trainable parameters; check model.name and scattering.learnable")
    optim = section(cfg, "optim")
    if optim.name == "sgd":
        return torch.optim.SGD(groups, lr=groups[0]["lr"], momentum=optim.momentum)
    return torch.optim.Adam(groups, lr=groups[0]["lr"])  # optim.name: adam (the schema allows no other)


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
    epochs, optim = section(cfg, "model").epoch, section(cfg, "optim")
    total_steps = max(1, epochs * steps_per_epoch)
    name = optim.scheduler
    if name == "onecycle":
        peaks = [g["peak_lr"] for g in optimizer.param_groups]
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=peaks, total_steps=total_steps, anneal_strategy="cos",
            div_factor=optim.div_factor, three_phase=optim.three_phase, cycle_momentum=optim.cycle_momentum,
            base_momentum=optim.base_momentum, max_momentum=optim.max_momentum,
        )
        return Schedule(scheduler, per_step=True, total_steps=total_steps)
    if name == "cosine":
        t_max = optim.T_max or epochs
        return Schedule(torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max), False, total_steps)
    if name == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=optim.step_size, gamma=optim.step_gamma)
        return Schedule(scheduler, per_step=False, total_steps=total_steps)
    return Schedule(None, per_step=False, total_steps=total_steps)  # optim.scheduler: none
