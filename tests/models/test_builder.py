"""build_model: the config picks the scattering and head; the seed fixes the initial weights."""

import pytest
import torch

from parametricSN.models import build_model


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("head", ["linear_layer", "mlp", "cnn"])
@pytest.mark.parametrize("channels,image_size", [(1, (16, 16)), (3, (16, 24))])
def test_logits_shape(make_cfg, head, channels, image_size):
    model = build_model(make_cfg(model={"name": head}), channels, 6, image_size)
    assert model(torch.randn(2, channels, *image_size)).shape == (2, 6)


@pytest.mark.parametrize("channels,image_size", [(1, (12, 20)), (3, (16, 16))])
def test_pixel_baseline_cnn(make_cfg, channels, image_size):
    cfg = make_cfg(model={"name": "cnn"}, scattering={"architecture": "identity"})
    model = build_model(cfg, channels, 5, image_size)
    assert model.scattering is None
    assert model.head.stem[0].in_channels == channels
    assert model(torch.randn(2, channels, *image_size)).shape == (2, 5)


def test_scattering_follows_config(make_cfg):
    cfg = make_cfg(scattering={"J": 3, "L": 2, "max_order": 1, "learnable": False,
                               "init_params": "random", "parameterization": "equivariant"},
                   general={"seed": 5})
    scat = build_model(cfg, 1, 2, (24, 16)).scattering
    assert (scat.J, scat.L, scat.max_order, scat.learnable) == (3, 2, 1, False)
    assert (scat.init, scat.parameterization, tuple(scat.shape)) == ("random", "equivariant", (24, 16))


def test_linear_layer_cifar_param_count(make_cfg):
    cfg = make_cfg(scattering={"L": 8, "learnable": False})
    model = build_model(cfg, 3, 10, (32, 32))
    assert n_params(model.head) == 156_016


def test_same_seed_same_initial_weights(make_cfg):
    cfg = make_cfg(model={"name": "mlp"}, scattering={"init_params": "random"}, general={"seed": 7})
    a, b = build_model(cfg, 3, 4, (16, 16)), build_model(cfg, 3, 4, (16, 16))
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = build_model(make_cfg(model={"name": "mlp"}, scattering={"init_params": "random"},
                             general={"seed": 8}), 3, 4, (16, 16))
    assert not torch.equal(c.state_dict()["head.mlp.0.weight"], sa["head.mlp.0.weight"])


def test_build_leaves_global_rng_alone(make_cfg):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(make_cfg(), 3, 4, (16, 16))
    assert torch.equal(torch.rand(3), expected)
