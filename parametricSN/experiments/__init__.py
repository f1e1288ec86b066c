"""Experiment sweeps: the published grids as data, one shared runner, executors and resume.

An experiment script declares a :class:`Sweep` and hands it to :func:`main`::

    SWEEP = Sweep(experiment="cifar10", seeds=CIFAR_SEEDS, variants=SCATTERING_VARIANTS,
                  base={"dataset": {"name": "cifar", "train_sample_num": 100}, ...})
    if __name__ == "__main__":
        sys.exit(main(SWEEP, description=__doc__))

See docs/experiments.md for the scripts, the options they share and how to plug in a head.
"""

from parametricSN.experiments.published import (
    CIFAR_SEEDS, KTH_SAMPLES, KTH_SEEDS, KTH_TRAIN_SIZE, PUBLISHED, SEEDS, XRAY_SEEDS,
)
from parametricSN.experiments.runner import build_parser, main, run_sweep
from parametricSN.experiments.sweeps import SCATTERING_VARIANTS, Sweep, Variant
from parametricSN.labels import variant_label

__all__ = [
    "CIFAR_SEEDS", "KTH_SAMPLES", "KTH_SEEDS", "KTH_TRAIN_SIZE", "PUBLISHED", "SEEDS", "XRAY_SEEDS",
    "SCATTERING_VARIANTS", "Sweep", "Variant", "build_parser", "main", "run_sweep", "variant_label",
]
