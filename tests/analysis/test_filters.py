"""`python -m parametricSN filters`: filter grids and Littlewood–Paley sum for any scattering model;
for a run with a recorded trajectory, progression GIFs with one frame per recorded step whose
banks are the engine's filters at those parameter values. Also the θ/ξ/σ/γ example script."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from parametricSN.analysis import filters as filters_cli
from parametricSN.analysis.model_source import resolve_model
from parametricSN.errors import UserError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]
STATIC = ["filters_fourier.png", "filters_real.png", "filters_imag.png", "littlewood_paley.png"]


def test_folder_without_trajectory_writes_grids_and_lp_only(tmp_path, saved_models, capsys):
    out = tmp_path / "out"
    assert filters_cli.main([str(saved_models["fixed"]), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(STATIC)
    assert all((out / name).read_bytes()[:8] == PNG_MAGIC for name in STATIC)
    assert "no trajectory" in capsys.readouterr().err


def test_run_with_trajectory_writes_gifs_one_frame_per_step(tmp_path, mlflow_run):
    import imageio.v3 as iio

    uri, run_id, trajectory = mlflow_run
    out = tmp_path / "out"
    assert filters_cli.main([run_id, "--tracking-uri", uri, "--out", str(out)]) == 0
    for kind in ("fourier", "real", "imag"):
        frames = iio.imread(out / f"progression_{kind}.gif", index=None)
        assert frames.shape[0] == len(trajectory["steps"])
        assert (out / f"filters_initial_{kind}.png").read_bytes()[:8] == PNG_MAGIC
    assert (out / "parameter_trajectories.png").is_file()
    assert all((out / name).is_file() for name in STATIC)


def test_max_frames_thins_the_gif_keeping_first_and_last(tmp_path, mlflow_run):
    import imageio.v3 as iio

    uri, run_id, _ = mlflow_run
    out = tmp_path / "out"
    assert filters_cli.main([f"runs:/{run_id}/model", "--tracking-uri", uri, "--out", str(out),
                             "--max-frames", "3"]) == 0
    assert iio.imread(out / "progression_real.gif", index=None).shape[0] == 3
    assert filters_cli.frame_indices(5, 3) == [0, 2, 4]
    assert filters_cli.frame_indices(5, None) == [0, 1, 2, 3, 4]


def test_bank_from_trajectory_matches_the_engine_at_recorded_values(saved_models):
    loaded = resolve_model(str(saved_models["learnable"]))
    scat = loaded.model.scattering
    current = {name: p.detach().numpy()[None] for name, p in scat.filter_parameters().items()}
    shifted = {name: value + 0.1 for name, value in current.items()}
    trajectory = {name: np.concatenate([current[name], shifted[name]]) for name in current}
    banks = filters_cli.bank_from_trajectory(scat, trajectory)
    assert len(banks) == 2
    torch.testing.assert_close(banks[0], scat.wavelet_filters())
    assert (banks[1] - banks[0]).abs().max() > 1e-3
    with pytest.raises(ValueError, match="no 'gamma'"):
        filters_cli.bank_from_trajectory(scat, {k: v for k, v in trajectory.items() if k != "gamma"})


def test_identity_model_is_a_user_error(tmp_path, saved_models):
    with pytest.raises(UserError, match="no scattering layer"):
        filters_cli.main([str(saved_models["identity"]), "--out", str(tmp_path)])


def test_filter_parameters_example_writes_its_figure(tmp_path):
    spec = importlib.util.spec_from_file_location("filter_parameters_example",
                                                  ROOT / "examples" / "filter_parameters.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "effects.png"
    assert example.main(["--out", str(out), "--size", "32"]) == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    # each parameter really changes the filter
    reference = example.morlet_filters([example.REFERENCE])[0]
    for name, values in example.VARIATIONS.items():
        other = [v for v in values if v != example.REFERENCE[name]][0]
        changed = example.morlet_filters([dict(example.REFERENCE, **{name: other})])[0]
        assert (changed - reference).abs().max() > 1e-3, name
