"""Shared helpers for the models tests: a config factory with small, fast defaults."""

import copy

import pytest


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for section, values in extra.items():
        out.setdefault(section, {}).update(values)
    return out


@pytest.fixture
def make_cfg():
    """make_cfg(model={...}, scattering={...}, general={...}) -> nested config dict.

    Defaults: J=2, L=4 (small banks keep the tests fast), linear_layer head, seed 0.
    """

    base = {
        "general": {"seed": 0},
        "scattering": {
            "J": 2, "L": 4, "max_order": 2, "init_params": "tight-frame", "learnable": True,
            "second_order": False, "architecture": "scattering", "parameterization": "canonical",
        },
        "model": {"name": "linear_layer", "width": 1, "mlp_hidden": [16], "weights": None},
    }

    def factory(**sections):
        return _merge(base, sections)

    return factory


@pytest.fixture(scope="session")
def resnet50_state_file(tmp_path_factory):
    """A local file holding a (randomly initialised) 1000-class torchvision ResNet-50 state_dict."""
    import torch
    import torchvision

    path = tmp_path_factory.mktemp("weights") / "resnet50.pt"
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(1)
    torch.save(torchvision.models.resnet50(weights=None, num_classes=1000).state_dict(), path)
    torch.random.set_rng_state(gen_state)
    return path
