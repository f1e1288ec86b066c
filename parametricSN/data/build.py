"""build_data(cfg): the DataBundle of the configured dataset."""

from __future__ import annotations

from parametricSN.data.bundle import DataBundle
from parametricSN.data.cifar import load_cifar
from parametricSN.data.digits import load_digits_bundle
from parametricSN.data.folder import load_folder
from parametricSN.data.kth import load_kth
from parametricSN.data.options import DataOptions
from parametricSN.data.xray import load_xray

LOADERS = {"cifar": load_cifar, "kth": load_kth, "xray": load_xray, "digits": load_digits_bundle,
           "folder": load_folder}


def build_data(cfg: dict) -> DataBundle:
    """Read the dataset named by cfg['dataset']['name'] from data_root/data_folder, pick the
    balanced training subset with cfg['general']['seed'], and set up its augmentation.
    A missing dataset or an impossible sample count raises a one-line UserError."""
    opts = DataOptions.from_config(cfg)
    return LOADERS[opts.name](opts)
