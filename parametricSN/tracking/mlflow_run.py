"""One MLflow run driven through ``MlflowClient`` (no global "active run" state).

Default store ``sqlite:///mlruns/store.db``. For a sqlite store whose experiment does not exist
yet, the experiment is created with its artifacts in ``<folder of the .db>/artifacts`` (so a run's
files sit beside the database instead of in MLflow's cwd-relative default).

Params are strings; a None value is left out (never logged as "None"). ``absolute_tracking_uri``
pins a relative store to the cwd; ``view_instructions`` / ``run_page`` give the ``mlflow ui``
command and the MLflow 3 addresses of a run in the "Model training" view.

A run ends exactly once, as FINISHED, FAILED or KILLED (:meth:`MlflowRun.end`); used as a context
manager it ends FAILED on an exception and KILLED on KeyboardInterrupt, so it never stays RUNNING.

Built on :mod:`parametricSN.tracking.store` (opening a store, retries, one-line errors), which
knows nothing of runs: the dependency goes one way.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Mapping

from parametricSN.errors import UserError
from parametricSN.tracking.store import open_client, retry, sqlite_path

MAX_PARAM_LENGTH = 6000  # MLflow's limit on one param value
_PARAMS_PER_BATCH = 100
_FLUSH_SECONDS = 2.0
_FLUSH_COUNT = 900


def absolute_tracking_uri(tracking_uri: str) -> str:
    """The same store with its path made absolute (against the cwd), so it reads alike anywhere.

    ``sqlite:///mlruns/store.db`` → ``sqlite:////abs/mlruns/store.db`` (query kept); a plain path or
    a relative ``file:`` URI → ``file:///abs/path``; any other URI (http, postgresql, an absolute
    one, ``sqlite:///:memory:``) is returned unchanged.
    """
    db = sqlite_path(tracking_uri)
    if db is not None:
        query = tracking_uri.partition("?")[2]
        return f"sqlite:///{db.expanduser().resolve()}" + (f"?{query}" if query else "")
    if tracking_uri.startswith("file:"):
        rest = tracking_uri[len("file:"):]
        return tracking_uri if rest.startswith("//") else Path(rest).expanduser().resolve().as_uri()
    special = tracking_uri.startswith("databricks") or tracking_uri == "uc"
    if tracking_uri and not special and ":" not in tracking_uri.split("/", 1)[0]:
        return Path(tracking_uri).expanduser().resolve().as_uri()
    return tracking_uri


UI_ADDRESS = "http://127.0.0.1:5000"  # where ``mlflow ui`` serves by default
ML_VIEW = "workflowType=machine_learning"  # MLflow 3 opens experiments in its GenAI view otherwise


def run_page(base: str, experiment_id: str, run_id: str | None = None) -> str:
    """The UI address of a run (or, without ``run_id``, of its experiment's run table), in the
    "Model training" view: ``<base>/#/experiments/<id>[/runs/<run>]?workflowType=machine_learning``."""
    path = f"/#/experiments/{experiment_id}" + (f"/runs/{run_id}" if run_id else "")
    return f"{base.rstrip('/')}{path}?{ML_VIEW}"


def view_instructions(tracking_uri: str, experiment_id: str, run_id: str | None = None) -> list[str]:
    """Lines telling a person how to look at a run in the MLflow UI (MLflow 3.x addresses).

    For a tracking server (http/https) the pages to open; for any other store the ``mlflow ui``
    command (with ``--workers 1``, light enough for a laptop) and then the pages it serves.
    """
    served = tracking_uri.startswith(("http://", "https://"))
    base = tracking_uri if served else UI_ADDRESS
    lines = [] if served else [f"view it with: mlflow ui --backend-store-uri {tracking_uri} --workers 1"]
    lines.append(f"then open {run_page(base, experiment_id, run_id)}" if not served
                 else f"open {run_page(base, experiment_id, run_id)}")
    lines.append(f'all runs of the experiment: {run_page(base, experiment_id)} (MLflow 3 otherwise shows '
                 f'its GenAI pages: click "Model training" at the top left)')
    return lines


def default_artifact_location(tracking_uri: str) -> str | None:
    """``file://<db folder>/artifacts`` for a sqlite store; None (MLflow's default) otherwise."""
    db = sqlite_path(tracking_uri)
    return None if db is None else (db.resolve().parent / "artifacts").as_uri()


def ensure_experiment(client, name: str, tracking_uri: str) -> str:
    """The id of experiment ``name``, created (artifacts beside a sqlite db) if missing."""
    from mlflow.exceptions import MlflowException

    def find():
        return retry(lambda: client.get_experiment_by_name(name), tracking_uri, f"reading experiment {name!r}")

    experiment = find()
    if experiment is None:
        try:
            return retry(lambda: client.create_experiment(
                name, artifact_location=default_artifact_location(tracking_uri)),
                tracking_uri, f"creating experiment {name!r}")
        except MlflowException:  # created meanwhile by a parallel run
            experiment = find()
            if experiment is None:
                raise
    if experiment.lifecycle_stage != "active":
        raise UserError(
            f"mlflow.experiment_name {name!r} is a deleted experiment in {tracking_uri}; restore it "
            f"(mlflow experiments restore --experiment-id {experiment.experiment_id}) or choose another name"
        )
    return experiment.experiment_id


def _param_value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 3] + "..."


