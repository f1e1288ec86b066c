"""One model, one answer, whichever door an image comes in by. For every dataset kind in its real
on-disk format (CIFAR-10's python batches and its folders, KTH-TIPS2-b with images of odd sizes,
COVIDx CXR-2 mixing grayscale and colour files of two sizes, digits, a folder of mixed formats and
sizes): a tiny run with model.save=true, then ``evaluate --run`` on the run's own evaluation images
gives exactly the run's final_test_acc (and its final test_loss), ``predict``'s top-1 over the same
files the same accuracy, and the logged MLflow model the same on the run's evaluation tensors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dataset_files import CIFAR_NAMES, write_cifar_batches, write_cifar_folder, write_kth, write_png, write_xray
from folder_images import write_class_folder
from parametricSN.config import validate_config
from parametricSN.data import build_data
from parametricSN.data.xray import read_label_file
from parametricSN.inference import evaluate, predict
from parametricSN.run import run_training

KINDS = ("cifar-batches", "cifar-folder", "kth", "xray", "digits", "folder")
KTH_MATERIALS = ("aluminium_foil", "brown_bread", "corduroy", "cork", "cotton", "cracker", "lettuce_leaf",
                 "linen", "white_bread", "wood", "wool")
XRAY_TRAIN = [(f"r{k}.png", "positive" if k % 2 else "negative") for k in range(8)]
XRAY_TEST = [(f"t{k}.png", "positive" if k % 2 else "negative") for k in range(12)]


def _config(kind: str, root: Path, store: str) -> dict:
    """A run of a second or two: 2 epochs, J=1 (J=2 at 32×32), L=2, a linear head, batches of 8."""
    dataset = {
        "cifar-batches": {"name": "cifar", "train_sample_num": 10, "test_sample_num": 20},
        "cifar-folder": {"name": "cifar", "train_sample_num": 10, "test_sample_num": 10},
        "kth": {"name": "kth", "train_sample_num": 22, "test_sample_num": 66, "height": 32, "width": 32},
        "xray": {"name": "xray", "train_sample_num": 4, "test_sample_num": 8, "height": 32, "width": 32},
        "digits": {"name": "digits", "train_sample_num": 20, "test_sample_num": 30},
        "folder": {"name": "folder", "path": str(root / "images"), "train_sample_num": "all",
                   "height": 16, "width": 16},
    }[kind]
    return {
        "general": {"seed": 0, "device": "cpu", "cores": 1},
        "mlflow": {"tracking_uri": store, "experiment_name": "same-answer"},
        "dataset": {"data_root": str(root), "train_batch_size": 8, "test_batch_size": 8,
                    "augment": "original-cifar", **dataset},
        # a fixed bank on KTH (the run's features computed once), learnable elsewhere
        "scattering": {"J": 1 if kind == "folder" else 2, "L": 2, "learnable": kind != "kth"},
        "model": {"name": "linear_layer", "epoch": 2, "step_test": 1, "save": True},
    }


def _write_dataset(kind: str, root: Path) -> None:
    if kind == "cifar-batches":
        write_cifar_batches(root / "cifar10", per_class=1, test_per_class=2)
    elif kind == "cifar-folder":
        write_cifar_folder(root / "cifar10", classes=CIFAR_NAMES, train_per_class=2, test_per_class=1)
    elif kind == "kth":
        write_kth(root / "KTH-TIPS2-b", materials=KTH_MATERIALS)   # image 1 of each sample off 200×200
    elif kind == "xray":
        write_xray(root / "COVIDx-CXR2", XRAY_TRAIN, XRAY_TEST, textured=True)
    elif kind == "folder":
        write_class_folder(root / "images" / "train", {"a": 4, "b": 4, "c": 4})
        write_class_folder(root / "images" / "test", {"a": 3, "b": 3, "c": 3})


def _evaluation_files(kind: str, root: Path, cfg, bundle) -> tuple[Path, Path]:
    """(--data of evaluate, PATH of predict): the run's own evaluation images as files in
    DIR/<class>/ — the dataset's files where it has them (linked), else its tensors as PNGs."""
    out = root / "evaluation-images"
    if kind in ("cifar-folder", "folder"):
        data = root / ("cifar10" if kind == "cifar-folder" else "images")
        return data, data / "test"
    if kind in ("cifar-batches", "digits"):      # the images are arrays: lossless PNGs of them
        for i, (image, label) in enumerate(zip(bundle.test_images, bundle.test_targets)):
            pixels = image.permute(1, 2, 0).numpy()
            write_png(out / bundle.class_names[int(label)] / f"{i:04d}.png",
                      pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
        return out, out
    if kind == "kth":                             # the three samples it did not train on
        for path in sorted((root / "KTH-TIPS2-b").glob("*/sample_[abc]/*.png")):
            link = out / path.parent.parent.name / path.name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
        return out, out
    names, labels = read_label_file(root / "COVIDx-CXR2" / "test.txt")
    for i in bundle.eval_indices:
        link = out / bundle.class_names[labels[i]] / names[i]
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(root / "COVIDx-CXR2" / "test" / names[i])
    return out, out


def _pyfunc_accuracy(store: str, run_id: str, bundle) -> float:
    """Accuracy of the run's logged MLflow model ``classifier`` on its evaluation tensors."""
    import mlflow
    from mlflow import MlflowClient

    from parametricSN.tracking.mlflow_model import classifier_model_id

    client = MlflowClient(tracking_uri=store)
    model_id = classifier_model_id(client, client.get_run(run_id))
    model = mlflow.pyfunc.load_model(client.get_logged_model(model_id).artifact_location)
    probabilities = model.predict(bundle.test_images.numpy().astype(np.float32) / 255.0)
    predicted = torch.from_numpy(probabilities).argmax(dim=1)
    return 100.0 * float((predicted == bundle.test_targets).sum()) / len(predicted)


@pytest.mark.parametrize("kind", KINDS)
def test_evaluate_predict_and_the_mlflow_model_give_the_runs_own_accuracy(kind, tmp_path, store):
    _write_dataset(kind, tmp_path)
    cfg = validate_config(_config(kind, tmp_path, store))
    result = run_training(cfg, progress=False, figures=False)
    assert result.status == "FINISHED"
    bundle = build_data(cfg)                      # the same seed: the run's own evaluation images
    evaluate_dir, predict_dir = _evaluation_files(kind, tmp_path, cfg, bundle)

    out = tmp_path / "evaluation"
    assert evaluate.main(["--run", result.run_id, "--tracking-uri", store, "--data", str(evaluate_dir),
                          "--out", str(out), "--no-progress"]) == 0
    scored = json.loads((out / "metrics.json").read_text())
    assert scored["images"] == len(bundle.test_images)
    assert scored["accuracy"] == result.final_test_acc
    assert scored["loss"] == pytest.approx(result.metrics["test_loss"], rel=1e-5)

    predictions = tmp_path / "predictions.csv"
    assert predict.main(["--run", result.run_id, "--tracking-uri", store, "--output", str(predictions),
                         "--no-progress", str(predict_dir)]) == 0
    with open(predictions, newline="") as f:
        rows = list(csv.DictReader(f))
    correct = sum(Path(row["path"]).parent.name == row["predicted"] for row in rows)
    assert len(rows) == len(bundle.test_images) and 100.0 * correct / len(rows) == result.final_test_acc

    assert _pyfunc_accuracy(store, result.run_id, bundle) == result.final_test_acc
