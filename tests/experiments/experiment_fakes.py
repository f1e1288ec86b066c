"""Fake training functions for the runner tests (module-level so that workers can unpickle them).

Each executed run writes ``<PSN_FAKE_LOG>/<seed>-<init>-<learnable>.json`` holding its config, so a
test can see what ran, in which process, with which device and threads.
"""
import json
import os
from pathlib import Path

import torch


def _log(cfg, **extra):
    folder = os.environ.get("PSN_FAKE_LOG")
    if folder:
        scat = cfg["scattering"]
        name = f"{cfg['general']['seed']}-{scat['init_params']}-{scat['learnable']}-{cfg['dataset']['sample']}"
        record = {"cfg": cfg.to_dict(), "pid": os.getpid(), "threads": torch.get_num_threads(), **extra}
        (Path(folder) / f"{name}.json").write_text(json.dumps(record))


def accuracy_of(cfg):
    """A deterministic fake accuracy from the seed."""
    return 10.0 + cfg["general"]["seed"] % 50


def _finished(cfg):
    return {"run_id": f"fake-{cfg['general']['seed']}", "status": "FINISHED", "final_test_acc": accuracy_of(cfg)}


def fake_train(cfg):
    _log(cfg)
    return _finished(cfg)


def failing_train(cfg):
    """Raises for seed 2, returns a FAILED result for seed 3, succeeds otherwise."""
    _log(cfg)
    if cfg["general"]["seed"] == 2:
        raise RuntimeError("boom on seed 2")
    if cfg["general"]["seed"] == 3:
        return {"run_id": "r3", "status": "FAILED", "final_test_acc": float("nan"), "message": "NaN loss"}
    return _finished(cfg)


def mlflow_train(cfg):
    """Logs one MLflow run tagged with config_hash; its status comes from PSN_FAKE_STATUS
    (JSON {seed: status}, default FINISHED)."""
    from mlflow.entities import Param
    from mlflow.tracking import MlflowClient

    from parametricSN.config import config_hash, flatten_config
    from parametricSN.experiments.resume import ensure_experiment

    _log(cfg)
    statuses = json.loads(os.environ.get("PSN_FAKE_STATUS", "{}"))
    status = statuses.get(str(cfg["general"]["seed"]), "FINISHED")
    uri, name = cfg["mlflow"]["tracking_uri"], cfg["mlflow"]["experiment_name"]
    client = MlflowClient(tracking_uri=uri)
    run = client.create_run(ensure_experiment(uri, name), tags={"config_hash": config_hash(cfg)})
    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in flatten_config(cfg).items()])
    if status == "FINISHED":
        client.log_metric(run.info.run_id, "final_test_acc", accuracy_of(cfg))
    client.set_terminated(run.info.run_id, status)
    return {"run_id": run.info.run_id, "status": status, "final_test_acc": accuracy_of(cfg)}


def tiny_head(in_channels, spatial_shape, num_classes, cfg):
    """A researcher's own head: flatten + linear."""
    return torch.nn.Sequential(torch.nn.Flatten(),
                               torch.nn.Linear(in_channels * spatial_shape[0] * spatial_shape[1], num_classes))


def head_checking_train(cfg):
    """Succeeds only if the head named in the config is registered in this (worker) process."""
    from parametricSN.models import HEADS

    _log(cfg, heads=sorted(HEADS))
    if cfg["model"]["name"] not in HEADS:
        raise RuntimeError(f"head {cfg['model']['name']} not registered here")
    return _finished(cfg)


def double_epochs(cfg):
    """A recipe: edits the validated config in place."""
    cfg["model"]["epoch"] *= 2
