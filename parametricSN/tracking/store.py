"""Opening an MLflow store that many processes use at once, and turning its failures into one line.

Every part of parametricSN that reads or writes runs gets its ``MlflowClient`` from
:func:`open_client`, which

- checks the URI's scheme (``sqlite:///PATH``, ``http(s)://HOST:PORT``, a database URI such as
  ``postgresql://…``, ``file:`` or a folder) and, for a tracking server, that one answers
  (:func:`check_server`: its ``/health`` page, a few seconds at most);
- for a SQLite file, creates its folder, warns when the file sits on a network file system
  (:func:`network_filesystem`), and opens the store while holding ``<store>.db.lock``
  (``filelock``): MLflow creates and migrates a new database's schema when the first client opens
  it, and two processes doing that at once break each other (alembic "expected to match one row",
  "duplicate column name"). Under the lock the first process builds the schema and the others
  find it done.

Later writes go through :func:`retry`: SQLite lets one writer at a time, MLflow waits up to 20 s
for it (``PRAGMA busy_timeout``), and a write that still finds the file locked is retried with a
growing pause for up to ``LOCK_RETRY_S`` seconds before a :class:`StoreError` says so in one line.
:func:`store_error` turns the other failures (full disk, read-only disk, a server gone away)
into one line naming the cause and the fix.

The bottom of ``tracking``: it imports nothing from the rest of parametricSN but ``errors``
(:mod:`parametricSN.tracking.mlflow_run` builds runs on it, never the other way round).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

from parametricSN.errors import UserError

LOCK_TIMEOUT_S = 600.0     # waiting for another process to finish creating/migrating a store
LOCK_RETRY_S = 120.0       # retrying writes that find a SQLite store locked (on top of MLflow's 20 s)
SERVER_TIMEOUT_S = 5.0     # a tracking server's /health page must answer within this
DATABASE_SCHEMES = ("postgresql", "mysql", "mssql")   # MLflow talks to these databases directly
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "lustre", "gpfs",
                       "beegfs", "ceph", "glusterfs", "fuse.glusterfs", "fuse.sshfs", "fuse.s3fs",
                       "afs", "panfs", "wekafs")
MANY_RUNS = 'README "Many runs"'
_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


class StoreError(UserError):
    """The MLflow store cannot be used: one line naming the cause and the fix."""


# ------------------------------------------------------------------------------------ the URI

DEFAULT_TRACKING_URI = "sqlite:///mlruns/store.db"  # the config's mlflow.tracking_uri default


def default_tracking_uri() -> str:
    """$MLFLOW_TRACKING_URI if set, else the project's default store (sqlite:///mlruns/store.db)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def sqlite_path(tracking_uri: str) -> Optional[Path]:
    """The database file of a ``sqlite:///…`` URI (relative to the cwd unless absolute), else None."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix) or tracking_uri.endswith(":memory:"):
        return None
    return Path(tracking_uri[len(prefix):].split("?", 1)[0])


def uri_kind(tracking_uri: str) -> str:
    """"sqlite", "server" (http/https), "database" (postgresql/mysql/mssql), "files" (``file:``
    or a plain folder) or "databricks"; StoreError for anything else, naming what is allowed."""
    uri = str(tracking_uri or "").strip()
    allowed = ("use sqlite:///PATH/store.db, http://HOST:PORT (an MLflow tracking server), "
               "postgresql://USER@HOST:PORT/DB or a folder path")
    if not uri:
        raise StoreError(f"mlflow.tracking_uri is empty; {allowed}")
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):", uri)
    if match is None or len(match.group(1)) == 1:   # no scheme (or a Windows drive letter): a folder
        return "files"
    scheme = match.group(1).lower()
    base = scheme.split("+", 1)[0]
    if scheme == "sqlite":
        if not uri.startswith("sqlite:///") or uri.rstrip("/") == "sqlite:":
            raise StoreError(f"mlflow.tracking_uri {uri!r}: a SQLite store is sqlite:/// followed by a "
                             f"file path (three slashes, four for an absolute path: sqlite:////abs/store.db)")
        return "sqlite"
    if scheme in ("http", "https"):
        if not re.match(r"^https?://[^/:]+", uri):
            raise StoreError(f"mlflow.tracking_uri {uri!r} names no host; write http://HOST:PORT")
        return "server"
    if base in DATABASE_SCHEMES:
        return "database"
    if scheme == "file":
        return "files"
    if scheme.startswith("databricks") or scheme == "uc":
        return "databricks"
    raise StoreError(f"mlflow.tracking_uri {uri!r}: unknown scheme {scheme!r}; {allowed}")


def check_server(tracking_uri: str, timeout: float = SERVER_TIMEOUT_S) -> None:
    """StoreError unless an MLflow tracking server answers its ``/health`` page at ``tracking_uri``
    (an answer that asks for credentials counts as one: the server is there)."""
    url = tracking_uri.rstrip("/") + "/health"
    start = f"mlflow server --host {_host_port(tracking_uri)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return
        raise StoreError(f"mlflow.tracking_uri {tracking_uri}: the server there answered HTTP {error.code} "
                         f"on /health, so it is not an MLflow tracking server; give the address that "
                         f"`mlflow server` prints") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise StoreError(f"mlflow.tracking_uri {tracking_uri}: no MLflow tracking server answers there "
                         f"({reason}); start one ({start} …, see {MANY_RUNS}) or correct the "
                         f"address") from None


def _host_port(tracking_uri: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(tracking_uri)
    return f"{parts.hostname} --port {parts.port or (443 if parts.scheme == 'https' else 80)}"


# ------------------------------------------------------------------------------------ the file

def network_filesystem(path: Path, mounts: Optional[str] = None) -> Optional[str]:
    """The type of the network file system holding ``path`` ("nfs4", "lustre" …), or None when it
    is local or unknown. ``mounts``: the text of /proc/self/mounts (read when None; Linux only)."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text()
        except OSError:
            return None
    target = str(Path(path).resolve())
    best, best_type = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, fields[2]
    if best_type is None:
        return None
    kind = best_type.lower()
    return kind if kind in NETWORK_FILESYSTEMS or kind.startswith("nfs") else None


