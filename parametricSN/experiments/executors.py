"""Where the runs of a sweep execute: a local process pool, or submitit (SLURM, or its local/debug
executors for tests and laptops).

Every executor calls the module-level :func:`execute` on picklable :class:`Job` objects and
returns one :class:`Outcome` per job. ``execute`` never raises: a training error becomes a FAILED
outcome, so one bad run never stops the others.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import copy
import multiprocessing
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from parametricSN.config import Config, section
from parametricSN.experiments.sweeps import deep_update
from parametricSN.plugins import register_plugins

FINISHED, FAILED, KILLED, SKIPPED = "FINISHED", "FAILED", "KILLED", "SKIPPED"


@dataclass(frozen=True)
class Job:
    """One training run: a validated nested config and the training callable to hand it to.

    ``plugins`` are ``"name=module:attr"`` head specs re-registered in the worker process (a spawned
    worker starts with only the built-in heads). ``threads`` is torch's intra-op thread count for
    the run (None: leave torch's default). ``resume_run_id``: continue that MLflow run from its
    checkpoint (:func:`resume_training_in_worker`) instead of calling ``train_fn``.
    """

    index: int
    label: str
    cfg: Dict[str, Any]
    train_fn: Callable[[dict], Any]
    plugins: tuple = ()
    threads: Optional[int] = None
    resume_run_id: Optional[str] = None


@dataclass
class Outcome:
    """What became of one run. ``final_test_acc`` in percent; ``error`` one line when not FINISHED."""

    index: int
    label: str
    status: str
    final_test_acc: Optional[float] = None
    run_id: Optional[str] = None
    error: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


# ---- pure helpers ---------------------------------------------------------------------------

def threads_per_worker(cores: int, workers: int) -> int:
    """torch threads for each of ``workers`` concurrent runs sharing ``cores`` cores (at least 1)."""
    return max(1, int(cores) // max(1, int(workers)))


def assign_device(requested: str, worker_index: int, n_gpus: int) -> str:
    """The device a run in worker ``worker_index`` should use.

    With more than one GPU, runs that ask for ``"auto"`` or ``"cuda"`` get ``cuda:(worker_index %
    n_gpus)`` so that concurrent workers spread over the GPUs (one device each when workers ≤
    GPUs); an explicit ``"cpu"`` or ``"cuda:N"`` is respected, and with 0 or 1 GPU nothing changes.
    """
    requested = str(requested).strip().lower()
    if n_gpus > 1 and requested in ("auto", "cuda"):
        return f"cuda:{worker_index % n_gpus}"
    return requested


# ---- the worker side ------------------------------------------------------------------------

_WORKER: Dict[str, Any] = {"index": 0, "n_gpus": 0}


def _init_worker(index_queue, threads: Optional[int], n_gpus: int) -> None:
    """Pool initializer: claim a worker index (for the GPU assignment) and set torch threads; a
    SIGTERM ends the worker's run KILLED, as Ctrl-C does."""
    from parametricSN.runtime import sigterm_as_interrupt

    sigterm_as_interrupt()
    _WORKER["index"] = index_queue.get()
    _WORKER["n_gpus"] = n_gpus
    if threads:
        import torch

        torch.set_num_threads(threads)


def execute(job: Job) -> Outcome:
    """Run one job in this process; training errors become a FAILED outcome, never an exception."""
    if _WORKER.get("interrupted"):  # Ctrl-C reached this worker: start nothing more
        return Outcome(job.index, job.label, KILLED, error="not started: the sweep was interrupted")
    try:
        register_plugins(job.plugins)
        with _thread_allocation(job.threads):
            cfg = _on_worker_device(job.cfg)
            result = (resume_training_in_worker(cfg, job.resume_run_id) if job.resume_run_id
                      else job.train_fn(cfg))
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM, or submitit requeuing the job
        _WORKER["interrupted"] = True  # a pool worker would otherwise go on with a queued job
        raise
    except BaseException as error:  # noqa: BLE001 - isolate every failure of one run
        from parametricSN.errors import UserError

        if not isinstance(error, UserError):  # a UserError's one line says it all
            traceback.print_exc()
        message = " ".join(f"{type(error).__name__}: {error}".split())
        return Outcome(job.index, job.label, FAILED, error=message[:500])
    return _outcome_from_result(job, result)


@contextlib.contextmanager
def _thread_allocation(threads: Optional[int]):
    """Torch threads = ``threads``, and the same stated to the run as ``OMP_NUM_THREADS`` (which
    run_training follows when general.cores is unset; parametricSN.threads), restored after."""
    if not threads:
        yield
        return
    import torch

    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous


def _on_worker_device(cfg):
    """``cfg`` (a Config or a nested dict) with general.device set to this worker's device."""
    requested = section(cfg, "general").device
    device = assign_device(requested, _WORKER["index"], _WORKER["n_gpus"])
    if device == requested:
        return cfg
    if isinstance(cfg, Config):
        return cfg.replace(general={"device": device})
    return deep_update(copy.deepcopy(cfg), {"general": {"device": device}})


def _outcome_from_result(job: Job, result: Any) -> Outcome:
    """TrainResult (or a dict with the same fields) -> Outcome."""
    get = result.get if isinstance(result, dict) else lambda key, default=None: getattr(result, key, default)
    status = str(get("status", FINISHED) or FINISHED).upper()
    acc = get("final_test_acc", None)
    outcome = Outcome(job.index, job.label, status, None if acc is None else float(acc), get("run_id", None))
    if status != FINISHED:
        outcome.error = get("message", None) or f"training ended with status {status}"
    return outcome


def run_training_in_worker(cfg: dict) -> Any:
    """:func:`parametricSN.run.run_training` for a sweep: its progress bar on its worker's own
    terminal line (1 + the worker's index, below the sweep's bar) when stderr is a terminal, else
    a progress line every 5 minutes (logs and SLURM output files)."""
    from parametricSN.run import run_training

    return run_training(cfg, progress=True, bar_position=1 + _WORKER["index"])


def resume_training_in_worker(cfg, run_id: str, wait_s: float = 60.0) -> Any:
    """Continue MLflow run ``run_id`` (of ``cfg``'s store) from its checkpoint, as
    :func:`run_training_in_worker` trains. Waits up to ``wait_s`` for the run's lock (a requeued
    cluster job may start while the stopped one is still exiting)."""
    import sys

    from parametricSN.run import run_training
    from parametricSN.tracking.mlflow_run import absolute_tracking_uri
    from parametricSN.tracking.resumable import open_resume

    uri = absolute_tracking_uri(section(cfg, "mlflow").tracking_uri)
    resume = open_resume(uri, run_id, wait_s=wait_s, warn=lambda line: print(line, file=sys.stderr))
    return run_training(cfg, progress=True, bar_position=1 + _WORKER["index"], resume=resume)


class TrainingJob:
    """What submitit runs: ``TrainingJob()(job)`` is :func:`execute`. Checkpointable in submitit's
    protocol: when SLURM is about to stop the job (time limit, preemption), :meth:`checkpoint`
    writes the run's newest state and requeues the job as a resume of the same MLflow run (a run
    stopped before its first epoch ended is requeued from the start)."""

    def __call__(self, job: Job) -> Outcome:
        return execute(job)

    def checkpoint(self, job: Job):
        import dataclasses

        from submitit.helpers import DelayedSubmission

        from parametricSN.training.checkpoint import ACTIVE

        active = ACTIVE[-1] if ACTIVE else None
        if active is not None:
            active.write_latest()
            if active.latest_written >= 0:
                return DelayedSubmission(self, dataclasses.replace(job, resume_run_id=active.run_id))
        return DelayedSubmission(self, job)


# ---- executors ------------------------------------------------------------------------------

OnDone = Callable[[Outcome], None]


def _ensure_importable_in_children() -> None:
    """Put the directory holding the parametricSN package on PYTHONPATH for child interpreters
    (submitit's runners start fresh ones that do not inherit this process's sys.path)."""
    root = str(Path(__file__).resolve().parents[2])
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([root] + parts)


class LocalExecutor:
    """Runs jobs on this machine: in this process when ``workers == 1``, else in a process pool
    (spawn context, so CUDA and MLflow state are never forked). Each worker sets torch threads to
    ``cores // workers`` and, with several GPUs, gets its own ``cuda:i``."""

    def __init__(self, workers: int = 1, cores: Optional[int] = None, n_gpus: Optional[int] = None):
        if workers < 1:
            raise ValueError(f"workers must be ≥ 1, got {workers}")
        from parametricSN.threads import allotted_cores

        self.workers = workers
        self.cores = cores or allotted_cores()[0]  # the environment's allocation, not every core
        self.n_gpus = n_gpus

    def prepare(self) -> None:
        """Nothing to check before the first run."""

    def _gpu_count(self) -> int:
        if self.n_gpus is not None:
            return self.n_gpus
        import torch

        return torch.cuda.device_count()

    def run(self, jobs: Sequence[Job], on_done: OnDone = lambda outcome: None) -> List[Outcome]:
        threads = threads_per_worker(self.cores, self.workers)
        if self.workers == 1 or len(jobs) <= 1:
            _WORKER.update(index=0, n_gpus=self._gpu_count(), interrupted=False)
            outcomes = []
            for job in jobs:
                outcome = execute(job if job.threads else _with_threads(job, threads))
                on_done(outcome)
                outcomes.append(outcome)
            return outcomes
        return self._run_pool(jobs, on_done, threads)

    def _run_pool(self, jobs: Sequence[Job], on_done: OnDone, threads: int) -> List[Outcome]:
        context = multiprocessing.get_context("spawn")
        index_queue = context.Queue()
        workers = min(self.workers, len(jobs))
        for index in range(workers):
            index_queue.put(index)
        outcomes: Dict[int, Outcome] = {}
        pool = futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker,
            initargs=(index_queue, threads, self._gpu_count()),
        )
        try:
            pending = {pool.submit(execute, job): job for job in jobs}
            for future in futures.as_completed(pending):
                job = pending[future]
                try:
                    outcome = future.result()
                except Exception as error:  # the worker process died (killed, out of memory…)
                    outcome = Outcome(job.index, job.label, FAILED,
                                      error=f"worker process failed: {type(error).__name__}: {error}")
                outcomes[job.index] = outcome
                on_done(outcome)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [outcomes[job.index] for job in jobs]


