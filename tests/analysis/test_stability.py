"""Deformation stability (as in the paper, issue 5): distance 0 at strength 0, growing with the rotation
angle for a fixed bank, a below-one random-image baseline, one CSV row per (model, deformation,
strength), one figure per deformation, an MLflow run, and clear errors."""
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from parametricSN.analysis import stability as deform
from parametricSN.analysis.deformations import DEFORMATIONS, STRENGTH_COUNT
from parametricSN.analysis.model_source import resolve_model
from parametricSN.data.preparation import ImagePreparation
from parametricSN.errors import UserError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fixed_setup(saved_models):
    """(Representation of the fixed tight-frame model, 2 test images, 10 other test images)."""
    from parametricSN.data import build_data

    loaded = resolve_model(str(saved_models["fixed"]))
    data = build_data(loaded.cfg)
    images = data.to_float(data.test_images[:12])
    represent = deform.Representation(loaded.model.scattering, ImagePreparation.from_info(loaded.info),
                                      torch.device("cpu"))
    return represent, images[:2], images[2:]


def test_distance_is_zero_at_strength_zero_for_every_deformation(fixed_setup):
    represent, images, _ = fixed_setup
    for d in DEFORMATIONS.values():
        curve = deform.deformation_curve(represent, images, d, d.strengths())
        assert curve.shape == (STRENGTH_COUNT,)
        assert curve[0] == 0.0
        assert np.all(curve[1:] > 0)


def test_distance_grows_with_rotation_for_a_fixed_bank(fixed_setup):
    represent, images, _ = fixed_setup
    rotation = DEFORMATIONS["rotation"]
    curve = deform.deformation_curve(represent, images, rotation, rotation.strengths())
    assert np.all(np.diff(curve[:8]) > 0)          # monotone over the first strengths
    assert curve[-1] > 5 * curve[1]                 # and clearly larger at 10° than at ~0.5°


def test_curve_does_not_depend_on_batching(fixed_setup):
    represent, images, _ = fixed_setup
    d = DEFORMATIONS["shear"]
    small = deform.Representation(represent.scattering, represent.preparation, torch.device("cpu"), batch_size=3)
    np.testing.assert_allclose(deform.deformation_curve(small, images, d, d.strengths()),
                               deform.deformation_curve(represent, images, d, d.strengths()), rtol=1e-5)


def test_baseline_is_the_mean_ratio_to_other_images(fixed_setup):
    represent, images, others = fixed_setup
    baseline = deform.baseline_distance(represent, images, others)
    ref, oth = represent(images), represent(others)
    expected = np.mean([((o - r).norm() / r.norm()).item() for r in ref for o in oth])
    assert baseline == pytest.approx(expected, rel=1e-6)
    assert 0 < baseline < 2


def test_csv_rows_one_per_model_deformation_strength(tmp_path):
    chosen = [DEFORMATIONS["rotation"], DEFORMATIONS["diffeo"]]
    results = {m: ({d.name: np.linspace(0, i + 1, STRENGTH_COUNT) for d in chosen}, 0.5 + i)
               for i, m in enumerate(["a", "b", "c"])}
    rows = deform.csv_rows(results, chosen)
    path = deform.write_csv(rows, tmp_path / "x.csv")
    with path.open() as handle:
        read = list(csv.DictReader(handle))
    assert list(read[0]) == ["model", "deformation", "strength", "distance", "baseline"]
    assert len(read) == 3 * 2 * STRENGTH_COUNT
    assert len({(r["model"], r["deformation"], r["strength"]) for r in read}) == len(read)
    assert float(read[-1]["distance"]) == pytest.approx(3.0) and float(read[-1]["baseline"]) == 2.5


def _read_csv(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_cli_writes_csv_figures_and_mlflow_run(tmp_path, saved_models, capsys):
    out = tmp_path / "out"
    uri = f"sqlite:///{tmp_path}/store.db"
    models = [str(saved_models["fixed"]), str(saved_models["learnable"]), str(saved_models["identity"])]
    code = deform.main(models + ["--out", str(out), "--tracking-uri", uri, "--images", "2",
                                 "--baseline-images", "5", "--device", "cpu"])
    assert code == 0
    assert "skipping" in capsys.readouterr().err  # the identity model has no scattering
    rows = _read_csv(out / "deformation.csv")
    assert len(rows) == 2 * len(DEFORMATIONS) * STRENGTH_COUNT
    assert {r["model"] for r in rows} == set(models[:2])
    assert all(float(r["distance"]) == 0 for r in rows if float(r["strength"]) == 0)
    for name in DEFORMATIONS:
        for stem in (f"deformation_{name}", f"images_{name}"):
            assert (out / f"{stem}.png").read_bytes()[:8] == PNG_MAGIC
    baselines = {r["model"]: float(r["baseline"]) for r in rows}
    assert all(0 < b < 2 for b in baselines.values())

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("deformation")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["images"] == "2"
    logged = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"deformation.csv", "figures"} <= logged
    figures = {f.path for f in client.list_artifacts(run.info.run_id, "figures")}
    assert "figures/deformation_rotation.png" in figures and len(figures) == 2 * len(DEFORMATIONS)


def test_cli_subset_from_run_id_without_mlflow_logging(tmp_path, mlflow_run):
    uri, run_id, _ = mlflow_run
    out = tmp_path / "out"
    assert deform.main([run_id, "--tracking-uri", uri, "--out", str(out), "--deformations", "rotation,shear",
                        "--no-mlflow", "--baseline-images", "3"]) == 0
    rows = _read_csv(out / "deformation.csv")
    assert {r["deformation"] for r in rows} == {"rotation", "shear"}
    assert len(rows) == 2 * STRENGTH_COUNT
    assert not (out / "deformation_diffeo.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["0123456789abcdef0123456789abcdef"], "no MLflow run"),
    (["/no/such/folder"], "not an existing folder"),
    (["{fixed}", "--deformations", "twist"], "unknown deformation 'twist'"),
    (["{identity}"], "none of the given models has a scattering layer"),
    (["{fixed}", "--images", "0"], "at least 1"),
])
def test_cli_user_errors(tmp_path, saved_models, mlflow_run, argv, message):
    uri, _, _ = mlflow_run
    argv = [a.format(**saved_models) for a in argv]
    with pytest.raises(UserError, match=message):
        deform.main(argv + ["--tracking-uri", uri, "--out", str(tmp_path), "--no-mlflow"])


def test_script_entry_point_reports_user_error_in_one_line(tmp_path):
    script = ROOT / "parametricSN" / "evaluate_deformed_representation.py"
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "missing"), "--no-mlflow"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: MODEL") and result.stderr.count("\n") == 1
