"""WRN only (the `cnn` head, width 8, on raw pixels: no scattering) on all 50,000 CIFAR-10 training
samples: the baseline row of paper Table 1, column all.

The 10 published CIFAR seeds = 10 runs. 500 epochs, batch 1024, SGD (momentum 0.9, weight decay
5e-4), OneCycle stepped per batch (div_factor 25) with peak 0.1, AutoAugment. The paper has no all-data WRN-only number; these settings mirror cnn_alldata (500 epochs, batch 1024, peak 0.1).

    python experiments/cifar/onlycnn/onlycnn_alldata_cifar10_experiment.py --dry-run
    python -m parametricSN summarize --experiment cifar10 --compare-published
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))

from parametricSN.experiments import CIFAR_SEEDS, Sweep, main  # noqa: E402

SWEEP = Sweep(
    experiment="cifar10",
    seeds=CIFAR_SEEDS,
    variants=(),
    base={
        "dataset": {"name": "cifar", "train_sample_num": 50000, "train_batch_size": 1024,
                    "augment": "autoaugment"},
        "scattering": {"architecture": "identity"},
        "optim": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.1, "div_factor": 25},
        "model": {"name": "cnn", "width": 8, "epoch": 500, "step_test": 25},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
