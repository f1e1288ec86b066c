"""save_model/load_model: plain-data folders (state_dict + YAML + JSON) that rebuild the same model."""

import json
import shutil

import pytest
import torch
import yaml

from parametricSN.errors import UserError
from parametricSN.models import build_model, load_model, save_model

INFO = {"mean": (0.5, 0.4, 0.3), "std": (0.2, 0.2, 0.2), "dataset": "cifar", "class_names": ["a", "b", "c"]}


def trained_like(model):
    """Move every weight and BN statistic away from its initial value, as training would."""
    gen = torch.Generator().manual_seed(99)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=gen))
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 16, 16, generator=gen))
    return model.eval()


@pytest.mark.parametrize(
    "sections",
    [
        {"scattering": {"parameterization": "canonical", "learnable": True}},
        {"scattering": {"parameterization": "pixelwise", "learnable": True}},
        {"scattering": {"parameterization": "canonical", "learnable": False}, "model": {"name": "mlp"}},
        {"scattering": {"architecture": "identity"}, "model": {"name": "cnn", "width": 1}},
    ],
    ids=["canonical", "pixelwise", "fixed-mlp", "identity-cnn"],
)
def test_round_trip_gives_identical_outputs(tmp_path, make_cfg, sections):
    cfg = make_cfg(**sections)
    model = trained_like(build_model(cfg, 3, 3, (16, 16)))
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = model(x)
    folder = save_model(tmp_path / "model", model, cfg, INFO)
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml", "info.json", "model_state.pt"]

    loaded, cfg2, info = load_model(folder)
    assert not loaded.training
    with torch.no_grad():
        assert torch.equal(loaded(x), expected)
    assert cfg2 == cfg
    assert info["in_channels"] == 3 and info["num_classes"] == 3 and info["image_size"] == [16, 16]
    assert info["mean"] == [0.5, 0.4, 0.3] and info["class_names"] == ["a", "b", "c"]


def test_files_are_plain_data(tmp_path, make_cfg):
    cfg = make_cfg()
    folder = save_model(tmp_path / "m", build_model(cfg, 3, 3, (16, 16)), cfg, INFO)
    state = torch.load(folder / "model_state.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert yaml.safe_load((folder / "config.yaml").read_text()) == cfg
    assert json.loads((folder / "info.json").read_text())["dataset"] == "cifar"


def test_load_accepts_a_file_inside_the_folder(tmp_path, make_cfg):
    cfg = make_cfg()
    folder = save_model(tmp_path / "m", build_model(cfg, 3, 3, (16, 16)), cfg, INFO)
    model, _, _ = load_model(folder / "model_state.pt")
    assert model.head.fc.out_features == 3


def test_missing_folder_is_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_model(tmp_path / "nowhere")


@pytest.mark.parametrize("missing", ["model_state.pt", "config.yaml", "info.json"])
def test_incomplete_folder_names_missing_file(tmp_path, make_cfg, missing):
    cfg = make_cfg()
    folder = save_model(tmp_path / "m", build_model(cfg, 3, 3, (16, 16)), cfg, INFO)
    (folder / missing).unlink()
    with pytest.raises(UserError) as info:
        load_model(folder)
    assert missing in str(info.value) and str(folder) in str(info.value)


def test_state_of_another_model_is_user_error(tmp_path, make_cfg):
    cfg = make_cfg()
    folder = save_model(tmp_path / "m", build_model(cfg, 3, 3, (16, 16)), cfg, INFO)
    torch.save({"x": torch.zeros(1)}, folder / "model_state.pt")
    with pytest.raises(UserError, match="does not fit"):
        load_model(folder)


def test_save_needs_the_build_info(tmp_path, make_cfg):
    from parametricSN.models import HybridModel

    bare = HybridModel(None, torch.nn.Flatten())
    with pytest.raises(ValueError, match="in_channels"):
        save_model(tmp_path / "m", bare, make_cfg(), {})


def test_resnet50_weights_file_not_needed_after_save(tmp_path, make_cfg, resnet50_state_file):
    weights = tmp_path / "init.pt"
    shutil.copy(resnet50_state_file, weights)
    cfg = make_cfg(model={"name": "resnet50", "weights": str(weights)}, scattering={"architecture": "identity"})
    model = build_model(cfg, 1, 2, (32, 32)).eval()
    folder = save_model(tmp_path / "m", model, cfg, {})
    weights.unlink()
    loaded, cfg2, _ = load_model(folder)
    x = torch.randn(1, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert cfg2["model"]["weights"] == str(weights)
