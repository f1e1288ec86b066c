"""Provenance: the tags a real ``python -m parametricSN train`` run carries (source, user, git commit
of the package's checkout, versions, device, data fingerprints), its params (no "None", absolute
paths) and time split; and the pieces on their own: fingerprints, git info, the source name."""

import getpass
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from parametricSN.tracking.provenance import (
    data_fingerprint,
    git_info,
    source_name,
    tensor_fingerprint,
    version_tags,
)

from .conftest import REPO


def _git(*args, cwd=REPO):
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.fixture(scope="module")
def logged(digits_run):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=digits_run["tracking_uri"]).get_run(digits_run["run_id"])


@pytest.fixture(scope="module")
def bundle(digits_run):
    from parametricSN.config import validate_config
    from parametricSN.data import build_data

    return build_data(validate_config(digits_run["config"]))


def test_source_user_and_command_of_a_cli_run(logged, digits_run):
    tags = logged.data.tags
    assert tags["mlflow.source.name"] == "python -m parametricSN train"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"] == getpass.getuser()
    assert tags["parametricSN.command"] == shlex.join(["python", "-m", "parametricSN", *digits_run["argv"]])
    assert tags["parametricSN.cwd"] == str(digits_run["workdir"])
    assert tags["parametricSN.host"] == (platform.node() or "unknown")
    assert tags["parametricSN.platform"] == platform.platform()
    assert int(tags["parametricSN.torch_threads"]) >= 1


def test_git_commit_is_the_package_checkouts_not_the_cwds(logged, digits_run):
    tags = logged.data.tags
    assert _git("rev-parse", "HEAD", cwd=digits_run["workdir"]) is None  # the run's cwd is no checkout
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        assert "mlflow.source.git.commit" not in tags
        return
    assert tags["mlflow.source.git.commit"] == commit
    changed = _git("status", "--porcelain", "--untracked-files=no")
    assert tags["parametricSN.git_dirty"] == ("true" if changed else "false")
    branch = _git("rev-parse", "--abbrev-ref", "HEAD")
    if branch != "HEAD":
        assert tags["mlflow.source.git.branch"] == branch


def test_versions_and_device(logged):
    import mlflow
    import torchvision

    import parametricSN

    tags = logged.data.tags
    assert tags["version.parametricSN"] == parametricSN.__version__
    assert tags["version.torch"] == torch.__version__
    assert tags["version.torchvision"] == torchvision.__version__
    assert tags["version.numpy"] == np.__version__
    assert tags["version.mlflow"] == mlflow.__version__
    assert tags["version.python"] == ".".join(map(str, sys.version_info[:3]))
    assert tags["device"] == "cpu" and "version.cuda" not in tags


def test_data_fingerprints_are_those_of_the_data_read(logged, bundle):
    tags = logged.data.tags
    assert tags["data.train_fingerprint"] == tensor_fingerprint(bundle.train_images, bundle.train_targets)
    assert tags["data.test_fingerprint"] == tensor_fingerprint(bundle.test_images, bundle.test_targets)
    assert tags["data.train_indices_fingerprint"] == tensor_fingerprint(bundle.train_indices)
    assert tags["data.train_fingerprint"] != tags["data.test_fingerprint"]
    assert tags["data.fingerprint"] == data_fingerprint(bundle)["data.fingerprint"]
    assert all(len(tags[k]) == 16 for k in tags if k.startswith("data."))


def test_params_have_no_none_and_absolute_paths(logged, digits_run):
    params = logged.data.params
    assert "None" not in params.values()
    assert "mlflow.run_name" not in params and "general.cores" not in params  # unset: left out
    assert params["mlflow.tracking_uri"] == digits_run["tracking_uri"]
    assert params["dataset.data_root"] == str(digits_run["workdir"] / "data")
    assert logged.info.artifact_uri.startswith((digits_run["workdir"] / "mlruns" / "artifacts").as_uri())


def test_time_split_metrics(logged):
    m = logged.data.metrics
    assert {"setup_s", "train_s", "test_s", "duration_s", "artifacts_s"} <= set(m)
    assert m["duration_s"] == pytest.approx(m["train_s"] + m["test_s"])
    assert m["train_s"] > 0 and m["test_s"] > 0 and m["artifacts_s"] > 0 and m["setup_s"] > 0
    mlflow_duration = (logged.info.end_time - logged.info.start_time) / 1000
    assert m["duration_s"] + m["artifacts_s"] <= mlflow_duration + 0.05


def test_the_same_subset_gives_the_same_fingerprint_and_another_does_not(bundle, digits_run):
    from parametricSN.config import validate_config
    from parametricSN.data import build_data

    cfg = digits_run["config"]
    assert data_fingerprint(build_data(validate_config(cfg))) == data_fingerprint(bundle)
    cfg = {**cfg, "dataset": {**cfg["dataset"], "test_sample_num": None}}  # the whole test split: unseeded
    again = data_fingerprint(build_data(validate_config(cfg)))
    other = data_fingerprint(build_data(validate_config({**cfg, "general": {**cfg["general"], "seed": 1}})))
    assert other["data.train_fingerprint"] != again["data.train_fingerprint"]
    assert other["data.train_indices_fingerprint"] != again["data.train_indices_fingerprint"]
    assert other["data.test_fingerprint"] == again["data.test_fingerprint"]
    assert other["data.fingerprint"] != again["data.fingerprint"]


