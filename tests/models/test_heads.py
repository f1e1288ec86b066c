"""The built-in heads on plain feature tensors: output shapes, parameter counts, config errors."""

import pytest
import torch

from parametricSN.errors import UserError
from parametricSN.models import HEADS, get_head
from parametricSN.models.heads import LinearHead
from parametricSN.models.wide_resnet import WideResNet


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", ["linear_layer", "mlp", "cnn", "cnn_standard"])
@pytest.mark.parametrize("channels,spatial", [(1, (4, 6)), (3, (5, 3)), (3 * 17, (8, 8))])
def test_head_output_shape(make_cfg, name, channels, spatial):
    head = HEADS[name](channels, spatial, 7, make_cfg(model={"name": name}))
    out = head(torch.randn(2, channels, *spatial))
    assert out.shape == (2, 7)


@pytest.mark.parametrize("channels", [1, 3])
def test_resnet50_output_shape_and_input_channels(make_cfg, channels):
    head = HEADS["resnet50"](channels, (40, 48), 4, make_cfg(model={"name": "resnet50"}))
    assert head.conv1.in_channels == channels
    head.eval()
    with torch.no_grad():
        assert head(torch.randn(1, channels, 40, 48)).shape == (1, 4)


def test_linear_head_param_count_cifar():
    # The paper's count: 156,016 parameters on CIFAR, J=2 (3 channels x 81 coefficients, 8x8).
    assert n_params(LinearHead(3 * 81, (8, 8), 10)) == 156_016


def test_cnn_param_count_cifar_k8():
    # The paper's count: ~22.6M parameters on CIFAR with k=8.
    count = n_params(WideResNet(3 * 81, 10, width=8))
    assert abs(count - 22.6e6) / 22.6e6 < 0.01
    assert count == 22_596_746


def test_cnn_width_and_stage_structure():
    net = WideResNet(5, 3, width=2)
    assert net.stem[0].out_channels == 32
    assert [len(net.stage2), len(net.stage3)] == [4, 4]
    assert net.stage3[-1].conv2.out_channels == 128
    assert net.fc.in_features == 128 * 4
    # Stride 1 everywhere: the stages keep the spatial size.
    x = net.stage3(net.stage2(net.stem(net.input_norm(torch.randn(2, 5, 6, 7)))))
    assert x.shape[-2:] == (6, 7)
    assert not net.input_norm.affine


def test_cnn_standard_adds_16k_stage():
    plain, standard = WideResNet(3, 10, width=1), WideResNet(3, 10, width=1, input_norm=False, stage_16k=True)
    assert len(standard.stage1) == 4
    stage_params = 4 * (2 * 16 * 16 * 9 + 2 * 2 * 16)
    assert n_params(standard) - n_params(plain) == stage_params


def test_mlp_hidden_layers_follow_config(make_cfg):
    head = HEADS["mlp"](6, (2, 2), 3, make_cfg(model={"mlp_hidden": [10, 5]}))
    linears = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(24, 10), (10, 5), (5, 3)]


@pytest.mark.parametrize("bad", [[0], ["a"], "big", [3.5]])
def test_mlp_bad_hidden_is_user_error(make_cfg, bad):
    with pytest.raises(UserError, match="model.mlp_hidden"):
        HEADS["mlp"](6, (2, 2), 3, make_cfg(model={"mlp_hidden": bad}))


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_cnn_bad_width_is_user_error(make_cfg, bad):
    with pytest.raises(UserError, match="model.width"):
        HEADS["cnn"](6, (2, 2), 3, make_cfg(model={"width": bad}))


def test_unknown_head_lists_registered_heads():
    with pytest.raises(UserError) as info:
        get_head("transformer")
    message = str(info.value)
    assert "transformer" in message and "\n" not in message
    for name in ("cnn", "linear_layer", "mlp", "resnet50"):
        assert name in message


def test_head_names_are_case_insensitive():
    assert get_head("Linear_Layer") is HEADS["linear_layer"]
