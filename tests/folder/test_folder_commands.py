"""train → evaluate → predict end to end on a tiny folder: the MLflow model and dataset inputs of
the training run, loading by run id (ours and MLflow's pyfunc), evaluate's report, PNG and nested
run, predict's CSV (top-1 accuracy = evaluate's), unreadable files, exit statuses, bad folders."""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from parametricSN.__main__ import main as cli
from parametricSN.errors import UserError
from parametricSN.inference import evaluate, predict
from parametricSN.run import run_training

from folder_images import folder_cfg, picture, save, write_class_folder

CLASSES = {"circle": 6, "square": 5, "star": 7}   # unequal on purpose
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(root, store_uri, run_id, client) of one 2-epoch run on a train/ + test/ folder."""
    from mlflow.tracking import MlflowClient

    base = tmp_path_factory.mktemp("commands")
    root = base / "shapes"
    write_class_folder(root / "train", CLASSES)
    write_class_folder(root / "test", {"circle": 3, "square": 3, "star": 3})
    store = f"sqlite:///{base}/mlruns/store.db"
    result = run_training(folder_cfg(root, store), progress=False, figures=False)
    assert result.status == "FINISHED"
    return root, store, result.run_id, MlflowClient(tracking_uri=store)


def test_training_run_logs_mlflow_model_dataset_and_folder_params(trained):
    root, _, run_id, client = trained
    run = client.get_run(run_id)
    models = client.search_logged_models([run.info.experiment_id], filter_string=f"source_run_id='{run_id}'")
    assert [m.name for m in models] == ["classifier"]
    contexts = {i.dataset.name: {t.value for t in i.tags} for i in run.inputs.dataset_inputs}
    assert contexts == {"shapes-train": {"training"}, "shapes-test": {"evaluation"}}
    params = run.data.params
    assert params["data.class_names"] == "circle,square,star" and params["data.channels"] == "3"
    assert params["data.skipped_unreadable"] == "0" and len(params["data.mean"].split(",")) == 3
    assert params["dataset.path"] == str(root.resolve())
    tags = run.data.tags
    assert tags["dataset"] == "folder" and tags["evaluation_split"] == "test"
    assert {"data.fingerprint", "data.train_fingerprint", "data.test_fingerprint"} <= set(tags)


def _pyfunc(store, uri):
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store)
    try:
        return mlflow.pyfunc.load_model(uri)
    finally:
        mlflow.set_tracking_uri(previous)


def test_pyfunc_model_loads_by_run_id_and_matches_the_predictor(trained, tmp_path):
    from argparse import Namespace

    import torch

    from parametricSN.inference.predictor import load_predictor

    root, store, run_id, _ = trained
    pyfunc = _pyfunc(store, f"runs:/{run_id}/classifier")
    meta = pyfunc.metadata.metadata
    assert meta["class_names"] == ["circle", "square", "star"] and meta["image_size"] == [16, 16]
    assert meta["in_channels"] == 3 and len(meta["mean"]) == 3
    assert pyfunc.metadata.get_input_schema() is None          # float64 must reach the model to be cast
    assert pyfunc.metadata.get_output_schema().inputs[0].shape == (-1, 3)
    predictor = load_predictor(Namespace(run=run_id, model=None, tracking_uri=store, device="cpu", batch_size=64))
    images = torch.stack(predictor.decode(sorted((root / "test" / "star").iterdir()), progress=False))
    expected = predictor.scores(images).probabilities.numpy()
    x = images.numpy() / 255.0                                    # float64, as numpy gives it
    assert np.allclose(pyfunc.predict(x), expected, atol=1e-6)
    assert np.allclose(pyfunc.predict(x.astype(np.float32)), expected, atol=1e-6)
    with pytest.raises(ValueError, match=r"^got uint8 pixels; pass float images \(N, 3, 16, 16\) in \[0, 1\]"):
        pyfunc.predict(images.numpy())
    with pytest.raises(ValueError, match=r"^got shape \(3, 16, 16\); .* \(one image: x\[None\]\)$"):
        pyfunc.predict(x[0])


def test_the_logged_model_carries_the_runs_metrics_and_datasets(trained):
    root, store, run_id, client = trained
    run = client.get_run(run_id)
    (model,) = client.search_logged_models([run.info.experiment_id], filter_string=f"source_run_id='{run_id}'")
    on_model = {m.key: m for m in model.metrics}
    assert set(on_model) == set(run.data.metrics) - {"artifacts_s"}   # artifacts_s: logged after the model
    assert all(on_model[key].value == run.data.metrics[key] for key in on_model)
    assert {key: on_model[key].dataset_name for key in ("final_test_acc", "test_acc", "train_loss", "train_s")} == {
        "final_test_acc": "shapes-test", "test_acc": "shapes-test", "train_loss": "shapes-train", "train_s": None}
    digests = {i.dataset.name: i.dataset.digest for i in run.inputs.dataset_inputs}
    assert on_model["train_acc"].dataset_digest == digests["shapes-train"]
    assert len(client.get_metric_history(run_id, "test_acc")) == 2   # the run's own history is unchanged


def test_the_logged_model_loads_in_a_folder_without_parametricSN(trained, tmp_path):
    """A fresh interpreter in an empty folder, PYTHONPATH without the checkout: the package comes
    from the model's own code/ folder, and what it imports is covered by the model's requirements."""
    import mlflow
    from packaging.requirements import Requirement

    root, store, run_id, client = trained
    (model,) = client.search_logged_models([client.get_run(run_id).info.experiment_id],
                                           filter_string=f"source_run_id='{run_id}'")
    script = tmp_path / "load.py"
    script.write_text(   # records the top-level modules that parametricSN's own code imports
        "import builtins, importlib.metadata as md, importlib.util, json, sys\n"
        "assert importlib.util.find_spec('parametricSN') is None, 'parametricSN is importable already'\n"
        "wanted, real = set(), builtins.__import__\n"
        "def recording(name, globals=None, locals=None, fromlist=(), level=0):\n"
        "    if level == 0 and str((globals or {}).get('__name__', '')).startswith('parametricSN'):\n"
        "        wanted.add(name.split('.')[0])\n"
        "    return real(name, globals, locals, fromlist, level)\n"
        "builtins.__import__ = recording\n"
        "import mlflow, numpy as np\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "probs = model.predict(np.random.RandomState(0).rand(2, 3, 16, 16))\n"
        "import parametricSN\n"
        "names = md.packages_distributions()\n"
        "used = {d for m in wanted - set(sys.stdlib_module_names) for d in names.get(m, ())}\n"
        "print(json.dumps({'file': parametricSN.__file__, 'probs': probs.tolist(), 'used': sorted(used)}))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MLFLOW_TRACKING_URI": store}
    done = subprocess.run([sys.executable, str(script), f"models:/{model.model_id}"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).parts[-3:] == ("code", "parametricSN", "__init__.py")
    assert REPO not in Path(out["file"]).resolve().parents
    x = np.random.RandomState(0).rand(2, 3, 16, 16)
    assert np.allclose(out["probs"], _pyfunc(store, f"models:/{model.model_id}").predict(x), atol=1e-6)

    def key(name):
        return name.lower().replace("_", "-").replace(".", "-")

    mlflow.set_tracking_uri(store)
    try:
        requirements = Path(mlflow.pyfunc.get_model_dependencies(f"models:/{model.model_id}")).read_text()
    finally:
        mlflow.set_tracking_uri(None)
    todo = [Requirement(line).name for line in requirements.split() if line and not line.startswith("-")]
    covered = set()
    while todo:   # the requirements and everything they require
        name = key(todo.pop())
        if name in covered:
            continue
        covered.add(name)
        try:
            todo += [Requirement(r).name for r in importlib.metadata.requires(name) or () if "extra ==" not in r]
        except importlib.metadata.PackageNotFoundError:
            pass
    assert out["used"] and {key(d) for d in out["used"]} <= covered


def _accuracy_line(text: str) -> float:
    return float(re.search(r"accuracy (\d+\.\d\d)%", text).group(1))


def test_evaluate_and_predict_agree(trained, tmp_path, capsys):
    root, store, run_id, client = trained
    out = tmp_path / "eval"
    assert evaluate.main(["--run", run_id, "--tracking-uri", store, "--data", str(root), "--out", str(out),
                          "--no-progress"]) == 0
    printed = capsys.readouterr().out
    accuracy = _accuracy_line(printed)
    assert "precision" in printed and "recall" in printed and "circle" in printed
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    evaluations = client.search_runs([client.get_run(run_id).info.experiment_id],
                                     filter_string=f"tags.evaluated_run_id = '{run_id}'")
    assert len(evaluations) == 1
    logged = evaluations[0]
    assert logged.data.tags["mlflow.parentRunId"] == run_id
    (model,) = client.search_logged_models([client.get_run(run_id).info.experiment_id],
                                           filter_string=f"source_run_id='{run_id}'")
    inputs = client.get_run(logged.info.run_id).inputs
    assert [i.model_id for i in inputs.model_inputs] == [model.model_id]   # the model it scored
    scored = [m for m in client.get_logged_model(model.model_id).metrics if m.run_id == logged.info.run_id]
    assert {(m.key, m.dataset_name) for m in scored} >= {("accuracy", "test"), ("recall_star", "test")}
    assert logged.data.metrics["accuracy"] == pytest.approx(accuracy, abs=0.005)
    assert {a.path for a in client.list_artifacts(logged.info.run_id, "evaluation")} >= {
        "evaluation/confusion_matrix.png", "evaluation/classification_report.txt"}

    csv_path = tmp_path / "preds.csv"
    assert predict.main(["--run", run_id, "--tracking-uri", store, "--output", str(csv_path), "--no-progress",
                         str(root / "test")]) == 0
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "predicted", "probability", "class_2", "probability_2",
                             "class_3", "probability_3", "error"]
    assert len(rows) == 9
    correct = sum(Path(r["path"]).parent.name == r["predicted"] for r in rows)
    assert 100.0 * correct / len(rows) == pytest.approx(accuracy, abs=0.005)
    assert all(float(r["probability"]) >= float(r["probability_2"]) >= float(r["probability_3"]) for r in rows)


def test_evaluate_warns_in_one_line_when_the_folder_holds_training_images(trained, tmp_path, capsys):
    root, store, run_id, client = trained
    mixed = tmp_path / "mixed"
    for label, name in enumerate(sorted(CLASSES)):   # per class: a renamed copy of a training image, a new one
        (mixed / name).mkdir(parents=True)
        seen = sorted((root / "train" / name).iterdir())[1]
        shutil.copy(seen, mixed / name / f"renamed{seen.suffix}")
        save(mixed / name / "new.png", picture(label, 500))
    args = ["--run", run_id, "--tracking-uri", store, "--no-progress"]
    assert evaluate.main(args + ["--data", str(mixed), "--out", str(tmp_path / "e1")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"warning: 3 of the 6 images of {mixed} are images the model was trained on")
    logged = client.search_runs([client.get_run(run_id).info.experiment_id],
                                filter_string=f"tags.evaluated_run_id = '{run_id}' and "
                                              f"params.`evaluate.data` = '{mixed}'")
    assert logged[0].data.params["evaluate.training_images"] == "3"


def test_predict_reports_unreadable_files_and_exit_status(trained, tmp_path, capsys):
    root, store, run_id, _ = trained
    broken = tmp_path / "broken.png"
    good = sorted((root / "test" / "star").iterdir())[0]
    broken.write_bytes(good.read_bytes()[:50])   # truncated
    csv_path = tmp_path / "p.csv"
    args = ["--run", run_id, "--tracking-uri", store, "--output", str(csv_path), "--top-k", "2", "--no-progress"]
    assert predict.main([str(good)] + args + [str(broken)]) == 0   # paths between the options
    assert "cannot read" in capsys.readouterr().err
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["error"] == "" and rows[0]["predicted"] in CLASSES and "class_3" not in rows[0]
    assert rows[1]["predicted"] == "" and rows[1]["error"]
    assert predict.main(args + [str(broken), str(tmp_path / "missing.jpg")]) == 2


def test_evaluate_with_a_saved_model_folder_and_a_missing_class(trained, tmp_path, capsys):
    root, store, run_id, client = trained
    model_dir = Path(client.download_artifacts(run_id, "model", str(tmp_path)))
    assert evaluate.main(["--model", str(model_dir), "--tracking-uri", store, "--data", str(root / "test"),
                          "--out", str(tmp_path / "e"), "--no-progress"]) == 0
    assert "accuracy" in capsys.readouterr().out
    partial = tmp_path / "partial"
    write_class_folder(partial, {"circle": 2, "square": 2}, mixed=False)
    with pytest.raises(UserError, match=r"missing class folder\(s\) star"):
        evaluate.main(["--model", str(model_dir), "--tracking-uri", store, "--data", str(partial), "--no-progress"])
    # through the command line: one line on stderr, exit 2
    assert cli(["evaluate", "--model", str(model_dir), "--data", str(partial), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "star" in err and "\n" not in err


def test_summarize_lists_the_folder_run_under_the_folder_name(trained):
    from parametricSN.analysis.summarize import load_records

    _, store, run_id, _ = trained
    records = load_records(store, "folder-tests")   # the evaluation runs have no final_test_acc
    assert [(r.dataset, r.column) for r in records] == [("folder:shapes", "all")]
