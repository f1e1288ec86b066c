"""With the tight-frame bank the layer computes kymatio's Scattering2D: same output sizes,
same coefficient order, relative L2 error < 1e-5 in float32, fixed or learnable (before any
step), for J = 1…5, L ∈ {4, 6, 8}, square, non-square and odd sizes, and 1–3 channels."""

import pytest
import torch

from parametricSN.scattering import ParametricScattering2D

CASES = [  # (J, (H, W), L, C)
    (1, (8, 8), 4, 1),
    (1, (7, 9), 6, 2),
    (2, (32, 32), 8, 3),
    (2, (12, 20), 6, 1),
    (2, (13, 11), 4, 2),
    (2, (4, 6), 8, 1),        # 2^J == H: kymatio's special reflect padding
    (3, (24, 24), 8, 1),
    (3, (16, 27), 4, 3),
    (3, (19, 17), 6, 2),
    (4, (16, 16), 4, 1),
    (4, (32, 20), 8, 2),
    (4, (17, 33), 6, 3),
    (5, (32, 36), 4, 1),
]


@pytest.mark.parametrize("learnable", [False, True], ids=["fixed", "learnable"])
@pytest.mark.parametrize("J, shape, L, C", CASES, ids=[f"J{c[0]}-{c[1][0]}x{c[1][1]}-L{c[2]}-C{c[3]}" for c in CASES])
def test_tight_frame_equals_kymatio(kymatio_scattering, relative_error, J, shape, L, C, learnable):
    x = torch.randn(2, C, *shape, generator=torch.Generator().manual_seed(J * 100 + L))
    ours = ParametricScattering2D(J, shape, L=L, learnable=learnable, init="tight-frame")
    expected = kymatio_scattering(J, shape, L)(x)
    with torch.no_grad():
        got = ours(x)
    assert got.shape == expected.shape == (2, C, ours.K, *ours.output_shape)
    assert relative_error(got, expected) < 1e-5


@pytest.mark.parametrize("J, shape, L", [(2, (12, 20), 6), (3, (24, 24), 4)])
def test_first_order_only_equals_kymatio(kymatio_scattering, relative_error, J, shape, L):
    x = torch.randn(3, 1, *shape, generator=torch.Generator().manual_seed(1))
    ours = ParametricScattering2D(J, shape, L=L, max_order=1, learnable=False)
    expected = kymatio_scattering(J, shape, L, max_order=1)(x)
    assert ours.K == 1 + J * L
    assert relative_error(ours(x), expected) < 1e-5


@pytest.mark.parametrize("parameterization", ["equivariant", "pixelwise"])
def test_other_parameterizations_start_at_kymatio(kymatio_scattering, relative_error, parameterization):
    x = torch.randn(2, 2, 16, 24, generator=torch.Generator().manual_seed(2))
    ours = ParametricScattering2D(3, (16, 24), L=6, parameterization=parameterization)
    with torch.no_grad():
        assert relative_error(ours(x), kymatio_scattering(3, (16, 24), 6)(x)) < 1e-5


def test_float64_layer_equals_kymatio_in_float64(kymatio_scattering, relative_error):
    x = torch.randn(2, 1, 20, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    ours = ParametricScattering2D(2, (20, 20), L=8, learnable=False).double()
    expected = kymatio_scattering(2, (20, 20), 8).double()(x)
    # kymatio's bank itself is computed in float32 arithmetic, hence not 1e-12
    assert relative_error(ours(x), expected) < 1e-6
