"""train → evaluate → predict end to end on a tiny folder: the MLflow model and dataset inputs of
the training run, loading by run id (ours and MLflow's pyfunc), evaluate's report, PNG and nested
run, predict's CSV (top-1 accuracy = evaluate's), unreadable files, exit statuses, bad folders."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from parametricSN.__main__ import main as cli
from parametricSN.errors import UserError
from parametricSN.inference import evaluate, predict
from parametricSN.run import run_training

from folder_images import folder_cfg, picture, save, write_class_folder

CLASSES = {"circle": 6, "square": 5, "star": 7}   # unequal on purpose


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


def test_pyfunc_model_loads_by_run_id_and_matches_the_predictor(trained, tmp_path):
    import mlflow

    root, store, run_id, _ = trained
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store)
    try:
        pyfunc = mlflow.pyfunc.load_model(f"runs:/{run_id}/classifier")
    finally:
        mlflow.set_tracking_uri(previous)
    meta = pyfunc.metadata.metadata
    assert meta["class_names"] == ["circle", "square", "star"] and meta["image_size"] == [16, 16]
    assert meta["in_channels"] == 3 and len(meta["mean"]) == 3
    inputs = pyfunc.metadata.get_input_schema().inputs[0]
    assert inputs.shape == (-1, 3, 16, 16)
    x = np.random.RandomState(0).rand(4, 3, 16, 16).astype(np.float32)
    probs = pyfunc.predict(x)
    assert probs.shape == (4, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


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
