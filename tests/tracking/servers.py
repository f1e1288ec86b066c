"""Real services for the tracking tests: an ``mlflow server`` on 127.0.0.1 and a PostgreSQL cluster
in a temporary folder, each started on a free port and stopped (and its files removed) afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SERVER_START_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def mlflow_server(backend_store_uri: str, folder: Path):
    """``mlflow server`` with its artifacts served by itself (``--artifacts-destination`` in
    ``folder``); yields its address ``http://127.0.0.1:PORT``."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(folder / "server.log", "wb")
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri,
               "--serve-artifacts", "--artifacts-destination", str(folder / "served-artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(folder / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(uri + "/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mlflow server did not answer in {SERVER_START_S:.0f} s")
                time.sleep(0.3)
        yield uri
    finally:
        _stop(process)
        log.close()


# ---------------------------------------------------------------------------------- PostgreSQL

def postgres_binary(name: str) -> str | None:
    """``initdb`` / ``pg_ctl`` on PATH, or in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be started here, or None when it can."""
    for name in ("initdb", "pg_ctl", "postgres"):
        if postgres_binary(name) is None:
            return f"PostgreSQL's {name} is not installed (apt-get install postgresql; .ci/run does)"
    try:
        import psycopg  # noqa: F401 - SQLAlchemy's driver for postgresql:// URIs
    except ImportError:
        return "the psycopg driver is missing (pip install -r dependencies/requirements-test.txt)"
    if os.geteuid() == 0 and _service_user() is None:
        return "running as root and no 'postgres' or 'nobody' user to run PostgreSQL as (initdb refuses root)"
    return None


def _service_user() -> str | None:
    """Who runs PostgreSQL when we are root (initdb refuses root): 'postgres', else 'nobody'."""
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def _as_service_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    user = _service_user()
    if runuser:
        return [runuser, "-u", user, "--", *command]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(command)]


@contextlib.contextmanager
def postgres_database(name: str = "mlflow"):
    """A PostgreSQL cluster in a fresh folder under the system's temp dir (owned by the service
    user when we are root), listening on 127.0.0.1 at a free port with its socket in that folder;
    yields the SQLAlchemy URI ``postgresql://mlflow@127.0.0.1:PORT/<name>``."""
    import pwd

    import psycopg

    root = Path(tempfile.mkdtemp(prefix="psn-postgres-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(_service_user())
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", free_port()
    pg_ctl = postgres_binary("pg_ctl")
    run = lambda *args: subprocess.run(_as_service_user([str(a) for a in args]), check=True,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    try:
        run(postgres_binary("initdb"), "-D", data, "-U", "mlflow", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(pg_ctl, "-D", data, "-l", root / "postgres.log", "-w", "-t", "60", "start", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off")
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user="mlflow", dbname="postgres",
                                 autocommit=True) as connection:
                connection.execute(f"CREATE DATABASE {name}")
            yield f"postgresql://mlflow@127.0.0.1:{port}/{name}"
        finally:
            subprocess.run(_as_service_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)
