"""The names runs are shown under: the paper's row label of a run (``variant_label``, e.g.
"TF LS+WRN") and the default MLflow run name (``default_run_name``); both say LS (learnable
scattering) or S (fixed) through :func:`bank_kind`."""

from __future__ import annotations

from typing import Any, Mapping


def bank_kind(learnable: bool) -> str:
    """"LS" for a learnable filter bank, "S" for a fixed one (the paper's notation)."""
    return "LS" if learnable else "S"


def default_run_name(cfg) -> str:
    """e.g. 'digits-100-LS-tight-frame-canonical+linear_layer-seed0' (``cfg``: a Config)."""
    scat, data = cfg.scattering, cfg.dataset
    if scat.architecture == "identity":
        front = "pixels"
    else:
        front = f"{bank_kind(scat.learnable)}-{scat.init_params}-{scat.parameterization}"
    return f"{data.name}-{data.train_sample_num}-{front}+{cfg.model.name}-seed{cfg.general.seed}"


HEAD_ABBREVIATIONS = {
    "linear_layer": "LL",
    "cnn": "WRN",
    "mlp": "MLP",
    "resnet50": "ResNet50",
    "cnn_standard": "CNN",
}


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def variant_label(flat: Mapping[str, Any]) -> str:
    """The paper's row label of a run, from its flattened config (values may be strings).

    "TF LS+LL" (tight-frame, learnable, linear head), "Rand S+WRN" (random, fixed, cnn head),
    "WRN only" (cnn head on pixels). A non-canonical parameterisation is appended in brackets.
    """
    head = str(flat.get("model.name", "linear_layer")).strip().lower()
    head = HEAD_ABBREVIATIONS.get(head, head)
    if str(flat.get("scattering.architecture", "scattering")).strip().lower() == "identity":
        return f"{head} only"
    init = str(flat.get("scattering.init_params", "tight-frame")).strip().lower()
    init = {"tight-frame": "TF", "random": "Rand"}.get(init, init)
    label = f"{init} {bank_kind(_truthy(flat.get('scattering.learnable', True)))}+{head}"
    parameterization = str(flat.get("scattering.parameterization", "canonical")).strip().lower()
    if parameterization not in ("canonical", "none", ""):
        label += f" [{parameterization}]"
    return label
