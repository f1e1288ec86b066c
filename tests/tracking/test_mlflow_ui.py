"""What a researcher sees: ``mlflow ui`` started on a real run's store (the command the end-of-run
message prints) serves the page, and through its REST API the run, its params, metric histories,
provenance tags and artifacts (the PNG the run page shows)."""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mlflow.server") is None or importlib.util.find_spec("uvicorn") is None,
    reason="the mlflow ui server is not installed (mlflow-skinny has none): pip install mlflow")

STARTUP_S = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(base: str, route: str, **query) -> bytes:
    url = f"{base}{route}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _json(base: str, route: str, **query) -> dict:
    return json.loads(_get(base, route, **query))


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group (uvicorn workers included), SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def ui(digits_run, tmp_path_factory):
    """Base URL of ``mlflow ui --backend-store-uri <the run's store> --workers 1`` on a free port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("mlflow-ui") / "server.log"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true"}
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", digits_run["tracking_uri"],
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=digits_run["workdir"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if _get(base, "/health").strip() == b"OK":
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow ui did not answer on {base}: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        _stop(server)


def test_the_ui_page_is_served(ui):
    html = _get(ui, "/").decode()
    assert "<html" in html.lower() and "static-files" in html


def test_the_run_its_params_and_provenance_tags_are_served(ui, digits_run):
    run = _json(ui, "/api/2.0/mlflow/runs/get", run_id=digits_run["run_id"])["run"]
    assert run["info"]["status"] == "FINISHED"
    experiment = _json(ui, "/api/2.0/mlflow/experiments/get", experiment_id=run["info"]["experiment_id"])
    assert experiment["experiment"]["name"] == "provenance"
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["dataset.name"] == "digits" and params["scattering.L"] == "2"
    assert params["mlflow.tracking_uri"] == digits_run["tracking_uri"]
    assert "None" not in params.values()
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.source.name"] == "python -m parametricSN train"
    assert tags["mlflow.user"] and tags["device"] == "cpu" and len(tags["data.fingerprint"]) == 16
    assert {"version.torch", "version.mlflow", "data.train_fingerprint", "config_hash"} <= set(tags)
    metrics = {m["key"] for m in run["data"]["metrics"]}
    assert {"final_test_acc", "train_s", "test_s", "artifacts_s", "duration_s"} <= metrics


def test_metric_histories_are_served_per_epoch(ui, digits_run):
    history = _json(ui, "/api/2.0/mlflow/metrics/get-history", run_id=digits_run["run_id"],
                    metric_key="test_acc")["metrics"]
    assert sorted(m["step"] for m in history) == [1, 2]
    assert all(0.0 <= m["value"] <= 100.0 for m in history)


def test_artifacts_are_listed_and_the_figures_served(ui, digits_run):
    listed = _json(ui, "/api/2.0/mlflow/artifacts/list", run_id=digits_run["run_id"])
    assert {"figures", "filters", "trajectory"} <= {f["path"] for f in listed["files"]}
    figures = _json(ui, "/api/2.0/mlflow/artifacts/list", run_id=digits_run["run_id"], path="figures")
    assert "figures/learning_curves.png" in {f["path"] for f in figures["files"]}
    png = _get(ui, "/get-artifact", path="figures/learning_curves.png", run_uuid=digits_run["run_id"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
