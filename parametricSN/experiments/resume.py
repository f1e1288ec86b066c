"""Resume: which runs of a sweep are already done, or can continue, according to MLflow.

A run counts as done when its experiment holds a FINISHED run tagged with the same
``config_hash`` (the hash covers seed and every setting that changes the result, not the MLflow
section, data paths or device — see ``parametricSN.config.config_hash``). A KILLED, FAILED or
crashed (still RUNNING, no process training it) run with a checkpoint continues from it, in the
same MLflow run; one without a checkpoint is redone from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from parametricSN.tracking.store import sqlite_path


@dataclass(frozen=True)
class PriorRuns:
    """MLflow's record of one config hash: the FINISHED run id (if any), earlier statuses, and the
    run that can continue from its checkpoint (if any, and none FINISHED), and the run another
    process is training now (if any)."""

    finished_run_id: Optional[str]
    statuses: tuple
    resumable_run_id: Optional[str] = None
    training_run_id: Optional[str] = None  # RUNNING and being trained by another process now

    @property
    def done(self) -> bool:
        return self.finished_run_id is not None


def store_exists(tracking_uri: str) -> bool:
    """False when the store is certainly empty (a sqlite file or local folder not yet created)."""
    path = sqlite_path(tracking_uri)
    if path is not None:
        return path.is_file()
    if "://" not in tracking_uri or tracking_uri.startswith("file:"):
        return Path(tracking_uri.replace("file://", "", 1)).exists()
    return True


def prior_runs(tracking_uri: str, experiment_name: str, hashes: Iterable[str]) -> Dict[str, PriorRuns]:
    """For each config hash, what the experiment already holds (missing hashes: nothing)."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes or not store_exists(tracking_uri):
        return {}
    from parametricSN.tracking.resumable import being_trained, newest_resumable
    from parametricSN.tracking.store import open_client

    client = open_client(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return {}
    found: Dict[str, PriorRuns] = {}
    for config_hash in hashes:
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.config_hash = '{config_hash}'",
            max_results=1000,
        )
        if not runs:
            continue
        finished = [run.info.run_id for run in runs if run.info.status == "FINISHED"]
        training = [run.info.run_id for run in runs if being_trained(run)]
        found[config_hash] = PriorRuns(finished[0] if finished else None,
                                       tuple(run.info.status for run in runs),
                                       None if finished else newest_resumable(runs),
                                       training[0] if training else None)
    return found


def finished_run_ids(tracking_uri: str, experiment_name: str, hashes: Iterable[str]) -> Dict[str, str]:
    """config hash -> id of a FINISHED run with that hash, for the hashes that have one."""
    return {h: prior.finished_run_id for h, prior in prior_runs(tracking_uri, experiment_name, hashes).items()
            if prior.done}


def ensure_experiment(tracking_uri: str, experiment_name: str) -> str:
    """Create the experiment once, before parallel workers start (concurrent creation races);
    the same way a training run would (artifacts beside a sqlite store)."""
    from parametricSN.tracking.mlflow_run import ensure_experiment as ensure
    from parametricSN.tracking.store import open_client

    return ensure(open_client(tracking_uri), experiment_name, tracking_uri)


def statuses_summary(prior: Optional[PriorRuns]) -> str:
    """'' or e.g. 'previous attempts: FAILED, KILLED' for the dry-run / progress lines."""
    if prior is None or not prior.statuses:
        return ""
    return "previous attempts: " + ", ".join(sorted(set(prior.statuses)))


__all__: List[str] = ["PriorRuns", "prior_runs", "finished_run_ids", "ensure_experiment", "store_exists"]
