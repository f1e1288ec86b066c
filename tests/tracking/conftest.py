"""A sqlite MLflow store shared by the tracking tests of one session (creating one costs seconds)."""

import pytest


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture(scope="session")
def store_uri(store_dir):
    return f"sqlite:///{store_dir}/store.db"


@pytest.fixture
def client(store_uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=store_uri)
