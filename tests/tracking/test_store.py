"""tracking.store: URI checks, a tracking server that is not there, SQLite on a network file system,
the bounded retry on a locked store, and one-line errors for full and read-only disks."""

import errno
import http.server
import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from parametricSN.tracking import store
from parametricSN.tracking.mlflow_run import MlflowRun
from parametricSN.tracking.store import StoreError


def one_line(error) -> str:
    text = str(error.value if hasattr(error, "value") else error)
    assert "\n" not in text
    return text


def test_uri_kinds_and_one_line_errors_for_wrong_schemes(tmp_path):
    assert store.uri_kind("sqlite:///mlruns/store.db") == "sqlite"
    assert store.uri_kind("http://127.0.0.1:5000") == "server"
    assert store.uri_kind("https://mlflow.lab.org") == "server"
    assert store.uri_kind("postgresql+psycopg2://me@db:5432/mlflow") == "database"
    assert store.uri_kind(str(tmp_path)) == "files"
    assert store.uri_kind(tmp_path.as_uri()) == "files"
    for uri, says in [("sqllite:///s.db", "unknown scheme 'sqllite'"), ("sqlite://s.db", "three slashes"),
                      ("http://", "names no host"), ("ftp://host/x", "unknown scheme 'ftp'"), ("", "empty")]:
        with pytest.raises(StoreError, match=says) as error:
            store.uri_kind(uri)
        assert "sqlite:///" in one_line(error) or says in ("three slashes", "names no host")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Health(http.server.BaseHTTPRequestHandler):
    code = 200

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(self.code)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("code, says", [(200, None), (401, None), (404, "not an MLflow tracking server")])
def test_check_server_asks_health_and_explains(code, says):
    handler = type("Handler", (_Health,), {"code": code})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        uri = f"http://127.0.0.1:{server.server_port}"
        if says is None:
            store.check_server(uri)
        else:
            with pytest.raises(StoreError, match=says) as error:
                store.check_server(uri)
            one_line(error)
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_server_is_one_line_naming_the_fix():
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match="no MLflow tracking server answers there") as error:
        store.open_client(uri)
    assert "mlflow server --host 127.0.0.1 --port" in one_line(error)


MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
server:/export /shared nfs4 rw,vers=4.2 0 0
lfs@o2ib:/scratch /shared/scratch lustre rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""


def test_network_filesystem_is_found_by_the_longest_mount_point():
    assert store.network_filesystem(Path("/home/me/store.db"), MOUNTS) is None
    assert store.network_filesystem(Path("/shared/lab/store.db"), MOUNTS) == "nfs4"
    assert store.network_filesystem(Path("/shared/scratch/me/store.db"), MOUNTS) == "lustre"
    assert store.network_filesystem(Path("/sharedx/store.db"), MOUNTS) is None
    with pytest.warns(UserWarning, match=r"network file system \(nfs4\).*tracking server"):
        assert store.warn_if_network(Path("/shared/lab/x.db"), MOUNTS) == "nfs4"


def locked_error():
    from mlflow.exceptions import MlflowException

    try:
        raise sqlite3.OperationalError("database is locked")
    except sqlite3.OperationalError as cause:
        try:
            raise MlflowException("(sqlite3.OperationalError) database is locked") from cause
        except MlflowException as error:
            return error


def test_retry_waits_out_a_locked_store_and_gives_up_in_one_line():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise locked_error()
        return "written"

    pauses = []
    assert store.retry(flaky, "sqlite:///s.db", "logging metrics", sleep=pauses.append) == "written"
    assert pauses == [0.2, 0.4]

    def always():
        raise locked_error()

    with pytest.raises(StoreError, match="stayed locked by other processes") as error:
        store.retry(always, "sqlite:///s.db", "logging metrics", budget_s=0.3)
    assert "tracking server" in one_line(error)
    with pytest.raises(KeyError):  # not a store failure: unchanged
        store.retry(lambda: {}["x"], "sqlite:///s.db", "reading")


def test_store_errors_from_real_sqlite_and_disk_failures(tmp_path):
    db = tmp_path / "s.db"
    with sqlite3.connect(db) as connection:
        connection.execute("create table t (x text)")
    read_only = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        read_only.execute("insert into t values ('a')")
    read_only.close()
    error = store.store_error(raised.value, f"sqlite:///{db}", "logging metrics")
    assert "read-only" in one_line(error) and "writable folder" in str(error) and str(db) in str(error)

    full = sqlite3.connect(tmp_path / "full.db")
    full.execute("create table t (x text)")
    full.execute("pragma max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as raised:
        full.execute("insert into t values (?)", ("x" * 100_000,))
    full.close()
    error = store.store_error(raised.value, f"sqlite:///{tmp_path}/full.db", "logging metrics")
    assert "no space left" in one_line(error) and "free space" in str(error)

    disk = OSError(errno.ENOSPC, "No space left on device", "/data/artifacts/r/model.pt")
    error = store.store_error(disk, "sqlite:///s.db", "logging artifact model/")
    assert str(error).startswith("no space left on the disk holding /data/artifacts/r/model.pt while "
                                 "logging artifact model/")
    assert store.store_error(ValueError("other"), "sqlite:///s.db", "x") is None


def test_a_read_only_folder_and_a_missing_store_are_one_line(tmp_path, monkeypatch):
    with pytest.raises(StoreError, match="no MLflow store at"):
        store.open_client(f"sqlite:///{tmp_path}/none.db", create=False)
    assert not (tmp_path / "none.db").exists()

    def read_only_mkdir(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    with pytest.raises(StoreError, match="is read-only .* while creating the store's folder") as error:
        store.open_client(f"sqlite:///{tmp_path}/ro/store.db")
    assert "mlflow.tracking_uri" in one_line(error)


class FailingClient:
    """An MlflowClient whose writes fail as a full disk does; it records how runs were ended."""

    def __init__(self, fail_terminate=False):
        self.ended, self.fail_terminate = [], fail_terminate

    def log_batch(self, run_id, metrics=(), params=()):
        raise OSError(errno.ENOSPC, "No space left on device", "/full/store.db")

    def set_terminated(self, run_id, status):
        if self.fail_terminate:
            raise OSError(errno.ENOSPC, "No space left on device", "/full/store.db")
        self.ended.append(status)


def test_ending_a_run_on_a_full_store(recwarn):
    client = FailingClient()
    run = MlflowRun(client, "r1", "sqlite:///full/store.db")
    run.log_metrics({"loss": 1.0}, step=1)
    with pytest.raises(StoreError, match="no space left on the disk holding /full/store.db"):
        run.end("FINISHED")          # metrics not written: the run ends FAILED, and says why
    assert client.ended == ["FAILED"] and run.status == "FAILED"

    client = FailingClient(fail_terminate=True)
    run = MlflowRun(client, "r2", "sqlite:///full/store.db")
    run.log_metrics({"loss": 1.0}, step=1)
    run.end("FAILED")                # on the way out of another error: warns, never raises
    assert run.status == "FAILED"
    assert any("could not mark MLflow run r2 FAILED" in str(w.message) for w in recwarn)


def test_a_sweep_sent_to_slurm_with_a_sqlite_store_is_told_to_use_a_server():
    note = store.cluster_note("sqlite:////shared/mlruns/store.db")
    assert note.startswith("note: the runs go to SLURM but the store is a SQLite file") and "http://HOST:PORT" in note
    assert store.cluster_note("http://tracking.lab:5000") is None
