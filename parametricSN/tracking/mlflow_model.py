"""A trained model as an MLflow model, and a run's data as MLflow dataset inputs.

:func:`log_classifier` logs the saved-model folder (models.io.save_model: state_dict + config +
info; tensors only) as a pyfunc model named ``classifier`` (an MLflow 3 LoggedModel), with the
class names, input size, channel count, normalisation and image preparation (data.preparation:
how a file becomes that input) in its metadata. The parametricSN
package travels with it (MLflow's ``code_paths``: the model's ``code/parametricSN``), so
``mlflow.pyfunc.load_model("runs:/<run id>/classifier")`` (or ``models:/<model id>``) works in any
folder and any environment holding the model's requirements (its requirements.txt), without
parametricSN installed. ``predict`` takes float (N, C, H, W) images in [0, 1] at the model size
(not normalised: it normalises them with the saved preparation; float64 is cast to float32; a
wrong shape or integer pixels get a one-line ValueError saying what to pass) and returns float32
(N, classes) probabilities; the signature
states the output tensor (an input tensor spec would make MLflow refuse float64 before the model
could cast it). The weights are read back with ``torch.load(weights_only=True)``
(models.io.load_model), and nothing is pickled: the wrapper :class:`ScatteringClassifier` is
logged as code (classifier_model.py, MLflow's "models from code") and rebuilds the network at
load time. The LoggedModel carries the run's latest metrics, the accuracies and losses linked to
the dataset they were measured on (its page's "Datasets used").

:func:`log_data_inputs` logs the training (and evaluation) images as MLflow datasets
(``mlflow.data.from_numpy``; digest = the data fingerprint of tracking.provenance), so that the
UI's Dataset column names them.
"""

from __future__ import annotations

import contextlib
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
from mlflow.pyfunc import PythonModel

PACKAGE = Path(__file__).resolve().parents[1]  # the parametricSN folder, logged as the model's code
MODEL_NAME = "classifier"
SAVED_MODEL_KEY = "saved_model"
# what the wrapper imports to rebuild the model (pinned to the installed versions)
REQUIREMENTS = ("torch", "torchvision", "numpy", "scipy", "pyyaml", "mlflow", "pillow")
# the metrics measured on the training images / on the evaluation images (linked to those datasets)
TRAINING_METRICS = ("train_loss", "train_acc")
EVALUATION_METRICS = ("test_loss", "test_acc", "final_test_acc")


class ScatteringClassifier(PythonModel):
    """pyfunc wrapper: rebuilds the network from the saved-model folder logged beside it. The
    np.ndarray hint tells MLflow not to infer a signature from ``predict`` (it is given)."""

    def load_context(self, context) -> None:
        from parametricSN.data.preparation import ImagePreparation
        from parametricSN.models import load_model

        self.model, _, self.info = load_model(context.artifacts[SAVED_MODEL_KEY])
        self.preparation = ImagePreparation.from_info(self.info)

    def predict(self, context, model_input: np.ndarray, params=None):
        """float (N, C, H, W) in [0, 1] -> float32 (N, classes) class probabilities."""
        import torch

        if isinstance(model_input, dict) and len(model_input) == 1:  # a named tensor input
            (model_input,) = model_input.values()
        x = torch.from_numpy(model_array(model_input, self.info))
        with torch.no_grad():
            logits = self.model(self.preparation.normalize(x))
        return torch.softmax(logits.float(), dim=1).numpy()


def model_array(model_input, info: dict) -> np.ndarray:
    """``model_input`` (an array, or anything numpy.asarray takes) as float32 (N, C, H, W); a
    ValueError (one line, saying what to pass) for integer pixels or another shape."""
    x = np.asarray(model_input)
    channels, (height, width) = int(info["in_channels"]), info["image_size"]
    expected = f"float images (N, {channels}, {height}, {width}) in [0, 1], not normalised"
    if x.dtype.kind in "iub":
        raise ValueError(f"got {x.dtype} pixels; pass {expected}, e.g. x.astype(numpy.float32) / 255")
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, int(height), int(width)):
        raise ValueError(f"got shape {tuple(x.shape)}; pass {expected} (one image: x[None])")
    return np.ascontiguousarray(x, dtype=np.float32)


def _requirements() -> list[str]:
    pinned = []
    for name in REQUIREMENTS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        pinned.append(f"{name}=={version.split('+')[0]}")
    return pinned


