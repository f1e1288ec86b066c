"""WRN only (the `cnn` head, width 8, on raw 224×224 grayscale pixels) on 500 COVIDx CXR-2
training X-rays (class-balanced), tested on the balanced 400-image test set.

The 10 published X-ray seeds = 10 runs. SPEC gives no X-ray training settings; these are the
predecessor's (onlycnn_500sample_xray_experiment.py): 100 epochs, batches of 8 with gradients
accumulated over 16 batches (an optimizer step every 128 images), SGD lr 0.1 (momentum 0.9, weight
decay 5e-4), OneCycle (div_factor 25) with peak 0.001, 'original-cifar' augmentation. The test batch
(64 here, 8 there) changes no number.

    python experiments/xray/onlycnn/onlycnn_500sample_xray_experiment.py --dry-run
    python -m parametricSN summarize --experiment xray --compare-published
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))

from parametricSN.experiments import Sweep, XRAY_SEEDS, main  # noqa: E402

SWEEP = Sweep(
    experiment="xray",
    seeds=XRAY_SEEDS,
    variants=(),
    base={
        "dataset": {"name": "xray", "train_sample_num": 500, "train_batch_size": 8,
                    "accum_step_multiple": 16, "test_batch_size": 64, "augment": "original-cifar"},
        "scattering": {"architecture": "identity"},
        "optim": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.001, "div_factor": 25},
        "model": {"name": "cnn", "width": 8, "epoch": 100, "step_test": 25},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