class MlflowRun:
    """A started MLflow run. Create with :meth:`start`; log; then :meth:`end` (or use ``with``).

    Metrics are buffered and written in batches (every ~2 s, and at :meth:`flush` / :meth:`end`).
    """

    def __init__(self, client, run_id: str, tracking_uri: str, experiment_id: str | None = None):
        self.client, self.run_id, self.tracking_uri = client, run_id, tracking_uri
        self.experiment_id = experiment_id
        self.status: str = "RUNNING"
        self._pending: list = []
        self._last_flush = time.monotonic()
        self._logged_until: dict[str, int] = {}  # resumed run: metric → last step it already holds

    @classmethod
    def start(cls, tracking_uri: str, experiment_name: str, run_name: str | None = None,
              tags: Mapping[str, Any] | None = None) -> "MlflowRun":
        """Create (and start) a run in ``experiment_name`` of the store at ``tracking_uri``.

        Raises StoreError (one line) when the store cannot be reached or written."""
        client = open_client(tracking_uri)
        experiment_id = ensure_experiment(client, experiment_name, tracking_uri)
        run = retry(lambda: client.create_run(experiment_id, run_name=run_name,
                                              tags={k: str(v) for k, v in (tags or {}).items()}),
                    tracking_uri, f"creating a run in experiment {experiment_name!r}")
        return cls(client, run.info.run_id, tracking_uri, experiment_id)

    @classmethod
    def attach(cls, tracking_uri: str, run_id: str) -> "MlflowRun":
        """Continue the existing run ``run_id`` (a resumed run): marked RUNNING again; a metric is
        not logged again at a step the run already holds (so no step appears twice), the values
        logged before the interruption stay. StoreError when the store cannot be reached."""
        from parametricSN.tracking.store import open_client, retry

        client = open_client(tracking_uri)
        record = retry(lambda: client.get_run(run_id), tracking_uri, f"reading run {run_id}")
        run = cls(client, run_id, tracking_uri, record.info.experiment_id)
        for key in record.data.metrics:
            history = run._call(f"reading metric {key}", lambda: client.get_metric_history(run_id, key))
            run._logged_until[key] = max(metric.step for metric in history)
        run._call("marking the run RUNNING", lambda: client.update_run(run_id, status="RUNNING"))
        return run

    def _call(self, what: str, call):
        """``call()`` with the store's retry on a locked SQLite file and its one-line errors."""
        return retry(call, self.tracking_uri, f"{what} (run {self.run_id})")

    # ------------------------------------------------------------------ logging
    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log ``params`` as strings (cut to MAX_PARAM_LENGTH); None values are left out (an unset
        key has no param, never the string "None")."""
        from mlflow.entities import Param

        items = [Param(str(k), _param_value(v)) for k, v in params.items() if v is not None]
        for first in range(0, len(items), _PARAMS_PER_BATCH):
            batch = items[first:first + _PARAMS_PER_BATCH]
            self._call("logging params", lambda: self.client.log_batch(self.run_id, params=batch))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self._call(f"setting tag {key}", lambda: self.client.set_tag(self.run_id, str(key), str(value)))

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None:
        """Queue ``metrics`` at ``step`` (epoch); written within ~2 s or at flush/end."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._pending += [Metric(str(k), float(v), now, int(step)) for k, v in metrics.items()
                          if int(step) > self._logged_until.get(str(k), -1)]
        if len(self._pending) >= _FLUSH_COUNT or time.monotonic() - self._last_flush > _FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        while self._pending:
            batch = self._pending[:_FLUSH_COUNT]
            self._call("logging metrics", lambda: self.client.log_batch(self.run_id, metrics=batch))
            self._pending = self._pending[_FLUSH_COUNT:]  # dropped only once written
        self._last_flush = time.monotonic()

    def log_artifact(self, local_path: str | Path, artifact_path: str | None = None) -> None:
        """Raises StoreError (one line) for a full or read-only disk, or a server gone away."""
        name = f"{artifact_path}/{Path(local_path).name}" if artifact_path else Path(local_path).name
        self._call(f"logging artifact {name}",
                   lambda: self.client.log_artifact(self.run_id, str(local_path), artifact_path))

    def log_artifacts(self, local_dir: str | Path, artifact_path: str | None = None) -> None:
        self._call(f"logging artifacts {artifact_path or Path(local_dir).name}/",
                   lambda: self.client.log_artifacts(self.run_id, str(local_dir), artifact_path))

    def log_figure(self, fig, artifact_file: str) -> None:
        """Save a matplotlib Figure as PNG under ``artifact_file`` (e.g. 'figures/loss.png'), close it."""
        from parametricSN.figures.canvas import save_figure

        folder, _, name = artifact_file.rpartition("/")
        with tempfile.TemporaryDirectory() as tmp:
            self.log_artifact(save_figure(fig, Path(tmp) / name), folder or None)

    # ------------------------------------------------------------------ ending
    def end(self, status: str = "FINISHED") -> None:
        """Flush metrics and mark the run FINISHED / FAILED / KILLED (only the first call counts).

        If the metrics cannot be written, a run meant to end FINISHED ends FAILED and the error is
        raised. Ending FAILED or KILLED (on the way out of another error) never raises: a store
        that cannot be written is reported as a warning and the first error goes on.
        """
        if self.status != "RUNNING":
            return
        failure = None
        try:
            self.flush()
        except BaseException as error:  # noqa: BLE001 - re-raised below when ending FINISHED
            failure = error
        final = status
        if failure is not None and status == "FINISHED":
            final = "FAILED" if isinstance(failure, Exception) else "KILLED"
        self.status = final  # never tried twice
        try:
            self._call(f"marking the run {final}", lambda: self.client.set_terminated(self.run_id, final))
        except Exception as error:  # noqa: BLE001
            if status == "FINISHED" and failure is None:
                raise
            warnings.warn(f"could not mark MLflow run {self.run_id} {final}: {error}", stacklevel=2)
        if failure is not None:
            if status == "FINISHED" or not isinstance(failure, Exception):
                raise failure
            warnings.warn(f"MLflow run {self.run_id}: metrics not written: {failure}", stacklevel=2)

    def __enter__(self) -> "MlflowRun":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.end("FINISHED")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("KILLED")
        else:
            self.end("FAILED")
        return False


@contextlib.contextmanager
def quiet_downloads():
    """No MLflow download progress bars on stderr while resolving (restored afterwards)."""
    name = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    previous = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
