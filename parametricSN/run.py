"""One training run from a config, tracked in MLflow; and the ``train`` command line.

    python -m parametricSN train --config conf/digits.yml [section.key=value ...] [options]

(options and ``section.key=value`` overrides in any order; a later override of a key wins)

:func:`run_training` reads top to bottom: validate the config, build data, model, loss, optimizer
and schedule (every config or data problem raises UserError here, BEFORE an MLflow run exists),
then start the run, train epoch by epoch, and log metrics, figures, the filter trajectory and
(optionally) the model. The run always ends FINISHED, FAILED (exception or NaN loss) or KILLED
(Ctrl-C) — never RUNNING.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import torch

from parametricSN.config import config_hash, load_config, validate_config
from parametricSN.errors import UserError
from parametricSN.labels import default_run_name
from parametricSN.runtime import resolve_device, restore_sigterm, sigterm_as_interrupt
from parametricSN.tracking.artifacts import filter_snapshot, log_artifacts, log_model
from parametricSN.tracking.recorder import History, Stopwatch, bank_tracking, run_timings
from parametricSN.tracking.run_params import absolute_config, run_params
from parametricSN.training import (NonFiniteLossError, batch_bounds, build_loss, build_optimizer, build_schedule,
                                   optimizer_steps_per_epoch)
from parametricSN.training.checkpoint import (Checkpointer, LoopState, RunLock, RunState, active_checkpointer,
                                              checkpoint_folder)
from parametricSN.training.filter_learning import build_filter_pull
from parametricSN.training.fit import BankDistance, FitHooks, FitSettings, fit
from parametricSN.training.precision import Precision

if TYPE_CHECKING:
    from parametricSN.tracking.resumable import Resume

__all__ = ["TrainResult", "default_run_name", "main", "resolve_device", "run_training", "sigterm_as_interrupt"]
COMPILE_BACKEND = "inductor"  # torch.compile's backend for general.compile (tests use "eager")
MAX_TRAJECTORY_FRAMES = 200


@dataclass
class TrainResult:
    """Outcome of :func:`run_training`: the MLflow run, its status ("FINISHED" | "FAILED" | "KILLED"),
    final_test_acc (percent; NaN if never tested), the last value of every logged metric, one line
    saying why it FAILED (else None), where the run lives (absolute URI) and its experiment."""

    run_id: str
    status: str
    final_test_acc: float
    metrics: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    tracking_uri: str = ""
    experiment_id: str = ""


def run_training(cfg: Mapping[str, Any], *, progress: bool = True, figures: bool = True,
                 bar_position: int | None = None, resume: "Resume | None" = None) -> TrainResult:
    """Train the model ``cfg`` (a Config, or a mapping validated here) describes; track it as one
    MLflow run (architecture §5). ``progress``: the tqdm bar on a terminal (stderr), on terminal line
    ``bar_position`` when given (sweep workers), else a progress line every 5 minutes; ``figures``:
    draw the PNGs and GIFs (trajectory.npz and the model are logged anyway). ``resume``: continue that run from its checkpoint
    (``parametricSN.tracking.resumable.open_resume``; ``cfg`` must have the checkpoint's hash).

    Checkpoints are written as ``general.checkpoint_*`` say (``parametricSN.training.checkpoint``).
    Raises UserError before any MLflow run exists or changes (a bad config, store or dataset);
    re-raises KeyboardInterrupt / SystemExit (run KILLED, its last state checkpointed) and any
    other exception (run FAILED). A NaN/inf loss ends the run FAILED and returns a TrainResult with
    a one-line ``message``.
    """
    try:
        return _train(cfg, progress=progress, figures=figures, bar_position=bar_position, resume=resume)
    finally:
        if resume is not None:
            resume.lock.release()


def _train(cfg, *, progress: bool, figures: bool, bar_position: int | None, resume) -> TrainResult:
    from parametricSN.data import build_data
    from parametricSN.models import build_model, get_head
    from parametricSN.threads import set_torch_threads
    from parametricSN.tracking.mlflow_model import log_data_inputs
    from parametricSN.tracking.mlflow_run import MlflowRun, absolute_tracking_uri
    from parametricSN.tracking.provenance import provenance_tags
    from parametricSN.tracking.resumable import CHECKPOINT_TAG, RESUMES_TAG
    from parametricSN.tracking.store import check_store

    # ---- everything that can be wrong with the config or the data fails here, before MLflow
    setup_started = time.perf_counter()
    cfg = validate_config(cfg)  # a Config is taken as it is
    digest = config_hash(cfg)
    if resume is not None and resume.payload["config_hash"] != digest:
        raise UserError(f"run {resume.run_id}'s checkpoint is of another config (hash "
                        f"{resume.payload['config_hash'][:10]}, this one {digest[:10]}): only general.cores, "
                        f"general.device, model.save and the checkpoint keys may change on resume")
    get_head(cfg.model.name)
    device = resolve_device(cfg.general.device)
    check_store(cfg.mlflow.tracking_uri)  # a wrong scheme or a server that is not there: now
    _, threads_from = set_torch_threads(cfg.general.cores)  # general.cores, else the environment's
    torch.manual_seed(cfg.general.seed)  # augmentation draws from the global RNG (architecture §3)
    data = build_data(cfg)
    model = build_model(cfg, data.in_channels, data.num_classes, data.image_size).to(device)
    if cfg.general.compile:
        model.head.compile(backend=COMPILE_BACKEND)  # in place: the state_dict keeps its keys
    loss_fn = build_loss(cfg.model.loss)
    optimizer = build_optimizer(model, cfg)
    settings = FitSettings.from_config(cfg)
    steps_per_epoch = optimizer_steps_per_epoch(
        len(batch_bounds(int(data.train_images.shape[0]), settings.train_batch_size)), settings.accum_steps)
    schedule = build_schedule(optimizer, cfg, steps_per_epoch)
    precision = Precision.build(cfg.general.precision, device)
    scattering = getattr(model, "scattering", None)
    recorder, log_distance = bank_tracking(scattering, settings.epochs, param_distance=cfg.scattering.param_distance,
                                           filter_video=cfg.scattering.filter_video, max_frames=MAX_TRAJECTORY_FRAMES)
    tracking_uri = absolute_tracking_uri(cfg.mlflow.tracking_uri)
    history, timer = History(), Stopwatch()
    state = RunState(model, optimizer, schedule, precision, history, timer, recorder,
                     before=filter_snapshot(scattering), distances=BankDistance(scattering) if log_distance else None,
                     config=absolute_config(cfg, tracking_uri), config_hash=digest)
    loop = None
    if resume is not None:
        loop = LoopState(torch.Generator())
        state.restore(resume.payload, loop)
    setup_s = time.perf_counter() - setup_started

    # ---- the MLflow run: a new one, or the resumed one back to RUNNING
    if resume is None:
        run = MlflowRun.start(
            tracking_uri, cfg.mlflow.experiment_name, cfg.mlflow.run_name or default_run_name(cfg),
            tags={"config_hash": digest, "dataset": data.name, "evaluation_split": data.eval_split,
                  "seed": cfg.general.seed, "model": cfg.model.name, "parametricSN.torch_threads_from": threads_from,
                  **provenance_tags(device, data)},
        )
        folder = checkpoint_folder(cfg.general.checkpoint_dir, tracking_uri, run.run_id)
        try:
            lock = RunLock(folder).acquire(run.run_id)
        except BaseException:  # e.g. a read-only checkpoint folder: the run must not stay RUNNING
            run.end("FAILED")
            raise
    else:
        run = MlflowRun.attach(tracking_uri, resume.run_id)
        folder, lock = resume.folder, resume.lock
        print(f"resuming run {run.run_id} from {resume.checkpoint.name} (epoch {loop.epoch} of "
              f"{settings.epochs})", file=sys.stderr)
    timer.seconds["setup_s"] += setup_s
    checkpointer = Checkpointer(state, folder, cfg.general.checkpoint_minutes, run_id=run.run_id)

    def log(metrics: Mapping[str, float], step: int) -> None:
        run.log_metrics(metrics, step=step)
        history.add(step, metrics)

    hooks = FitHooks(log=log, recorder=recorder, distances=state.distances, timer=timer,
                     epoch_end=checkpointer.epoch_end, progress=progress, desc=cfg.mlflow.run_name or "train",
                     bar_position=bar_position)
    try:
        if resume is None:
            run.set_tags({CHECKPOINT_TAG: folder})
            run.log_params(run_params(cfg, tracking_uri, model, data, steps_per_epoch=steps_per_epoch,
                                      total_steps=schedule.total_steps, device=device))
            log_data_inputs(run, data)
        else:
            run.set_tags({RESUMES_TAG: resume.resumes, CHECKPOINT_TAG: folder})
            for name, values in history.items():  # what a killed process had not yet written
                for step, value in values:
                    run.log_metrics({name: value}, step)
        message = None
        try:
            with timer("duration_s"), active_checkpointer(checkpointer):
                fit(model, data, loss_fn, optimizer, schedule, settings, device=device, precision=precision,
                    penalty=build_filter_pull(scattering, cfg.scattering.lp_pull), hooks=hooks, loop=loop)
        except NonFiniteLossError as error:
            message = str(error)
        final = history.last("test_acc")
        log({**({} if message else {"final_test_acc": final}), **run_timings(timer),
             "checkpoint_s": checkpointer.seconds, "resumes": 0 if resume is None else resume.resumes},
            settings.epochs)
        with timer("artifacts_s"):
            log_artifacts(run, history, state.before, scattering, recorder, log_distance, figures)
            if cfg.model.save and message is None:
                log_model(run, model, cfg, data, final)
        log({"artifacts_s": timer.seconds["artifacts_s"]}, settings.epochs)
        if message is not None:
            run.set_tags({"failure": message})
    except (KeyboardInterrupt, SystemExit):
        checkpointer.write_latest()
        run.end("KILLED")
        lock.release()
        print(f"interrupted: MLflow run {run.run_id} ended as KILLED; continue it with: python -m parametricSN "
              f"train --resume {run.run_id} --tracking-uri {tracking_uri}", file=sys.stderr)
        raise
    except BaseException:
        checkpointer.write_latest()
        run.end("FAILED")
        lock.release()
        raise
    metrics = {name: values[-1][1] for name, values in history.items() if values}
    if message is not None:
        checkpointer.write_latest()
    run.end("FAILED" if message is not None else "FINISHED")
    lock.release()
    if message is not None:
        return TrainResult(run.run_id, "FAILED", math.nan, metrics, message, tracking_uri, run.experiment_id)
    if not cfg.general.keep_checkpoints:
        checkpointer.remove()
    return TrainResult(run.run_id, "FINISHED", final, metrics, None, tracking_uri, run.experiment_id)


# ------------------------------------------------------------------------------------ command line

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN train",
        description="Train a model from a YAML config and track the run in MLflow; or continue a stopped "
                    "run from its last checkpoint (--resume).",
        epilog="examples:\n  python -m parametricSN train --config conf/digits.yml model.epoch=5 general.seed=1\n"
               "  python -m parametricSN train --resume RUN_ID --tracking-uri sqlite:///mlruns/store.db",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start = parser.add_mutually_exclusive_group(required=True)
    start.add_argument("--config", metavar="FILE", help="YAML config (see conf/)")
    start.add_argument("--resume", metavar="RUN_ID",
                       help="continue this KILLED, FAILED or crashed run from its last checkpoint (same run id; "
                            "overrides may only change general.cores, general.device, model.save and "
                            "general.checkpoint_*)")
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="with --resume: the run's MLflow store (default sqlite:///mlruns/store.db)")
    parser.add_argument("--checkpoint-dir", metavar="DIR",
                        help="with --resume: the folder holding <run id>/ when the checkpoints moved")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value",
                        help="override config values, e.g. scattering.J=3 optim.max_lr=0.1")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (nor, where stderr is not a terminal, progress lines)")
    parser.add_argument("--no-figures", action="store_true",
                        help="draw no figures or GIFs (the trajectory and the model are logged anyway)")
    parser.add_argument("--head", metavar="[NAME=]MODULE:BUILDER",
                        help="register your own head builder (module path or file.py) under NAME "
                             "(default: the builder's name) and train with it (sets model.name)")
    return parser


def resume_config(resume: "Resume", overrides=()) -> Any:
    """The config of a resumed run: its checkpoint's, with ``overrides`` (``section.key=value``)."""
    from parametricSN.config import apply_overrides

    return validate_config(apply_overrides(resume.payload["config"], list(overrides)))


def main(argv=None) -> int:
    """``train`` command: 0 if the run FINISHED, 1 if it FAILED, 130 if interrupted.

    UserError propagates to ``parametricSN.__main__``, which prints it as one line (exit 2).
    """
    from parametricSN.plugins import register_head_option
    from parametricSN.tracking.resumable import open_resume

    args = _parser().parse_intermixed_args(sys.argv[1:] if argv is None else list(argv))
    heads = [f"model.name={plugin.split('=', 1)[0]}" for plugin in register_head_option(args.head)]
    resume = None
    if args.resume:
        from parametricSN.tracking.mlflow_run import absolute_tracking_uri

        uri = absolute_tracking_uri(args.tracking_uri or "sqlite:///mlruns/store.db")
        resume = open_resume(uri, args.resume, args.checkpoint_dir, warn=lambda line: print(line, file=sys.stderr))
        try:
            cfg = resume_config(resume, heads + list(args.overrides) + [f"mlflow.tracking_uri={uri}"])
        except BaseException:
            resume.lock.release()
            raise
    else:
        if args.tracking_uri or args.checkpoint_dir:
            raise UserError("--tracking-uri and --checkpoint-dir go with --resume; with --config set "
                            "mlflow.tracking_uri=URI and general.checkpoint_dir=DIR instead")
        cfg = load_config(args.config, heads + list(args.overrides))
    previous = sigterm_as_interrupt()
    try:
        result = run_training(cfg, progress=not args.no_progress, figures=not args.no_figures, resume=resume)
    except KeyboardInterrupt:
        return 130
    finally:
        restore_sigterm(previous)
    from parametricSN.tracking.mlflow_run import view_instructions

    view = "\n".join(view_instructions(result.tracking_uri, result.experiment_id, result.run_id))
    if result.status != "FINISHED":
        print(f"error: run {result.run_id} {result.status}: {result.message}\n{view}", file=sys.stderr)
        return 1
    seconds = result.metrics
    split = cfg.dataset.evaluate_on or "evaluation"
    print(f"run {result.run_id} finished: final {split} accuracy {result.final_test_acc:.2f}% "
          f"(train {seconds.get('train_s', math.nan):.1f} s, test {seconds.get('test_s', math.nan):.1f} s)\n{view}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
