"""Where a run came from: code, user, environment and data, as MLflow run tags (architecture §5).

Pure functions; nothing here talks to MLflow. :func:`provenance_tags` gathers everything a
training run is tagged with at its start:

- MLflow's own system tags: ``mlflow.source.name`` (``python -m parametricSN train`` or the
  absolute path of the script), ``mlflow.source.type`` (``LOCAL``), ``mlflow.user``, and, when the
  parametricSN package sits in a git checkout, ``mlflow.source.git.commit`` / ``.branch`` /
  ``.repoURL`` of THAT checkout (not of the current directory);
- ``parametricSN.git_dirty`` ("true" when tracked files differ from the commit),
  ``parametricSN.command`` (the whole command line), ``parametricSN.cwd``, ``parametricSN.host``,
  ``parametricSN.platform``, ``parametricSN.torch_threads``;
- ``version.<package>`` for python, parametricSN, torch, torchvision, numpy, mlflow (and
  ``version.cuda`` / ``version.cudnn`` on a CUDA device); ``device`` (e.g. ``cpu`` or
  ``cuda:0 (NVIDIA H200)``);
- ``data.*`` fingerprints from :func:`data_fingerprint`.

Git is asked through the ``git`` program with a short timeout; without git, outside a checkout or
when git refuses (e.g. an unsafe directory), the git tags are simply absent.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import importlib
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import torch

GIT_TIMEOUT_S = 3.0
FINGERPRINT_BYTES = 8  # 16 hex digits
VERSIONED_PACKAGES = ("parametricSN", "torch", "torchvision", "numpy", "mlflow")
MAX_TAG_LENGTH = 5000  # MLflow accepts 8000 characters per tag value


# ---------------------------------------------------------------------------------- fingerprints

def _as_numpy(value: Any) -> tuple[str, tuple[int, ...], np.ndarray]:
    """(dtype name, shape, contiguous native-endian 1-D uint8 view of the bytes) of one array."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        dtype = str(tensor.dtype).removeprefix("torch.")
        return dtype, tuple(tensor.shape), tensor.reshape(-1).view(torch.uint8).numpy()
    array = np.asarray(value)
    if array.dtype.hasobject:
        raise TypeError(f"tensor_fingerprint: cannot hash an array of Python objects ({type(value).__name__})")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    array = np.ascontiguousarray(array)
    return array.dtype.name, tuple(array.shape), array.reshape(-1).view(np.uint8)


