"""Saving a trained model as plain data (state_dict + config + info) and rebuilding it.

A saved model is a folder holding three files:

    model_state.pt   the ``state_dict`` (tensors only), read back with torch.load(weights_only=True)
    config.yaml      the config dict, yaml.safe_dump
    info.json        what the data told the builder: in_channels, num_classes, image_size [H, W],
                     plus mean, std, preparation (data.preparation), dataset, class_names, ...
                     (whatever the caller adds)

Loading never unpickles code: the model is rebuilt with ``build_model(config, ...)`` and the
tensors are copied in. A custom head must therefore be registered (its module imported) before
``load_model`` is called.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Tuple

import torch
import torch.nn as nn
import yaml

from parametricSN.config import section
from parametricSN.errors import UserError
from parametricSN.models.builder import build_model

STATE_FILE = "model_state.pt"
CONFIG_FILE = "config.yaml"
INFO_FILE = "info.json"
_REQUIRED_INFO = ("in_channels", "num_classes", "image_size")


def _plain(value: Any) -> Any:
    """Tuples, numpy/torch scalars and arrays → lists and Python numbers (YAML/JSON-safe)."""
    if isinstance(value, Mapping):  # a dict or a parametricSN.config.Config
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    return value


def save_model(folder: str | os.PathLike, model: nn.Module, cfg: dict, info: dict) -> Path:
    """Write ``folder/{model_state.pt, config.yaml, info.json}`` and return ``Path(folder)``.

    ``info`` must give (or the model built by ``build_model`` supplies) in_channels,
    num_classes and image_size; other entries (mean, std, dataset, class_names, ...) are kept as
    they are. Tensors are saved from the CPU.
    """
    folder = Path(folder)
    merged = dict(getattr(model, "build_info", {}) or {})
    merged.update(info or {})
    missing = [k for k in _REQUIRED_INFO if k not in merged]
    if missing:
        raise ValueError(f"save_model: info lacks {missing}; they are needed to rebuild the model")
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, folder / STATE_FILE)
    (folder / CONFIG_FILE).write_text(yaml.safe_dump(_plain(cfg), sort_keys=False))
    (folder / INFO_FILE).write_text(json.dumps(_plain(merged), indent=2, sort_keys=True) + "\n")
    return folder


def load_model(
    folder_or_path: str | os.PathLike, map_location: str | torch.device = "cpu"
) -> Tuple[nn.Module, dict, dict]:
    """Rebuild a model written by :func:`save_model`; returns ``(model, cfg, info)``.

    ``folder_or_path`` is the folder or any file inside it (e.g. its model_state.pt). The model
    is moved to ``map_location`` and put in eval mode. A missing folder or file, or tensors that
    do not fit the rebuilt model, raise UserError naming the folder.
    """
    folder = Path(folder_or_path)
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"saved model folder {str(folder)!r} does not exist; give the folder written by model.save")
    for name in (STATE_FILE, CONFIG_FILE, INFO_FILE):
        if not (folder / name).is_file():
            raise UserError(
                f"saved model folder {str(folder)!r} is incomplete: {name} is missing "
                f"(expected {STATE_FILE}, {CONFIG_FILE}, {INFO_FILE})"
            )
    try:
        cfg = yaml.safe_load((folder / CONFIG_FILE).read_text())
        info = json.loads((folder / INFO_FILE).read_text())
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise UserError(
            f"saved model folder {str(folder)!r}: cannot parse {CONFIG_FILE}/{INFO_FILE} ({type(exc).__name__})"
        ) from None
    if not isinstance(cfg, dict) or not isinstance(info, dict):
        raise UserError(f"saved model folder {str(folder)!r}: {CONFIG_FILE} and {INFO_FILE} must each hold a mapping")
    missing = [k for k in _REQUIRED_INFO if k not in info]
    if missing:
        raise UserError(f"saved model folder {str(folder)!r}: {INFO_FILE} lacks {', '.join(missing)}")

    # The weights file named in the config was only an initialisation; the saved state replaces it.
    build_cfg = {**cfg, "model": {**section(cfg, "model").to_dict(), "weights": None}}
    model = build_model(build_cfg, int(info["in_channels"]), int(info["num_classes"]), tuple(info["image_size"]))
    try:
        state = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except Exception as exc:
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise UserError(
            f"saved model folder {str(folder)!r}: {STATE_FILE} does not fit the model its config builds ({detail})"
        ) from None
    model.to(map_location)
    model.eval()
    return model, cfg, info
