"""The MLflow params of a training run (architecture §5): the flattened config, with the store's
URI and local paths made absolute, plus ``derived.*`` numbers the config does not state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parametricSN.config import flatten_config

PATH_PARAMS = ("dataset.data_root", "dataset.path", "model.weights")  # logged as absolute paths


def config_params(cfg, tracking_uri: str) -> dict[str, Any]:
    """flatten_config(cfg) with the store's absolute URI and PATH_PARAMS made absolute (unset
    keys stay None; MlflowRun.log_params leaves them out)."""
    flat = flatten_config(cfg)
    flat["mlflow.tracking_uri"] = tracking_uri
    for key in PATH_PARAMS:
        if flat.get(key):
            flat[key] = str(Path(str(flat[key])).expanduser().resolve())
    return flat


def absolute_config(cfg, tracking_uri: str) -> dict[str, Any]:
    """``cfg`` as a nested plain dict with the store's absolute URI and PATH_PARAMS made absolute:
    the same run wherever it is read again (a checkpoint's config)."""
    nested = cfg.to_dict()
    nested["mlflow"]["tracking_uri"] = tracking_uri
    for key in PATH_PARAMS:
        section, name = key.split(".")
        if nested[section].get(name):
            nested[section][name] = str(Path(str(nested[section][name])).expanduser().resolve())
    return nested


def run_params(cfg, tracking_uri: str, model, data, *, steps_per_epoch: int, total_steps: int,
               device) -> dict[str, Any]:
    """:func:`config_params` plus parameter counts, K, sample counts, steps and device."""
    scattering = getattr(model, "scattering", None)
    filters = scattering.filter_parameters() if scattering is not None else {}
    return {
        **config_params(cfg, tracking_uri),
        "derived.num_parameters": _count(model.parameters()),
        "derived.num_trainable_parameters": _count(p for p in model.parameters() if p.requires_grad),
        "derived.num_filter_parameters": _count(filters.values()),
        "derived.K": scattering.K if scattering is not None else None,
        "derived.train_samples": int(data.train_images.shape[0]),
        "derived.test_samples": int(data.test_images.shape[0]),
        "derived.steps_per_epoch": steps_per_epoch,
        "derived.total_steps": total_steps,
        "derived.device": str(device),
        **data.log_params,       # what the reader measured (a folder's statistics, skipped files)
    }


def _count(params) -> int:
    return sum(p.numel() for p in params)
