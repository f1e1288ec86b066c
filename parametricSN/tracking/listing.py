"""``python -m parametricSN runs``: every run of a store with where it stands, and how to continue
the stopped ones.

A run is in one of five states:

* ``finished``   — FINISHED;
* ``training``   — RUNNING and a process holds its checkpoint lock;
* ``resumable``  — stopped (KILLED, FAILED, or RUNNING with no process left: killed without a word,
  SIGKILL, out of memory, a machine gone) with a checkpoint to continue from;
* ``stopped``    — stopped with no checkpoint (it ended before its first one, or predates them):
  only starting it over is left;
* ``crashed``    — like ``stopped`` but still marked RUNNING.

The epoch shown is the last one whose metrics reached the store (for a resumable run the checkpoint's
epoch, where it will continue from, is shown beside it).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence

from parametricSN.errors import UserError
from parametricSN.tracking.resumable import CHECKPOINT_TAG, RESUMES_TAG, being_trained, resumable
from parametricSN.training.progress import human_duration

STATES = ("finished", "training", "resumable", "stopped", "crashed")


@dataclass
class RunLine:
    """One run as listed: ``epoch`` / ``epochs`` done (None: unknown), ``checkpoint_epoch`` (the
    newest checkpoint's, None without one), ``checkpoint_age_s`` (seconds since it was written),
    ``wall_s`` (start to end, or to now while not ended: it includes the time no process trained a
    stopped run), ``trained_s`` (time spent in training processes, summed over resumes: setup_s +
    duration_s, logged when a run ends; None before), ``final`` (``final_test_acc``, %), ``params``
    (the run's MLflow params: its flattened config)."""

    experiment: str
    run_id: str
    name: str
    state: str
    epoch: Optional[int]
    epochs: Optional[int]
    resumes: int
    final: Optional[float]
    checkpoint_epoch: Optional[int]
    checkpoint_age_s: Optional[float]
    wall_s: float
    trained_s: Optional[float]
    command: Optional[str]
    params: dict


def _checkpoint(run: Any, now: float) -> tuple[Optional[int], Optional[float]]:
    from parametricSN.training.checkpoint import checkpoint_files

    folder = run.data.tags.get(CHECKPOINT_TAG)
    files = checkpoint_files(Path(folder)) if folder else []
    if not files:
        return None, None
    newest = files[0]
    return int(newest.stem.split("-")[1]), now - newest.stat().st_mtime


def state_of(run: Any) -> str:
    """One of :data:`STATES` for an MLflow run (a ``search_runs`` result)."""
    status = run.info.status
    if status == "FINISHED":
        return "finished"
    if being_trained(run):
        return "training"
    if resumable(run):
        return "resumable"
    return "crashed" if status == "RUNNING" else "stopped"


def _epochs_done(client, run: Any) -> Optional[int]:
    """The last epoch whose ``train_loss`` reached the store (the metric is logged once per epoch)."""
    history = client.get_metric_history(run.info.run_id, "train_loss")
    return max((m.step for m in history), default=None)


def list_runs(tracking_uri: str, experiment: Optional[str] = None, now: Optional[float] = None) -> List[RunLine]:
    """Every run of the store (or of ``experiment``), oldest first."""
    from parametricSN.tracking.store import open_client

    now = time.time() if now is None else now
    client = open_client(tracking_uri, create=False)
    experiments = client.search_experiments()
    if experiment is not None:
        experiments = [e for e in experiments if e.name == experiment]
        if not experiments:
            names = sorted(e.name for e in client.search_experiments())
            raise UserError(f"experiment {experiment!r} not found in {tracking_uri}; "
                            f"known: {', '.join(names) or 'none'}")
    lines = []
    for found in experiments:
        token = None
        while True:
            page = client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"],
                                      max_results=1000, page_token=token)
            for run in page:
                state = state_of(run)
                epochs = run.data.params.get("model.epoch")
                end_ms = run.info.end_time if state in ("finished", "stopped") and run.info.end_time else now * 1000
                checkpoint_epoch, age = _checkpoint(run, now)
                metrics = run.data.metrics
                lines.append(RunLine(
                    experiment=found.name, run_id=run.info.run_id, name=run.info.run_name or "", state=state,
                    epoch=int(epochs) if state == "finished" and epochs else _epochs_done(client, run),
                    epochs=int(epochs) if epochs else None, resumes=int(run.data.tags.get(RESUMES_TAG, 0)),
                    final=metrics.get("final_test_acc"), checkpoint_epoch=checkpoint_epoch,
                    checkpoint_age_s=age, wall_s=max(0.0, (end_ms - (run.info.start_time or end_ms)) / 1000),
                    trained_s=(metrics["setup_s"] + metrics["duration_s"]
                               if "setup_s" in metrics and "duration_s" in metrics else None),
                    command=run.data.tags.get("parametricSN.command"), params=dict(run.data.params)))
            token = page.token
            if not token:
                break
    return lines


def format_lines(lines: Sequence[RunLine], tracking_uri: str) -> str:
    """The table, then the commands that continue the resumable runs."""
    header = ("experiment", "run", "state", "epoch", "resumes", "final %", "checkpoint", "trained", "since start",
              "run id")
    rows = [header]
    for line in lines:
        epoch = f"{line.epoch if line.epoch is not None else '–'}/{line.epochs or '?'}"
        checkpoint = ("–" if line.checkpoint_epoch is None else
                      f"epoch {line.checkpoint_epoch}, {human_duration(line.checkpoint_age_s)} ago")
        rows.append((line.experiment, line.name, line.state, epoch, str(line.resumes),
                     "–" if line.final is None else f"{line.final:.2f}", checkpoint,
                     "–" if line.trained_s is None else human_duration(line.trained_s), human_duration(line.wall_s),
                     line.run_id))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    waiting = [line for line in lines if line.state == "resumable"]
    if waiting:
        text += ["", f"{len(waiting)} resumable run{'s' if len(waiting) > 1 else ''}; continue one with"]
        text += [f"  python -m parametricSN train --resume {line.run_id} --tracking-uri {tracking_uri}"
                 for line in waiting]
        text.append("or rerun the command that started them (a sweep resumes all of its own):")
        text += sorted({f"  {line.command}" for line in waiting if line.command})
    lost = [line for line in lines if line.state in ("stopped", "crashed")]
    if lost:
        text += ["", f"{len(lost)} run{'s' if len(lost) > 1 else ''} stopped with no checkpoint: start "
                     f"{'them' if len(lost) > 1 else 'it'} over with the command that started "
                     f"{'them' if len(lost) > 1 else 'it'} (tag parametricSN.command)"]
    return "\n".join(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN runs",
        description="Every run of an MLflow store: finished, being trained, stopped and resumable from "
                    "a checkpoint, or stopped for good; the epoch reached, resumes, final accuracy, and "
                    "the commands that continue the stopped runs.")
    parser.add_argument("--tracking-uri", help="MLflow store (default: $MLFLOW_TRACKING_URI or "
                                               "sqlite:///mlruns/store.db)")
    parser.add_argument("--experiment", help="only this MLflow experiment (default: all)")
    parser.add_argument("--state", choices=STATES, action="append",
                        help="only runs in this state (repeatable)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from parametricSN.tracking.mlflow_run import absolute_tracking_uri
    from parametricSN.tracking.store import default_tracking_uri

    uri = absolute_tracking_uri(args.tracking_uri or default_tracking_uri())
    lines = [line for line in list_runs(uri, args.experiment) if not args.state or line.state in args.state]
    if not lines:
        print(f"no runs{' in state ' + ', '.join(args.state) if args.state else ''} in {uri}"
              + (f" (experiment {args.experiment})" if args.experiment else ""))
        return 0
    print(format_lines(lines, uri))
    return 0


if __name__ == "__main__":
    sys.exit(main())