def tensor_fingerprint(*arrays: Any) -> str:
    """A 16-hex-digit digest (blake2b, 64 bits) of the arguments' dtypes, shapes and bytes, in order.

    Each argument is a torch tensor (any device, any layout), a numpy array, anything
    ``np.asarray`` takes, or None (hashed as a marker, so ``(a, None)`` differs from ``(a,)``).
    Equal content gives the same digest in every process, and a torch tensor the same digest as
    the numpy array with its values (dtype names are compared without the ``torch.`` prefix).
    Raises TypeError for arrays of Python objects. About 1 GB/s: 30 MB of uint8 in tens of ms.
    """
    digest = hashlib.blake2b(digest_size=FINGERPRINT_BYTES)
    for value in arrays:
        if value is None:
            digest.update(b"none;")
            continue
        dtype, shape, data = _as_numpy(value)
        digest.update(f"{dtype}{list(shape)};".encode("ascii"))
        digest.update(memoryview(data))
    return digest.hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """A 16-hex-digit digest (blake2b, 64 bits) of a file's bytes: equal for copies and renamed
    files, different once the file is re-encoded."""
    digest = hashlib.blake2b(digest_size=FINGERPRINT_BYTES)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(2 ** 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _field_names(bundle, suffix: str) -> list[str]:
    """The bundle's attribute names ending in ``suffix``, in a fixed order (train, test, others)."""
    names = ([f.name for f in dataclasses.fields(bundle)] if dataclasses.is_dataclass(bundle)
             else list(vars(bundle)))
    found = [name for name in names if name.endswith(suffix)]
    return sorted(set(found), key=lambda n: (not n.startswith("train"), not n.startswith("test"), n))


def data_fingerprint(bundle) -> dict[str, str]:
    """Tags fingerprinting the data a run trains and tests on (see :func:`tensor_fingerprint`).

    Returns ``data.<split>_fingerprint`` for every ``<split>_images`` the bundle holds (hashed with
    its ``<split>_targets``: train, test — whatever the bundle's evaluation split put there — and
    any other split), ``data.<name>_fingerprint`` for every ``<name>_indices`` (e.g. the selected
    subset's ``train_indices``), and ``data.fingerprint`` over all of them. Two runs on the same
    subset of the same data carry the same values; parts that are None are left out.
    """
    tags: dict[str, str] = {}
    for name in _field_names(bundle, "_images"):
        split, images = name[: -len("_images")], getattr(bundle, name, None)
        if images is not None:
            tags[f"data.{split}_fingerprint"] = tensor_fingerprint(images, getattr(bundle, f"{split}_targets", None))
    for name in _field_names(bundle, "_indices"):
        indices = getattr(bundle, name, None)
        if indices is not None:
            tags[f"data.{name}_fingerprint"] = tensor_fingerprint(np.asarray(indices, dtype=np.int64))
    combined = ";".join(f"{key}={value}" for key, value in sorted(tags.items()))
    tags["data.fingerprint"] = hashlib.blake2b(combined.encode("ascii"), digest_size=FINGERPRINT_BYTES).hexdigest()
    return tags


# ---------------------------------------------------------------------------------- git

def _git(root: Path, *args: str) -> str | None:
    """stdout of ``git -C root ARGS`` (stripped), or None if git is missing, fails or times out."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}  # never take index.lock
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _without_credentials(url: str) -> str:
    """``https://user:token@host/x`` → ``https://host/x``; other forms unchanged."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def package_root() -> Path:
    """The folder that holds the ``parametricSN`` package (the repository root of a checkout)."""
    return Path(__file__).resolve().parents[2]


def git_info(root: str | Path | None = None) -> dict[str, str]:
    """MLflow git tags of the checkout at ``root`` (default: :func:`package_root`).

    Returns ``mlflow.source.git.commit``, ``parametricSN.git_dirty`` ("true"/"false": tracked
    files differ from the commit; untracked files do not count), ``mlflow.source.git.branch``
    (absent on a detached HEAD) and ``mlflow.source.git.repoURL`` (remote ``origin``, without
    credentials; absent if none). Empty when ``root`` is not the top of a git checkout (e.g. the
    package was installed into site-packages) or git is unavailable.
    """
    root = Path(root) if root is not None else package_root()
    out = _git(root, "rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD")
    lines = out.splitlines() if out else []
    if len(lines) != 3 or Path(lines[0]).resolve() != root.resolve():
        return {}
    _, commit, branch = lines
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    tags = {"mlflow.source.git.commit": commit}
    if status is not None:
        tags["parametricSN.git_dirty"] = "true" if status else "false"
    if branch != "HEAD":
        tags["mlflow.source.git.branch"] = branch
    remote = _git(root, "config", "--get", "remote.origin.url")
    if remote:
        tags["mlflow.source.git.repoURL"] = _without_credentials(remote)
    return tags


# ---------------------------------------------------------------------------------- command, user

def _argv() -> list[str]:
    """This process's command line as typed, starting with "python".

    ``python -m pkg args`` is recovered from ``sys.orig_argv``; where that does not end with this
    process's arguments (e.g. a multiprocessing worker), ``sys.argv`` is used, with a
    ``pkg/__main__.py`` shown as ``-m pkg``.
    """
    args, original = list(sys.argv[1:]), list(getattr(sys, "orig_argv", []) or [])
    cut = len(original) - len(args)
    if cut >= 3 and original[cut:] == args and original[cut - 2] == "-m":
        return ["python", "-m", original[cut - 1], *args]
    script = sys.argv[0] if sys.argv else ""
    if Path(script).name == "__main__.py":
        return ["python", "-m", Path(script).parent.name, *args]
    return ["python", script, *args] if script else ["python"]


def source_name(argv: Sequence[str] | None = None) -> str:
    """``mlflow.source.name``: ``python -m MODULE [COMMAND]`` or the absolute path of the script.

    argv: a command line starting with the interpreter (default: this process's). MLflow's UI
    shows the last ``/``-separated part of it, hence the module form carries no arguments.
    """
    argv = list(argv) if argv is not None else _argv()
    if len(argv) >= 3 and argv[1] == "-m":
        command = argv[3] if len(argv) > 3 and not argv[3].startswith("-") else None
        return " ".join(["python", "-m", argv[2]] + ([command] if command and "/" not in command else []))
    if len(argv) >= 2 and argv[1] not in ("-c", "-"):
        return str(Path(argv[1]).resolve())
    return "python"


def command_line(argv: Sequence[str] | None = None) -> str:
    """The whole command line (shell-quoted; long ones shortened to MAX_TAG_LENGTH characters)."""
    text = shlex.join(list(argv) if argv is not None else _argv())
    return text if len(text) <= MAX_TAG_LENGTH else text[: MAX_TAG_LENGTH - 3] + "..."


def user_name() -> str:
    """The login name (``getpass.getuser``), or "unknown" where the system has none."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 — no USER/LOGNAME and no passwd entry (some containers)
        return "unknown"


# ---------------------------------------------------------------------------------- environment

def package_version(name: str) -> str | None:
    """The version of package ``name`` as its module reports it (``__version__``, e.g. torch's
    "2.14.1+cu130" with its build), else as installed (distribution metadata); None if absent."""
    try:
        version = getattr(importlib.import_module(name), "__version__", None)
    except ImportError:
        version = None
    if version is None:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
    return str(version)


def version_tags(device: torch.device | str | None = None) -> dict[str, str]:
    """``version.python``, ``version.<package>`` for VERSIONED_PACKAGES that are installed, and
    ``version.cuda`` / ``version.cudnn`` when ``device`` is a CUDA device."""
    tags = {"version.python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        version = package_version(name)
        if version is not None:
            tags[f"version.{name}"] = str(version)
    if device is not None and torch.device(device).type == "cuda":
        tags["version.cuda"] = str(torch.version.cuda)
        tags["version.cudnn"] = str(torch.backends.cudnn.version())
    return tags


def device_description(device: torch.device | str) -> str:
    """``cpu``, or ``cuda:N (<GPU name>)`` for a CUDA device (its index filled in)."""
    device = torch.device(device)
    if device.type != "cuda":
        return str(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"cuda:{index} ({torch.cuda.get_device_name(index)})"


def provenance_tags(device: torch.device | str, bundle=None) -> dict[str, str]:
    """Every provenance tag of a training run on ``device`` with data ``bundle`` (module docstring)."""
    tags = {
        "mlflow.source.name": source_name(),
        "mlflow.source.type": "LOCAL",
        "mlflow.user": user_name(),
        "parametricSN.command": command_line(),
        "parametricSN.cwd": str(Path.cwd()),
        "parametricSN.host": platform.node() or "unknown",
        "parametricSN.platform": platform.platform(),
        "parametricSN.torch_threads": str(torch.get_num_threads()),
        "device": device_description(device),
        **git_info(),
        **version_tags(device),
    }
    if bundle is not None:
        tags.update(data_fingerprint(bundle))
    return tags

