"""What a run leaves in MLflow besides its metrics: figures, the filter trajectory, GIFs and the model
(architecture §5, "Artifacts")."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import torch

from parametricSN.config import section


def filter_snapshot(scattering) -> dict[str, torch.Tensor] | None:
    """The bank's Fourier filters (J·L, Hp, Wp) and Littlewood–Paley sum (Hp, Wp), on the CPU."""
    if scattering is None:
        return None
    return {"filters": scattering.wavelet_filters().detach().cpu(),
            "lp": scattering.littlewood_paley().detach().cpu()}


def log_artifacts(run, history, before, scattering, recorder, log_distance, draw: bool = True) -> None:
    """Figures (figures/, filters/), trajectory/trajectory.npz and videos/*.gif (figures only if ``draw``).

    A figure that fails to draw is reported as a warning (and the run tag ``figure_errors``)
    instead of failing a run whose metrics are already logged; a store that cannot take them (a full
    or read-only disk, a server gone: tracking.store.StoreError) fails the run.
    """
    from parametricSN.tracking.store import StoreError

    if draw:
        from parametricSN.figures.curves import (
            plot_learning_curves, plot_parameter_distance, plot_parameter_trajectories,
        )
        from parametricSN.figures.filters import plot_filters, plot_littlewood_paley, write_filter_progression_gif

    errors: list[str] = []

    def attempt(name: str, make) -> None:
        if not draw and not name.startswith("trajectory/"):
            return
        try:
            make()
        except StoreError:
            raise
        except Exception as error:  # noqa: BLE001 — reported, not fatal
            errors.append(name)
            warnings.warn(f"could not write {name}: {type(error).__name__}: {error}", stacklevel=2)

    attempt("figures/learning_curves.png",
            lambda: run.log_figure(plot_learning_curves(history), "figures/learning_curves.png"))
    if scattering is not None:
        after = filter_snapshot(scattering)
        for when, snap in (("before", before), ("after", after)):
            for kind in ("fourier", "real", "imag"):
                path = f"filters/filters_{when}_{kind}.png"
                attempt(path, lambda snap=snap, kind=kind, path=path, when=when: run.log_figure(
                    plot_filters(snap["filters"], kind=kind, ncols=scattering.L,
                                 title=f"filters {when} training ({kind})"), path))
            path = f"filters/littlewood_paley_{when}.png"
            attempt(path, lambda snap=snap, path=path, when=when: run.log_figure(
                plot_littlewood_paley(snap["lp"], title=f"Littlewood–Paley sum {when} training"), path))
    if log_distance and history.get("param_distance"):
        epochs = [e for e, _ in history["param_distance"]]
        series = {name: [v for _, v in history[name]] for name in ("param_distance", "param_distance_tight_frame")}
        attempt("figures/parameter_distance.png", lambda: run.log_figure(
            plot_parameter_distance(epochs, series), "figures/parameter_distance.png"))
    if recorder is not None and recorder.epochs:
        with tempfile.TemporaryDirectory() as tmp:
            arrays = recorder.arrays()
            has_parameters = any(name not in ("steps", "epochs") for name in arrays)
            if has_parameters:
                attempt("trajectory/trajectory.npz", lambda: run.log_artifact(
                    recorder.save(Path(tmp) / "trajectory.npz"), "trajectory"))
            if any(a.ndim == 2 for name, a in arrays.items() if name not in ("steps", "epochs")):
                attempt("figures/parameter_trajectories.png", lambda: run.log_figure(
                    plot_parameter_trajectories(arrays, arrays["epochs"]),
                    "figures/parameter_trajectories.png"))
            if recorder.record_filters and recorder.filter_frames:
                for kind in ("fourier", "real", "imag"):
                    path = Path(tmp) / f"filters_{kind}.gif"
                    attempt(f"videos/{path.name}", lambda kind=kind, path=path: run.log_artifact(
                        write_filter_progression_gif(recorder.filter_frames, recorder.steps, path,
                                                     kind=kind, ncols=scattering.L), "videos"))
    if errors:
        run.set_tags({"figure_errors": ", ".join(errors)})


def log_model(run, model, cfg, data, final_test_acc) -> None:
    """save_model into a temporary folder; log it as the artifact folder ``model/`` and as the
    MLflow model ``classifier`` (tracking.mlflow_model). Its info keeps the content digests of
    the training files (``training_file_digests``; evaluate warns when it scores one of them)."""
    from parametricSN.models import save_model
    from parametricSN.tracking.mlflow_model import log_classifier
    from parametricSN.tracking.provenance import file_digest

    info = {
        "in_channels": data.in_channels, "num_classes": data.num_classes,
        "image_size": list(data.image_size), "mean": list(data.mean), "std": list(data.std),
        "preparation": data.preparation.to_info(), "dataset": data.name, "class_names": list(data.class_names),
        "final_test_acc": final_test_acc, "run_id": run.run_id, "epochs": int(section(cfg, "model").epoch),
        "training_file_digests": sorted({file_digest(path) for path in data.train_files}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_model(Path(tmp) / "model", model, cfg, info)
        run.log_artifacts(folder, "model")
        log_classifier(run, folder, {**getattr(model, "build_info", {}), **info})
