"""Researchers add heads with register_head and pick them by config, without touching the runner."""

import pytest
import torch
import torch.nn as nn

from parametricSN.models import HEADS, build_model, register_head


@pytest.fixture
def clean_registry():
    before = dict(HEADS)
    yield
    HEADS.clear()
    HEADS.update(before)


class ToyHead(nn.Module):
    def __init__(self, in_channels, spatial_shape, num_classes):
        super().__init__()
        self.seen = (in_channels, tuple(spatial_shape), num_classes)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        return self.fc(x.mean(dim=(2, 3)))


def test_registered_head_is_built_from_config(make_cfg, clean_registry):
    calls = []

    @register_head("Toy_Pool")
    def build_toy(in_channels, spatial_shape, num_classes, cfg):
        calls.append(cfg["model"]["name"])
        return ToyHead(in_channels, spatial_shape, num_classes)

    assert HEADS["toy_pool"] is build_toy
    cfg = make_cfg(model={"name": "toy_pool"}, scattering={"architecture": "identity"})
    model = build_model(cfg, in_channels=2, num_classes=4, image_size=(6, 10))
    assert isinstance(model.head, ToyHead)
    assert model.head.seen == (2, (6, 10), 4)
    assert calls == ["toy_pool"]
    assert model(torch.randn(3, 2, 6, 10)).shape == (3, 4)


def test_registered_head_on_scattering_features(make_cfg, clean_registry):
    register_head("toy")(lambda c, s, n, cfg: ToyHead(c, s, n))
    model = build_model(make_cfg(model={"name": "toy"}), in_channels=3, num_classes=5, image_size=(16, 16))
    K = 1 + 2 * 4 + 4 * 4 * 2 * 1 // 2  # J=2, L=4
    assert model.head.seen == (3 * K, (4, 4), 5)


def test_duplicate_name_needs_replace(clean_registry):
    @register_head("dup")
    def first(c, s, n, cfg):
        return ToyHead(c, s, n)

    with pytest.raises(ValueError, match="replace=True"):

        @register_head("DUP")
        def second(c, s, n, cfg):
            return nn.Identity()

    assert HEADS["dup"] is first
    other = lambda c, s, n, cfg: nn.Identity()  # noqa: E731
    register_head("dup", replace=True)(other)
    assert HEADS["dup"] is other


def test_builtin_heads_are_registered():
    assert {"linear_layer", "mlp", "cnn", "resnet50"} <= set(HEADS)


def test_redefining_the_same_function_is_allowed(clean_registry):
    """Re-running a notebook cell re-registers a new function object with the same name."""
    for _ in range(2):

        @register_head("cell_head")
        def build(c, s, n, cfg):
            return nn.Identity()

    assert HEADS["cell_head"] is build
