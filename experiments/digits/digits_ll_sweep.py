"""Offline sweep on scikit-learn's bundled digits (8×8 upsampled to 32×32 grayscale; no download).

A small replica of the paper's LL table that runs on a laptop: 4 seeds × training sizes {100, 500}
× {tight-frame, random} × {learnable, fixed} = 32 runs of scattering (J=2, L=8) + linear layer,
tested on the fixed 360-image test split. Settings (ours; the paper has no digits experiment): 30
epochs, batch 128, SGD (momentum 0.9, weight decay 5e-4 on the head), OneCycle (div_factor 25) with
head peak 0.06 and filter peaks 0.1, no augmentation (flips would turn digits into other shapes).

    python experiments/digits/digits_ll_sweep.py --workers 2
    python -m parametricSN summarize --experiment digits
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from parametricSN.experiments import SCATTERING_VARIANTS, Sweep, main  # noqa: E402

SWEEP = Sweep(
    experiment="digits",
    seeds=(0, 1, 2, 3),
    variants=SCATTERING_VARIANTS,
    axes={"dataset.train_sample_num": (100, 500)},
    base={
        "dataset": {"name": "digits", "train_batch_size": 128, "test_batch_size": 360, "augment": "noaugment"},
        "scattering": {"J": 2, "L": 8, "lr_scattering": 0.1, "lr_orientation": 0.1},
        "optim": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.06, "div_factor": 25},
        "model": {"name": "linear_layer", "epoch": 30, "step_test": 10},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
