"""Paper-style result table of one MLflow experiment.

    python -m parametricSN summarize --experiment cifar10 [--tracking-uri URI] [--compare-published]
                                     [--out DIR]

Rows are variants ("TF LS+LL", "Rand S+WRN", "WRN only", …, from each run's logged config),
columns are training-set sizes ("all" for a whole training split), and a cell is the mean ± sample
standard deviation (ddof=1) of ``final_test_acc`` (percent) over the FINISHED runs of that cell,
with their count n. The table is printed as Markdown and written to ``DIR/<experiment>.md`` and
``DIR/<experiment>.csv`` (default DIR: ``summaries``). ``--compare-published`` adds the paper's
numbers beside ours. A learnable row trained with a filter recipe other than the paper's
(``experiments.recipes``, e.g. ``--recipe bounded``) is its own row, "TF LS+LL [bounded]", compared
with the paper's row of the same variant; the table's first line names the recipes it holds.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from parametricSN.errors import UserError
from parametricSN.experiments.published import FULL_TRAIN_SIZE, PUBLISHED, VARIANT_ORDER
from parametricSN.experiments.recipes import recipe_of
from parametricSN.labels import variant_label
from parametricSN.tracking.store import default_tracking_uri

METRIC = "final_test_acc"
# Params that legitimately differ between the runs of one cell (seeds, KTH samples, bookkeeping;
# general.save_metric: a retired key that only runs logged before it went carry).
CELL_FREE_KEYS = ("general.seed", "dataset.sample", "general.cores", "general.device", "model.save",
                  "scattering.filter_video", "dataset.data_root", "general.save_metric")


@dataclass(frozen=True)
class RunRecord:
    """One FINISHED run: where it sits in the table and its final test accuracy (percent)."""

    dataset: str
    variant: str
    column: str
    accuracy: float
    params: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class CellStats:
    mean: float
    std: Optional[float]  # None for n = 1
    n: int


@dataclass
class Table:
    """rows: (dataset, variant) in display order; columns: size labels in order."""

    experiment: str
    rows: List[Tuple[str, str]]
    columns: List[str]
    cells: Dict[Tuple[Tuple[str, str], str], CellStats]
    warnings: List[str] = field(default_factory=list)

    @property
    def datasets(self) -> List[str]:
        return sorted({dataset for dataset, _ in self.rows})

    def row_label(self, row: Tuple[str, str]) -> str:
        dataset, variant = row
        return variant if len(self.datasets) == 1 else f"{dataset}: {variant}"


# ---- building the table ---------------------------------------------------------------------

def column_label(dataset: str, train_sample_num) -> str:
    """"100", "500", … or "all" when the run trained on the dataset's whole training split
    (train_sample_num unset: null / all)."""
    if train_sample_num in (None, "", "None"):
        return "all"
    try:
        n = int(float(train_sample_num))
    except (TypeError, ValueError):
        return str(train_sample_num)
    return "all" if FULL_TRAIN_SIZE.get(dataset) == n else str(n)


def dataset_label(params: Mapping[str, str]) -> str:
    """The dataset's name; for your own images ``folder:<folder name>`` (two folders are two rows)."""
    dataset = str(params.get("dataset.name", "?"))
    path = params.get("dataset.path")
    return f"{dataset}:{Path(str(path)).name}" if dataset == "folder" and path else dataset


def record_from_params(params: Mapping[str, str], accuracy: float) -> RunRecord:
    dataset = dataset_label(params)
    variant = variant_label(params)
    recipe = recipe_of(params)
    if recipe not in (None, "published"):
        variant = f"{variant} [{recipe}]"
    return RunRecord(dataset, variant, column_label(dataset, params.get("dataset.train_sample_num")),
                     float(accuracy), dict(params))


def paper_variant(variant: str) -> str:
    """"TF LS+LL [bounded]" → "TF LS+LL": the paper's row a recipe's row is compared with."""
    return variant.split(" [", 1)[0]


def recipes_line(table: "Table") -> str:
    """"filter recipes: published (the paper's), bounded" for the rows of ``table``."""
    named = sorted({variant.split(" [", 1)[1].rstrip("]") for _, variant in table.rows if " [" in variant})
    has_published = any(" [" not in variant and " LS" in variant for _, variant in table.rows)
    if not named and not has_published:
        return ""      # no learnable bank: no recipe to name
    return "filter recipes: " + ", ".join((["published (the paper's)"] if has_published else []) + named)


def cell_stats(values: Sequence[float]) -> CellStats:
    """Mean, sample standard deviation (ddof=1; None for one value) and count."""
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return CellStats(mean, std, n)


def _column_key(label: str):
    return (1, 0) if label == "all" else (0, int(label)) if label.isdigit() else (2, label)


def _row_key(row: Tuple[str, str]):
    dataset, variant = row
    base = paper_variant(variant)
    order = VARIANT_ORDER.index(base) if base in VARIANT_ORDER else len(VARIANT_ORDER)
    return (dataset, order, variant)


def build_table(experiment: str, records: Sequence[RunRecord]) -> Table:
    groups: Dict[Tuple[Tuple[str, str], str], List[RunRecord]] = {}
    for record in records:
        groups.setdefault(((record.dataset, record.variant), record.column), []).append(record)
    rows = sorted({row for row, _ in groups}, key=_row_key)
    columns = sorted({column for _, column in groups}, key=_column_key)
    cells = {key: cell_stats([r.accuracy for r in group]) for key, group in groups.items()}
    table = Table(experiment, rows, columns, cells)
    for (row, column), group in groups.items():
        differing = _differing_keys([r.params for r in group])
        if differing:
            table.warnings.append(
                f"warning: cell ({table.row_label(row)}, {column}) averages runs whose configs differ in "
                f"{', '.join(differing[:5])}{' …' if len(differing) > 5 else ''}")
    return table


