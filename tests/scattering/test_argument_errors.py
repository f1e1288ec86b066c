"""Bad arguments and inputs raise a one-line ValueError (UserError) naming the argument, what
was wrong and what is allowed."""

import pytest
import torch

from parametricSN.errors import UserError
from parametricSN.scattering import ParametricScattering2D


@pytest.mark.parametrize("kwargs, words", [
    (dict(J=0), ["J=0", ">= 1"]),
    (dict(J=-2), ["J=-2", ">= 1"]),
    (dict(J=2.5), ["J=2.5", "integer"]),
    (dict(J=4), ["J=4", "2^J", "J <= 3"]),              # 2^4 > 12
    (dict(shape=(16, 6)), ["J=3", "(16, 6)", "J <= 2"]),
    (dict(shape=(16,)), ["shape", "(H, W)"]),
    (dict(L=0), ["L=0", ">= 1"]),
    (dict(max_order=3), ["max_order=3", "1 or 2"]),
    (dict(max_order=0), ["max_order=0", "1 or 2"]),
    (dict(init="Tight-Frame"), ["init='Tight-Frame'", "tight-frame", "random"]),
    (dict(parameterization="spline"), ["parameterization='spline'", "canonical", "equivariant", "pixelwise"]),
])
def test_bad_constructor_argument_is_named(kwargs, words):
    args = dict(J=3, shape=(12, 16), L=4)
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        ParametricScattering2D(**args)
    message = str(info.value)
    assert isinstance(info.value, UserError) and "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("x, words", [
    (torch.zeros(12, 16), ["2 dimensions", "(B, C, H, W)"]),
    (torch.zeros(2, 1, 1, 12, 16), ["5 dimensions", "(B, C, H, W)"]),
    (torch.zeros(2, 1, 16, 12), ["(16, 12)", "(12, 16)"]),
    (torch.zeros(2, 1, 12, 16, dtype=torch.int64), ["torch.int64", "float32", "float64"]),
    (torch.zeros(2, 1, 12, 16, dtype=torch.float16), ["torch.float16", "float32", "float64"]),
    (torch.zeros(2, 1, 12, 16, dtype=torch.float64), ["torch.float64", "torch.float32", ".to("]),
    ([[0.0]], ["torch.Tensor"]),
])
def test_bad_input_is_named(x, words):
    scat = ParametricScattering2D(2, (12, 16), L=2)
    with pytest.raises(ValueError) as info:
        scat(x)
    message = str(info.value)
    assert "\n" not in message and "input" in message
    for word in words:
        assert word in message
