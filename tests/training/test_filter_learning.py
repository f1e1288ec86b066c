"""The filter warm-up and the Littlewood–Paley pull (``scattering.filter_warmup``, ``scattering.lp_pull``):
the pull is 0 at the tight frame and positive elsewhere, its gradient matches finite differences in
float64 and a step along it moves a random bank toward the tight frame's coverage; a frozen bank
does not move while the head does; in a run, the filters stay at their start through the warm-up
epochs and move after them, and the penalty is logged."""

import pytest
import torch

from parametricSN.config import config_hash, validate_config
from parametricSN.errors import UserError
from parametricSN.experiments.recipes import recipe_of
from parametricSN.run import run_training
from parametricSN.scattering import ParametricScattering2D
from parametricSN.training.filter_learning import (LittlewoodPaleyPull, build_filter_pull, filters_frozen,
                                                   warmup_epochs)


def test_pull_is_zero_at_the_tight_frame_and_positive_for_a_random_bank():
    tight = ParametricScattering2D(2, (16, 16), L=4)
    random = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=0)
    assert float(LittlewoodPaleyPull(tight, 1.0)().detach()) < 1e-10
    assert float(LittlewoodPaleyPull(random, 1.0)().detach()) > 0.05
    one, three = (float(LittlewoodPaleyPull(random, w)().detach()) for w in (1.0, 3.0))
    assert three == pytest.approx(3 * one)


@pytest.mark.parametrize("bounded", [False, True])
def test_pull_gradient_matches_finite_differences(bounded):
    scat = ParametricScattering2D(2, (8, 6), L=2, init="random", seed=3, bounded=bounded).double()
    pull = LittlewoodPaleyPull(scat, 0.5)
    pull().backward()
    eps = 1e-6
    for name, p in scat.filter_parameters().items():   # with bounded: the latents the optimizer steps
        for i in range(p.numel()):
            with torch.no_grad():
                p.view(-1)[i] += eps
                up = float(pull())
                p.view(-1)[i] -= 2 * eps
                down = float(pull())
                p.view(-1)[i] += eps
            assert float(p.grad.view(-1)[i]) == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8), (name, i)


def test_a_step_along_the_pull_lowers_it():
    scat = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=1)
    pull = LittlewoodPaleyPull(scat, 1.0)
    # the pull's gradients are ~0.01 per parameter (like the loss's): SGD with momentum, as in training
    optimizer = torch.optim.SGD(scat.filter_parameters().values(), lr=1.0, momentum=0.9)
    before = float(pull().detach())
    for _ in range(30):
        optimizer.zero_grad()
        pull().backward()
        optimizer.step()
    assert float(pull().detach()) < 0.8 * before


def test_no_pull_for_a_fixed_bank_or_a_zero_weight():
    assert build_filter_pull(ParametricScattering2D(2, (16, 16), L=4, learnable=False), 1.0) is None
    assert build_filter_pull(ParametricScattering2D(2, (16, 16), L=4), 0.0) is None


def test_frozen_filters_take_no_gradient_and_are_restored():
    scat = ParametricScattering2D(1, (8, 8), L=2)
    x = torch.randn(3, 1, 8, 8)
    with filters_frozen(scat):
        out = scat(x).sum()
        assert not out.requires_grad
        assert not any(p.requires_grad for p in scat.filter_parameters().values())
    assert all(p.requires_grad for p in scat.filter_parameters().values())
    with filters_frozen(scat, frozen=False):
        assert scat(x).sum().requires_grad


def test_warmup_epochs_rounds_a_share():
    assert warmup_epochs(0.0, 200) == 0
    assert warmup_epochs(0.25, 200) == 50
    assert warmup_epochs(0.3, 7) == 2


def test_a_run_keeps_its_filters_through_the_warmup_and_logs_the_pull(tiny_cfg, client):
    cfg = tiny_cfg(mlflow={"experiment_name": "filter-learning"}, model={"epoch": 4},
                   scattering={"init_params": "random", "filter_warmup": 0.5, "lp_pull": 1.0})
    result = run_training(cfg, progress=False, figures=False)
    assert result.status == "FINISHED"
    distance = {m.step: m.value for m in client.get_metric_history(result.run_id, "param_distance")}
    assert distance[1] == 0.0 and distance[2] == 0.0      # 2 of 4 epochs frozen
    assert distance[3] > 0.0 and distance[4] > distance[3] * 0.5
    penalty = [m.value for m in client.get_metric_history(result.run_id, "filter_penalty")]
    assert len(penalty) == 4 and all(p > 0 for p in penalty)
    assert recipe_of(client.get_run(result.run_id).data.params) == "filter_warmup=0.5, lp_pull=1.0"


def test_new_keys_at_their_defaults_keep_the_config_hash(tiny_cfg):
    cfg = tiny_cfg()
    explicit = tiny_cfg(scattering={"filter_warmup": 0.0, "lp_pull": 0.0})
    assert config_hash(cfg) == config_hash(explicit)
    assert config_hash(cfg) != config_hash(tiny_cfg(scattering={"lp_pull": 0.1}))
    with pytest.raises(UserError, match="filter_warmup"):
        validate_config(tiny_cfg(scattering={"filter_warmup": 1.0}))