def _differing_keys(param_sets: Sequence[Mapping[str, str]]) -> List[str]:
    keys = set().union(*param_sets) if param_sets else set()
    differing = []
    for key in sorted(keys):
        if key.startswith("mlflow.") or key in CELL_FREE_KEYS:
            continue
        if len({params.get(key) for params in param_sets}) > 1:
            differing.append(key)
    return differing


# ---- reading MLflow -------------------------------------------------------------------------

def load_records(tracking_uri: str, experiment: str) -> List[RunRecord]:
    """The FINISHED runs of ``experiment`` that logged ``final_test_acc``."""
    from parametricSN.tracking.store import open_client

    client = open_client(tracking_uri, create=False)  # a missing SQLite file: one line, not a new store
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = sorted(e.name for e in client.search_experiments())
        raise UserError(f"experiment {experiment!r} not found in {tracking_uri}; "
                        f"known: {', '.join(names) or 'none'}")
    records, token = [], None
    while True:
        page = client.search_runs([found.experiment_id], filter_string="attributes.status = 'FINISHED'",
                                  max_results=1000, page_token=token)
        for run in page:
            if METRIC in run.data.metrics:
                records.append(record_from_params(run.data.params, run.data.metrics[METRIC]))
        token = page.token
        if not token:
            return records


# ---- formatting -----------------------------------------------------------------------------

def _fmt_cell(stats: Optional[CellStats]) -> str:
    if stats is None:
        return "–"
    spread = f" ± {stats.std:.2f}" if stats.std is not None else ""
    return f"{stats.mean:.2f}{spread} (n={stats.n})"


def _fmt_published(value: Optional[Tuple[float, Optional[float]]]) -> str:
    if value is None:
        return "–"
    mean, std = value
    return f"{mean:.2f}" + (f" ± {std:.2f}" if std is not None else "")


def published_cell(row: Tuple[str, str], column: str):
    dataset, variant = row
    return PUBLISHED.get(dataset, {}).get(paper_variant(variant), {}).get(column)


def to_markdown(table: Table, compare: bool = False) -> str:
    header = ["variant"]
    for column in table.columns:
        header += [column, f"{column} published"] if compare else [column]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table.rows:
        cells = [table.row_label(row)]
        for column in table.columns:
            cells.append(_fmt_cell(table.cells.get((row, column))))
            if compare:
                cells.append(_fmt_published(published_cell(row, column)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_csv(table: Table, path: Path, compare: bool = False) -> None:
    """Wide CSV: one row per variant; per column ``<col> mean``, ``<col> std``, ``<col> n``
    (and ``<col> published mean`` / ``std`` with ``compare``). Empty fields where there is nothing."""
    header = ["variant"]
    for column in table.columns:
        header += [f"{column} mean", f"{column} std", f"{column} n"]
        if compare:
            header += [f"{column} published mean", f"{column} published std"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in table.rows:
            values: List[object] = [table.row_label(row)]
            for column in table.columns:
                stats = table.cells.get((row, column))
                values += ["", "", 0] if stats is None else [
                    round(stats.mean, 4), "" if stats.std is None else round(stats.std, 4), stats.n]
                if compare:
                    published = published_cell(row, column)
                    values += ["", ""] if published is None else [
                        published[0], "" if published[1] is None else published[1]]
            writer.writerow(values)


def _safe_name(experiment: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", experiment).strip("_") or "experiment"


# ---- command line ---------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN summarize",
        description="Paper-style table (mean ± std of final_test_acc over seeds, per variant and "
                    "training-set size) of an MLflow experiment's FINISHED runs.")
    parser.add_argument("--experiment", required=True, help="MLflow experiment name (e.g. cifar10)")
    parser.add_argument("--tracking-uri", help="MLflow store (default: $MLFLOW_TRACKING_URI or "
                                               "sqlite:///mlruns/store.db)")
    parser.add_argument("--compare-published", action="store_true",
                        help="put the published numbers (the paper's tables) beside ours")
    parser.add_argument("--out", default="summaries", metavar="DIR",
                        help="folder for <experiment>.csv and <experiment>.md (default: summaries)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    records = load_records(args.tracking_uri or default_tracking_uri(), args.experiment)
    if not records:
        raise UserError(f"experiment {args.experiment!r} has no FINISHED run with {METRIC}; "
                        f"finish some runs first (or check --tracking-uri)")
    table = build_table(args.experiment, records)
    compare = args.compare_published
    if compare and not any(dataset in PUBLISHED for dataset in table.datasets):
        print(f"note: no published numbers for {', '.join(table.datasets)}; nothing to compare",
              file=sys.stderr)
        compare = False
    markdown = to_markdown(table, compare)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = _safe_name(args.experiment)
    recipes = recipes_line(table)
    title = (f"# {args.experiment}: final test accuracy (%), mean ± std over seeds (n runs)\n\n"
             + (f"{recipes}\n\n" if recipes else ""))
    (out / f"{stem}.md").write_text(title + markdown)
    write_csv(table, out / f"{stem}.csv", compare)
    if recipes:
        print(recipes)
    print(markdown, end="")
    for warning in table.warnings:
        print(warning, file=sys.stderr)
    print(f"{len(records)} FINISHED runs; wrote {out / (stem + '.csv')} and {out / (stem + '.md')}")
    return 0
