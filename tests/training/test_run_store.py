"""A training run and its store: a full disk while logging artifacts ends the run FAILED with its
metrics kept and one line saying why; a tracking server that is not there, or a wrong URI scheme,
stops the run before any work; the run's thread count follows the environment's allocation."""

import errno
import socket

import pytest
import torch
import yaml

from parametricSN.errors import UserError
from parametricSN.run import run_training
from parametricSN.tracking.store import StoreError


@pytest.fixture
def torch_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_full_disk_while_logging_artifacts_fails_the_run_and_keeps_its_metrics(
        tiny_cfg, client, monkeypatch, torch_threads):
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    def full(self, local_file, artifact_path=None):
        raise OSError(errno.ENOSPC, "No space left on device", f"{self.artifact_dir}/x")

    monkeypatch.setattr(LocalArtifactRepository, "log_artifact", full)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cfg = tiny_cfg(mlflow={"experiment_name": "full-disk"})
    with pytest.raises(StoreError) as error:
        run_training(cfg, progress=False, figures=False)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("no space left on the disk holding ") and "trajectory/trajectory.npz" in message
    assert "free space there" in message

    (run,) = client.search_runs([client.get_experiment_by_name("full-disk").experiment_id])
    assert run.info.status == "FAILED"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [1, 2]
    assert "final_test_acc" in run.data.metrics and "test_acc" in run.data.metrics
    assert run.data.tags["parametricSN.torch_threads"] == "1"
    assert run.data.tags["parametricSN.torch_threads_from"] == "OMP_NUM_THREADS"


def test_general_cores_wins_over_the_environment(tiny_cfg, client, monkeypatch, torch_threads):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    result = run_training(tiny_cfg(general={"cores": 1}, model={"epoch": 1}), progress=False, figures=False)
    tags = client.get_run(result.run_id).data.tags
    assert (tags["parametricSN.torch_threads"], tags["parametricSN.torch_threads_from"]) == ("1", "general.cores")


def test_an_absent_server_stops_the_run_before_any_work(tiny_cfg, monkeypatch):
    import parametricSN.data

    def no_data(cfg):
        raise AssertionError("data were built before the store was checked")

    monkeypatch.setattr(parametricSN.data, "build_data", no_data)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}: no MLflow tracking server answers there"):
        run_training(tiny_cfg(mlflow={"tracking_uri": f"http://127.0.0.1:{port}"}), progress=False)


def test_cli_wrong_scheme_is_one_line_exit_2(tiny_cfg, tmp_path, capsys):
    from parametricSN.__main__ import main

    (tmp_path / "tiny.yml").write_text(yaml.safe_dump(tiny_cfg()))
    code = main(["train", "--config", str(tmp_path / "tiny.yml"), "--no-progress", "--no-figures",
                 "mlflow.tracking_uri=sqllite:///x.db"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: mlflow.tracking_uri 'sqllite:///x.db': unknown scheme 'sqllite'; use sqlite:///")
    assert "\n" not in err
    assert issubclass(StoreError, UserError)
