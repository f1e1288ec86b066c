"""The Morlet bank is kymatio's: the same Fourier filters at every resolution (crop = kymatio's
periodize_filter_fft), the low-pass step as two matrices equals the Fourier recipe, skipping
unreachable tiles changes nothing, and the equivariant tight-frame bank is the canonical one."""

import math

import numpy as np
import pytest
import torch

from parametricSN.scattering import ParametricScattering2D, tight_frame_parameters
from parametricSN.scattering import morlet
from parametricSN.scattering.filter_bank import crop_to_resolution, wavelet_levels
from parametricSN.scattering.kernels import subsample_fourier


def _bank(params, shape, group=None):
    return morlet.morlet_fourier(shape, *(params[name] for name in morlet.PARAMETER_NAMES), group=group)


@pytest.mark.parametrize("shape, res", [((16, 24), 1), ((32, 16), 2), ((48, 64), 3)])
def test_crop_equals_kymatio_periodize(shape, res):
    filter_bank = pytest.importorskip("kymatio.scattering2d.filter_bank")
    x = np.random.RandomState(0).randn(*shape)
    expected = filter_bank.periodize_filter_fft(x, res)
    np.testing.assert_allclose(crop_to_resolution(torch.from_numpy(x), res).numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("J, L, shape", [(3, 8, (40, 48)), (2, 5, (24, 24)), (4, 2, (48, 64)), (1, 3, (12, 8))])
def test_bank_equals_kymatio_filter_bank_at_every_resolution(J, L, shape):
    filter_bank = pytest.importorskip("kymatio.scattering2d.filter_bank")
    reference = filter_bank.filter_bank(*shape, J, L)
    ours = wavelet_levels(_bank(tight_frame_parameters(J, L), shape), J, L)
    for i, psi in enumerate(reference["psi"]):
        j = psi["j"]
        for res, level in enumerate(psi["levels"]):
            if res >= len(ours) or j < res:
                continue       # stored by kymatio, never used by its algorithm (ψ_j at res ≤ j ≤ J−2)
            got = ours[res][i - res * L].numpy()
            assert np.abs(got - level).max() <= 1e-6 * np.abs(level).max()
    phi = morlet.lowpass_fourier(shape, J)
    for res, level in enumerate(reference["phi"]["levels"]):
        assert np.abs(crop_to_resolution(phi, res).numpy() - level).max() <= 1e-6 * np.abs(level).max()


@pytest.mark.parametrize("J, shape", [(1, (8, 12)), (2, (40, 40)), (3, (48, 56))])
def test_lowpass_matrices_equal_fourier_lowpass(J, shape):
    phi = morlet.lowpass_fourier(shape, J)
    u = torch.randn(3, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for res in range(J):
        u_res = u[:, :shape[0] >> res, :shape[1] >> res]
        k = 2 ** (J - res)
        spectrum = torch.fft.fft2(u_res) * crop_to_resolution(phi, res)
        expected = torch.fft.ifft2(subsample_fourier(spectrum, k)).real[:, 1:-1, 1:-1]
        rows = morlet.lowpass_matrix(shape[0], J, res)
        cols = morlet.lowpass_matrix(shape[1], J, res)
        torch.testing.assert_close(rows @ u_res @ cols.T, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("params", [
    tight_frame_parameters(3, 8),
    morlet.random_parameters(16, seed=5),
    {"theta": torch.tensor([0.3, 2.0]), "xi": torch.tensor([1.0, 0.2]),
     "sigma": torch.tensor([9.0, 2.0]), "gamma": torch.tensor([0.1, 3.0])},   # very elongated
], ids=["tight-frame", "random", "elongated"])
def test_skipping_unreachable_points_changes_nothing(monkeypatch, params):
    params = {k: v.double() for k, v in params.items()}
    pruned = _bank(params, (48, 40))
    per_group = _bank(params, (48, 40), group=2)
    monkeypatch.setattr(morlet, "_NEGLIGIBLE_EXPONENT", math.inf)     # all 5×5 tiles, as kymatio
    full = _bank(params, (48, 40))
    for got in (pruned, per_group):
        torch.testing.assert_close(got, full, rtol=0, atol=1e-15 * full.abs().max().item())


def test_morlets_have_zero_mean():
    psi = _bank(morlet.random_parameters(8, seed=1), (32, 32))
    assert psi[:, 0, 0].abs().max() < 1e-12


@pytest.mark.parametrize("L", [1, 4, 5, 8])
def test_tight_frame_parameters_follow_kymatio_formula(L):
    p = tight_frame_parameters(3, L)
    assert all(v.shape == (3 * L,) and v.dtype == torch.float64 for v in p.values())
    for j in range(3):
        for ell in range(L):
            i = j * L + ell
            assert p["theta"][i] == pytest.approx((int(L - L / 2 - 1) - ell) * math.pi / L)
            assert p["xi"][i] == pytest.approx(0.75 * math.pi / 2 ** j)
            assert p["sigma"][i] == pytest.approx(0.8 * 2 ** j)
            assert p["gamma"][i] == pytest.approx(4 / L)


@pytest.mark.parametrize("L", [1, 3, 8])
def test_equivariant_tight_frame_reproduces_canonical_bank(L):
    canonical = ParametricScattering2D(2, (16, 12), L=L, parameterization="canonical")
    equivariant = ParametricScattering2D(2, (16, 12), L=L, parameterization="equivariant")
    for name in ("theta", "xi", "sigma", "gamma"):
        torch.testing.assert_close(getattr(equivariant, name), getattr(canonical, name), rtol=0, atol=1e-6)
    torch.testing.assert_close(equivariant.wavelet_filters(), canonical.wavelet_filters(), rtol=0, atol=1e-6)
    assert {k: tuple(v.shape) for k, v in equivariant.filter_parameters().items()} == \
        {k: (2,) for k in ("theta", "xi", "sigma", "gamma")}


def test_littlewood_paley_is_sum_of_squared_filters():
    scat = ParametricScattering2D(2, (16, 16), L=4, init="random", seed=3)
    lp = scat.littlewood_paley()
    assert lp.shape == scat.padded_shape
    torch.testing.assert_close(lp, (scat.wavelet_filters() ** 2).sum(0))
