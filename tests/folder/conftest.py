"""Fixtures of the folder-dataset, evaluate and predict tests; the writers live in folder_images.py
(this folder goes on sys.path so that the test modules import it by name)."""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from folder_images import write_class_folder  # noqa: E402


@pytest.fixture
def make_folder(tmp_path):
    """make_folder(counts={...}, test_counts=None, ...) -> DIR (with train/ + test/ if test_counts)."""
    def make(counts, test_counts=None, name="images", **kwargs):
        root = tmp_path / name
        if test_counts is None:
            write_class_folder(root, counts, **kwargs)
        else:
            write_class_folder(root / "train", counts, **kwargs)
            write_class_folder(root / "test", test_counts, **kwargs)
        return root
    return make
