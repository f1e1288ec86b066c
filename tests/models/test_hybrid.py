"""HybridModel: features are the scattering output reshaped; second_order keeps order-2 only;
gradients reach the filter parameters through the head."""

import pytest
import torch

from parametricSN.errors import UserError
from parametricSN.models import HybridModel, build_model, second_order_count
from parametricSN.scattering import ParametricScattering2D


@pytest.mark.parametrize("channels,shape", [(1, (16, 16)), (3, (16, 24)), (3, (20, 12))])
def test_features_are_scattering_output_reshaped(channels, shape):
    scat = ParametricScattering2D(2, shape=shape, L=4, learnable=True)
    model = HybridModel(scat, torch.nn.Identity())
    x = torch.randn(2, channels, *shape)
    s = scat(x)
    feats = model.features(x)
    assert feats.shape == (2, channels * scat.K, shape[0] // 4, shape[1] // 4)
    assert torch.equal(feats.reshape(s.shape), s)
    # Channel c·K + k is coefficient k of image channel c.
    if channels == 3:
        assert torch.equal(feats[:, 2 * scat.K + 5], s[:, 2, 5])


def test_second_order_keeps_only_order_two():
    J, L = 2, 4
    scat = ParametricScattering2D(J, shape=(16, 16), L=L)
    model = HybridModel(scat, torch.nn.Identity(), second_order=True)
    x = torch.randn(2, 3, 16, 16)
    K2 = second_order_count(J, L)
    assert K2 == L * L * J * (J - 1) // 2 == 16
    feats = model.features(x)
    assert feats.shape == (2, 3 * K2, 4, 4)
    assert torch.equal(feats.reshape(2, 3, K2, 4, 4), scat(x)[:, :, 1 + J * L:])


def test_second_order_through_build_model(make_cfg):
    cfg = make_cfg(scattering={"second_order": True, "J": 3, "L": 2})
    model = build_model(cfg, in_channels=1, num_classes=3, image_size=(16, 16))
    assert model.head.bn.num_features == 1 * 2 * 2 * 3 * 2 // 2
    assert model(torch.randn(2, 1, 16, 16)).shape == (2, 3)


@pytest.mark.parametrize("scattering", [{"max_order": 1}, {"J": 1}, {"architecture": "identity"}])
def test_second_order_without_order_two_is_user_error(make_cfg, scattering):
    cfg = make_cfg(scattering={"second_order": True, **scattering})
    with pytest.raises(UserError, match="second_order"):
        build_model(cfg, in_channels=1, num_classes=3, image_size=(16, 16))


def test_identity_features_are_the_pixels(make_cfg):
    model = build_model(make_cfg(scattering={"architecture": "identity"}), 3, 10, (8, 12))
    assert model.scattering is None
    x = torch.randn(2, 3, 8, 12)
    assert model.features(x) is x
    assert model.head.fc.in_features == 3 * 8 * 12


@pytest.mark.parametrize("parameterization", ["canonical", "equivariant", "pixelwise"])
@pytest.mark.parametrize("head", ["linear_layer", "cnn"])
def test_gradients_reach_filter_parameters(make_cfg, parameterization, head):
    cfg = make_cfg(model={"name": head}, scattering={"parameterization": parameterization})
    model = build_model(cfg, in_channels=3, num_classes=4, image_size=(16, 16))
    params = model.scattering.filter_parameters()
    assert params
    model(torch.randn(3, 3, 16, 16)).logsumexp(1).sum().backward()
    for name, p in params.items():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_fixed_scattering_has_no_filter_parameters(make_cfg):
    model = build_model(make_cfg(scattering={"learnable": False}), 3, 4, (16, 16))
    assert model.scattering.filter_parameters() == {}
    names = {n for n, _ in model.named_parameters()}
    assert names and all(n.startswith("head.") for n in names)
