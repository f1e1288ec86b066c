"""Shared fixtures of the experiment-suite tests.

``experiment_fakes`` (fake training functions, a head, a recipe) must be importable by name in
spawned pool workers and in submitit's subprocesses, so this folder goes on sys.path (inherited by
spawn) and on PYTHONPATH (inherited by submitit's fresh interpreters).
"""
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture
def fake_env(tmp_path, monkeypatch):
    """A log folder for the fakes (one file per executed run) and a child-visible PYTHONPATH."""
    log = tmp_path / "calls"
    log.mkdir()
    monkeypatch.setenv("PSN_FAKE_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(REPO)]))
    return log


@pytest.fixture
def store(tmp_path):
    """A tmp MLflow sqlite store URI."""
    return f"sqlite:///{tmp_path}/store.db"