@contextlib.contextmanager
def _fluent_run(tracking_uri: str, run_id: str):
    """MLflow's fluent logging pointed at ``run_id`` of ``tracking_uri`` (the previous tracking
    URI is restored); the run stays RUNNING: the caller ends it."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        mlflow.start_run(run_id=run_id)
        try:
            yield
        finally:
            mlflow.end_run(status="RUNNING")
    finally:
        mlflow.set_tracking_uri(previous)


def log_classifier(run, saved_folder: Path, info: dict) -> str:
    """Log ``saved_folder`` (save_model's) as the pyfunc model ``classifier`` of ``run`` (an
    MlflowRun), with the parametricSN package as its code, and the run's metrics on it
    (:func:`link_run_metrics`); ``info`` gives in_channels, image_size, num_classes, class_names,
    mean, std. Returns the MLflow model id."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    height, width = info["image_size"]
    signature = ModelSignature(outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, int(info["num_classes"])))]))
    meta = {key: info[key] for key in ("class_names", "image_size", "in_channels", "mean", "std", "dataset",
                                       "preparation") if key in info}
    meta["input"] = (f"float (N, {info['in_channels']}, {height}, {width}) in [0, 1], not normalised (the model "
                     f"normalises with mean/std); float64 is cast to float32. From an image file: resize to "
                     f"preparation.resize (aspect ratio kept if keep_aspect), centre-crop to preparation.crop")
    from parametricSN.tracking.mlflow_run import quiet_downloads

    with _fluent_run(run.tracking_uri, run.run_id), quiet_downloads(), warnings.catch_warnings():
        # no input example: it would only make MLflow run the model once more
        warnings.filterwarnings("ignore", message=".*input example.*", category=UserWarning)
        logged = mlflow.pyfunc.log_model(
            name=MODEL_NAME, python_model=str(Path(__file__).with_name("classifier_model.py")),
            artifacts={SAVED_MODEL_KEY: str(saved_folder)}, code_paths=[str(PACKAGE)],
            signature=signature, pip_requirements=_requirements(), metadata=meta)
    link_run_metrics(run, logged.model_id)
    return logged.model_id


def link_run_metrics(run, model_id: str, evaluation: tuple[str, ...] = EVALUATION_METRICS) -> None:
    """Log the latest value of each of ``run``'s metrics on the LoggedModel ``model_id``, those in
    TRAINING_METRICS / ``evaluation`` linked to the run's training / evaluation dataset input. Each
    point keeps its step and timestamp, so the run's own metric history is unchanged."""
    from mlflow.entities import Metric
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    from parametricSN.tracking.store import retry

    def call(what, action):
        return retry(action, run.tracking_uri, f"{what} (run {run.run_id})")

    run.flush()
    logged = call("reading the run", lambda: run.client.get_run(run.run_id))
    datasets = {}
    for item in logged.inputs.dataset_inputs:
        context = {tag.key: tag.value for tag in item.tags}.get(MLFLOW_DATASET_CONTEXT)
        datasets["training" if context == "training" else "evaluation"] = (item.dataset.name, item.dataset.digest)
    points = []
    for key in logged.data.metrics:
        last = max(call(f"reading metric {key}", lambda: run.client.get_metric_history(run.run_id, key)),
                   key=lambda m: (m.step, m.timestamp))
        context = "training" if key in TRAINING_METRICS else "evaluation" if key in evaluation else None
        name, digest = datasets.get(context, (None, None))
        points.append(Metric(key, last.value, last.timestamp, last.step, model_id=model_id,
                             dataset_name=name, dataset_digest=digest, run_id=run.run_id))
    call("logging the model's metrics", lambda: run.client.log_batch(run.run_id, metrics=points))


def classifier_model_id(client, run) -> str | None:
    """The id of the LoggedModel ``classifier`` that the MLflow ``run`` (an mlflow Run) logged,
    or None (a run from before MLflow 3, or without model.save)."""
    outputs = run.outputs.model_outputs if run.outputs else []
    for output in outputs:
        if client.get_logged_model(output.model_id).name == MODEL_NAME:
            return output.model_id
    return None


def dataset_input(images, targets, name: str, source: str | None, context: str):
    """An MLflow DatasetInput for uint8 images (N, C, H, W) and int64 targets (N,)."""
    import mlflow
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    from parametricSN.tracking.provenance import tensor_fingerprint

    features, labels = np.asarray(images), np.asarray(targets)
    with warnings.catch_warnings():  # a local folder matches two equivalent source kinds: either is right
        warnings.filterwarnings("ignore", message=".*interpreted in multiple ways.*", category=UserWarning)
        dataset = mlflow.data.from_numpy(features, targets=labels, source=source, name=name,
                                         digest=tensor_fingerprint(features, labels))
    return DatasetInput(dataset._to_mlflow_entity(), tags=[InputTag(MLFLOW_DATASET_CONTEXT, context)])


def log_data_inputs(run, data) -> None:
    """Log ``data`` (a DataBundle) as the run's inputs: its training subset (context
    "training") and its evaluation images (context "evaluation" or "validation")."""
    source = data.log_params.get("data.path")
    base = Path(source).name if source else data.name
    run.client.log_inputs(run.run_id, datasets=[
        dataset_input(data.train_images, data.train_targets, f"{base}-train", source, "training"),
        dataset_input(data.test_images, data.test_targets, f"{base}-{data.eval_split}", source,
                      "validation" if data.eval_split == "validation" else "evaluation"),
    ])
