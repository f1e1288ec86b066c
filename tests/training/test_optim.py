"""Optimizer groups (head / orientation / scattering), their LRs and weight decay, and the schedules:
OneCycle per optimizer step with one peak per group, ending exactly at the last step; cosine and step
per epoch; none constant."""

import math

import pytest
import torch
import torch.nn as nn

from parametricSN.errors import UserError
from parametricSN.models import build_model
from parametricSN.training import build_optimizer, build_schedule, group_lrs, parameter_groups


def model_for(**scattering):
    cfg = {"general": {"seed": 0}, "scattering": {"J": 1, "L": 2, **scattering}, "model": {"name": "linear_layer"}}
    return build_model(cfg, 1, 3, (8, 8))


OPTIM = {"optim": {"name": "sgd", "lr": 0.3, "max_lr": 0.06, "weight_decay": 5e-4, "momentum": 0.7},
         "scattering": {"lr_orientation": 0.2, "lr_scattering": 0.1}}


def test_canonical_learnable_has_three_groups_with_their_lrs_and_decay_only_on_head():
    model = model_for()
    groups = {g["name"]: g for g in parameter_groups(model, OPTIM)}
    assert list(groups) == ["head", "orientation", "scattering"]
    filters = model.scattering.filter_parameters()
    assert groups["orientation"]["params"] == [filters["theta"]]
    assert {id(p) for p in groups["scattering"]["params"]} == {id(filters[n]) for n in ("xi", "sigma", "gamma")}
    head_ids = {id(p) for p in groups["head"]["params"]}
    assert head_ids == {id(p) for p in model.head.parameters()}
    assert (groups["head"]["lr"], groups["head"]["peak_lr"]) == (0.3, 0.06)
    assert groups["orientation"]["peak_lr"] == 0.2 and groups["scattering"]["peak_lr"] == 0.1
    assert groups["head"]["weight_decay"] == 5e-4
    assert groups["orientation"]["weight_decay"] == 0 and groups["scattering"]["weight_decay"] == 0


def test_every_trainable_parameter_is_in_exactly_one_group():
    model = model_for()
    grouped = [id(p) for g in parameter_groups(model, OPTIM) for p in g["params"]]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == {id(p) for p in model.parameters() if p.requires_grad}


@pytest.mark.parametrize("scattering, names", [
    ({"learnable": False}, ["head"]),
    ({"architecture": "identity"}, ["head"]),
    ({"parameterization": "pixelwise"}, ["head", "scattering"]),
    ({"parameterization": "equivariant"}, ["head", "orientation", "scattering"]),
])
def test_empty_groups_are_left_out(scattering, names):
    assert [g["name"] for g in parameter_groups(model_for(**scattering), OPTIM)] == names


def test_sgd_uses_the_configured_momentum_and_adam_is_available():
    sgd = build_optimizer(model_for(), OPTIM)
    assert isinstance(sgd, torch.optim.SGD)
    assert all(g["momentum"] == 0.7 for g in sgd.param_groups)
    adam = build_optimizer(model_for(), {**OPTIM, "optim": {**OPTIM["optim"], "name": "adam"}})
    assert isinstance(adam, torch.optim.Adam)
    assert [g["weight_decay"] for g in adam.param_groups] == [5e-4, 0.0, 0.0]


def test_weight_decay_does_not_move_filter_parameters_without_gradient():
    model = model_for()
    opt = build_optimizer(model, {**OPTIM, "optim": {**OPTIM["optim"], "weight_decay": 10.0}})
    before = {n: p.detach().clone() for n, p in model.scattering.filter_parameters().items()}
    head_before = model.head.fc.weight.detach().clone()
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    for name, p in model.scattering.filter_parameters().items():
        assert torch.equal(p, before[name]), name
    assert not torch.equal(model.head.fc.weight, head_before)  # decayed


def lrs_over(optimizer, schedule, epochs, steps_per_epoch):
    """LR per group used by every optimizer step, stepping the schedule like the loop does."""
    seen = []
    for _ in range(epochs):
        for _ in range(steps_per_epoch):
            seen.append(group_lrs(optimizer))
            optimizer.step()
            schedule.after_optimizer_step()
        schedule.after_epoch()
    return seen


def test_onecycle_peaks_per_group_and_ends_exactly_at_the_last_step():
    model = model_for()
    cfg = {**OPTIM, "model": {"epoch": 4}, "optim": {**OPTIM["optim"], "scheduler": "onecycle", "div_factor": 25}}
    opt = build_optimizer(model, cfg)
    schedule = build_schedule(opt, cfg, steps_per_epoch=5)
    assert schedule.per_step and schedule.total_steps == 20
    seen = lrs_over(opt, schedule, 4, 5)  # would raise if stepped past total_steps
    head = [s["lr_head"] for s in seen]
    assert head[0] == pytest.approx(0.06 / 25)
    assert max(head) == pytest.approx(0.06, rel=1e-3)
    assert max(s["lr_orientation"] for s in seen) == pytest.approx(0.2, rel=1e-3)
    assert max(s["lr_scattering"] for s in seen) == pytest.approx(0.1, rel=1e-3)
    assert head[-1] == pytest.approx(0.06 / 25 / 1e4)  # the final LR is reached at the last step
    assert head[-2] > head[-1]


