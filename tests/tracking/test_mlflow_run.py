"""MlflowRun: experiment with artifacts beside the sqlite file, params/metrics/artifacts logged (None
params left out), a run that always ends FINISHED / FAILED / KILLED (never RUNNING); absolute store
URIs and the UI addresses printed after a run."""

from pathlib import Path

import pytest

from parametricSN.errors import UserError
from parametricSN.tracking.mlflow_run import (
    MAX_PARAM_LENGTH,
    MlflowRun,
    absolute_tracking_uri,
    default_artifact_location,
    run_page,
    view_instructions,
)
from parametricSN.tracking.store import sqlite_path


def test_sqlite_paths_and_artifact_location(tmp_path):
    assert sqlite_path("sqlite:///mlruns/store.db") == Path("mlruns/store.db")
    assert sqlite_path(f"sqlite:///{tmp_path}/s.db") == tmp_path / "s.db"
    assert sqlite_path("http://localhost:5000") is None
    assert default_artifact_location(f"sqlite:///{tmp_path}/s.db") == (tmp_path / "artifacts").as_uri()
    assert default_artifact_location("file:///somewhere") is None


def test_a_run_logs_and_finishes_with_artifacts_beside_the_store(store_uri, store_dir, client, tmp_path):
    run = MlflowRun.start(store_uri, "lifecycle", run_name="r1", tags={"seed": 3})
    assert client.get_run(run.run_id).info.status == "RUNNING"
    run.log_params({"a.b": 1, "long": "x" * (MAX_PARAM_LENGTH + 10), "none": None})
    run.log_metrics({"train_loss": 0.5, "lr_head": 0.1}, step=1)
    run.log_metrics({"train_loss": 0.25}, step=2)
    (tmp_path / "f.txt").write_text("hi")
    run.log_artifact(tmp_path / "f.txt", "things")
    run.end("FINISHED")
    run.end("FAILED")  # only the first end counts

    got = client.get_run(run.run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "r1"
    assert got.data.tags["seed"] == "3"
    assert got.data.params["a.b"] == "1" and "none" not in got.data.params
    assert len(got.data.params["long"]) == MAX_PARAM_LENGTH
    history = client.get_metric_history(run.run_id, "train_loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [(1, 0.5), (2, 0.25)]
    assert (store_dir / "artifacts" / run.run_id / "artifacts" / "things" / "f.txt").read_text() == "hi"


def test_context_manager_ends_failed_on_exception_and_killed_on_ctrl_c(store_uri, client):
    with pytest.raises(RuntimeError):
        with MlflowRun.start(store_uri, "lifecycle") as run:
            raise RuntimeError("boom")
    assert client.get_run(run.run_id).info.status == "FAILED"
    with pytest.raises(KeyboardInterrupt):
        with MlflowRun.start(store_uri, "lifecycle") as run:
            raise KeyboardInterrupt
    assert client.get_run(run.run_id).info.status == "KILLED"
    with MlflowRun.start(store_uri, "lifecycle") as run:
        pass
    assert client.get_run(run.run_id).info.status == "FINISHED"


def test_existing_experiment_is_reused_and_a_deleted_one_is_a_user_error(store_uri, client):
    a = MlflowRun.start(store_uri, "reuse")
    b = MlflowRun.start(store_uri, "reuse")
    assert client.get_run(a.run_id).info.experiment_id == client.get_run(b.run_id).info.experiment_id
    a.end(), b.end()
    client.delete_experiment(client.get_experiment_by_name("reuse").experiment_id)
    with pytest.raises(UserError, match="deleted experiment"):
        MlflowRun.start(store_uri, "reuse")


def test_a_figure_is_logged_as_png(store_uri, store_dir):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    with MlflowRun.start(store_uri, "lifecycle") as run:
        run.log_figure(fig, "figures/line.png")
    png = store_dir / "artifacts" / run.run_id / "artifacts" / "figures" / "line.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_store_uris_are_made_absolute_against_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert absolute_tracking_uri("sqlite:///mlruns/store.db") == f"sqlite:///{tmp_path}/mlruns/store.db"
    assert absolute_tracking_uri("sqlite:///a.db?timeout=5") == f"sqlite:///{tmp_path}/a.db?timeout=5"
    assert absolute_tracking_uri(f"sqlite:///{tmp_path}/s.db") == f"sqlite:///{tmp_path}/s.db"
    assert absolute_tracking_uri("mlruns") == (tmp_path / "mlruns").as_uri()
    assert absolute_tracking_uri("file:mlruns") == (tmp_path / "mlruns").as_uri()
    for unchanged in ("file:///data/mlruns", "http://localhost:5000", "postgresql://u@h/db", "databricks",
                      "sqlite:///:memory:"):
        assert absolute_tracking_uri(unchanged) == unchanged


def test_view_instructions_name_the_command_and_the_model_training_pages():
    lines = view_instructions("sqlite:////data/store.db", "3", "abc")
    assert lines[0] == "view it with: mlflow ui --backend-store-uri sqlite:////data/store.db --workers 1"
    assert lines[1] == "then open http://127.0.0.1:5000/#/experiments/3/runs/abc?workflowType=machine_learning"
    assert "http://127.0.0.1:5000/#/experiments/3?workflowType=machine_learning" in lines[2]
    assert '"Model training"' in lines[2]
    served = view_instructions("http://mlflow.example:8080/", "3", "abc")
    assert not any("mlflow ui" in line for line in served)
    assert served[0] == "open " + run_page("http://mlflow.example:8080", "3", "abc")
    assert run_page("http://h:1", "3") == "http://h:1/#/experiments/3?workflowType=machine_learning"
