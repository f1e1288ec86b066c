"""A sqlite MLflow store shared by the tracking tests of one session (creating one costs seconds),
and one real tiny digits training run made through the command line."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture(scope="session")
def store_uri(store_dir):
    return f"sqlite:///{store_dir}/store.db"


@pytest.fixture
def client(store_uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=store_uri)


REPO = Path(__file__).resolve().parents[2]

TINY_DIGITS = {
    "general": {"seed": 0, "device": "cpu"},
    "mlflow": {"tracking_uri": "sqlite:///mlruns/store.db", "experiment_name": "provenance"},
    "dataset": {"name": "digits", "train_sample_num": 20, "test_sample_num": 20, "train_batch_size": 10,
                "test_batch_size": 20, "augment": "noaugment"},
    "scattering": {"J": 1, "L": 2},
    "model": {"name": "linear_layer", "epoch": 2, "step_test": 1},
}


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory):
    """A real ``python -m parametricSN train`` of a tiny digits config (figures on), run in a
    scratch folder that is not a git checkout, with the store given relative to it.

    Returns a dict: workdir (Path), config (the YAML's dict), argv (the command's arguments),
    tracking_uri (the store's absolute URI), run_id, stdout.
    """
    import os
    import subprocess
    import sys

    import yaml
    from mlflow.tracking import MlflowClient

    workdir = tmp_path_factory.mktemp("digits-run")
    (workdir / "tiny.yml").write_text(yaml.safe_dump(TINY_DIGITS))
    argv = ["train", "--config", "tiny.yml", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "parametricSN", *argv], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    tracking_uri = f"sqlite:///{workdir}/mlruns/store.db"
    client = MlflowClient(tracking_uri=tracking_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("provenance").experiment_id])
    return {"workdir": workdir, "config": TINY_DIGITS, "argv": argv, "tracking_uri": tracking_uri,
            "run_id": run.info.run_id, "stdout": done.stdout}
