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
from typing import Any, Mapping

import torch

from parametricSN.config import config_hash, load_config, validate_config
from parametricSN.labels import default_run_name
from parametricSN.runtime import resolve_device, restore_sigterm, sigterm_as_interrupt
from parametricSN.tracking.artifacts import filter_snapshot, log_artifacts, log_model
from parametricSN.tracking.recorder import History, Stopwatch, bank_tracking, run_timings
from parametricSN.tracking.run_params import run_params
from parametricSN.training import (NonFiniteLossError, batch_bounds, build_loss, build_optimizer, build_schedule,
                                   optimizer_steps_per_epoch)
from parametricSN.training.filter_learning import build_filter_pull, warmup_epochs
from parametricSN.training.fit import fit

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
                 bar_position: int | None = None) -> TrainResult:
    """Train the model ``cfg`` (a Config, or a mapping validated here) describes; track it as one
    MLflow run (architecture §5). ``progress``: the tqdm bar (stderr), on terminal line
    ``bar_position`` when given (sweep workers); ``figures``: draw the PNGs and GIFs (trajectory.npz
    and the model are logged anyway).

    Raises UserError before any MLflow run exists (a bad config, store or dataset); re-raises
    KeyboardInterrupt (run KILLED) and any other exception (run FAILED). A NaN/inf loss ends the
    run FAILED and returns a TrainResult with a one-line ``message``.
    """
    from parametricSN.data import build_data
    from parametricSN.models import build_model, get_head
    from parametricSN.threads import set_torch_threads
    from parametricSN.tracking.mlflow_model import log_data_inputs
    from parametricSN.tracking.mlflow_run import MlflowRun, absolute_tracking_uri
    from parametricSN.tracking.provenance import provenance_tags
    from parametricSN.tracking.store import check_store

    # ---- everything that can be wrong with the config or the data fails here, before MLflow
    setup_started = time.perf_counter()
    cfg = validate_config(cfg)  # a Config is taken as it is
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
    n_train, epochs = int(data.train_images.shape[0]), cfg.model.epoch
    steps_per_epoch = optimizer_steps_per_epoch(len(batch_bounds(n_train, cfg.dataset.train_batch_size)),
                                                cfg.dataset.accum_step_multiple)
    schedule = build_schedule(optimizer, cfg, steps_per_epoch)
    scattering = getattr(model, "scattering", None)
    recorder, log_distance = bank_tracking(scattering, epochs, param_distance=cfg.scattering.param_distance,
                                           filter_video=cfg.scattering.filter_video, max_frames=MAX_TRAJECTORY_FRAMES)

    # ---- the MLflow run
    tracking_uri = absolute_tracking_uri(cfg.mlflow.tracking_uri)
    run = MlflowRun.start(
        tracking_uri, cfg.mlflow.experiment_name, cfg.mlflow.run_name or default_run_name(cfg),
        tags={"config_hash": config_hash(cfg), "dataset": data.name, "evaluation_split": data.eval_split,
              "seed": cfg.general.seed, "model": cfg.model.name, "parametricSN.torch_threads_from": threads_from,
              **provenance_tags(device, data)},
    )
    history, timer = History(), Stopwatch()
    timer.seconds["setup_s"] = time.perf_counter() - setup_started

    def log(metrics: Mapping[str, float], step: int) -> None:
        run.log_metrics(metrics, step=step)
        history.add(step, metrics)

    try:
        run.log_params(run_params(cfg, tracking_uri, model, data, steps_per_epoch=steps_per_epoch,
                                  total_steps=schedule.total_steps, device=device))
        log_data_inputs(run, data)
        before = filter_snapshot(scattering)
        message = None
        try:
            with timer("duration_s"):
                fit(model, data, loss_fn, optimizer, schedule, device=device, epochs=epochs,
                    step_test=cfg.model.step_test, train_batch_size=cfg.dataset.train_batch_size,
                    test_batch_size=cfg.dataset.test_batch_size, accum_steps=cfg.dataset.accum_step_multiple,
                    seed=cfg.general.seed, precision=cfg.general.precision, log=log, recorder=recorder,
                    track_distance=log_distance, timer=timer, progress=progress,
                    desc=cfg.mlflow.run_name or "train", bar_position=bar_position,
                    frozen_epochs=warmup_epochs(cfg.scattering.filter_warmup, epochs),
                    penalty=build_filter_pull(scattering, cfg.scattering.lp_pull))
        except NonFiniteLossError as error:
            message = str(error)
        final = history.last("test_acc")
        log({**({} if message else {"final_test_acc": final}), **run_timings(timer)}, epochs)
        with timer("artifacts_s"):
            log_artifacts(run, history, before, scattering, recorder, log_distance, figures)
            if cfg.model.save and message is None:
                log_model(run, model, cfg, data, final)
        log({"artifacts_s": timer.seconds["artifacts_s"]}, epochs)
        if message is not None:
            run.set_tags({"failure": message})
    except KeyboardInterrupt:
        run.end("KILLED")
        print(f"interrupted: MLflow run {run.run_id} ended as KILLED", file=sys.stderr)
        raise
    except BaseException:
        run.end("FAILED")
        raise
    metrics = {name: values[-1][1] for name, values in history.items() if values}
    run.end("FAILED" if message is not None else "FINISHED")
    if message is not None:
        return TrainResult(run.run_id, "FAILED", math.nan, metrics, message, tracking_uri, run.experiment_id)
    return TrainResult(run.run_id, "FINISHED", final, metrics, None, tracking_uri, run.experiment_id)


# ------------------------------------------------------------------------------------ command line

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN train",
        description="Train a model from a YAML config and track the run in MLflow.",
        epilog="example: python -m parametricSN train --config conf/digits.yml model.epoch=5 general.seed=1",
    )
    parser.add_argument("--config", required=True, metavar="FILE", help="YAML config (see conf/)")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value",
                        help="override config values, e.g. scattering.J=3 optim.max_lr=0.1")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--no-figures", action="store_true",
                        help="draw no figures or GIFs (the trajectory and the model are logged anyway)")
    parser.add_argument("--head", metavar="[NAME=]MODULE:BUILDER",
                        help="register your own head builder (module path or file.py) under NAME "
                             "(default: the builder's name) and train with it (sets model.name)")
    return parser


def main(argv=None) -> int:
    """``train`` command: 0 if the run FINISHED, 1 if it FAILED, 130 if interrupted.

    UserError propagates to ``parametricSN.__main__``, which prints it as one line (exit 2).
    """
    from parametricSN.plugins import register_head_option

    args = _parser().parse_intermixed_args(sys.argv[1:] if argv is None else list(argv))
    heads = [f"model.name={plugin.split('=', 1)[0]}" for plugin in register_head_option(args.head)]
    cfg = load_config(args.config, heads + list(args.overrides))
    previous = sigterm_as_interrupt()
    try:
        result = run_training(cfg, progress=not args.no_progress, figures=not args.no_figures)
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
