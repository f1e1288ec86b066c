"""Four training runs side by side on one machine against one run alone, in one go.

    python benchmarks/parallel_runs.py [--runs 4] [--epochs 10] [--config conf/digits.yml] [--no-oversubscribed]

Each run is a separate ``python -m parametricSN train`` process (figures off, no progress bar) on
one fresh SQLite store (created before the clock starts). Cases, one after the other:

- ``alone``: one run, with the threads the allocation rule gives it (parametricSN/threads.py: by
  default every CPU of this process's affinity mask);
- ``N split``: N runs started at once, each with ``general.cores`` = CPUs // N (at least 1), the
  rule the README recommends;
- ``N oversubscribed`` (unless ``--no-oversubscribed``): N runs at once, each left to take every
  CPU, as plain parallel processes did before the rule.

Prints, per case, the wall time of the whole case, the mean of the runs' own training-loop time
(``train_s`` + ``test_s`` from their metrics) and the throughput against running the N runs one
after the other alone. The load average is printed too: on a shared machine the numbers move.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine_load import load  # noqa: E402

from parametricSN.threads import allotted_cores  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="runs started at once (default 4)")
    parser.add_argument("--epochs", type=int, default=10, help="model.epoch of every run (default 10)")
    parser.add_argument("--config", default=str(REPO / "conf" / "digits.yml"))
    parser.add_argument("--no-oversubscribed", action="store_true", help="skip the case without a thread split")
    return parser.parse_args(argv)


def run_case(store: str, config: str, epochs: int, seeds, cores) -> tuple[float, list[float]]:
    """Start one process per seed at once; (wall seconds, each run's train_s + test_s)."""
    from mlflow.tracking import MlflowClient

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("OMP_NUM_THREADS", None)
    experiment = f"parallel-{time.time_ns()}"
    extra = [f"general.cores={cores}"] if cores else []
    started = time.perf_counter()
    processes = [subprocess.Popen(
        [sys.executable, "-m", "parametricSN", "train", "--config", config, "--no-progress", "--no-figures",
         f"mlflow.tracking_uri={store}", f"mlflow.experiment_name={experiment}", f"model.epoch={epochs}",
         f"general.seed={seed}", "general.device=cpu", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for seed in seeds]
    errors = [(p.wait(), p.stderr.read()) for p in processes]
    wall = time.perf_counter() - started
    for code, err in errors:
        if code != 0:
            raise SystemExit(f"a run failed (exit {code}): {err[-1500:]}")
    client = MlflowClient(tracking_uri=store)
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    loops = [run.data.metrics["train_s"] + run.data.metrics["test_s"] for run in runs]
    return wall, loops


def main(argv=None) -> int:
    args = parse_args(argv)
    from parametricSN.tracking.store import open_client

    cpus, source = allotted_cores()
    split = max(1, cpus // args.runs)
    with tempfile.TemporaryDirectory(prefix="psn-parallel-") as tmp:
        store = f"sqlite:///{tmp}/store.db"
        open_client(store)  # the store's creation is not timed
        print(f"{cpus} CPUs ({source}); {args.runs} runs of {Path(args.config).name}, {args.epochs} epochs, "
              f"figures off; load average before: {load()}")
        cases = [("alone", [0], None), (f"{args.runs} split ({split} thread(s) each)", range(args.runs), split)]
        if not args.no_oversubscribed:
            cases.append((f"{args.runs} oversubscribed ({cpus} threads each)", range(args.runs), None))
        alone_wall = None
        print(f"{'case':<36} {'wall s':>8} {'loop s (mean)':>14} {'vs alone one after another':>28}")
        for name, seeds, cores in cases:
            wall, loops = run_case(store, args.config, args.epochs, list(seeds), cores)
            alone_wall = wall if alone_wall is None else alone_wall
            speed = alone_wall * len(loops) / wall
            print(f"{name:<36} {wall:>8.1f} {statistics.mean(loops):>14.2f} {speed:>27.2f}×", flush=True)
        print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
