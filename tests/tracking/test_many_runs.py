"""Many runs, one store: training processes released at the same instant (a barrier after their
imports) on a fresh SQLite store and on a real ``mlflow server`` all end FINISHED with every metric,
artifacts served through the server; the same against a server backed by a real PostgreSQL, where
a sweep, resume, summarize and a saved model's download also go through the server."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .servers import mlflow_server, postgres_database, postgres_missing

EPOCHS = 2
TINY = {
    "general": {"seed": 0, "device": "cpu", "cores": 1},
    "mlflow": {"experiment_name": "many"},
    "dataset": {"name": "digits", "train_sample_num": 20, "test_sample_num": 20, "train_batch_size": 10,
                "test_batch_size": 20, "augment": "noaugment"},
    "scattering": {"J": 1, "L": 2},
    "model": {"name": "linear_layer", "epoch": EPOCHS, "step_test": 1},
}
METRICS = {"train_loss", "train_acc", "test_loss", "test_acc", "final_test_acc", "param_distance",
           "param_distance_tight_frame", "setup_s", "train_s", "test_s", "duration_s", "artifacts_s"}

# Each process imports everything, then waits until all have (a file per process in a folder),
# so that they open the store at the same instant; then runs `python -m parametricSN ARGS`.
LAUNCHER = """
import os, runpy, sys, time
import mlflow.tracking, parametricSN.run, parametricSN.data
folder, count = sys.argv[1], int(sys.argv[2])
open(os.path.join(folder, str(os.getpid())), "w").close()
deadline = time.monotonic() + 300
while len(os.listdir(folder)) < count and time.monotonic() < deadline:
    time.sleep(0.005)
sys.argv = ["parametricSN", *sys.argv[3:]]
runpy.run_module("parametricSN", run_name="__main__")
"""


def start_together(tmp_path: Path, argvs: list[list[str]]) -> list[subprocess.Popen]:
    (tmp_path / "tiny.yml").write_text(yaml.safe_dump(TINY))
    barrier = tmp_path / "ready"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    env.pop("OMP_NUM_THREADS", None)
    return [subprocess.Popen([sys.executable, "-c", LAUNCHER, str(barrier), str(len(argvs)), "train",
                              "--config", "tiny.yml", "--no-progress", "--no-figures", *argv],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for argv in argvs]


def wait_all(processes) -> None:
    results = [(p.wait(timeout=400), *p.communicate()) for p in processes]
    failed = [f"exit {code}: {err[-2500:]}" for code, _, err in results if code != 0]
    assert not failed, "\n\n".join(failed)


def check_runs(uri: str, seeds, saved: bool = False) -> list:
    """The experiment's runs: one FINISHED per seed, every metric, all epochs, the trajectory."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("many").experiment_id])
    assert sorted(int(run.data.params["general.seed"]) for run in runs) == sorted(seeds)
    for run in runs:
        assert run.info.status == "FINISHED"
        assert METRICS <= set(run.data.metrics), METRICS - set(run.data.metrics)
        assert len(client.get_metric_history(run.info.run_id, "train_loss")) == EPOCHS
        assert [a.path for a in client.list_artifacts(run.info.run_id, "trajectory")] == ["trajectory/trajectory.npz"]
        assert run.data.tags["parametricSN.torch_threads"] == "1"
    return runs


def test_eight_processes_at_once_on_a_new_sqlite_store_and_on_a_server(tmp_path):
    with mlflow_server(f"sqlite:///{tmp_path}/server/backend.db", tmp_path / "server") as server:
        sqlite = f"sqlite:///{tmp_path}/fresh/store.db"
        assert not (tmp_path / "fresh").exists()
        argvs = [[f"mlflow.tracking_uri={uri}", f"general.seed={seed}"]
                 for uri in (sqlite, server) for seed in (1, 2, 3, 4)]
        argvs[-1].append("model.save=true")
        wait_all(start_together(tmp_path, argvs))

        check_runs(sqlite, (1, 2, 3, 4))
        served = check_runs(server, (1, 2, 3, 4))
        assert all(run.info.artifact_uri.startswith("mlflow-artifacts:") for run in served)
        stored = list((tmp_path / "server" / "served-artifacts").rglob("trajectory.npz"))
        assert len(stored) == 4   # the server wrote them, in its own folder

        # the analyses read the server too: summarize, and a saved model downloaded through it
        from parametricSN.analysis.model_source import resolve_model
        from parametricSN.analysis.summarize import load_records

        assert len(load_records(server, "many")) == 4
        (saved,) = [run for run in served if run.data.params.get("model.save") == "True"]
        loaded = resolve_model(saved.info.run_id, server)
        assert loaded.run_id == saved.info.run_id and loaded.info["epochs"] == EPOCHS


@pytest.mark.skipif(postgres_missing() is not None, reason=str(postgres_missing()))
def test_a_postgresql_backed_server_takes_parallel_runs_and_a_resumed_sweep(tmp_path):
    from parametricSN.experiments import Sweep, run_sweep

    with postgres_database() as database, mlflow_server(database, tmp_path / "server") as server:
        wait_all(start_together(tmp_path, [[f"mlflow.tracking_uri={server}", f"general.seed={seed}"]
                                           for seed in (1, 2)]))
        check_runs(server, (1, 2))

        sweep = Sweep("many", {key: dict(value) for key, value in TINY.items()}, seeds=(2, 3), variants=())
        argv = ["--tracking-uri", server, "--set", "model.epoch=2"]
        out = io.StringIO()
        assert run_sweep(sweep, argv, out=out) == 0, out.getvalue()
        assert "summary: 1 finished, 0 failed, 1 skipped (2 runs)" in out.getvalue()  # seed 2 ran above
        check_runs(server, (1, 2, 3))
