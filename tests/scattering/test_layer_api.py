"""The layer behaves like a torch layer and exposes what plots and training need: sizes, K,
per-wavelet parameters, Fourier filters, the low-pass and the Littlewood–Paley sum; it follows
.double()/.to(device), saves and loads its bank, and transforms each channel independently."""

import pytest
import torch

from parametricSN.scattering import ParametricScattering2D
from parametricSN.scattering.transform import chunk_size


@pytest.mark.parametrize("J, L, max_order, K", [(2, 8, 2, 81), (3, 8, 2, 217), (4, 8, 2, 417),
                                                (2, 8, 1, 17), (1, 1, 2, 2), (3, 3, 1, 10)])
def test_number_of_coefficients(J, L, max_order, K):
    scat = ParametricScattering2D(J, (16, 16), L=L, max_order=max_order, learnable=False)
    assert scat.K == K
    assert scat(torch.randn(1, 1, 16, 16)).shape[2] == K


def test_attributes_and_sizes():
    scat = ParametricScattering2D(2, (32, 28), L=6, init="random", seed=1, parameterization="equivariant")
    assert (scat.J, scat.L, scat.max_order, scat.K) == (2, 6, 2, 1 + 12 + 36)
    assert scat.shape == (32, 28) and scat.padded_shape == (40, 36) and scat.output_shape == (8, 7)
    assert (scat.learnable, scat.init, scat.parameterization) == (True, "random", "equivariant")
    y = scat(torch.randn(3, 2, 32, 28))
    assert y.shape == (3, 2, scat.K, 8, 7)


@pytest.mark.parametrize("parameterization, shapes", [
    ("canonical", {n: (12,) for n in ("theta", "xi", "sigma", "gamma")}),
    ("equivariant", {n: (3,) for n in ("theta", "xi", "sigma", "gamma")}),
    ("pixelwise", {"fourier_filters": (12, 32, 32)}),
])
def test_exposed_parameters_and_filters(parameterization, shapes):
    scat = ParametricScattering2D(3, (16, 16), L=4, parameterization=parameterization)
    params = scat.filter_parameters()
    assert {n: tuple(p.shape) for n, p in params.items()} == shapes
    assert all(isinstance(p, torch.nn.Parameter) for p in params.values())
    assert set(map(id, params.values())) == set(map(id, scat.parameters()))
    for name in ("theta", "xi", "sigma", "gamma"):
        value = getattr(scat, name)
        assert value.shape == (12,) and not value.requires_grad
    assert scat.wavelet_filters().shape == (12, 32, 32) and not scat.wavelet_filters().requires_grad
    assert scat.lowpass_filter().shape == (32, 32)
    assert scat.littlewood_paley().shape == (32, 32)
    assert scat.lowpass_filter()[0, 0] == pytest.approx(1.0, abs=1e-3)   # φ̂(0) ≈ 1


def test_filters_follow_learned_parameters():
    scat = ParametricScattering2D(2, (16, 16), L=4)
    before = scat.wavelet_filters()
    with torch.no_grad():
        scat.filter_parameters()["xi"].mul_(1.2)
    assert not torch.allclose(before, scat.wavelet_filters())


@pytest.mark.parametrize("learnable", [False, True])
def test_double_precision_follows_the_module(learnable):
    x = torch.randn(2, 1, 16, 12)
    scat = ParametricScattering2D(2, (16, 12), L=4, learnable=learnable)
    y32 = scat(x)
    scat = scat.double()
    y64 = scat(x.double())
    assert y64.dtype == torch.float64
    assert all(p.dtype == torch.float64 for p in scat.parameters())
    torch.testing.assert_close(y64.float(), y32, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_keeps_learned_bank():
    scat = ParametricScattering2D(2, (16, 16), L=4)
    with torch.no_grad():
        scat.filter_parameters()["theta"].add_(0.3)
    clone = ParametricScattering2D(2, (16, 16), L=4)
    clone.load_state_dict(scat.state_dict())
    x = torch.randn(1, 1, 16, 16)
    torch.testing.assert_close(clone(x), scat(x))


def test_fixed_bank_loaded_from_state_dict_rebuilds_its_filters():
    source = ParametricScattering2D(2, (16, 16), L=4, learnable=False, init="random", seed=1)
    target = ParametricScattering2D(2, (16, 16), L=4, learnable=False, init="random", seed=2)
    target.load_state_dict(source.state_dict())
    x = torch.randn(1, 1, 16, 16)
    torch.testing.assert_close(target(x), source(x))


def test_channels_are_transformed_independently():
    scat = ParametricScattering2D(2, (12, 12), L=4, learnable=False)
    x = torch.randn(2, 3, 12, 12)
    y = scat(x)
    for c in range(3):
        torch.testing.assert_close(y[:, c], scat(x[:, c:c + 1])[:, 0])


def test_batches_larger_than_a_chunk_give_the_same_coefficients():
    scat = ParametricScattering2D(2, (32, 32), L=8, learnable=False)
    n = chunk_size(2, 8, scat.padded_shape, torch.device("cpu")) + 3
    x = torch.randn(n, 1, 32, 32)
    y = scat(x)
    torch.testing.assert_close(y[-3:], scat(x[-3:]), rtol=1e-5, atol=1e-6)


def test_J5_on_a_non_square_image():
    scat = ParametricScattering2D(5, (32, 40), L=2)
    y = scat(torch.randn(1, 1, 32, 40))
    assert y.shape == (1, 1, 1 + 10 + 4 * 10, 1, 1)
    y.sum().backward()
    assert all(p.grad is not None for p in scat.parameters())


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("learnable", [False, True])
def test_cuda_matches_cpu(learnable):
    x = torch.randn(2, 3, 16, 20)
    scat = ParametricScattering2D(2, (16, 20), L=4, learnable=learnable)
    expected = scat(x)
    scat = scat.to("cuda")
    got = scat(x.cuda())
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-4, atol=1e-5)
    if learnable:
        got.sum().backward()
        assert all(p.grad is not None and p.grad.device.type == "cuda" for p in scat.parameters())


def test_copy_and_pickle_keep_the_bank(tmp_path):
    import copy
    scat = ParametricScattering2D(2, (12, 12), L=4, learnable=False, init="random", seed=4)
    x = torch.randn(1, 1, 12, 12)
    torch.testing.assert_close(copy.deepcopy(scat)(x), scat(x))
    torch.save(scat, tmp_path / "scat.pt")
    loaded = torch.load(tmp_path / "scat.pt", weights_only=False)
    torch.testing.assert_close(loaded(x), scat(x))


def test_numpy_integers_are_accepted():
    import numpy as np
    scat = ParametricScattering2D(np.int64(2), (np.int64(12), 12), L=np.int32(4), max_order=np.int64(1))
    assert (scat.J, scat.L, scat.max_order, scat.K) == (2, 4, 1, 9)


def test_filters_built_once_reuses_one_build_with_the_same_output(monkeypatch):
    scat = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=1)
    x = torch.randn(5, 2, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = scat(x)
    builds = []
    original = scat.bank.fourier_filters
    monkeypatch.setattr(scat.bank, "fourier_filters", lambda: builds.append(1) or original())
    with torch.no_grad(), scat.filters_built_once():
        got = [scat(x[:2]), scat(x[2:])]
    assert len(builds) == 1 and torch.equal(torch.cat(got), expected)
    scat(x)
    assert len(builds) == 2          # rebuilt again outside the block
