"""Shared by the real-data benchmarks: the CIFAR-10 archives, the published LL sweep, results.

The archives beside the repository (``../shared/data/cifar10-train-{png,jpeg}.tar.gz``) hold the
50,000 CIFAR-10 training images as ``cifar10/train/<class>/NNNN.<png|jpg>``: the lossless PNG copy
is the default (the paper's tables were made on lossless images), the JPEG copy (quality ≈ 75) an
option (``--images jpeg``). Neither has a test split, so these benchmarks evaluate on the validation
split carved from the training images (``dataset.evaluate_on: validation``). Each archive is
extracted once into its own cache folder.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parametricSN.errors import UserError  # noqa: E402

ARCHIVES = {"png": REPO.parent / "shared" / "data" / "cifar10-train-png.tar.gz",
            "jpeg": REPO.parent / "shared" / "data" / "cifar10-train-jpeg.tar.gz"}
DEFAULT_IMAGES = "png"
ARCHIVE = ARCHIVES[DEFAULT_IMAGES]
CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "parametricSN" / "data"
CACHE = CACHE_ROOT / DEFAULT_IMAGES
LL_SCRIPTS = REPO / "experiments" / "cifar" / "ll"

# What the predecessor's own code gave on these images (issue 8; seed 207715039, real test split,
# published LL protocol), and the project with the predecessor's recipe swapped in (docs/augmentation.md).
PREDECESSOR = {"TF S+LL": "37.7 (1 seed)", "TF LS+LL": "33.6 (1 seed)"}
SWAPPED_IN = {"TF S+LL": "37.9 ± 1.5 (8 seeds)", "TF LS+LL": "34.3 ± 2.5 (10 seeds)"}


def archive_for(images: str) -> tuple[Path, Path]:
    """(archive, cache folder) of ``images`` = "png" (lossless, the default) or "jpeg"."""
    return ARCHIVES[images], CACHE_ROOT / images


def extract_archive(archive: Path = ARCHIVE, cache: Path = CACHE) -> Path:
    """The data_root holding ``cifar10/train/<class>/*``, extracting ``archive`` there once.

    Extraction goes to a temporary folder renamed into place at the end, so an interrupted one
    never leaves a half-written dataset. UserError (one line) when the archive is missing.
    """
    target = cache / "cifar10"
    marker = target / ".extracted"
    if marker.is_file():
        return cache
    if not archive.is_file():
        raise UserError(f"real CIFAR-10 images not found: {archive} is missing (the project's shared data, "
                        f"../shared/data/ beside the repository, see its README.md); pass --archive PATH")
    cache.mkdir(parents=True, exist_ok=True)
    print(f"extracting {archive} into {cache} (once)", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        if not (Path(tmp) / "cifar10" / "train").is_dir():
            raise UserError(f"{archive} does not hold cifar10/train/<class>/<images>")
        shutil.rmtree(target, ignore_errors=True)
        (Path(tmp) / "cifar10").rename(target)
    marker.write_text(f"{archive} {archive.stat().st_size}\n")
    return cache


def ll_sweep(samples: int = 100):
    """The SWEEP of experiments/cifar/ll/ll_<samples>sample_cifar10_experiment.py (the one definition
    of the published LL protocol at that training-set size: 100, 500 or 1000)."""
    script = LL_SCRIPTS / f"ll_{samples}sample_cifar10_experiment.py"
    if not script.is_file():
        raise UserError(f"no published LL protocol for {samples} samples ({script} is missing); use 100, 500 or 1000")
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SWEEP


def finished_runs(tracking_uri: str, experiment: str, cfgs: list[dict]) -> list[tuple[dict, object]]:
    """(config, MLflow run) for each config that the experiment holds as FINISHED."""
    from mlflow.tracking import MlflowClient

    from parametricSN.config import config_hash
    from parametricSN.experiments.resume import finished_run_ids

    ids = finished_run_ids(tracking_uri, experiment, [config_hash(c) for c in cfgs])
    client = MlflowClient(tracking_uri=tracking_uri)
    return [(c, client.get_run(ids[config_hash(c)])) for c in cfgs if config_hash(c) in ids]


def seeds_from(text: str) -> list[int]:
    """--seeds: N (the first N published CIFAR seeds), 'all' (the 10) or a list of seeds."""
    from parametricSN.experiments import CIFAR_SEEDS

    if text == "all":
        return list(CIFAR_SEEDS)
    if text.isdigit() and int(text) <= len(CIFAR_SEEDS):
        return list(CIFAR_SEEDS[: int(text)])
    try:
        return [int(s) for s in text.replace(",", " ").split()]
    except ValueError:
        raise UserError(f"--seeds {text!r}: give N ≤ 10, 'all' or a list like 207715039,491659600") from None


def run_stoppable(main: Callable[[], int]) -> int:
    """``main()`` with SIGTERM (a killed job) taken as Ctrl-C, so the MLflow runs in progress end
    KILLED rather than RUNNING; then exit status 130 and how to resume."""
    from parametricSN.runtime import restore_sigterm, sigterm_as_interrupt

    previous = sigterm_as_interrupt()
    try:
        return main()
    except KeyboardInterrupt:
        print("interrupted: the runs in progress ended KILLED; rerun the same command to resume "
              "(FINISHED runs are reused)", file=sys.stderr)
        return 130
    finally:
        restore_sigterm(previous)


def mean_std(values: list[float]) -> str:
    """'37.42 ± 0.51' (sample std, ddof 1), or the single value."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"
