"""Resolve a MODEL argument of the analysis commands into a loaded model.

MODEL is one of
- a saved-model folder (the one ``models.save_model`` writes: model_state.pt, config.yaml,
  info.json), or a run's artifact folder that holds such a folder as ``model/``;
- an MLflow run id (32 hex digits) whose run logged its model under the artifact path ``model``;
- a ``runs:/<run id>[/<artifact path>]`` URI (artifact path defaults to ``model``).

Loading goes through ``models.load_model`` (torch.load with weights_only=True: tensors only, no
code is unpickled). MLflow artifacts are downloaded into a temporary folder that is removed once
the model and, if asked, the run's ``trajectory/trajectory.npz`` are in memory.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from parametricSN.config import section
from parametricSN.errors import UserError
from parametricSN.tracking.mlflow_run import quiet_downloads
from parametricSN.tracking.store import default_tracking_uri

MODEL_ARTIFACT = "model"
TRAJECTORY_ARTIFACT = "trajectory/trajectory.npz"
_RUN_ID = re.compile(r"[0-9a-f]{32}")
_SAVED_MODEL_FILES = ("model_state.pt", "config.yaml", "info.json")


@dataclass
class LoadedModel:
    """A model resolved from a MODEL argument.

    spec: the argument as given; model: the rebuilt ``HybridModel`` (CPU, eval mode); cfg: its
    nested config; info: its info dict (in_channels, num_classes, image_size, mean, std, ...);
    run_id: the MLflow run it came from (None for a plain folder); trajectory: name → array of
    the recorded filter parameters (T, ...) plus "steps" and "epochs" (T,), or None.
    """

    spec: str
    model: object
    cfg: dict
    info: dict
    run_id: Optional[str] = None
    trajectory: Optional[dict] = field(default=None, repr=False)

    @property
    def short_id(self) -> str:
        """The run id's first 8 digits, or the folder's name (its parent's for a ``model/``)."""
        if self.run_id:
            return self.run_id[:8]
        path = Path(self.spec).resolve()
        return path.parent.name if path.name == MODEL_ARTIFACT and path.parent.name else path.name

    @property
    def label(self) -> str:
        """A legend label, e.g. "tight-frame, learnable, J=2 [3f2a9c1b]"."""
        scat = section(self.cfg, "scattering")
        if scat.architecture == "identity":
            kind = "pixels (identity)"
        else:
            kind = f"{scat.init_params}, {'learnable' if scat.learnable else 'fixed'}"
            if scat.parameterization != "canonical":
                kind += f", {scat.parameterization}"
            kind += f", J={scat.J}"
        return f"{kind} [{self.short_id}]"


def load_trajectory(path) -> dict:
    """Read a trajectory.npz (arrays only, no pickles) into a dict name → ndarray."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _check_store(tracking_uri: str) -> None:
    """A missing sqlite file would be silently created by MLflow: refuse it instead."""
    from parametricSN.tracking.store import sqlite_path

    db = sqlite_path(tracking_uri)
    if db is not None and not db.is_file():
        raise UserError(f"MLflow store {tracking_uri!r} does not exist; pass --tracking-uri with the "
                        f"store the run was logged to")


def _model_folder(path: Path) -> Path:
    """The saved-model folder at ``path`` or at ``path/model``; UserError if neither holds one."""
    for candidate in (path, path / MODEL_ARTIFACT):
        if all((candidate / name).is_file() for name in _SAVED_MODEL_FILES):
            return candidate
    raise UserError(f"{str(path)!r} holds no saved model (expected {', '.join(_SAVED_MODEL_FILES)} in it or "
                    f"in its model/ folder)")


def _folder_trajectory(folder: Path) -> Optional[dict]:
    """trajectory/trajectory.npz beside a run's model/ folder (artifact layout), if present."""
    for candidate in (folder.parent / TRAJECTORY_ARTIFACT, folder / TRAJECTORY_ARTIFACT):
        if candidate.is_file():
            return load_trajectory(candidate)
    return None




def _parse_runs_uri(spec: str) -> tuple[str, str]:
    rest = spec[len("runs:/"):].strip("/")
    run_id, _, artifact_path = rest.partition("/")
    if not run_id:
        raise UserError(f"{spec!r} names no run; write runs:/<run id>[/<artifact path>]")
    return run_id, artifact_path or MODEL_ARTIFACT


def _from_run(spec: str, run_id: str, artifact_path: str, tracking_uri: str,
              with_trajectory: bool, load) -> LoadedModel:
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException

    from parametricSN.tracking.store import open_client

    _check_store(tracking_uri)
    client = open_client(tracking_uri, create=False)
    try:
        client.get_run(run_id)
    except MlflowException:
        raise UserError(f"no MLflow run {run_id!r} in {tracking_uri!r}; give a run id of that store "
                        f"(or --tracking-uri), a runs:/ URI or a saved-model folder") from None
    if not client.list_artifacts(run_id, artifact_path):
        raise UserError(f"run {run_id} has no artifact {artifact_path!r}; train with model.save=true "
                        f"to save the model")
    with tempfile.TemporaryDirectory(prefix="psn-model-") as tmp, quiet_downloads():
        local = download_artifacts(run_id=run_id, artifact_path=artifact_path, dst_path=tmp,
                                   tracking_uri=tracking_uri)
        model, cfg, info = load(_model_folder(Path(local)))
        trajectory = None
        if with_trajectory and client.list_artifacts(run_id, os.path.dirname(TRAJECTORY_ARTIFACT)):
            try:
                path = download_artifacts(run_id=run_id, artifact_path=TRAJECTORY_ARTIFACT,
                                          dst_path=tmp, tracking_uri=tracking_uri)
                trajectory = load_trajectory(path)
            except (MlflowException, OSError):
                trajectory = None
    return LoadedModel(spec, model, cfg, info, run_id=run_id, trajectory=trajectory)


def resolve_model(spec: str, tracking_uri: Optional[str] = None, *,
                  with_trajectory: bool = False) -> LoadedModel:
    """Load the model named by ``spec`` (folder | run id | runs:/ URI; see the module docstring).

    tracking_uri: the MLflow store for run ids and runs:/ URIs (default: ``default_tracking_uri()``).
    with_trajectory: also read the run's trajectory/trajectory.npz (None if it has none).
    Raises UserError (one line) for a missing folder, an unknown run, a run without a model.
    """
    from parametricSN.models import load_model

    spec = str(spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        folder = _model_folder(path)
        model, cfg, info = load_model(folder)
        trajectory = _folder_trajectory(folder) if with_trajectory else None
        return LoadedModel(spec, model, cfg, info, run_id=None, trajectory=trajectory)
    uri = tracking_uri or default_tracking_uri()
    if spec.startswith("runs:/"):
        run_id, artifact_path = _parse_runs_uri(spec)
        return _from_run(spec, run_id, artifact_path, uri, with_trajectory, load_model)
    if _RUN_ID.fullmatch(spec):
        return _from_run(spec, spec, MODEL_ARTIFACT, uri, with_trajectory, load_model)
    raise UserError(f"MODEL {spec!r} is not an existing folder, an MLflow run id (32 hex digits) or a "
                    f"runs:/<run id>/model URI")
