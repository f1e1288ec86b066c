"""Shared helpers for the training tests: tiny configs and one MLflow store per test session."""

import copy
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # resume_helpers, importable by name (pytest's importlib mode)
    sys.path.insert(0, str(HERE))


def merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for section, values in extra.items():
        out.setdefault(section, {}).update(values)
    return out


@pytest.fixture(scope="session")
def store_uri(tmp_path_factory):
    """A sqlite tracking URI shared by the session's runs (creating a store costs seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/store.db"


@pytest.fixture(scope="session")
def tiny_cfg(store_uri):
    """tiny_cfg(model={...}, ...) -> a digits config that trains in well under a second.

    20 training / 20 test digits, batches of 10, J=1, L=2, linear head, 2 epochs, test every epoch.
    """
    base = {
        "general": {"seed": 0, "device": "cpu"},
        "mlflow": {"tracking_uri": store_uri, "experiment_name": "tests"},
        "dataset": {"name": "digits", "train_sample_num": 20, "test_sample_num": 20,
                    "train_batch_size": 10, "test_batch_size": 20, "augment": "noaugment"},
        "scattering": {"J": 1, "L": 2},
        "model": {"name": "linear_layer", "epoch": 2, "step_test": 1},
    }

    def factory(**sections):
        return merge(base, sections)

    return factory


@pytest.fixture
def client(store_uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=store_uri)
