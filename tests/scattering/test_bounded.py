"""The bounded parameterisation (``bounded=True``): it starts at the same bank (kymatio's for
tight-frame), its gradients through the sigmoid latents match finite differences in float64, no
optimizer step moves ξ, σ, γ out of their intervals, and the values (not the latents) are what the
layer reports, records and restores."""

import math

import pytest
import torch
from torch.autograd import gradcheck

from parametricSN.errors import UserError
from parametricSN.scattering import ParametricScattering2D
from parametricSN.scattering.filter_bank import Interval, bounded_intervals
from parametricSN.tracking.recorder import TrajectoryRecorder

SHAPE = (8, 6)


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant"])
def test_bounded_tight_frame_starts_at_kymatio(kymatio_scattering, relative_error, parameterization):
    x = torch.randn(2, 1, 16, 24, generator=torch.Generator().manual_seed(5))
    ours = ParametricScattering2D(3, (16, 24), L=6, parameterization=parameterization, bounded=True)
    with torch.no_grad():
        assert relative_error(ours(x), kymatio_scattering(3, (16, 24), 6)(x)) < 1e-5


@pytest.mark.parametrize("init", ["tight-frame", "random"])
def test_bounded_bank_starts_where_the_unbounded_one_does(init):
    free = ParametricScattering2D(2, (32, 32), init=init, seed=7)
    bounded = ParametricScattering2D(2, (32, 32), init=init, seed=7, bounded=True)
    for name in ("theta", "xi", "sigma", "gamma"):
        torch.testing.assert_close(getattr(bounded, name), getattr(free, name), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(bounded.wavelet_filters(), free.wavelet_filters(), rtol=0, atol=1e-5)


def _as_function_of_latents(scat, x):
    names = list(scat.filter_parameters())
    paths = {name: path for path, p in scat.named_parameters()
             for name, q in scat.filter_parameters().items() if p is q}

    def f(*values):
        return torch.func.functional_call(scat, {paths[n]: v for n, v in zip(names, values)}, (x,))

    return f, tuple(p.detach().clone().requires_grad_(True) for p in scat.filter_parameters().values())


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant"])
@pytest.mark.parametrize("init", ["tight-frame", "random"])
def test_latent_gradients_match_finite_differences(parameterization, init):
    scat = ParametricScattering2D(2, SHAPE, L=2, init=init, seed=3, parameterization=parameterization,
                                  bounded=True).double()
    x = torch.randn(1, 1, *SHAPE, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    f, latents = _as_function_of_latents(scat, x)
    assert gradcheck(f, latents, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_no_step_leaves_the_intervals():
    scat = ParametricScattering2D(2, (16, 16), L=4, bounded=True)
    optimizer = torch.optim.SGD(scat.filter_parameters().values(), lr=1e4)
    for sign in (-1.0, 1.0):   # push every parameter hard down, then hard up
        optimizer.zero_grad()
        (sign * sum(v.sum() for v in scat.bank.values().values())).backward()
        optimizer.step()
        for name, (low, high) in bounded_intervals(2, 4).items():
            value = getattr(scat, name)
            assert torch.isfinite(value).all()
            assert (value >= low).all() and (value <= high).all(), name
    assert (scat.xi <= math.pi).all()


def test_unbounded_bank_does_leave_the_nyquist_band():
    # the same push moves an unbounded ξ beyond π: what the bounded bank prevents
    scat = ParametricScattering2D(2, (16, 16), L=4)
    optimizer = torch.optim.SGD(scat.filter_parameters().values(), lr=10.0)
    (-scat.bank.values()["xi"].sum()).backward()
    optimizer.step()
    assert (scat.xi > math.pi).all()


def test_values_are_reported_recorded_and_restored_in_their_units():
    scat = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=1, bounded=True)
    latents, values = scat.filter_parameters(), scat.filter_values()
    assert list(latents) == list(values) == ["theta", "xi", "sigma", "gamma"]
    torch.testing.assert_close(values["xi"], scat.xi)
    assert not torch.allclose(latents["xi"].detach(), values["xi"])   # the optimizer sees latents
    recorder = TrajectoryRecorder(scat, epochs=1)
    recorder.record(0, 0)
    torch.testing.assert_close(torch.as_tensor(recorder.arrays()["sigma"][0]), scat.sigma)
    wanted = {name: value * 0.9 for name, value in values.items()}
    scat.set_filter_values(wanted)
    for name, value in wanted.items():
        torch.testing.assert_close(getattr(scat, name), value, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_keeps_the_bank():
    scat = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=2, bounded=True)
    copy = ParametricScattering2D(2, (16, 16), L=4, init="tight-frame", bounded=True)
    copy.load_state_dict(scat.state_dict())
    torch.testing.assert_close(copy.wavelet_filters(), scat.wavelet_filters())


def test_interval_inverse_and_clamping():
    interval = Interval(0.0, math.pi)
    x = torch.tensor([0.5, 1.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(interval(interval.right_inverse(x)), x)
    outside = interval(interval.right_inverse(torch.tensor([4.0, -1.0], dtype=torch.float64)))
    assert (outside > 0).all() and (outside < math.pi).all()


def test_pixelwise_cannot_be_bounded():
    with pytest.raises(UserError, match="bounded=True needs a Morlet bank"):
        ParametricScattering2D(2, (16, 16), parameterization="pixelwise", bounded=True)
