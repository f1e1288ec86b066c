"""Scattering + wide residual network (WRN, the `cnn` head, width 8) on 500 COVIDx CXR-2 training X-rays
(class-balanced), tested on the balanced 400-image test set.

10 published X-ray seeds × {tight-frame, random} × {learnable, fixed} = 40 runs. SPEC gives no X-ray
training settings; these are the predecessor's (cnn_500sample_xray_experiment.py with
parameters_xray.yml): grayscale, J=4 on 224×224 crops (resize 260), 200 epochs, batch 128, SGD lr 0.01
(momentum 0.9, weight decay 5e-4), OneCycle (div_factor 25) with head peak 0.01 and filter peaks
0.01, 'original-cifar' augmentation (crop, flip).

    python experiments/xray/cnn/cnn_500sample_xray_experiment.py --dry-run
    python -m parametricSN summarize --experiment xray --compare-published
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))

from parametricSN.experiments import SCATTERING_VARIANTS, Sweep, XRAY_SEEDS, main  # noqa: E402

SWEEP = Sweep(
    experiment="xray",
    seeds=XRAY_SEEDS,
    variants=SCATTERING_VARIANTS,
    base={
        "dataset": {"name": "xray", "train_sample_num": 500, "train_batch_size": 128,
                    "augment": "original-cifar"},
        "scattering": {"J": 4, "L": 8, "lr_scattering": 0.01, "lr_orientation": 0.01},
        "optim": {"name": "sgd", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.01, "div_factor": 25},
        "model": {"name": "cnn", "width": 8, "epoch": 200, "step_test": 25},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