def _with_threads(job: Job, threads: int) -> Job:
    import dataclasses

    return dataclasses.replace(job, threads=threads)


class SubmititExecutor:
    """Submits each run as a job through submitit.

    ``cluster``: "slurm" (sbatch; ``partition``, ``timeout_min``, ``gpus_per_run`` apply), "local"
    (submitit's LocalExecutor: one subprocess per job on this machine) or "debug" (in this process).
    Job logs and pickles go to ``folder`` (``%j`` becomes the job id). With ``wait=False`` the
    jobs are submitted and their ids printed, and :meth:`run` returns without outcomes.

    A job that reaches its time limit or is preempted is signalled (on SLURM ``signal_delay_s``
    seconds before the limit, sbatch's ``--signal``), checkpoints its run and is requeued as a
    resume of the same MLflow run (:class:`TrainingJob`), at most ``max_requeues`` times for time
    limits.
    """

    def __init__(self, cluster: str = "slurm", folder: str = "outputs/submitit/%j",
                 partition: Optional[str] = None, timeout_min: int = 60 * 24,
                 gpus_per_run: int = 1, cpus_per_run: int = 4, mem_gb: Optional[float] = None,
                 wait: bool = True, poll_s: Optional[float] = None, name: str = "parametricSN",
                 signal_delay_s: int = 120, max_requeues: int = 10):
        self.cluster, self.folder, self.partition = cluster, folder, partition
        self.timeout_min, self.gpus_per_run, self.cpus_per_run = timeout_min, gpus_per_run, cpus_per_run
        self.mem_gb, self.wait, self.name = mem_gb, wait, name
        self.signal_delay_s, self.max_requeues = signal_delay_s, max_requeues
        self.poll_s = poll_s if poll_s is not None else (30.0 if cluster == "slurm" else 0.5)
        self.submitted: List[Any] = []
        self._built = None

    def parameters(self) -> Dict[str, Any]:
        """The AutoExecutor parameters (``slurm_*`` and GPUs only for SLURM)."""
        params: Dict[str, Any] = {"timeout_min": self.timeout_min, "name": self.name,
                                  "cpus_per_task": self.cpus_per_run}
        if self.cluster == "slurm":
            params["slurm_signal_delay_s"] = self.signal_delay_s
        if self.cluster == "slurm":
            params["gpus_per_node"] = self.gpus_per_run
            if self.partition:
                params["slurm_partition"] = self.partition
            if self.mem_gb:
                params["mem_gb"] = self.mem_gb
        return params

    def _executor(self):
        import submitit

        from parametricSN.errors import UserError

        try:
            requeues = {f"{self.cluster}_max_num_timeout": self.max_requeues} if self.cluster in ("slurm", "local") else {}
            executor = submitit.AutoExecutor(folder=self.folder, cluster=self.cluster, **requeues)
        except RuntimeError as error:  # e.g. no srun on this machine
            raise UserError(f"--executor {self.cluster}: {error} (use --executor local here)") from None
        executor.update_parameters(**self.parameters())
        return executor

    def prepare(self) -> None:
        """Build the submitit executor now (fails fast, as UserError, where SLURM is missing)."""
        if self._built is None:
            self._built = self._executor()

    def run(self, jobs: Sequence[Job], on_done: OnDone = lambda outcome: None) -> List[Outcome]:
        _ensure_importable_in_children()
        _WORKER["interrupted"] = False  # the debug executor runs jobs in this process
        self.prepare()
        executor = self._built
        jobs = [job if job.threads else _with_threads(job, self.cpus_per_run) for job in jobs]
        if self.cluster == "debug":  # runs inside submit(); no batching
            handles = [executor.submit(TrainingJob(), job) for job in jobs]
        else:
            with executor.batch():
                handles = [executor.submit(TrainingJob(), job) for job in jobs]
        self.submitted = handles
        for job, handle in zip(jobs, handles):
            print(f"submitted run {job.index + 1} as {self.cluster} job {handle.job_id}: {job.label}")
        if not self.wait:
            return []
        outcomes: Dict[int, Outcome] = {}
        pending = list(zip(jobs, handles))
        while pending:
            still = []
            for job, handle in pending:
                if not handle.done():
                    still.append((job, handle))
                    continue
                try:
                    outcome = handle.result()
                except Exception as error:  # timeout, preemption, crash of the job itself
                    message = " ".join(str(error).split())[-300:]
                    outcome = Outcome(job.index, job.label, FAILED,
                                      error=f"job {handle.job_id} failed: {message}")
                outcomes[job.index] = outcome
                on_done(outcome)
            pending = still
            if pending:
                time.sleep(self.poll_s)
        return [outcomes[job.index] for job in jobs]
