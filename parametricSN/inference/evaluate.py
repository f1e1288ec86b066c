"""``evaluate``: score a trained model on a labelled folder and record it in MLflow.

    python -m parametricSN evaluate --run RUN_ID [--tracking-uri URI] --data DIR [--out FOLDER]
    python -m parametricSN evaluate --model SAVED_MODEL_FOLDER --data DIR

DIR is ``DIR/<class>/*``, ``DIR/test/<class>/*`` or ``DIR/val/<class>/*`` (test/ first) with
exactly the model's classes (a missing or extra class folder stops with one line). The images are
prepared by the model's saved preparation (data.preparation) and scored by the run's own test pass
(training.fit.make_evaluator), so the run's own evaluation images give exactly its
``final_test_acc`` and final ``test_loss``. Images whose content the model trained on (the saved
model's ``training_file_digests``) are counted and said in one warning line: their accuracy is not
a held-out score. Prints ``accuracy NN.NN%`` and scikit-learn's classification report, writes
``confusion_matrix.png``, ``classification_report.txt`` and ``metrics.json`` into --out, and logs
all of it as a new MLflow run nested under the training run (tag ``evaluated_run_id``; with
--model, in experiment --experiment-name of --tracking-uri). The run's inputs are the scored images
(a dataset) and the training run's MLflow model ``classifier`` (a LoggedModel input, whose page
then lists the evaluation's metrics on those images).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from parametricSN.data.folder import validation_folder
from parametricSN.data.folder_files import list_classes
from parametricSN.errors import UserError
from parametricSN.inference.predictor import Predictor, Scores, add_model_arguments, load_predictor


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN evaluate",
        description="Score a trained model on a labelled image folder; record it in MLflow.",
        epilog="example: python -m parametricSN evaluate --run 3f2a... --data ~/images/test")
    add_model_arguments(parser)
    parser.add_argument("--data", required=True, metavar="DIR",
                        help="DIR/<class>/*, DIR/test/<class>/* or DIR/val/<class>/*")
    parser.add_argument("--out", metavar="FOLDER", help="where the PNG and the report go "
                                                        "(default: evaluation-<run id or model folder>)")
    parser.add_argument("--experiment-name", default="evaluate", metavar="NAME",
                        help="MLflow experiment for --model (a --run's evaluation goes to its experiment)")
    parser.add_argument("--skip-unreadable", action="store_true",
                        help="leave unreadable images out (with a warning) instead of stopping")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def labelled_root(data: Path) -> Path:
    """DIR/test when DIR holds a test split, else DIR/val (or DIR/valid), else DIR."""
    if not data.is_dir():
        raise UserError(f"--data {data}: no such folder; give DIR/<class>/* or DIR/test/<class>/*")
    if (data / "test").is_dir():
        return data / "test"
    return validation_folder(data) or data


def trained_on(predictor: Predictor, paths) -> list[Path]:
    """The files of ``paths`` whose content is that of a file the model was trained on."""
    from parametricSN.tracking.provenance import file_digest

    known = set(predictor.info.get("training_file_digests") or ())
    return [path for path in paths if file_digest(path) in known] if known else []


def score(predictor: Predictor, root: Path, skip_unreadable: bool = False, progress: bool = True):
    """(paths, labels int64 (N,), images uint8 (N, C, H, W), Scores, skipped [(path, reason)]) of
    the readable images under ``root``."""
    import torch

    paths, labels, _ = list_classes(root, predictor.class_names, what="--data")
    decoded = predictor.decode(paths, desc=f"decoding {root.name}", progress=progress)
    skipped = [(p, r) for p, r in zip(paths, decoded) if isinstance(r, str)]
    if skipped and not skip_unreadable:
        raise UserError(f"cannot read image {skipped[0][0]}: {skipped[0][1]}; fix or remove it, or pass "
                        f"--skip-unreadable")
    keep = [i for i, r in enumerate(decoded) if not isinstance(r, str)]
    if not keep:
        raise UserError(f"--data {root}: none of its images could be read")
    images = torch.stack([decoded[i] for i in keep])
    labels = labels[keep]
    return [paths[i] for i in keep], labels, images, predictor.scores(images, torch.from_numpy(labels)), skipped


def confusion_figure(labels, predicted, names):
    """A matplotlib Figure of the confusion matrix (rows: true class, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    size = max(4.0, 0.6 * len(names) + 2)
    fig = Figure(figsize=(size, size))
    ax = fig.add_subplot()
    ConfusionMatrixDisplay.from_predictions(labels, predicted, labels=list(range(len(names))),
                                            display_labels=names, ax=ax, colorbar=False,
                                            xticks_rotation="vertical")
    ax.set_title("confusion matrix")
    fig.tight_layout()
    return fig


def _metric_name(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_\-. /]", "_", text)


def _record(predictor: Predictor, args, root: Path, out: Path, scores: Scores, report: dict,
            skipped: int, seen: int, images, labels) -> str:
    """Log the evaluation as an MLflow run (nested under the training run when it is in the store)."""
    from mlflow.entities import LoggedModelInput
    from mlflow.exceptions import MlflowException

    from parametricSN.tracking.mlflow_model import classifier_model_id, dataset_input, link_run_metrics
    from parametricSN.tracking.mlflow_run import MlflowRun
    from parametricSN.tracking.store import open_client

    client = open_client(predictor.tracking_uri)
    experiment, tags, model_id = args.experiment_name, {}, None
    if predictor.run_id:
        tags["evaluated_run_id"] = predictor.run_id
        try:
            trained = client.get_run(predictor.run_id)
            experiment = client.get_experiment(trained.info.experiment_id).name
            tags["mlflow.parentRunId"] = predictor.run_id
            model_id = classifier_model_id(client, trained)
        except MlflowException:
            pass  # a saved folder whose run lives in another store
    run = MlflowRun.start(predictor.tracking_uri, experiment, f"evaluate-{root.name}", tags=tags)
    with run:
        run.log_params({"evaluate.model": predictor.spec, "evaluate.data": str(root.resolve()),
                        "evaluate.images": len(labels), "evaluate.skipped_unreadable": skipped,
                        "evaluate.training_images": seen,
                        "evaluate.class_names": ",".join(predictor.class_names)})
        metrics = {"accuracy": scores.accuracy, "loss": scores.loss}
        for name in predictor.class_names:
            for key in ("precision", "recall", "f1-score"):
                metrics[_metric_name(f"{key.replace('-score', '')}_{name}")] = 100.0 * report[name][key]
        run.log_metrics(metrics, step=0)
        run.log_artifacts(out, "evaluation")
        run.client.log_inputs(run.run_id, datasets=[dataset_input(images, labels, root.name, str(root.resolve()),
                                                                  "evaluation")],
                              models=[LoggedModelInput(model_id)] if model_id else None)
        if model_id:  # the model's page lists this evaluation's metrics beside the training run's
            link_run_metrics(run, model_id, evaluation=tuple(metrics))
    return run.run_id


def main(argv=None) -> int:
    """``evaluate`` command: 0 after scoring; UserError (exit 2) for bad input."""
    from sklearn.metrics import classification_report

    from parametricSN.figures.canvas import save_figure

    args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    root = labelled_root(Path(args.data).expanduser())
    predictor = load_predictor(args)
    paths, labels, images, scores, skipped = score(predictor, root, args.skip_unreadable, not args.no_progress)
    for path, reason in skipped:
        print(f"warning: skipped unreadable image {path}: {reason}", file=sys.stderr)
    seen = trained_on(predictor, paths)
    if seen:
        print(f"warning: {len(seen)} of the {len(paths)} images of {root} are images the model was trained on "
              f"(e.g. {seen[0]}): this accuracy is not a held-out score", file=sys.stderr)
    predicted = scores.logits.argmax(dim=1).numpy()
    names = predictor.class_names
    accuracy = scores.accuracy
    kwargs = dict(labels=list(range(len(names))), target_names=names, zero_division=0)
    text = classification_report(labels, predicted, digits=4, **kwargs)
    report = classification_report(labels, predicted, output_dict=True, **kwargs)
    short = predictor.run_id[:8] if predictor.run_id else Path(predictor.spec).resolve().name
    out = Path(args.out).expanduser() if args.out else Path(f"evaluation-{short}")
    out.mkdir(parents=True, exist_ok=True)
    save_figure(confusion_figure(labels, predicted, names), out / "confusion_matrix.png")
    line = (f"accuracy {accuracy:.2f}% ({int(np.sum(predicted == labels))}/{len(labels)} images of {root}), "
            f"loss {scores.loss:.4f}")
    (out / "classification_report.txt").write_text(f"{line}\n\n{text}")
    summary = {"accuracy": accuracy, "loss": scores.loss, "images": len(labels), "skipped_unreadable": len(skipped),
               "report": report}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    run_id = _record(predictor, args, root, out, scores, report, len(skipped), len(seen), images, labels)
    print(line)
    print(text)
    print(f"confusion matrix: {out / 'confusion_matrix.png'}\nMLflow run {run_id} (evaluation of "
          f"{predictor.run_id or predictor.spec}) in {predictor.tracking_uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
