"""Fixtures of the evaluate / predict tests: the real-format dataset writers of tests/data
(dataset_files.py) and tests/folder (folder_images.py) go on sys.path, and one MLflow store serves
the module's runs."""

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS / "data", TESTS / "folder"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sqlite tracking URI shared by the module's runs (creating a store costs seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/store.db"
