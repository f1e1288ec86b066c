"""Your own images, measured: train → evaluate → predict on a 5-class folder of real photographs.

Builds, from the lossless CIFAR-10 training PNGs in ../shared/data (README there), a folder in the
``DIR/<class>/*`` layout (the run carves its validation split from it) plus a separate held-out
labelled folder for ``evaluate`` and ``predict``; then, per seed, runs the three commands exactly
as a user would (subprocesses) and checks that predict's top-1 accuracy over the held-out folder
equals evaluate's. Prints one line per seed and the mean ± std (sample std over the seeds), and
writes OUT/results.json.

    python benchmarks/folder_example.py [--out /tmp/folder_example] [--seeds 0,1,2] [--epochs 100]

Images: classes airplane, automobile, bird, cat, deer; files 0000-0299 of each class in
OUT/images/<class>/ (1,500 images), files 3000-3199 in OUT/heldout/<class>/ (1,000 images,
disjoint). Training: conf/folder.yml with dataset.train_sample_num=100 (20 per class, the seeded
balanced rule), dataset.height=width=32 (CIFAR's own size: upscaling to the default 128 adds no
information) and scattering.J=2 (the published CIFAR setting).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from machine_load import load  # noqa: E402

ARCHIVE = REPO.parent / "shared" / "data" / "cifar10-train-png.tar.gz"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer")
TRAIN_FILES = range(0, 300)
HELDOUT_FILES = range(3000, 3200)


def build_folders(out: Path, archive: Path = ARCHIVE) -> tuple[Path, Path]:
    """OUT/images/<class>/NNNN.png and OUT/heldout/<class>/NNNN.png (skipped when complete)."""
    images, heldout = out / "images", out / "heldout"
    wanted = {}
    for name in CLASSES:
        for number in TRAIN_FILES:
            wanted[f"cifar10/train/{name}/{number:04d}.png"] = images / name / f"{number:04d}.png"
        for number in HELDOUT_FILES:
            wanted[f"cifar10/train/{name}/{number:04d}.png"] = heldout / name / f"{number:04d}.png"
    if all(path.is_file() for path in wanted.values()):
        return images, heldout
    if not archive.is_file():
        sys.exit(f"error: {archive} not found (the CIFAR-10 PNG archive of ../shared/data)")
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            target = wanted.get(member.name)
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    return images, heldout


def command(args: list[str]) -> tuple[str, float]:
    """Run ``python -m parametricSN ARGS`` in the repository; (stdout, seconds). Exits on failure."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "parametricSN", *args], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(args[:1])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout, seconds


def csv_accuracy(path: Path, root: Path) -> tuple[float, int]:
    """Top-1 accuracy (%) of predict's CSV over a labelled folder (label = the class folder)."""
    with open(path, newline="") as f:
        rows = [row for row in csv.DictReader(f) if not row["error"]]
    correct = sum(Path(row["path"]).relative_to(root).parts[0] == row["predicted"] for row in rows)
    return 100.0 * correct / len(rows), len(rows)


def one_seed(seed: int, images: Path, heldout: Path, out: Path, epochs: int) -> dict:
    store = f"sqlite:///{out / 'mlruns' / 'store.db'}"
    train = ["train", "--config", "conf/folder.yml", "--no-progress", f"dataset.path={images}",
             "dataset.train_sample_num=100", "dataset.height=32", "dataset.width=32", "scattering.J=2",
             f"model.epoch={epochs}", f"general.seed={seed}", "general.device=cpu",
             f"mlflow.tracking_uri={store}"]
    text, train_s = command(train)
    found = re.search(r"run (\w+) finished: final (\w+) accuracy ([\d.]+)%", text)
    run_id, validation = found.group(1), float(found.group(3))
    text, evaluate_s = command(["evaluate", "--run", run_id, "--tracking-uri", store, "--data", str(heldout),
                                "--out", str(out / f"evaluation-seed{seed}"), "--no-progress"])
    evaluated = float(re.search(r"accuracy ([\d.]+)%", text).group(1))
    predictions = out / f"predictions-seed{seed}.csv"
    _, predict_s = command(["predict", "--run", run_id, "--tracking-uri", store, "--output", str(predictions),
                            "--no-progress", str(heldout)])
    predicted, rows = csv_accuracy(predictions, heldout)
    return {"seed": seed, "run_id": run_id, "validation_accuracy": validation, "heldout_accuracy": evaluated,
            "predict_top1_accuracy": round(predicted, 2), "predicted_rows": rows,
            "predict_matches_evaluate": abs(round(predicted, 2) - evaluated) < 1e-9,
            "train_s": round(train_s, 1), "evaluate_s": round(evaluate_s, 1), "predict_s": round(predict_s, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/folder_example", help="working folder (images, store, results)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--epochs", type=int, default=100, help="model.epoch of each training run")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    images, heldout = build_folders(out)
    results = []
    print(f"load average before: {load()}", flush=True)
    for seed in (int(s) for s in args.seeds.split(",")):
        results.append(one_seed(seed, images, heldout, out, args.epochs))
        print(json.dumps(results[-1]), flush=True)
    summary = {"epochs": args.epochs, "load_average_after": load(), "runs": results}
    for key in ("validation_accuracy", "heldout_accuracy", "train_s"):
        values = [r[key] for r in results]
        summary[key] = {"mean": statistics.mean(values),
                        "std": statistics.stdev(values) if len(values) > 1 else None}
        std = summary[key]["std"]
        print(f"{key}: {summary[key]['mean']:.2f}" + (f" ± {std:.2f}" if std is not None else "")
              + f" over seeds {args.seeds}")
    (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"load average after: {summary['load_average_after']}; results in {out / 'results.json'}")
    return 0 if all(r["predict_matches_evaluate"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
