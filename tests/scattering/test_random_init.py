"""Random banks come from the seed alone (never the global RNG), differ between seeds, and
follow the paper's distributions: θ ~ U(0, 2π), γ ~ U(0.5, 1.5), ξ ~ U(0.5, 1), σ = ln(U(e, e⁵))."""

import math

import numpy as np
import pytest
import torch

from parametricSN.scattering import ParametricScattering2D
from parametricSN.scattering.morlet import random_parameters

NAMES = ("theta", "xi", "sigma", "gamma")


def _params(scat):
    return {name: getattr(scat, name) for name in NAMES}


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant", "pixelwise"])
def test_same_seed_same_bank_whatever_the_global_rng(parameterization):
    torch.manual_seed(1)
    np.random.seed(1)
    a = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=11, parameterization=parameterization)
    torch.manual_seed(2)
    np.random.seed(2)
    torch.rand(5)
    b = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=11, parameterization=parameterization)
    for name in NAMES:
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert torch.equal(a.wavelet_filters(), b.wavelet_filters())


def test_construction_leaves_global_rng_untouched():
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    ParametricScattering2D(2, (8, 8), L=4, init="random", seed=3)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])


def test_different_seeds_give_different_banks():
    a = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=1)
    b = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=2)
    assert all(not torch.allclose(getattr(a, n), getattr(b, n)) for n in NAMES)


def test_seed_none_means_seed_zero():
    a = ParametricScattering2D(2, (8, 8), L=4, init="random")
    b = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=0)
    assert all(torch.equal(getattr(a, n), getattr(b, n)) for n in NAMES)


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant", "pixelwise"])
def test_values_lie_in_their_ranges(parameterization):
    scat = ParametricScattering2D(3, (8, 8), L=16, init="random", seed=5, parameterization=parameterization)
    p = _params(scat)
    assert all(v.shape == (48,) for v in p.values())
    assert ((p["theta"] >= 0) & (p["theta"] < 2 * math.pi)).all() or parameterization == "equivariant"
    assert ((p["gamma"] >= 0.5) & (p["gamma"] <= 1.5)).all()
    assert ((p["xi"] >= 0.5) & (p["xi"] <= 1.0)).all()
    assert ((p["sigma"] >= 1.0) & (p["sigma"] <= 5.0)).all()


def test_equivariant_random_bank_rotates_one_wavelet_per_scale():
    L = 4
    scat = ParametricScattering2D(3, (8, 8), L=L, init="random", seed=9, parameterization="equivariant")
    per_scale = {n: v.detach() for n, v in scat.filter_parameters().items()}
    assert ((per_scale["theta"] >= 0) & (per_scale["theta"] < 2 * math.pi)).all()
    expected = (per_scale["theta"][:, None] - torch.arange(L) * math.pi / L).reshape(-1)
    torch.testing.assert_close(scat.theta, expected)
    torch.testing.assert_close(scat.sigma, per_scale["sigma"].repeat_interleave(L))


def test_draws_follow_the_spec_distributions():
    p = random_parameters(20000, seed=0)
    assert p["theta"].mean().item() == pytest.approx(math.pi, rel=0.03)
    assert p["gamma"].mean().item() == pytest.approx(1.0, rel=0.02)
    assert p["xi"].mean().item() == pytest.approx(0.75, rel=0.02)
    # σ = ln(U(e, e⁵)): exp(σ) is uniform on [e, e⁵]
    assert torch.exp(p["sigma"]).mean().item() == pytest.approx((math.e + math.e ** 5) / 2, rel=0.03)
    assert torch.exp(p["sigma"]).median().item() == pytest.approx((math.e + math.e ** 5) / 2, rel=0.05)


def test_pixelwise_random_bank_starts_from_the_random_morlets():
    pixel = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=6, parameterization="pixelwise")
    canonical = ParametricScattering2D(2, (8, 8), L=4, init="random", seed=6)
    torch.testing.assert_close(pixel.wavelet_filters(), canonical.wavelet_filters(), rtol=1e-5, atol=1e-6)
    assert torch.equal(pixel.theta, canonical.theta)