_WARNED: set = set()


def warn_if_network(db: Path, mounts: Optional[str] = None) -> Optional[str]:
    """Warn (once per file and process) when the SQLite store ``db`` sits on a network file system."""
    kind = network_filesystem(db.parent if not db.exists() else db, mounts)
    if kind and str(db) not in _WARNED:
        _WARNED.add(str(db))
        warnings.warn(f"the SQLite store {db} is on a network file system ({kind}): SQLite's locks are not "
                      f"reliable there and runs from several machines can corrupt it; use a tracking "
                      f"server instead (mlflow.tracking_uri=http://HOST:PORT, see {MANY_RUNS})", stacklevel=3)
    return kind


@contextlib.contextmanager
def store_lock(db: Path, *, may_skip: bool = False):
    """Hold ``<db>.lock`` (a cross-process file lock) while the block runs.

    ``may_skip``: when the lock file cannot be written (a read-only folder) but the database exists,
    go on without the lock — nobody can be creating a store there.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(f"{db}.lock", timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(f"waited {LOCK_TIMEOUT_S:.0f} s for {db}.lock, held by another process opening "
                         f"the store; if no run is starting, delete that file") from None
    except OSError as error:
        if may_skip and db.is_file() and error.errno in _READ_ONLY:
            yield
            return
        raise _os_error(error, db.parent, "creating the store's lock file") from None
    try:
        yield
    finally:
        lock.release()


def _prepare_folder(db: Path) -> None:
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _os_error(error, db.parent, "creating the store's folder") from None


# ------------------------------------------------------------------------------------ opening

def check_store(tracking_uri: str) -> str:
    """What can be checked before a run does any work: the scheme, and that a tracking server
    answers. Returns :func:`uri_kind`'s answer; raises StoreError."""
    kind = uri_kind(tracking_uri)
    if kind == "server":
        check_server(tracking_uri)
    return kind


def cluster_note(tracking_uri: str) -> Optional[str]:
    """A line for a sweep sent to a cluster (SLURM) whose store is a SQLite file, else None: the
    jobs run on other machines and reach the file over a shared (network) file system."""
    if uri_kind(tracking_uri) != "sqlite":
        return None
    return (f"note: the runs go to SLURM but the store is a SQLite file ({tracking_uri}); on a shared file "
            f"system SQLite's locks are unreliable: prefer a tracking server, --tracking-uri "
            f"http://HOST:PORT ({MANY_RUNS})")


