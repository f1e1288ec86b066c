"""MODEL resolution: a saved-model folder, a run's artifact folder, a run id and a runs:/ URI all
give the same loaded model; bad input is a one-line UserError."""
import numpy as np
import pytest
import torch

from parametricSN.analysis.model_source import resolve_model
from parametricSN.errors import UserError


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_folder(saved_models):
    loaded = resolve_model(str(saved_models["fixed"]))
    assert loaded.run_id is None and loaded.trajectory is None
    assert loaded.cfg["scattering"]["learnable"] is False
    assert loaded.info["in_channels"] == 1 and loaded.info["image_size"] == [32, 32]
    assert loaded.model.scattering is not None
    assert "fixed" in loaded.label and loaded.short_id == "fixed"


def test_run_artifact_folder_gives_model_and_trajectory(tmp_path, saved_models):
    import shutil

    shutil.copytree(saved_models["learnable"], tmp_path / "run" / "model")
    (tmp_path / "run" / "trajectory").mkdir()
    np.savez(tmp_path / "run" / "trajectory" / "trajectory.npz", theta=np.zeros((3, 8)), steps=np.arange(3))
    loaded = resolve_model(str(tmp_path / "run"), with_trajectory=True)
    assert loaded.trajectory["theta"].shape == (3, 8)
    direct = resolve_model(str(saved_models["learnable"]))
    assert _same_weights(loaded.model, direct.model)


def test_run_id_and_runs_uri(mlflow_run):
    uri, run_id, trajectory = mlflow_run
    by_id = resolve_model(run_id, uri, with_trajectory=True)
    by_uri = resolve_model(f"runs:/{run_id}/model", uri)
    by_short_uri = resolve_model(f"runs:/{run_id}", uri)
    assert by_id.run_id == run_id and by_id.short_id == run_id[:8]
    assert _same_weights(by_id.model, by_uri.model) and _same_weights(by_id.model, by_short_uri.model)
    np.testing.assert_array_equal(by_id.trajectory["theta"], trajectory["theta"])
    assert by_uri.trajectory is None  # only read when asked


@pytest.mark.parametrize("spec, message", [
    ("0123456789abcdef0123456789abcdef", "no MLflow run"),
    ("runs:/0123456789abcdef0123456789abcdef/model", "no MLflow run"),
    ("does/not/exist", "not an existing folder"),
])
def test_unknown_models_are_one_line_user_errors(mlflow_run, spec, message):
    uri, _, _ = mlflow_run
    with pytest.raises(UserError, match=message) as info:
        resolve_model(spec, uri)
    assert "\n" not in str(info.value)


def test_run_without_model_artifact(mlflow_run):
    uri, run_id, _ = mlflow_run
    with pytest.raises(UserError, match="has no artifact 'weights'"):
        resolve_model(f"runs:/{run_id}/weights", uri)


def test_folder_without_saved_model(tmp_path):
    with pytest.raises(UserError, match="holds no saved model"):
        resolve_model(str(tmp_path))


def test_missing_store_is_not_created(tmp_path):
    uri = f"sqlite:///{tmp_path}/absent.db"
    with pytest.raises(UserError, match="does not exist"):
        resolve_model("0123456789abcdef0123456789abcdef", uri)
    assert not (tmp_path / "absent.db").exists()
