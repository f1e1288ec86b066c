"""Time per epoch and per test pass of every KTH-TIPS2-b variant on the real images, and the projected
time of the whole published KTH grid on this machine.

    python benchmarks/kth_epoch_times.py --data-root /tmp/kth [--heads ll,cnn,onlycnn] [--epochs 2]

For each head of the published grid (``ll``, ``cnn``, ``onlycnn``; experiments/grid.py, the cells
("kth", head, "1188")) and each cost class of its variants (a learnable bank, LS; a fixed one, S —
tight-frame and random banks cost the same), one run of the cell's first seed on sample d for
``--epochs`` epochs with a test pass after each, into a temporary MLflow store. The first test pass of
a fixed bank computes the test images' features, the later ones run only the head; a learnable
bank's passes all cost the same; the projection counts every pass at the mean of the measured ones
(for a fixed bank an upper bound: its later passes are faster). Projection per run: epochs × s/epoch
+ the published test passes (one every 25 epochs and at the end); per grid cell: × its runs (4 seeds
× 4 samples × variants).

The pixel head (``onlycnn``: the wide ResNet at the full 128×128, ~0.8 TFLOP per image forward) costs
hours per epoch here, so it is not run: one optimiser step and one forward pass on ``--pixel-batch``
images of the real size time it, scaled to the epoch's 1,188 and the test pass's 3,564 images
(data loading, a few percent of the scattering runs, is not counted).
Measure on an otherwise idle machine (pause other jobs: ``kill -STOP`` / ``kill -CONT``).
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parametricSN.experiments.grid import sweep  # noqa: E402
from parametricSN.experiments.published import KTH_TRAIN_SIZE  # noqa: E402
from parametricSN.experiments.sweeps import deep_update  # noqa: E402


def time_variant(partial: dict, data_root: str, epochs: int, store: str, threads: int) -> dict[str, float]:
    """s/epoch and s per test pass (first, later) of one run of ``partial`` (a sweep's run config)."""
    from mlflow.tracking import MlflowClient

    from parametricSN.run import run_training

    cfg = deep_update(copy.deepcopy(partial), {"dataset": {"data_root": data_root, "sample": "d"},
                                "model": {"epoch": epochs, "step_test": 1},
                                "general": {"cores": threads, "device": "cpu"},
                                "mlflow": {"tracking_uri": store, "experiment_name": "kth-epoch-times"}})
    result = run_training(cfg, progress=True, figures=False)
    client = MlflowClient(tracking_uri=store)
    metrics = client.get_run(result.run_id).data.metrics
    return {"epoch_s": metrics["train_s"] / epochs, "test_s": metrics["test_s"], "epochs": epochs}


def time_pixel_head(partial: dict, images: int, threads: int) -> dict[str, float]:
    """s/epoch and s per test pass of ``partial`` (an ``onlycnn`` run config) projected from one step
    and one forward pass on ``images`` random images of the real KTH input shape (3×128×128)."""
    import torch

    from parametricSN.catalog import DATASET_INFO
    from parametricSN.models.builder import build_model

    torch.set_num_threads(threads)
    info = DATASET_INFO["kth"]
    model = build_model(partial, 3, info.num_classes, (info.height, info.width))  # RGB
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x, y = torch.randn(images, 3, info.height, info.width), torch.randint(0, info.num_classes, (images,))
    started = time.perf_counter()
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    step_s = time.perf_counter() - started
    model.eval()
    started = time.perf_counter()
    with torch.no_grad():
        model(x)
    forward_s = time.perf_counter() - started
    return {"epoch_s": step_s * KTH_TRAIN_SIZE / images, "test_s": forward_s * info.test_sample_num / images,
            "epochs": 1}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="folder holding KTH-TIPS2-b/")
    parser.add_argument("--heads", default="ll,cnn,onlycnn")
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed per variant (each with a test pass)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pixel-batch", type=int, default=2,
                        help="images of the one timed step of the pixel head (onlycnn)")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{tmp}/store.db"
        for head in args.heads.split(","):
            cell = sweep("kth", head, KTH_TRAIN_SIZE)
            runs = list(cell.expand(cell.seeds[:1]))
            by_cost = {}
            for partial in runs:
                learnable = partial.get("scattering", {}).get("learnable", False) and head != "onlycnn"
                by_cost.setdefault("LS" if learnable else ("pixels" if head == "onlycnn" else "S"), partial)
            grid_runs = len(list(cell.expand(cell.seeds)))
            for cost, partial in by_cost.items():
                times = (time_pixel_head(partial, args.pixel_batch, args.threads) if cost == "pixels" else
                         time_variant(partial, args.data_root, args.epochs, store, args.threads))
                epochs = partial["model"]["epoch"]
                passes = math.ceil(epochs / 25) + (epochs % 25 != 0)
                share = sum(1 for p in cell.expand(cell.seeds)
                            if (p.get("scattering", {}).get("learnable", False) and head != "onlycnn")
                            == (cost == "LS"))
                rows.append((head, cost, times, epochs, passes, share, grid_runs))
                print(f"{head} {cost}: {times['epoch_s']:.1f} s/epoch, tests {times['test_s']:.1f} s "
                      f"for {times['epochs']} passes", flush=True)

    print(f"\n| head | bank | s / epoch | s / test pass | epochs | test passes "
          f"| min / run (projected) | runs in grid | hours |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = 0.0
    for head, cost, times, epochs, passes, share, grid_runs in rows:
        per_pass = times["test_s"] / times["epochs"]
        minutes = (epochs * times["epoch_s"] + passes * per_pass) / 60
        hours = minutes * share / 60
        total += hours
        print(f"| {head} | {cost} | {times['epoch_s']:.1f} | {per_pass:.1f} | {epochs} | {passes} | "
              f"{minutes:.0f} | {share} of {grid_runs} | {hours:.1f} |")
    print(f"\nwhole grid ({args.heads}): {total:.1f} h on {args.threads} thread(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
