"""resnet50 pixel baseline: local weights only, loaded with weights_only=True, strict except fc."""

import pytest
import torch

from parametricSN.errors import UserError
from parametricSN.models.pixel_baselines import resnet50


@pytest.fixture(scope="module")
def imagenet_like_state(resnet50_state_file):
    return torch.load(resnet50_state_file, weights_only=True)


def test_local_weights_loaded_except_fc(resnet50_state_file, imagenet_like_state):
    model = resnet50(3, 5, weights=resnet50_state_file)
    state = model.state_dict()
    assert torch.equal(state["layer4.2.conv3.weight"], imagenet_like_state["layer4.2.conv3.weight"])
    assert torch.equal(state["conv1.weight"], imagenet_like_state["conv1.weight"])
    assert state["fc.weight"].shape == (5, 2048)


def test_grayscale_conv1_from_rgb_weights(resnet50_state_file, imagenet_like_state):
    model = resnet50(1, 2, weights=resnet50_state_file)
    rgb = imagenet_like_state["conv1.weight"]
    assert torch.allclose(model.conv1.weight, rgb.sum(1, keepdim=True))
    # A gray image through the 1-channel stem = the same image replicated to RGB through the original.
    x = torch.randn(1, 1, 16, 16)
    ref = torch.nn.functional.conv2d(x.repeat(1, 3, 1, 1), rgb, stride=2, padding=3)
    assert torch.allclose(model.conv1(x), ref, atol=1e-4)


def test_missing_weights_file_is_user_error(tmp_path):
    with pytest.raises(UserError, match="model.weights"):
        resnet50(3, 2, weights=tmp_path / "nope.pt")


def test_pickled_module_is_refused(tmp_path):
    path = tmp_path / "module.pt"
    torch.save(torch.nn.Linear(2, 2), path)  # a pickled module, not a state_dict
    with pytest.raises(UserError, match="weights_only"):
        resnet50(3, 2, weights=path)


def test_foreign_state_dict_is_user_error(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(UserError, match="not a torchvision ResNet-50"):
        resnet50(3, 2, weights=path)
