"""WRN only (the `cnn` head, width 8, on raw 128×128 pixels) on KTH-TIPS2-b: train on one physical
sample (1,188 images), test on the other three (3,564 images).

4 published KTH seeds × samples (d, c, b, a) = 16 runs. SPEC gives no KTH training settings; these
are the predecessor's (kth_sample_experiment_onlycnn.py): 150 epochs, batches of 16 with gradients
accumulated over 8 batches (an optimizer step every 128 images), SGD lr 0.001 (momentum 0.9, weight
decay 5e-4), OneCycle (div_factor 25) with peak 0.001, 'original-cifar' augmentation.

    python experiments/kth/onlycnn_kth_sample-experiment.py --dry-run
    python -m parametricSN summarize --experiment kth --compare-published
"""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("parametricSN") is None:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from parametricSN.experiments import KTH_SAMPLES, KTH_SEEDS, Sweep, main  # noqa: E402

SWEEP = Sweep(
    experiment="kth",
    seeds=KTH_SEEDS,
    variants=(),
    axes={"dataset.sample": KTH_SAMPLES},
    base={
        "dataset": {"name": "kth", "train_sample_num": 1188, "augment": "original-cifar",
                    "train_batch_size": 16, "accum_step_multiple": 8},
        "scattering": {"architecture": "identity"},
        "optim": {"name": "sgd", "lr": 0.001, "momentum": 0.9, "weight_decay": 0.0005,
                  "scheduler": "onecycle", "max_lr": 0.001, "div_factor": 25},
        "model": {"name": "cnn", "width": 8, "epoch": 150, "step_test": 25},
    },
)

if __name__ == "__main__":
    sys.exit(main(SWEEP, description=__doc__))
