"""bank_distance: zero for identical banks, blind to wavelet order when matching (not when
comparing index by index), θ compared as an angle (2π wrap-around), and consistent with the
layer's parameters and tight_frame_parameters."""

import math

import pytest
import torch

from parametricSN.errors import UserError
from parametricSN.scattering import ParametricScattering2D, bank_distance, tight_frame_parameters
from parametricSN.scattering.morlet import random_parameters


def test_identical_banks_are_at_distance_zero():
    p = random_parameters(16, seed=0)
    assert bank_distance(p, p) == 0.0
    assert bank_distance(p, {k: v.clone() for k, v in p.items()}, match=False) == 0.0


def test_matching_ignores_wavelet_order():
    p = random_parameters(12, seed=1)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(0))
    shuffled = {k: v[perm] for k, v in p.items()}
    assert bank_distance(p, shuffled, match=True) == pytest.approx(0.0, abs=1e-12)
    assert bank_distance(p, shuffled, match=False) > 0.1


def test_theta_wraps_around():
    p = tight_frame_parameters(1, 4)
    turned = dict(p, theta=p["theta"] + 2 * math.pi)
    assert bank_distance(p, turned, match=False) == pytest.approx(0.0, abs=1e-12)
    near = dict(p, theta=p["theta"].clone())
    near["theta"][0] = p["theta"][0] + 2 * math.pi - 0.1       # 0.1 rad away, not 2π − 0.1
    assert bank_distance(p, near, match=False) == pytest.approx(0.1, abs=1e-9)


def test_distance_is_euclidean_over_all_parameters():
    p = tight_frame_parameters(2, 2)
    q = {k: v.clone() for k, v in p.items()}
    q["xi"][1] += 0.3
    q["sigma"][2] -= 0.4
    assert bank_distance(p, q, match=False) == pytest.approx(0.5)
    assert bank_distance(p, q, match=True) <= 0.5 + 1e-12


def test_layer_parameters_start_at_the_tight_frame():
    scat = ParametricScattering2D(2, (16, 16), L=4)
    current = {n: getattr(scat, n) for n in ("theta", "xi", "sigma", "gamma")}
    assert bank_distance(current, tight_frame_parameters(2, 4)) == pytest.approx(0.0, abs=1e-5)
    rand = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=2)
    random_bank = {n: getattr(rand, n) for n in ("theta", "xi", "sigma", "gamma")}
    assert bank_distance(random_bank, tight_frame_parameters(2, 4)) > 1.0


def test_mismatched_banks_are_rejected():
    with pytest.raises(UserError, match="xi"):
        bank_distance({"theta": torch.zeros(2)}, tight_frame_parameters(1, 2))
    with pytest.raises(UserError, match="wavelets"):
        bank_distance(tight_frame_parameters(1, 2), tight_frame_parameters(1, 3))
