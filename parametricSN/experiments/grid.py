"""The published experiment grid as one table: (dataset, head, training size) -> training settings.

Each script under ``experiments/`` names one cell (``sweep("cifar", "ll", "100")``); the table rows
below are the only place the settings are written. Heads: ``ll`` = scattering + linear layer,
``cnn`` = scattering + the wide residual network (width 8), ``onlycnn`` = the WRN on raw pixels
(one run per seed, no filter-bank variants). Sizes are the column labels of
:data:`parametricSN.experiments.published.PUBLISHED` ("all" = the whole training split; KTH: one
physical sample, swept over samples d, c, b, a).

Every run shares SGD (momentum 0.9, weight decay 5e-4 on the head), OneCycle stepped per optimizer
step (div_factor 25), L=8 and a test pass every 25 epochs. Provenance of the numbers: the CIFAR-10
100/500/1000 rows are the paper's published settings (Gauthier et al., "Parametric Scattering
Networks", CVPR 2022); the rows the paper does not give (CIFAR "all", X-ray, KTH) are those of the
predecessor's scripts of the same name, as noted per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from parametricSN.experiments.published import (
    CIFAR_SEEDS, FULL_TRAIN_SIZE, KTH_SAMPLES, KTH_SEEDS, KTH_TRAIN_SIZE, XRAY_SEEDS,
)
from parametricSN.experiments.sweeps import SCATTERING_VARIANTS, Sweep


@dataclass(frozen=True)
class Dataset:
    """What every cell of a dataset shares: MLflow experiment, seeds, J, augmentation, extra axes."""

    experiment: str
    seeds: Tuple[int, ...]
    J: int
    augment: str
    axes: Tuple[Tuple[str, Tuple[Any, ...]], ...] = ()


@dataclass(frozen=True)
class Settings:
    """One cell: epochs, train batch, head LR (optim.lr) and OneCycle head peak (optim.max_lr),
    the filter-parameter peaks (lr_scattering = lr_orientation; None for pixels), gradient
    accumulation (optimizer step every ``accum`` batches) and test batch (None = default)."""

    epochs: int
    batch: int
    lr: float
    max_lr: float
    filter_lr: Optional[float] = None
    accum: int = 1
    test_batch: Optional[int] = None


DATASETS: Dict[str, Dataset] = {
    "cifar": Dataset("cifar10", CIFAR_SEEDS, J=2, augment="autoaugment"),
    "xray": Dataset("xray", XRAY_SEEDS, J=4, augment="original-cifar"),
    "kth": Dataset("kth", KTH_SEEDS, J=4, augment="original-cifar", axes=(("dataset.sample", KTH_SAMPLES),)),
}
HEADS = {"ll": "linear_layer", "cnn": "cnn", "onlycnn": "cnn"}

KTH = str(KTH_TRAIN_SIZE)

#: (dataset, head, size) -> Settings: the whole published grid.
GRID: Dict[Tuple[str, str, str], Settings] = {
    # CIFAR-10, paper Table 1 (WRN only = the same settings as scattering + WRN)
    ("cifar", "ll", "100"): Settings(200, 128, 0.1, 0.06, 0.1),
    ("cifar", "ll", "500"): Settings(1000, 500, 0.1, 0.13, 0.1),
    ("cifar", "ll", "1000"): Settings(500, 1000, 0.1, 0.2, 0.1),
    ("cifar", "ll", "all"): Settings(500, 1024, 0.1, 0.2, 0.1),  # predecessor's ll_alldata, paper's LL filter peak
    ("cifar", "cnn", "100"): Settings(3000, 128, 0.1, 0.1, 0.2),
    ("cifar", "cnn", "500"): Settings(2000, 128, 0.1, 0.1, 0.2),
    ("cifar", "cnn", "1000"): Settings(1000, 128, 0.1, 0.1, 0.2),
    ("cifar", "cnn", "all"): Settings(500, 1024, 0.1, 0.1, 0.2),  # predecessor's cnn_alldata
    ("cifar", "onlycnn", "100"): Settings(3000, 128, 0.1, 0.1),
    ("cifar", "onlycnn", "500"): Settings(2000, 128, 0.1, 0.1),
    ("cifar", "onlycnn", "1000"): Settings(1000, 128, 0.1, 0.1),
    ("cifar", "onlycnn", "all"): Settings(500, 1024, 0.1, 0.1),  # no published number; mirrors cnn "all"
    # COVIDx CRX-2 X-ray (predecessor's xray scripts)
    ("xray", "ll", "100"): Settings(400, 128, 0.01, 0.01, 0.01),
    ("xray", "ll", "500"): Settings(400, 128, 0.01, 0.01, 0.01),
    ("xray", "ll", "1000"): Settings(400, 128, 0.01, 0.01, 0.01),
    ("xray", "cnn", "100"): Settings(400, 128, 0.01, 0.001, 0.1),
    ("xray", "cnn", "500"): Settings(200, 128, 0.01, 0.01, 0.01),
    ("xray", "cnn", "1000"): Settings(200, 128, 0.01, 0.01, 0.01),
    ("xray", "onlycnn", "100"): Settings(200, 8, 0.01, 0.001, accum=16, test_batch=64),
    ("xray", "onlycnn", "500"): Settings(100, 8, 0.1, 0.001, accum=16, test_batch=64),
    ("xray", "onlycnn", "1000"): Settings(100, 4, 0.1, 0.001, accum=32, test_batch=64),
    # KTH-TIPS2-b: train on one physical sample, test on the other three; a variant's published number is
    # the mean over its 16 seed × sample runs (predecessor's *_kth_sample scripts, parameters_texture.yml)
    ("kth", "ll", KTH): Settings(100, 128, 0.1, 0.001, 0.1),
    ("kth", "cnn", KTH): Settings(50, 128, 0.1, 0.001, 0.1),
    ("kth", "onlycnn", KTH): Settings(150, 16, 0.001, 0.001, accum=8),
}


def train_size(dataset: str, size: str) -> int:
    """dataset.train_sample_num of a column label ("all" = the whole training split)."""
    return FULL_TRAIN_SIZE[dataset] if size == "all" else int(size)


def sweep(dataset: str, head: str, size: str) -> Sweep:
    """The :class:`Sweep` of one grid cell (seeds × axes × filter-bank variants)."""
    try:
        cell, data = GRID[(dataset, head, str(size))], DATASETS[dataset]
    except KeyError:
        raise KeyError(f"no published grid cell ({dataset!r}, {head!r}, {size!r}); cells: {sorted(GRID)}") from None
    dataset_keys: Dict[str, Any] = {"name": dataset, "train_sample_num": train_size(dataset, str(size)),
                                    "train_batch_size": cell.batch, "augment": data.augment}
    if cell.accum != 1:
        dataset_keys["accum_step_multiple"] = cell.accum
    if cell.test_batch is not None:
        dataset_keys["test_batch_size"] = cell.test_batch
    pixels = head == "onlycnn"
    scattering = ({"architecture": "identity"} if pixels else
                  {"J": data.J, "L": 8, "lr_scattering": cell.filter_lr, "lr_orientation": cell.filter_lr})
    return Sweep(
        experiment=data.experiment, seeds=data.seeds, variants=() if pixels else SCATTERING_VARIANTS,
        axes=dict(data.axes),
        base={"dataset": dataset_keys, "scattering": scattering,
              "optim": {"name": "sgd", "lr": cell.lr, "momentum": 0.9, "weight_decay": 0.0005,
                        "scheduler": "onecycle", "max_lr": cell.max_lr, "div_factor": 25},
              "model": {"name": HEADS[head], "width": 8, "epoch": cell.epochs, "step_test": 25}},
    )


def cell_script(module_name: str, doc: Optional[str], dataset: str, head: str, size: str) -> Sweep:
    """What an experiment script does: return its cell's sweep, and run it (``main``, then exit)
    when the script is executed rather than imported (``module_name == "__main__"``)."""
    cell = sweep(dataset, head, size)
    if module_name == "__main__":
        import sys

        from parametricSN.experiments.runner import main

        sys.exit(main(cell, description=doc))
    return cell
