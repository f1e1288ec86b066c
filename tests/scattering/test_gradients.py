"""Gradients are right: ∂/∂(θ, ξ, σ, γ) match finite differences in float64 for canonical and
equivariant banks, pixelwise filters and J=1 banks get gradients, the input gradient is right,
and fixed banks hold no gradient and are never rebuilt in forward."""

import pytest
import torch
from torch.autograd import gradcheck

from parametricSN.scattering import ParametricScattering2D
from parametricSN.scattering import filter_bank

SHAPE = (8, 6)


def _image(C=1, seed=0):
    return torch.randn(1, C, *SHAPE, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _as_function_of_parameters(scat, x):
    """(f, inputs): f(*values) is scat(x) with its learnable tensors replaced by values."""
    names = list(scat.filter_parameters())
    paths = {name: path for path, p in scat.named_parameters()    # module path of each tensor
             for name, q in scat.filter_parameters().items() if p is q}

    def f(*values):
        return torch.func.functional_call(scat, {paths[n]: v for n, v in zip(names, values)}, (x,))

    inputs = tuple(p.detach().clone().requires_grad_(True) for p in scat.filter_parameters().values())
    return f, inputs


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant"])
@pytest.mark.parametrize("init", ["tight-frame", "random"])
def test_filter_parameter_gradients_match_finite_differences(parameterization, init):
    scat = ParametricScattering2D(2, SHAPE, L=2, init=init, seed=4, parameterization=parameterization).double()
    f, inputs = _as_function_of_parameters(scat, _image())
    assert [t.shape[0] for t in inputs] == [4 if parameterization == "canonical" else 2] * 4
    assert gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_pixelwise_filter_gradients_match_finite_differences():
    scat = ParametricScattering2D(2, SHAPE, L=2, parameterization="pixelwise").double()
    f, inputs = _as_function_of_parameters(scat, _image())
    assert inputs[0].shape == (4, *scat.padded_shape)
    assert gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant", "pixelwise"])
def test_every_learnable_parameter_gets_a_gradient_even_for_J1(parameterization):
    scat = ParametricScattering2D(1, (8, 8), L=4, init="random", seed=0, parameterization=parameterization)
    scat(torch.randn(2, 3, 8, 8)).pow(2).sum().backward()
    params = scat.filter_parameters()
    assert params and all(p.grad is not None and p.grad.abs().sum() > 0 for p in params.values())


@pytest.mark.parametrize("learnable", [False, True])
def test_input_gradient_matches_finite_differences(learnable):
    scat = ParametricScattering2D(2, SHAPE, L=2, learnable=learnable).double()
    x = _image(C=2).requires_grad_(True)
    assert gradcheck(scat, (x,), eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


def test_constant_image_has_finite_input_gradient():
    # band-pass outputs are exactly zero there: the modulus must give a 0 subgradient, not NaN
    scat = ParametricScattering2D(2, (8, 8), L=4, learnable=False)
    x = torch.ones(1, 1, 8, 8, requires_grad=True)
    scat(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_fixed_bank_holds_no_gradient():
    scat = ParametricScattering2D(2, (8, 8), L=4, learnable=False)
    assert list(scat.parameters()) == [] and scat.filter_parameters() == {}
    assert all(not b.requires_grad for b in scat.buffers())
    assert not scat(torch.randn(1, 1, 8, 8)).requires_grad


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant", "pixelwise"])
def test_fixed_bank_is_not_rebuilt_in_forward(monkeypatch, parameterization):
    scat = ParametricScattering2D(2, (8, 8), L=4, learnable=False, parameterization=parameterization)

    def forbidden(*args, **kwargs):
        raise AssertionError("filters rebuilt during forward")

    monkeypatch.setattr(filter_bank, "morlet_fourier", forbidden)
    monkeypatch.setattr(scat.bank, "fourier_filters", forbidden)
    monkeypatch.setattr(filter_bank, "crop_to_resolution", forbidden)
    assert scat(torch.randn(1, 1, 8, 8)).shape == (1, 1, scat.K, 2, 2)


def test_learnable_bank_is_rebuilt_in_forward(monkeypatch):
    scat = ParametricScattering2D(2, (8, 8), L=4, learnable=True)
    calls = []
    original = scat.bank.fourier_filters
    monkeypatch.setattr(scat.bank, "fourier_filters", lambda: calls.append(1) or original())
    scat(torch.randn(1, 1, 8, 8))
    assert calls == [1]


@pytest.mark.parametrize("parameterization", ["canonical", "pixelwise"])
def test_gradients_match_finite_differences_on_one_thread(parameterization):
    # one CPU thread takes other transforms (scipy's, in place): they must differentiate alike
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        scat = ParametricScattering2D(2, SHAPE, L=2, init="random", seed=3,
                                      parameterization=parameterization).double()
        f, inputs = _as_function_of_parameters(scat, _image(C=2))
        assert gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)
        x = _image(C=2).requires_grad_(True)
        assert gradcheck(scat, (x,), eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_black_images_give_finite_gradients(threads):
    # augmentation fills with zeros (geometric ops, the torchvision Cutout): |z| = 0 must give 0, not NaN
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        scat = ParametricScattering2D(2, (32, 32), L=4)
        x = torch.zeros(3, 2, 32, 32)
        x[0, 0] = torch.randn(32, 32, generator=torch.Generator().manual_seed(0))
        x[1, :, :16] = 1.0                                  # half black, half constant
        scat(x).sum().backward()
        assert all(torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in scat.parameters())
    finally:
        torch.set_num_threads(before)
