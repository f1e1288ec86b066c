"""Fixtures of the data tests: the writers of tiny datasets in the real on-disk formats
(dataset_files.py; this folder goes on sys.path so that test modules can import it by name) and a
config maker."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from dataset_files import (write_cifar_batches, write_cifar_folder, write_kth, write_png,  # noqa: E402
                           write_xray)


@pytest.fixture
def writers():
    return SimpleNamespace(cifar_batches=write_cifar_batches, cifar_folder=write_cifar_folder,
                           kth=write_kth, xray=write_xray, png=write_png)


def config(name: str, root: Path, **dataset) -> dict:
    """A normalised-config-like dict for build_data."""
    seed = dataset.pop("seed", 0)
    ds = {"name": name, "data_root": str(root), "data_folder": None, "train_sample_num": 10,
          "test_sample_num": None, "sample": "d", "augment": "noaugment", "height": None,
          "width": None, "download": False, "num_classes": None}
    ds.update(dataset)
    return {"general": {"seed": seed}, "dataset": ds}


@pytest.fixture
def make_config():
    return config
