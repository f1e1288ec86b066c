"""Scattering + wide residual network (WRN, the `cnn` head, width 8) on all 50,000 CIFAR-10 training
samples: paper Table 1, column all.

10 published CIFAR seeds × {tight-frame, random} × {learnable, fixed} = 40 runs. J=2, L=8;
500 epochs, batch 1024, SGD (momentum 0.9, weight decay 5e-4 on the head), OneCycle stepped per
batch (div_factor 25) with head peak 0.1 and filter peaks 0.2, AutoAugment. SPEC §5 gives no all-data settings; these are the predecessor's cnn_alldata script's (500 epochs, batch 1024, head peak 0.1, filter peaks 0.2).

    python experiments/cifar/cnn/cnn_alldata_cifar10_experiment.py --dry-run
    python -m parametricSN summarize --experiment cifar10 --compare-published
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))

from parametricSN.experiments import CIFAR_SEEDS, SCATTERING_VARIANTS, Sweep, main  # noqa: E402

SWEEP = Sweep(
    experiment="cifar10",
    seeds=CIFAR_SEEDS,
    variants=SCATTERING_VARIANTS,
    base={
        "dataset": {"name": "cifar", "train_sample_num": 50000, "train_batch_size": 1024,
                    "augment": "autoaugment"},
        "scattering": {"J": 2, "L": 8, "lr_scattering": 0.2, "lr_orientation": 0.2},
        "optim": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.1, "div_factor": 25},
        "model": {"name": "cnn", "width": 8, "epoch": 500, "step_test": 25},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
