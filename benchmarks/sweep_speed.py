"""How long the whole LL 100-sample CIFAR-10 sweep takes (40 runs), and where the time goes.

    python benchmarks/sweep_speed.py [--workers 2] [--seeds all] [--epochs 200] [--check-alone 2]

Runs experiments/cifar/ll/ll_100sample_cifar10_experiment.py as published (10 seeds × {TF, Rand} ×
{LS, S}, 200 epochs, a test every 25 epochs on 10,000 images, every figure) into a fresh MLflow
store, on the real CIFAR-10 images of ../shared/data (validation split of 10,000 training images),
or on random CIFAR-shaped images (torchvision's batch format, with a 10,000-image test split) when
the archive is missing. Prints the total wall time, the peak memory of the process tree, and the
per-run split read back from each run's metrics: setup (data, model), train, test, artifacts
(figures), and the rest of the run's MLflow lifetime.

``--check-alone K`` then repeats K of the runs (one LS, one S, …) alone, each in a fresh
``python -m parametricSN train`` process with the same thread count, and checks that every
logged metric but the timings is identical.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import yaml

from real_cifar import ARCHIVE, CACHE_ROOT, REPO, extract_archive, finished_runs, ll_sweep

from parametricSN.experiments import CIFAR_SEEDS, run_sweep
from parametricSN.experiments.runner import build_parser, build_runs

TIMING_METRICS = ("setup_s", "train_s", "test_s", "artifacts_s", "duration_s")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=len(CIFAR_SEEDS), help="the first N published seeds")
    parser.add_argument("--epochs", type=int, help="override the protocol's 200 epochs (quick checks)")
    parser.add_argument("--check-alone", type=int, default=2, metavar="K",
                        help="rerun K runs alone and compare their metrics (0: skip)")
    parser.add_argument("--out", type=Path, help="folder of the MLflow store (default: a new temporary one)")
    return parser.parse_args(argv)


def cifar_source() -> tuple[Path, list[str]]:
    """(data_root, extra --set options): the real lossless images on their validation split, else random
    CIFAR-shaped python batches with a test split (written once)."""
    if ARCHIVE.is_file():
        return extract_archive(), ["dataset.evaluate_on=validation"]
    root = CACHE_ROOT / "random-cifar"
    folder = root / "cifar10" / "cifar-10-batches-py"
    if not (folder / "test_batch").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.RandomState(0)
        for name, n in [(f"data_batch_{i}", 10000) for i in range(1, 6)] + [("test_batch", 10000)]:
            record = {"data": rng.randint(0, 256, (n, 3072), dtype=np.uint8), "labels": list(np.arange(n) % 10)}
            with open(folder / name, "wb") as f:
                pickle.dump(record, f)
    return root, ["dataset.evaluate_on=test"]


class PeakMemory:
    """Samples the proportional set size (PSS: shared pages such as torch's libraries split between
    the processes that map them) of this process and all its descendants every 0.2 s (Linux)."""

    def __init__(self):
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_bytes = max(self.peak_bytes, sum(_pss(pid) for pid in _tree(str(os.getpid()))))


def _tree(pid: str) -> list[str]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids += _tree(child)
    return pids


def _pss(pid: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def split_table(runs) -> list[str]:
    """Per-run mean seconds of each part, by variant and overall."""
    rows = ["| runs | setup | train | test | artifacts (figures) | MLflow + rest | per run |", "|---|---|---|---|---|---|---|"]
    groups = {"LS runs": [r for c, r in runs if c["scattering"]["learnable"]],
              "S runs": [r for c, r in runs if not c["scattering"]["learnable"]], "all": [r for _, r in runs]}
    for name, group in groups.items():
        if not group:
            continue
        part = {k: statistics.mean(r.data.metrics.get(k, 0.0) for r in group) for k in TIMING_METRICS}
        lifetime = statistics.mean((r.info.end_time - r.info.start_time) / 1000 for r in group)
        rest = lifetime - part["train_s"] - part["test_s"] - part["artifacts_s"]
        rows.append(f"| {name} ({len(group)}) | {part['setup_s']:.1f} s | {part['train_s']:.1f} s | "
                    f"{part['test_s']:.1f} s | {part['artifacts_s']:.1f} s | {rest:.1f} s | "
                    f"{part['setup_s'] + lifetime:.1f} s |")
    return rows


def check_alone(runs, sweep_uri: str, threads: int, count: int) -> list[str]:
    """Rerun ``count`` runs (alternating LS and S) alone; compare every non-timing metric history."""
    from mlflow.tracking import MlflowClient

    sweep_client = MlflowClient(tracking_uri=sweep_uri)

    picked = [r for r in runs if r[0]["scattering"]["learnable"]][: (count + 1) // 2]
    picked += [r for r in runs if not r[0]["scattering"]["learnable"]][: count // 2]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (cfg, run) in enumerate(picked):
            store = f"sqlite:///{tmp}/alone{k}.db"
            alone = {**cfg, "general": {**cfg["general"], "cores": threads},
                     "mlflow": {**cfg["mlflow"], "tracking_uri": store, "experiment_name": "alone"}}
            path = Path(tmp) / f"run{k}.yml"
            path.write_text(yaml.safe_dump(alone))
            subprocess.run([sys.executable, "-m", "parametricSN", "train", "--config", str(path), "--no-progress"],
                           cwd=REPO, check=True, capture_output=True)
            client = MlflowClient(tracking_uri=store)
            (other,) = client.search_runs([client.get_experiment_by_name("alone").experiment_id])
            differences = []
            for name in sorted(set(run.data.metrics) - set(TIMING_METRICS)):
                ours = [(m.step, m.value) for m in sweep_client.get_metric_history(run.info.run_id, name)]
                theirs = [(m.step, m.value) for m in client.get_metric_history(other.info.run_id, name)]
                if sorted(ours) != sorted(theirs):
                    differences.append(name)
            verdict = "identical" if not differences else f"DIFFER in {', '.join(differences)}"
            lines.append(f"- {cfg['mlflow']['run_name']}: {len(run.data.metrics)} metrics, {verdict}")
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    data_root, sets = cifar_source()
    out = args.out or Path(tempfile.mkdtemp(prefix="sweep_speed_"))
    uri = f"sqlite:///{out.resolve()}/store.db"
    sweep = ll_sweep()
    argv_sweep = ["--num-seeds", str(args.seeds), "--workers", str(args.workers), "--data-root", str(data_root),
                  "--tracking-uri", uri, "--no-resume"] + [a for s in sets for a in ("--set", s)]
    if args.epochs:
        argv_sweep += ["--epochs", str(args.epochs)]
    started = time.perf_counter()
    with PeakMemory() as memory:
        code = run_sweep(sweep, argv_sweep)
    wall = time.perf_counter() - started
    cfgs = build_runs(sweep, build_parser(sweep).parse_args(argv_sweep))
    runs = finished_runs(uri, sweep.experiment, cfgs)
    threads = max(1, (os.cpu_count() or 1) // args.workers)
    print(f"\n# {time.strftime('%Y-%m-%d')}: {len(runs)} of {len(cfgs)} runs FINISHED in {wall / 60:.1f} min "
          f"({wall:.0f} s) with --workers {args.workers} ({threads} thread(s) each); "
          f"peak memory of the process tree {memory.peak_bytes / 2 ** 30:.2f} GiB; data: {data_root}")
    print("\n".join(split_table(runs)))
    if args.check_alone and runs:
        print(f"\nthe same runs made alone (python -m parametricSN train, general.cores={threads}):")
        print("\n".join(check_alone(runs, uri, threads, args.check_alone)))
    return code


if __name__ == "__main__":
    sys.exit(main())
