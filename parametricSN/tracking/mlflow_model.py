"""A trained model as an MLflow model, and a run's data as MLflow dataset inputs.

:func:`log_classifier` logs the saved-model folder (models.io.save_model: state_dict + config +
info; tensors only) as a pyfunc model named ``classifier``, with a tensor signature and the class
names, input size, channel count, normalisation and image preparation (data.preparation: how a
file becomes that input) in its metadata. The MLflow UI lists it in the
run's Models column; ``mlflow.pyfunc.load_model("runs:/<run id>/classifier")`` gives a predictor
(needs parametricSN importable) whose ``predict`` takes float32 (N, C, H, W) images in [0, 1] at
the model size (not normalised; it normalises them with the saved preparation) and returns float32
(N, classes) probabilities. The weights are
read back with ``torch.load(weights_only=True)`` (models.io.load_model), and nothing is pickled:
the wrapper :class:`ScatteringClassifier` is logged as code (classifier_model.py, MLflow's "models
from code") and rebuilds the network at load time.

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

MODEL_NAME = "classifier"
SAVED_MODEL_KEY = "saved_model"
# what the wrapper imports to rebuild the model (pinned to the installed versions)
REQUIREMENTS = ("torch", "torchvision", "numpy", "scipy", "pyyaml", "mlflow", "pillow")


class ScatteringClassifier(PythonModel):
    """pyfunc wrapper: rebuilds the network from the saved-model folder logged beside it. The
    np.ndarray hint tells MLflow not to infer a signature from ``predict`` (it is given)."""

    def load_context(self, context) -> None:
        from parametricSN.data.preparation import ImagePreparation
        from parametricSN.models import load_model

        self.model, _, self.info = load_model(context.artifacts[SAVED_MODEL_KEY])
        self.preparation = ImagePreparation.from_info(self.info)

    def predict(self, context, model_input: np.ndarray, params=None):
        """float32 (N, C, H, W) in [0, 1] -> float32 (N, classes) class probabilities."""
        import torch

        if isinstance(model_input, dict) and len(model_input) == 1:  # a named tensor input
            (model_input,) = model_input.values()
        x = torch.as_tensor(np.asarray(model_input, dtype=np.float32))
        with torch.no_grad():
            logits = self.model(self.preparation.normalize(x))
        return torch.softmax(logits.float(), dim=1).numpy()


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
    MlflowRun); ``info`` gives in_channels, image_size, num_classes, class_names, mean, std.
    Returns the MLflow model id."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    height, width = info["image_size"]
    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, int(info["in_channels"]), int(height), int(width)))]),
        outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, int(info["num_classes"])))]))
    meta = {key: info[key] for key in ("class_names", "image_size", "in_channels", "mean", "std", "dataset",
                                       "preparation") if key in info}
    meta["input"] = ("float32 (N, C, H, W) in [0, 1], not normalised; the model normalises with mean/std. "
                     "From a file: resize to preparation.resize (aspect ratio kept if keep_aspect), then "
                     "centre-crop to preparation.crop")
    from parametricSN.tracking.mlflow_run import quiet_downloads

    with _fluent_run(run.tracking_uri, run.run_id), quiet_downloads(), warnings.catch_warnings():
        # the signature is given; an input example would only make MLflow run the model once more
        warnings.filterwarnings("ignore", message=".*input example.*", category=UserWarning)
        logged = mlflow.pyfunc.log_model(
            name=MODEL_NAME, python_model=str(Path(__file__).with_name("classifier_model.py")),
            artifacts={SAVED_MODEL_KEY: str(saved_folder)}, signature=signature,
            pip_requirements=_requirements(), metadata=meta)
    return logged.model_id


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