def open_client(tracking_uri: str, *, create: bool = True):
    """An ``MlflowClient`` on ``tracking_uri`` whose store is open and at the current schema.

    A SQLite store is opened under its file lock (see the module docstring); with ``create=False``
    a missing database file is not created (StoreError instead). Raises StoreError, one line.
    """
    from mlflow.tracking import MlflowClient

    kind = check_store(tracking_uri)
    db = sqlite_path(tracking_uri) if kind == "sqlite" else None
    if db is None:   # not SQLite (or sqlite:///:memory:); a database is opened (and migrated) here
        return retry(lambda: MlflowClient(tracking_uri=tracking_uri), tracking_uri, "opening the store")
    db = db.expanduser().resolve()
    if not create and not db.is_file():
        raise StoreError(f"no MLflow store at {db}; pass --tracking-uri sqlite:///PATH/TO/store.db")
    _prepare_folder(db)
    warn_if_network(db)
    with store_lock(db, may_skip=not create):
        # MlflowClient opens the store at once: a new database gets its schema here, under the
        # lock (MLflow keeps the open store for the rest of the process).
        client = retry(lambda: MlflowClient(tracking_uri=tracking_uri), tracking_uri, "opening the store")
    return client


# ------------------------------------------------------------------------------------ failures

def _messages(error: BaseException) -> str:
    """The text of ``error`` and of the errors it was raised from (MLflow wraps sqlite's)."""
    seen, parts = set(), []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        parts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return " | ".join(parts).lower()


def _os_cause(error: BaseException) -> Optional[OSError]:
    """The first OSError with an errno in ``error``'s chain (MLflow wraps some)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno:
            return error
        error = error.__cause__ or error.__context__
    return None


def is_locked(error: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database table is locked" (worth retrying)."""
    text = _messages(error)
    return "database is locked" in text or "database table is locked" in text


def _where(path: Any) -> str:
    return str(path) if path else "the store"


def _os_error(error: OSError, path: Any, what: str) -> StoreError:
    if error.errno in _FULL:
        return StoreError(f"no space left on the disk holding {_where(path)} while {what}; free space "
                          f"there or point mlflow.tracking_uri at a store on another disk")
    if error.errno in _READ_ONLY:
        return StoreError(f"{_where(path)} is read-only ({os.strerror(error.errno)}) while {what}; point "
                          f"mlflow.tracking_uri at a writable folder, e.g. sqlite:///$HOME/mlruns/store.db")
    return StoreError(f"{type(error).__name__} while {what} at {_where(path)}: {' '.join(str(error).split())}")


def store_error(error: BaseException, tracking_uri: str, what: str, path: Any = None) -> Optional[StoreError]:
    """A one-line StoreError for a failure of the store (full or read-only disk, a tracking server
    that stopped answering, a store that stayed locked), or None for any other error."""
    if isinstance(error, StoreError):
        return error
    cause = _os_cause(error)
    code = cause.errno if cause is not None else None
    filename = cause.filename if cause is not None and isinstance(cause.filename, str) else None
    where = path or filename or sqlite_path(tracking_uri) or tracking_uri
    text = _messages(error)
    if code in _FULL or "no space left" in text or "database or disk is full" in text:
        return _os_error(OSError(errno.ENOSPC, "full"), where, what)
    if code in _READ_ONLY or "readonly database" in text or "read-only file system" in text:
        return _os_error(OSError(errno.EROFS, "read-only"), where, what)
    if is_locked(error):
        return StoreError(f"the SQLite store {where} stayed locked by other processes for over "
                          f"{LOCK_RETRY_S:.0f} s while {what}; run fewer processes on one SQLite file or "
                          f"use a tracking server ({MANY_RUNS})")
    if "out-of-date database schema" in text:
        return StoreError(f"the MLflow store {tracking_uri} was written by an older MLflow; upgrade its schema "
                          f"once (back it up, then: mlflow db upgrade {tracking_uri}) or use another store")
    connection = ("connection refused", "max retries exceeded", "failed to establish a new connection",
                  "connectionerror", "remote end closed connection", "could not connect to server",
                  "connection timed out", "name or service not known")
    if any(marker in text for marker in connection):
        return StoreError(f"lost the MLflow store {tracking_uri} while {what} (it does not answer); "
                          f"restart the tracking server or database and rerun")
    return None


def retry(call: Callable[[], Any], tracking_uri: str, what: str, *, budget_s: float = LOCK_RETRY_S,
          sleep: Callable[[float], None] = time.sleep) -> Any:
    """``call()``, retried with growing pauses (0.2 s doubling, at most 5 s) while it fails because
    a SQLite store is locked, for at most ``budget_s`` seconds. Store failures become StoreError
    (see :func:`store_error`); other errors propagate unchanged."""
    deadline = time.monotonic() + budget_s
    pause = 0.2
    while True:
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - classified below, re-raised otherwise
            if is_locked(error) and time.monotonic() + pause < deadline:
                sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            converted = store_error(error, tracking_uri, what)
            if converted is None:
                raise
            raise converted from None
