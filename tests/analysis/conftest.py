"""Tiny saved models on the offline digits data, and an MLflow run holding one, for the analysis tests."""
import numpy as np
import pytest


def tiny_config(*, learnable=True, init="tight-frame", architecture="scattering", seed=0):
    """A digits config with a small bank (J=2, L=4) and a linear head."""
    return {
        "general": {"seed": seed},
        "dataset": {"name": "digits", "train_sample_num": 20, "augment": "noaugment"},
        "scattering": {"J": 2, "L": 4, "max_order": 2, "init_params": init, "learnable": learnable,
                       "architecture": architecture, "parameterization": "canonical"},
        "model": {"name": "linear_layer"},
    }


def save_tiny_model(folder, **config):
    """build_model + save_model of ``tiny_config(**config)`` into ``folder``; returns (folder, model)."""
    from parametricSN.data import build_data
    from parametricSN.models import build_model, save_model

    cfg = tiny_config(**config)
    data = build_data(cfg)
    model = build_model(cfg, data.in_channels, data.num_classes, data.image_size)
    info = {"mean": list(data.mean), "std": list(data.std), "dataset": data.name,
            "class_names": data.class_names}
    return save_model(folder, model, cfg, info), model


def fake_trajectory(scattering, steps=5):
    """A trajectory.npz-like dict: the bank's parameters drifting over ``steps`` recorded steps."""
    rng = np.random.default_rng(0)
    out = {}
    for name, value in scattering.filter_parameters().items():
        base = value.detach().numpy().astype(np.float32)
        out[name] = np.stack([base + 0.05 * t * rng.standard_normal(base.shape).astype(np.float32)
                              for t in range(steps)])
    out["sigma"] = np.abs(out["sigma"]) + 0.5
    out["steps"] = np.arange(steps) * 7
    out["epochs"] = np.arange(steps, dtype=np.float64)
    return out


@pytest.fixture(scope="session")
def saved_models(tmp_path_factory):
    """{"fixed": tight-frame fixed bank, "learnable": random learnable bank, "identity": pixels}."""
    root = tmp_path_factory.mktemp("saved_models")
    return {
        "fixed": save_tiny_model(root / "fixed", learnable=False)[0],
        "learnable": save_tiny_model(root / "learnable", learnable=True, init="random")[0],
        "identity": save_tiny_model(root / "identity", architecture="identity")[0],
    }


@pytest.fixture(scope="session")
def mlflow_run(tmp_path_factory):
    """A sqlite MLflow store with one run that logged a learnable model under ``model/`` and a
    trajectory under ``trajectory/trajectory.npz``: (tracking_uri, run_id, trajectory dict)."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    folder, model = save_tiny_model(root / "model_src" / "model", learnable=True)
    trajectory = fake_trajectory(model.scattering)
    (root / "traj_src").mkdir()
    np.savez(root / "traj_src" / "trajectory.npz", **trajectory)
    uri = f"sqlite:///{root}/store.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("training", artifact_location=(root / "artifacts").as_uri())
    run_id = client.create_run(experiment).info.run_id
    client.log_artifacts(run_id, str(folder), "model")
    client.log_artifact(run_id, str(root / "traj_src" / "trajectory.npz"), "trajectory")
    client.set_terminated(run_id)
    return uri, run_id, trajectory