def test_onecycle_cycles_momentum_inversely_to_the_lr_as_published():
    model = model_for()
    cfg = {**OPTIM, "model": {"epoch": 4}, "optim": {**OPTIM["optim"], "scheduler": "onecycle"}}
    opt = build_optimizer(model, cfg)
    seen = lrs_over(opt, build_schedule(opt, cfg, steps_per_epoch=5), 4, 5)
    head = [s["lr_head"] for s in seen]
    momentum = [s["momentum"] for s in seen]
    assert momentum[0] == pytest.approx(0.95)                       # optim.momentum (0.7) is not used
    assert momentum[head.index(max(head))] == pytest.approx(0.85, abs=1e-3)
    assert momentum[-1] == pytest.approx(0.95, abs=1e-3)
    assert min(momentum) >= 0.85 - 1e-9 and max(momentum) <= 0.95 + 1e-9
    assert all(g["momentum"] == opt.param_groups[0]["momentum"] for g in opt.param_groups)


def test_cycle_momentum_false_keeps_the_configured_momentum():
    model = model_for()
    cfg = {**OPTIM, "model": {"epoch": 2},
           "optim": {**OPTIM["optim"], "scheduler": "onecycle", "cycle_momentum": False}}
    opt = build_optimizer(model, cfg)
    seen = lrs_over(opt, build_schedule(opt, cfg, steps_per_epoch=5), 2, 5)
    assert {s["momentum"] for s in seen} == {0.7}


def test_onecycle_three_phase_changes_the_shape():
    model = model_for()
    cfg = {**OPTIM, "model": {"epoch": 1}, "optim": {**OPTIM["optim"], "three_phase": True}}
    opt = build_optimizer(model, cfg)
    head = [s["lr_head"] for s in lrs_over(opt, build_schedule(opt, cfg, 20), 1, 20)]
    peak = head.index(max(head))
    assert 4 <= peak <= 7  # three-phase peaks at 30 %, then returns to the start LR at 60 %, then anneals
    assert head[10] == pytest.approx(0.06 / 25)  # end of phase 2 (step 2·0.3·20 − 2)
    assert head[11] < head[10]


def test_cosine_and_step_are_stepped_per_epoch():
    cfg = {**OPTIM, "model": {"epoch": 4}, "optim": {**OPTIM["optim"], "scheduler": "cosine", "T_max": 4}}
    opt = build_optimizer(model_for(), cfg)
    seen = lrs_over(opt, build_schedule(opt, cfg, 3), 4, 3)
    per_epoch = [seen[3 * e]["lr_head"] for e in range(4)]
    assert all(seen[3 * e]["lr_head"] == seen[3 * e + 2]["lr_head"] for e in range(4))
    assert per_epoch == pytest.approx([0.3 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])
    assert seen[0]["lr_orientation"] == pytest.approx(0.2)

    cfg["optim"].update(scheduler="step", step_size=2, step_gamma=0.5)
    opt = build_optimizer(model_for(), cfg)
    seen = lrs_over(opt, build_schedule(opt, cfg, 3), 4, 3)
    assert [seen[3 * e]["lr_head"] for e in range(4)] == pytest.approx([0.3, 0.3, 0.15, 0.15])


def test_no_schedule_keeps_lrs_constant():
    cfg = {**OPTIM, "model": {"epoch": 2}, "optim": {**OPTIM["optim"], "scheduler": "none"}}
    opt = build_optimizer(model_for(), cfg)
    seen = lrs_over(opt, build_schedule(opt, cfg, 3), 2, 3)
    assert {tuple(s.values()) for s in seen} == {(0.3, 0.2, 0.1, 0.7)}  # three LRs, momentum


def test_unknown_names_are_user_errors():
    with pytest.raises(UserError, match="optim.scheduler"):
        opt = build_optimizer(model_for(), OPTIM)
        build_schedule(opt, {"optim": {"scheduler": "cyclic"}}, 1)
    with pytest.raises(UserError, match="optim.name"):
        build_optimizer(model_for(), {"optim": {"name": "lbfgs"}})
    with pytest.raises(UserError, match="no trainable parameters"):
        frozen = nn.Linear(2, 2).requires_grad_(False)
        build_optimizer(frozen, OPTIM)