def test_tensor_fingerprint_covers_dtype_shape_bytes_and_order():
    x = torch.arange(12, dtype=torch.uint8).reshape(3, 4)
    f = tensor_fingerprint(x)
    assert len(f) == 16 and int(f, 16) >= 0
    assert tensor_fingerprint(x.numpy()) == f == tensor_fingerprint(x.clone())
    assert tensor_fingerprint(x.t().contiguous().t()) == f  # layout does not matter, values do
    assert tensor_fingerprint(x.reshape(4, 3)) != f
    assert tensor_fingerprint(x.to(torch.int64)) != f
    y = x.clone()
    y[2, 3] += 1
    assert tensor_fingerprint(y) != f
    assert tensor_fingerprint(x, y) != tensor_fingerprint(y, x)
    assert tensor_fingerprint(x, None) != tensor_fingerprint(x)
    assert tensor_fingerprint(np.arange(3, dtype=">i8")) == tensor_fingerprint(np.arange(3, dtype="<i8"))
    with pytest.raises(TypeError, match="Python objects"):
        tensor_fingerprint(np.array([object()]))


def test_data_fingerprint_tolerates_missing_parts_and_extra_splits():
    from types import SimpleNamespace

    a = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    t = torch.tensor([0, 1])
    plain = data_fingerprint(SimpleNamespace(train_images=a, train_targets=t, test_images=None,
                                             test_targets=None, train_indices=None))
    assert set(plain) == {"data.train_fingerprint", "data.fingerprint"}
    extra = data_fingerprint(SimpleNamespace(train_images=a, train_targets=t, val_images=a + 1,
                                             val_targets=t, train_indices=np.array([5, 7])))
    assert set(extra) == {"data.train_fingerprint", "data.val_fingerprint", "data.train_indices_fingerprint",
                          "data.fingerprint"}
    assert extra["data.train_fingerprint"] == plain["data.train_fingerprint"]
    assert extra["data.fingerprint"] != plain["data.fingerprint"]


def test_hashing_30_mb_takes_tens_of_milliseconds():
    import time

    x = torch.randint(0, 256, (10000, 3, 32, 32), dtype=torch.uint8)
    tensor_fingerprint(x[:10])
    started = time.perf_counter()
    tensor_fingerprint(x)
    assert time.perf_counter() - started < 0.5  # ~35 ms on the 2-core machine; generous for a busy one


@pytest.mark.skipif(_git("--version", cwd=".") is None, reason="git is not installed")
def test_git_info_of_a_checkout_clean_dirty_detached_and_of_a_plain_folder(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (["init", "-q", "-b", "work"], ["config", "user.email", "t@example.org"],
                 ["config", "user.name", "t"], ["remote", "add", "origin", "https://me:secret@example.org/x.git"]):
        assert _git(*args, cwd=repo) is not None
    (repo / "a.txt").write_text("1")
    _git("add", "a.txt", cwd=repo)
    _git("commit", "-q", "-m", "one", cwd=repo)
    commit = _git("rev-parse", "HEAD", cwd=repo)
    info = git_info(repo)
    assert info == {"mlflow.source.git.commit": commit, "parametricSN.git_dirty": "false",
                    "mlflow.source.git.branch": "work", "mlflow.source.git.repoURL": "https://example.org/x.git"}
    (repo / "untracked.txt").write_text("new")
    assert git_info(repo)["parametricSN.git_dirty"] == "false"  # untracked files do not count
    (repo / "a.txt").write_text("2")
    assert git_info(repo)["parametricSN.git_dirty"] == "true"
    _git("checkout", "-q", "--detach", cwd=repo)
    assert "mlflow.source.git.branch" not in git_info(repo)
    sub = repo / "sub"
    sub.mkdir()
    assert git_info(sub) == {}  # inside a checkout but not its top: not the package's own repository
    assert git_info(tmp_path / "nowhere") == {}


def test_git_info_degrades_without_git(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert git_info(REPO) == {}


def test_source_names():
    assert source_name(["python", "-m", "parametricSN", "train", "--config", "conf/digits.yml"]) == \
        "python -m parametricSN train"
    assert source_name(["python", "-m", "pytest", "-q"]) == "python -m pytest"
    assert source_name(["python", "experiments/x.py", "--workers", "2"]) == str(Path("experiments/x.py").resolve())
    assert source_name(["python", "-c", "print(1)"]) == "python"


def test_cuda_versions_only_for_a_cuda_device():
    assert "version.cuda" not in version_tags("cpu")
    if torch.cuda.is_available():
        tags = version_tags("cuda")
        assert tags["version.cuda"] == str(torch.version.cuda)
