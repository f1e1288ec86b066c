"""The tables of the long real-image runs (benchmarks/real_runs.sh), read from their MLflow store:
learnable (LS) against fixed (S) tight-frame bank, one row per seed (the WRN track) or per KTH
sample, paired where both have finished.

    python benchmarks/real_runs_table.py --tracking-uri URI

Each cell is the final accuracy (%) of a FINISHED run, or where an unfinished one stands
(``epoch 139/3000, resumable``). Time: spent in training processes over all resumes (setup_s +
duration_s); resumes: how many times the run was continued from a checkpoint. Below each table:
mean ± std (sample std) of each column over its finished rows, and LS − S paired by row.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parametricSN.experiments.grid import sweep  # noqa: E402
from parametricSN.tracking.listing import RunLine, list_runs  # noqa: E402

TABLES = (  # title, experiment, head label, row parameter, the rows always shown (others follow)
    ("The wide-ResNet track (CIFAR-10, 100 images, validation split)", "cifar10-competition", "WRN",
     "general.seed", tuple(str(seed) for seed in sweep("cifar", "cnn", "100").seeds[:2])),
    ("The published LL protocol on KTH-TIPS2-b (seed 1390666426)", "kth", "LL", "dataset.sample",
     ("d", "c", "b", "a")),
)


def _learnable(line: RunLine) -> bool:
    return line.params.get("scattering.learnable", "True") in ("True", "true", "1")


def _cell(line: Optional[RunLine]) -> str:
    if line is None:
        return "not started"
    if line.state == "finished" and line.final is not None:
        return f"{line.final:.2f}"
    return f"epoch {line.epoch if line.epoch is not None else 0}/{line.epochs or '?'}, {line.state}"


def _time(line: Optional[RunLine]) -> str:
    if line is None or line.trained_s is None:
        return ""
    return f"{line.trained_s / 3600:.2f} h / {line.resumes}"


def _mean_std(values: Sequence[float]) -> str:
    if not values:
        return "–"
    spread = f" ± {statistics.stdev(values):.2f}" if len(values) > 1 else ""
    return f"{statistics.mean(values):.2f}{spread} (n={len(values)})"


def table(lines: List[RunLine], head: str, row_key: str, shown: Sequence[str] = ()) -> str:
    """The markdown table of ``lines`` (their tight-frame runs), one row per value of ``row_key``:
    those of ``shown`` first, then any other found."""
    cells: Dict[str, Dict[bool, RunLine]] = {}
    for line in lines:
        if line.params.get("scattering.init_params") == "tight-frame":
            cells.setdefault(line.params.get(row_key, "?"), {})[_learnable(line)] = line  # newest wins
    rows = list(shown) + [row for row in cells if row not in shown]
    out = [f"| {row_key.split('.')[-1]} | TF LS+{head} | TF S+{head} | LS − S | LS time / resumes | S time / resumes |",
           "|---|---|---|---|---|---|"]
    learned, fixed, paired = [], [], []
    for row in rows:
        ls, s = cells.get(row, {}).get(True), cells.get(row, {}).get(False)
        done = [x is not None and x.state == "finished" and x.final is not None for x in (ls, s)]
        if done[0]:
            learned.append(ls.final)
        if done[1]:
            fixed.append(s.final)
        diff = ""
        if all(done):
            paired.append(ls.final - s.final)
            diff = f"{paired[-1]:+.2f}"
        out.append(f"| {row} | {_cell(ls)} | {_cell(s)} | {diff} | {_time(ls)} | {_time(s)} |")
    diff = (f"{statistics.mean(paired):+.2f}" + (f" ± {statistics.stdev(paired):.2f}" if len(paired) > 1 else "")
            + f" (n={len(paired)})") if paired else "–"
    out.append(f"| mean ± std | {_mean_std(learned)} | {_mean_std(fixed)} | {diff} | | |")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracking-uri", required=True, help="the store of benchmarks/real_runs.sh")
    args = parser.parse_args(argv)
    everything = list_runs(args.tracking_uri)
    for title, experiment, head, row_key, shown in TABLES:
        lines = [line for line in everything if line.experiment == experiment]
        print(f"## {title}\n\n{table(lines, head, row_key, shown)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
