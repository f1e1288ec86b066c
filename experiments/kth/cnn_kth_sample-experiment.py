"""Scattering + wide residual network (WRN, the `cnn` head, width 8) on KTH-TIPS2-b: train on one physical sample (all
1,188 images of a, b, c or d), test on the other three (3,564 images).

4 published KTH seeds × samples (d, c, b, a) × {tight-frame, random} × {learnable, fixed} = 64 runs;
the paper's number for a variant is the mean over its 16 seed × sample runs. SPEC gives no KTH
training settings; these are the predecessor's (its cnn_kth_sample-experiment.py with
parameters_texture.yml): J=4 on 128×128 crops (resize 200), 50 epochs, batch 128, SGD (momentum
0.9, weight decay 5e-4), OneCycle (div_factor 25) with head peak 0.001 and filter peaks 0.1,
'original-cifar' augmentation (crop, flip, ±10° rotation).

    python experiments/kth/cnn_kth_sample-experiment.py --dry-run
    python -m parametricSN summarize --experiment kth --compare-published
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from parametricSN.experiments import KTH_SAMPLES, KTH_SEEDS, SCATTERING_VARIANTS, Sweep, main  # noqa: E402

SWEEP = Sweep(
    experiment="kth",
    seeds=KTH_SEEDS,
    variants=SCATTERING_VARIANTS,
    axes={"dataset.sample": KTH_SAMPLES},
    base={
        "dataset": {"name": "kth", "train_sample_num": 1188, "augment": "original-cifar",
                    "train_batch_size": 128},
        "scattering": {"J": 4, "L": 8, "lr_scattering": 0.1, "lr_orientation": 0.1},
        "optim": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.001, "div_factor": 25},
        "model": {"name": "cnn", "width": 8, "epoch": 50, "step_test": 25},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
