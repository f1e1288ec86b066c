"""One training run from a config, tracked in MLflow; and the ``train`` command line.

    python -m parametricSN train --config conf/digits.yml [section.key=value ...]

:func:`run_training` reads top to bottom: validate the config, build data, model, loss, optimizer
and schedule (every config or data problem raises UserError here, BEFORE an MLflow run exists),
then start the run, train epoch by epoch, and log metrics, figures, the filter trajectory and
(optionally) the model. The run always ends FINISHED, FAILED (exception or NaN loss) or KILLED
(Ctrl-C) — never RUNNING.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch
from tqdm import tqdm

from parametricSN.errors import UserError
from parametricSN.training import (
    NonFiniteLossError,
    batch_bounds,
    build_loss,
    build_optimizer,
    build_schedule,
    evaluate,
    optimizer_steps_per_epoch,
    train_epoch,
)
from parametricSN.training.precision import Precision
from parametricSN.tracking.recorder import History, Stopwatch, TrajectoryRecorder

BANK_PARAMETERS = ("theta", "xi", "sigma", "gamma")
COMPILE_BACKEND = "inductor"  # torch.compile's backend for general.compile (tests use "eager")
MAX_TRAJECTORY_FRAMES = 200
PATH_PARAMS = ("dataset.data_root", "dataset.path", "model.weights")  # logged as absolute paths


@dataclass
class TrainResult:
    """Outcome of :func:`run_training`.

    run_id: the MLflow run; status: "FINISHED" | "FAILED" | "KILLED"; final_test_acc: percent
    (NaN if the run never tested); metrics: the last value of every logged metric;
    message: one line saying why a run FAILED (else None); tracking_uri: where the run lives
    (absolute); experiment_id: the run's MLflow experiment.
    """

    run_id: str
    status: str
    final_test_acc: float
    metrics: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    tracking_uri: str = ""
    experiment_id: str = ""


def resolve_device(name: str) -> torch.device:
    """general.device → torch.device ("auto" = cuda if available, else cpu)."""
    name = str(name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(f"general.device: {name!r} but CUDA is not available here; use auto or cpu")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise UserError(f"general.device: {name!r} but only {torch.cuda.device_count()} CUDA device(s) exist")
    return torch.device(name)


def default_run_name(cfg: Mapping[str, Any]) -> str:
    """e.g. 'digits-100-LS-tight-frame-canonical+linear_layer-seed0'."""
    scat, data = cfg["scattering"], cfg["dataset"]
    if scat["architecture"] == "identity":
        front = "pixels"
    else:
        front = f"{'LS' if scat['learnable'] else 'S'}-{scat['init_params']}-{scat['parameterization']}"
    return f"{data['name']}-{data['train_sample_num']}-{front}+{cfg['model']['name']}-seed{cfg['general']['seed']}"


def _bank(scattering) -> dict[str, torch.Tensor]:
    """Per-wavelet θ, ξ, σ, γ of the current bank, (J·L,) float64 each."""
    values = torch.stack([getattr(scattering, name).detach() for name in BANK_PARAMETERS]).double().cpu()
    return dict(zip(BANK_PARAMETERS, values))  # one device-to-host transfer


def _count(params) -> int:
    return sum(p.numel() for p in params)


def _config_params(cfg: Mapping[str, Any], tracking_uri: str) -> dict[str, Any]:
    """flatten_config(cfg) with the store's absolute URI and PATH_PARAMS made absolute (unset
    keys stay None; MlflowRun.log_params leaves them out)."""
    from parametricSN.config import flatten_config

    flat = flatten_config(cfg)
    flat["mlflow.tracking_uri"] = tracking_uri
    for key in PATH_PARAMS:
        if flat.get(key):
            flat[key] = str(Path(str(flat[key])).expanduser().resolve())
    return flat


def run_training(cfg: Mapping[str, Any], *, progress: bool = True, figures: bool = True,
                 bar_position: int | None = None) -> TrainResult:
    """Train the model ``cfg`` describes and track it as one MLflow run (architecture §5).

    ``progress``: show the tqdm bar (stderr), on terminal line ``bar_position`` below the cursor
    when given (parallel sweep workers: one line each), else below any open bar.
    ``figures``: draw the PNG figures and GIFs (False
    saves seconds per run in sweeps and tests; trajectory.npz and the model are logged anyway).

    Raises UserError (before any MLflow run is created) for a bad config or a missing dataset;
    re-raises KeyboardInterrupt (run KILLED) and any other exception (run FAILED). A NaN/inf
    training loss ends the run FAILED and returns a TrainResult with status "FAILED" and a
    one-line ``message``.
    """
    from parametricSN.config import config_hash, validate_config
    from parametricSN.data import build_data
    from parametricSN.models import build_model

    # ---- everything that can be wrong with the config or the data fails here, before MLflow
    setup_started = time.perf_counter()
    cfg = validate_config(cfg)
    general, data_cfg, scat_cfg, model_cfg = cfg["general"], cfg["dataset"], cfg["scattering"], cfg["model"]
    device = resolve_device(general["device"])
    from parametricSN.threads import set_torch_threads
    from parametricSN.tracking.store import check_store

    check_store(cfg["mlflow"]["tracking_uri"])  # a wrong scheme or a server that is not there: now
    _, threads_from = set_torch_threads(general.get("cores"))  # general.cores, else the environment's
    seed = int(general["seed"])
    torch.manual_seed(seed)  # augmentation draws from the global RNG (architecture §3)

    data = build_data(cfg)
    model = build_model(cfg, data.in_channels, data.num_classes, data.image_size).to(device)
    if general["compile"]:
        model.head.compile(backend=COMPILE_BACKEND)  # in place: the state_dict keeps its keys
    loss_fn = build_loss(model_cfg["loss"])
    optimizer = build_optimizer(model, cfg)
    n_train, batch_size = int(data.train_images.shape[0]), int(data_cfg["train_batch_size"])
    accum = int(data_cfg["accum_step_multiple"])
    steps_per_epoch = optimizer_steps_per_epoch(len(batch_bounds(n_train, batch_size)), accum)
    schedule = build_schedule(optimizer, cfg, steps_per_epoch)

    scattering = getattr(model, "scattering", None)
    filters = scattering.filter_parameters() if scattering is not None else {}
    tracks_bank = bool(filters) and all(name in filters for name in BANK_PARAMETERS)
    log_distance = tracks_bank and bool(scat_cfg["param_distance"])
    filter_video = bool(filters) and bool(scat_cfg["filter_video"])
    recorder = None
    if filters and (tracks_bank or filter_video):
        recorder = TrajectoryRecorder(scattering, int(model_cfg["epoch"]), MAX_TRAJECTORY_FRAMES,
                                      parameters=True, filters=filter_video)

    # ---- the MLflow run
    from parametricSN.tracking.mlflow_run import MlflowRun, absolute_tracking_uri
    from parametricSN.tracking.mlflow_model import log_data_inputs
    from parametricSN.tracking.provenance import provenance_tags

    tracking_uri = absolute_tracking_uri(cfg["mlflow"]["tracking_uri"])
    run = MlflowRun.start(
        tracking_uri, cfg["mlflow"]["experiment_name"], cfg["mlflow"]["run_name"] or default_run_name(cfg),
        tags={"config_hash": config_hash(cfg), "dataset": data.name, "evaluation_split": data.eval_split,
              "seed": seed, "model": model_cfg["name"], "parametricSN.torch_threads_from": threads_from,
              **provenance_tags(device, data)},
    )
    history, timer = History(), Stopwatch()
    timer.seconds["setup_s"] = time.perf_counter() - setup_started
    try:
        run.log_params({
            **_config_params(cfg, tracking_uri),
            "derived.num_parameters": _count(model.parameters()),
            "derived.num_trainable_parameters": _count(p for p in model.parameters() if p.requires_grad),
            "derived.num_filter_parameters": _count(filters.values()),
            "derived.K": scattering.K if scattering is not None else None,
            "derived.train_samples": n_train,
            "derived.test_samples": int(data.test_images.shape[0]),
            "derived.steps_per_epoch": steps_per_epoch,
            "derived.total_steps": schedule.total_steps,
            "derived.device": str(device),
            **data.log_params,
        })
        log_data_inputs(run, data)
        before = _filter_snapshot(scattering)
        message = None
        try:
            with timer("duration_s"):
                _train(model, data, device, cfg, loss_fn, optimizer, schedule, run, history, recorder,
                       log_distance, progress, timer=timer, bar_position=bar_position)
        except NonFiniteLossError as error:
            message = str(error)
        final = history.last("test_acc")
        end_metrics = {**({} if message else {"final_test_acc": final}), **_timings(timer)}
        run.log_metrics(end_metrics, step=int(model_cfg["epoch"]))
        history.add(int(model_cfg["epoch"]), end_metrics)
        with timer("artifacts_s"):
            _log_artifacts(run, history, before, scattering, recorder, log_distance, figures)
            if model_cfg["save"] and message is None:
                _log_model(run, model, cfg, data, final)
        artifacts = {"artifacts_s": timer.seconds["artifacts_s"]}
        run.log_metrics(artifacts, step=int(model_cfg["epoch"]))
        history.add(int(model_cfg["epoch"]), artifacts)
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
    if message is not None:
        run.end("FAILED")
        return TrainResult(run.run_id, "FAILED", math.nan, metrics, message, tracking_uri, run.experiment_id)
    run.end("FINISHED")
    return TrainResult(run.run_id, "FINISHED", final, metrics, None, tracking_uri, run.experiment_id)


def _timings(timer: Stopwatch) -> dict[str, float]:
    """The run's time split (seconds), logged as metrics (architecture §5): ``setup_s`` (config,
    data, model, before the MLflow run exists), ``train_s`` (the epoch loop without evaluation),
    ``test_s`` (the evaluation passes), ``duration_s`` = train_s + test_s."""
    seconds = timer.seconds
    return {"setup_s": seconds["setup_s"], "train_s": max(seconds["duration_s"] - seconds["test_s"], 0.0),
            "test_s": seconds["test_s"], "duration_s": seconds["duration_s"]}


def _train(model, data, device, cfg, loss_fn, optimizer, schedule, run, history, recorder,
           log_distance, progress, timer: Stopwatch | None = None, bar_position: int | None = None) -> None:
    """The epoch loop: train, (test), log metrics, record the bank. Raises NonFiniteLossError.
    Evaluation time is added to ``timer.seconds["test_s"]``."""
    from parametricSN.scattering import bank_distance, tight_frame_parameters

    timer = timer if timer is not None else Stopwatch()

    epochs, step_test = int(cfg["model"]["epoch"]), int(cfg["model"]["step_test"])
    train_images, train_targets = data.train_images.to(device), data.train_targets.to(device)
    test_images, test_targets = data.test_images.to(device), data.test_targets.to(device)
    prepare_train = lambda u8: data.normalize(data.to_float(data.augment(u8)))  # noqa: E731
    prepare_test = lambda u8: data.normalize(data.to_float(u8))  # noqa: E731
    precision = Precision.build(cfg["general"]["precision"], device)
    evaluate_now = _evaluator(model, data, test_images, test_targets, prepare_test, loss_fn,
                              batch_size=int(cfg["dataset"]["test_batch_size"]), precision=precision)
    generator = torch.Generator().manual_seed(int(cfg["general"]["seed"]))

    scattering = model.scattering
    if log_distance:
        initial = _bank(scattering)
        tight = tight_frame_parameters(scattering.J, scattering.L)

        def distances() -> dict[str, float]:
            current = _bank(scattering)
            return {"param_distance": bank_distance(current, initial, match=False),
                    "param_distance_tight_frame": bank_distance(current, tight, match=True)}

        zero = distances()
        run.log_metrics(zero, step=0)
        history.add(0, zero)
    if recorder is not None:
        recorder.record(0, 0)

    step = 0
    bar = tqdm(range(1, epochs + 1), desc=cfg["mlflow"]["run_name"] or "train", unit="epoch", file=sys.stderr,
               disable=not progress, dynamic_ncols=True, position=bar_position, leave=None)
    with bar:
        for epoch in bar:
            stats = train_epoch(model, train_images, train_targets, prepare_train, loss_fn, optimizer,
                                schedule, batch_size=int(cfg["dataset"]["train_batch_size"]),
                                accum_steps=int(cfg["dataset"]["accum_step_multiple"]),
                                generator=generator, epoch=epoch, precision=precision)
            schedule.after_epoch()
            step += stats.steps
            _check_filters_finite(scattering, epoch)
            metrics = {"train_loss": stats.loss, "train_acc": stats.acc, **stats.lrs}
            if log_distance:
                metrics.update(distances())
            if epoch % step_test == 0 or epoch == epochs:
                with timer("test_s"):
                    test_loss, test_acc = evaluate_now()
                metrics.update(test_loss=test_loss, test_acc=test_acc)
            run.log_metrics(metrics, step=epoch)
            history.add(epoch, metrics)
            if recorder is not None:
                recorder.record(epoch, step)
            bar.set_postfix(loss=f"{stats.loss:.3f}", acc=f"{stats.acc:.1f}",
                            test_acc=f"{history.last('test_acc'):.1f}", refresh=False)


def _evaluator(model, data, images, targets, prepare, loss_fn, *, batch_size: int, precision: Precision):
    """``() -> (loss, accuracy %)`` over the evaluation images. With a fixed front end, its features
    are computed at the first call (or taken from the process's FEATURE_CACHE, shared between runs)
    and each test pass runs only the head, on the same batches: the numbers do not change."""
    from parametricSN.training.features import FEATURE_CACHE, has_fixed_front_end

    if not has_fixed_front_end(model) or len(images) == 0:
        def evaluate_model() -> tuple[float, float]:
            scattering = getattr(model, "scattering", None)
            rebuilt_once = scattering.filters_built_once() if scattering is not None else contextlib.nullcontext()
            with rebuilt_once:   # one filter build per pass, not per batch
                return evaluate(model, images, targets, prepare, loss_fn, batch_size=batch_size,
                                precision=precision)

        return evaluate_model
    features: list[torch.Tensor] = []

    def evaluate_head() -> tuple[float, float]:
        if not features:
            features.append(FEATURE_CACHE.features(model, images, prepare, batch_size=batch_size,
                                                   prepare_tag=f"mean={data.mean} std={data.std}"))
        return evaluate(model.head, features[0], targets, lambda x: x, loss_fn, batch_size=batch_size,
                        precision=precision)

    return evaluate_head


def _check_filters_finite(scattering, epoch: int) -> None:
    """NonFiniteLossError if a learnable filter parameter became NaN/inf (the loss may still be finite)."""
    if scattering is None or not scattering.filter_parameters():
        return
    params = scattering.filter_parameters()
    finite = torch.stack([torch.isfinite(p).all() for p in params.values()]).tolist()  # one transfer
    for name, ok in zip(params, finite):
        if not ok:
            raise NonFiniteLossError(
                f"filter parameter {name} became nan/inf at epoch {epoch}; lower the learning rates "
                f"(scattering.lr_scattering, scattering.lr_orientation, optim.max_lr, optim.lr)")


def _filter_snapshot(scattering) -> dict[str, torch.Tensor] | None:
    """The bank's Fourier filters (J·L, Hp, Wp) and Littlewood–Paley sum (Hp, Wp), on the CPU."""
    if scattering is None:
        return None
    return {"filters": scattering.wavelet_filters().detach().cpu(),
            "lp": scattering.littlewood_paley().detach().cpu()}


def _log_artifacts(run, history, before, scattering, recorder, log_distance, draw: bool = True) -> None:
    """Figures (figures/, filters/), trajectory/trajectory.npz and videos/*.gif (figures only if ``draw``).

    A figure that fails to draw is reported as a warning (and the run tag ``figure_errors``)
    instead of failing a run whose metrics are already logged.
    """
    from parametricSN.tracking.store import StoreError

    if draw:
        from parametricSN.tracking import figures

    errors: list[str] = []

    def attempt(name: str, make) -> None:
        if not draw and not name.startswith("trajectory/"):
            return
        try:
            make()
        except StoreError:  # a full or read-only disk, a server gone: the run FAILS
            raise
        except Exception as error:  # noqa: BLE001 — reported, not fatal
            errors.append(name)
            warnings.warn(f"could not write {name}: {type(error).__name__}: {error}", stacklevel=2)

    attempt("figures/learning_curves.png",
            lambda: run.log_figure(figures.plot_learning_curves(history), "figures/learning_curves.png"))
    if scattering is not None:
        after = _filter_snapshot(scattering)
        for when, snap in (("before", before), ("after", after)):
            for kind in ("fourier", "real", "imag"):
                path = f"filters/filters_{when}_{kind}.png"
                attempt(path, lambda snap=snap, kind=kind, path=path, when=when: run.log_figure(
                    figures.plot_filters(snap["filters"], kind=kind, ncols=scattering.L,
                                         title=f"filters {when} training ({kind})"), path))
            path = f"filters/littlewood_paley_{when}.png"
            attempt(path, lambda snap=snap, path=path, when=when: run.log_figure(
                figures.plot_littlewood_paley(snap["lp"], title=f"Littlewood–Paley sum {when} training"), path))
    if log_distance and history.get("param_distance"):
        epochs = [e for e, _ in history["param_distance"]]
        series = {name: [v for _, v in history[name]] for name in ("param_distance", "param_distance_tight_frame")}
        attempt("figures/parameter_distance.png", lambda: run.log_figure(
            figures.plot_parameter_distance(epochs, series), "figures/parameter_distance.png"))
    if recorder is not None and recorder.epochs:
        with tempfile.TemporaryDirectory() as tmp:
            arrays = recorder.arrays()
            has_parameters = any(name not in ("steps", "epochs") for name in arrays)
            if has_parameters:
                attempt("trajectory/trajectory.npz", lambda: run.log_artifact(
                    recorder.save(Path(tmp) / "trajectory.npz"), "trajectory"))
            if any(a.ndim == 2 for name, a in arrays.items() if name not in ("steps", "epochs")):
                attempt("figures/parameter_trajectories.png", lambda: run.log_figure(
                    figures.plot_parameter_trajectories(arrays, arrays["epochs"]),
                    "figures/parameter_trajectories.png"))
            if recorder.record_filters and recorder.filter_frames:
                for kind in ("fourier", "real", "imag"):
                    path = Path(tmp) / f"filters_{kind}.gif"
                    attempt(f"videos/{path.name}", lambda kind=kind, path=path: run.log_artifact(
                        figures.write_filter_progression_gif(recorder.filter_frames, recorder.steps, path,
                                                             kind=kind, ncols=scattering.L), "videos"))
    if errors:
        run.set_tags({"figure_errors": ", ".join(errors)})


def _log_model(run, model, cfg, data, final_test_acc) -> None:
    """save_model into a temporary folder; log it as the artifact folder ``model/`` and as the
    MLflow model ``classifier`` (tracking.mlflow_model)."""
    from parametricSN.models import save_model
    from parametricSN.tracking.mlflow_model import log_classifier

    info = {
        "in_channels": data.in_channels, "num_classes": data.num_classes,
        "image_size": list(data.image_size), "mean": list(data.mean), "std": list(data.std),
        "dataset": data.name, "class_names": list(data.class_names),
        "final_test_acc": final_test_acc, "run_id": run.run_id, "epochs": int(cfg["model"]["epoch"]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_model(Path(tmp) / "model", model, cfg, info)
        run.log_artifacts(folder, "model")
        log_classifier(run, folder, {**getattr(model, "build_info", {}), **info})


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
    from parametricSN.config import load_config
    from parametricSN.plugins import head_plugin, register_plugins

    args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    overrides = list(args.overrides)
    if args.head:
        plugin = head_plugin(args.head)
        try:
            (name,) = register_plugins([plugin])
        except (ValueError, ImportError) as error:
            raise UserError(f"--head {args.head!r}: {error}") from None
        overrides.insert(0, f"model.name={name}")
    cfg = load_config(args.config, overrides)
    previous = sigterm_as_interrupt()
    try:
        result = run_training(cfg, progress=not args.no_progress, figures=not args.no_figures)
    except KeyboardInterrupt:
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    from parametricSN.tracking.mlflow_run import view_instructions

    view = "\n".join(view_instructions(result.tracking_uri, result.experiment_id, result.run_id))
    if result.status != "FINISHED":
        print(f"error: run {result.run_id} {result.status}: {result.message}\n{view}", file=sys.stderr)
        return 1
    seconds = result.metrics
    split = cfg["dataset"]["evaluate_on"] or "evaluation"
    print(f"run {result.run_id} finished: final {split} accuracy {result.final_test_acc:.2f}% "
          f"(train {seconds.get('train_s', math.nan):.1f} s, test {seconds.get('test_s', math.nan):.1f} s)\n{view}")
    return 0


def sigterm_as_interrupt():
    """Treat SIGTERM (a killed job) like Ctrl-C so the run ends KILLED; returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    sys.exit(main())
