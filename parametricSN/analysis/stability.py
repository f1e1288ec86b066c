"""Deformation stability of saved models (as in the paper): ``python -m parametricSN deform MODEL [MODEL …]``.

For each model's scattering S (the full (C, K, h, w) output of its ``ParametricScattering2D``,
also when the head keeps only order-2 coefficients) and test image x, each deformation τ_s of
``analysis.deformations`` is applied to x in [0, 1] before the model's normalisation, at 20
strengths from 0, and the relative distance ‖S(τ_s x) − S(x)‖₂ / ‖S(x)‖₂ is averaged over the first
``--images`` test images. The baseline of a model is the same ratio between x and other test
images (the next ``--baseline-images`` ones, default 50), averaged over all (x, x') pairs.

Models without a scattering layer (scattering.architecture: identity) are skipped with a message:
their "representation" is the raw image, which is not what this analysis measures.

Output in ``--out``: ``deformation_<name>.png`` (all models' curves, dashed baselines in each
model's colour, x and x at the strongest deformation), ``images_<name>.png`` (x and the deformed
x, larger), ``deformation.csv`` (model, deformation, strength, distance, baseline: one row per
model × deformation × strength); the same files are logged to an MLflow run of the experiment
``--experiment`` (default "deformation") unless ``--no-mlflow``.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import torch

from parametricSN.analysis.deformations import DEFORMATIONS, STRENGTH_COUNT, Deformation, get_deformations
from parametricSN.analysis.model_source import LoadedModel, resolve_model
from parametricSN.config import section
from parametricSN.data.preparation import ImagePreparation
from parametricSN.errors import UserError
from parametricSN.runtime import resolve_device
from parametricSN.tracking.store import default_tracking_uri

CSV_NAME = "deformation.csv"
CSV_COLUMNS = ("model", "deformation", "strength", "distance", "baseline")


# --- computation ---------------------------------------------------------------------------------

class Representation:
    """x in [0, 1] (B, C, H, W) → S((x − mean) / std) flattened to (B, D), float64, on CPU.

    scattering: the model's ParametricScattering2D; preparation: the model's ImagePreparation (its
    saved info), whose normalisation is applied. Batches of ``batch_size`` images go through ``device``.
    """

    def __init__(self, scattering: torch.nn.Module, preparation: ImagePreparation, device: torch.device,
                 batch_size: int = 64):
        self.scattering = scattering.to(device).eval()
        self.preparation = preparation
        self.device = device
        self.batch_size = int(batch_size)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        out = []
        for chunk in images.split(self.batch_size):
            x = self.preparation.normalize(chunk.to(self.device, torch.float32))
            out.append(self.scattering(x).flatten(1).to("cpu", torch.float64))
        return torch.cat(out)


def deformation_curve(represent: Representation, images: torch.Tensor, deformation: Deformation,
                      strengths: np.ndarray) -> np.ndarray:
    """Mean over the N images (N, C, H, W) in [0, 1] of the relative distance at each strength → (S,).

    Several strengths share a forward pass (about ``represent.batch_size`` images per pass): the
    layer's per-call cost dominates for a single small image. When the first strength is 0 its
    images are the reference, so that distance is exactly 0 whatever the batching.
    """
    n = images.shape[0]
    group = max(1, represent.batch_size // n)
    reference = None if strengths[0] == 0 else represent(images)         # (N, D)
    means = []
    for start in range(0, len(strengths), group):
        chunk = strengths[start:start + group]
        deformed = torch.cat([deformation(images, s) for s in chunk])    # (k·N, C, H, W)
        features = represent(deformed).view(len(chunk), n, -1)           # (k, N, D)
        if reference is None:
            reference = features[0]
        ratios = (features - reference).norm(dim=2) / reference.norm(dim=1)
        means.extend(ratios.mean(dim=1).tolist())
    return np.array(means)


def baseline_distance(represent: Representation, images: torch.Tensor, others: torch.Tensor) -> float:
    """Mean relative distance between each image x (N, …) and each other image x' (M, …)."""
    reference = represent(images)
    candidates = represent(others)
    ratios = torch.cdist(reference, candidates) / reference.norm(dim=1, keepdim=True)
    return float(ratios.mean())


def evaluate_model(represent: Representation, images: torch.Tensor, others: torch.Tensor,
                   deformations: Sequence[Deformation], count: int = STRENGTH_COUNT) -> tuple[dict, float]:
    """({deformation name: (S,) mean distances}, baseline) for one model's representation."""
    curves = {d.name: deformation_curve(represent, images, d, d.strengths(count)) for d in deformations}
    return curves, baseline_distance(represent, images, others)


def csv_rows(results: Mapping[str, tuple[dict, float]], deformations: Sequence[Deformation],
             count: int = STRENGTH_COUNT) -> list[dict]:
    """One row per (model, deformation, strength) from {model: (curves, baseline)}."""
    rows = []
    for model, (curves, baseline) in results.items():
        for d in deformations:
            for strength, distance in zip(d.strengths(count), curves[d.name]):
                rows.append({"model": model, "deformation": d.name, "strength": float(strength),
                             "distance": float(distance), "baseline": float(baseline)})
    return rows


def write_csv(rows: Sequence[Mapping], path) -> Path:
    """Write ``rows`` with the columns model, deformation, strength, distance, baseline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{row[key]:.10g}" if isinstance(row[key], float) else row[key])
                             for key in CSV_COLUMNS})
    return path


def write_figures(out: Path, labels: Mapping[str, str], results: Mapping[str, tuple[dict, float]],
                  deformations: Sequence[Deformation], image: torch.Tensor,
                  count: int = STRENGTH_COUNT) -> list[Path]:
    """deformation_<name>.png and images_<name>.png per deformation; image: (C, H, W) in [0, 1]."""
    from parametricSN.figures.canvas import save_figure
    from parametricSN.figures.deformation import plot_deformation, plot_image_pair

    paths = []
    for d in deformations:
        strongest = d(image[None], d.max_strength)[0]
        after_title = f"{d.name} at {d.max_strength:g}"
        curves = {labels[m]: results[m][0][d.name] for m in results}
        baselines = {labels[m]: results[m][1] for m in results}
        fig = plot_deformation(d.name, d.strengths(count), curves, baselines, xlabel=d.xlabel,
                               before=image, after=strongest, after_title=after_title)
        paths.append(save_figure(fig, out / f"deformation_{d.name}.png"))
        pair = plot_image_pair(image, strongest, ("x", after_title))
        paths.append(save_figure(pair, out / f"images_{d.name}.png"))
    return paths


# --- data and models -------------------------------------------------------------------------------

def _test_images(loaded: LoadedModel, data_root: Optional[str]):
    """The first model's test images, rebuilt from its saved config: (bundle, uint8 (M, C, H, W))."""
    from parametricSN.data import build_data

    cfg = dict(loaded.cfg)  # the saved config (build_data reads it through config.section)
    if data_root is not None:
        cfg["dataset"] = {**section(loaded.cfg, "dataset").to_dict(), "data_root": data_root}
    bundle = build_data(cfg)
    return bundle, bundle.test_images


def _check_compatible(models: Sequence[LoadedModel], image_shape: tuple) -> None:
    """All models must read images of the same shape (C, H, W) as the data."""
    for loaded in models:
        shape = (int(loaded.info["in_channels"]), *map(int, loaded.info["image_size"]))
        if shape != tuple(image_shape):
            raise UserError(f"model {loaded.spec!r} reads images {shape} but the test images are "
                            f"{tuple(image_shape)}; compare models trained on the same dataset and size")


def _unique_labels(models: Sequence[LoadedModel]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for loaded in models:
        label, n = loaded.label, 2
        while label in labels.values():
            label, n = f"{loaded.label} #{n}", n + 1
        labels[loaded.spec] = label
    return labels


def _log_to_mlflow(tracking_uri: str, experiment: str, files: Sequence[Path],
                   params: Mapping[str, object]) -> str:
    """Create a run in ``experiment`` holding ``params`` and ``files`` (PNGs under figures/);
    returns its run id. The experiment is created like training's (artifacts beside a sqlite db)."""
    from parametricSN.tracking.mlflow_run import MlflowRun

    with MlflowRun.start(tracking_uri, experiment, run_name="deformation",
                         tags={"analysis": "deformation"}) as run:
        run.log_params(params)
        for path in files:
            run.log_artifact(path, "figures" if path.suffix == ".png" else None)
    return run.run_id


# --- command line --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN deform",
        description="Stability of saved models' scattering under six deformations (as in the paper).")
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="saved-model folder, MLflow run id, or runs:/<run id>/model URI")
    parser.add_argument("--tracking-uri", default=None,
                        help="MLflow store of the runs and of the deformation run "
                             "(default: $MLFLOW_TRACKING_URI or sqlite:///mlruns/store.db)")
    parser.add_argument("--out", default="outputs/deformation", help="output folder (default: %(default)s)")
    parser.add_argument("--images", type=int, default=1,
                        help="number of test images the distances are averaged over (default: 1)")
    parser.add_argument("--deformations", nargs="+", default=None, metavar="NAME",
                        help=f"subset of: {', '.join(DEFORMATIONS)} (default: all)")
    parser.add_argument("--baseline-images", type=int, default=50,
                        help="other test images for the random-image baseline (default: 50)")
    parser.add_argument("--data-root", default=None,
                        help="folder holding the datasets (default: the one in the model's config)")
    parser.add_argument("--experiment", default="deformation",
                        help="MLflow experiment of the output run (default: %(default)s)")
    parser.add_argument("--no-mlflow", action="store_true", help="write the files only, log no run")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default: auto)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per forward pass (default: 64)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.images < 1 or args.baseline_images < 1 or args.batch_size < 1:
        raise UserError("--images, --baseline-images and --batch-size must be at least 1")
    names = [n for item in (args.deformations or []) for n in item.split(",") if n]
    deformations = get_deformations(names)
    device = resolve_device(args.device, key="--device")
    tracking_uri = args.tracking_uri or default_tracking_uri()

    models = []
    for spec in dict.fromkeys(args.models):  # a model named twice is evaluated once
        loaded = resolve_model(spec, tracking_uri)
        if getattr(loaded.model, "scattering", None) is None:
            print(f"skipping {spec}: it has no scattering layer (scattering.architecture: identity), "
                  f"so there is no scattering representation to compare", file=sys.stderr)
            continue
        models.append(loaded)
    if not models:
        raise UserError("none of the given models has a scattering layer; deform needs scattering models")

    bundle, test_images = _test_images(models[0], args.data_root)
    _check_compatible(models, tuple(test_images.shape[1:]))
    if test_images.shape[0] < args.images + 1:
        raise UserError(f"the test set has {test_images.shape[0]} images; --images {args.images} "
                        f"leaves none for the baseline")
    images = test_images[:args.images].float() / 255.0
    others = test_images[args.images:args.images + args.baseline_images].float() / 255.0
    if others.shape[0] < args.baseline_images:
        print(f"note: the baseline uses the {others.shape[0]} remaining test images", file=sys.stderr)

    labels = _unique_labels(models)
    results = {}
    for loaded in models:
        # the normalisation the model was trained with (its saved info), else the dataset's
        saved = {"preparation", "mean"} & set(loaded.info)
        preparation = ImagePreparation.from_info(loaded.info, loaded.spec) if saved else bundle.preparation
        represent = Representation(loaded.model.scattering, preparation, device, args.batch_size)
        print(f"evaluating {labels[loaded.spec]} ...", file=sys.stderr)
        results[loaded.spec] = evaluate_model(represent, images, others, deformations)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_csv(csv_rows(results, deformations), out / CSV_NAME)]
    files += write_figures(out, labels, results, deformations, images[0])
    print(f"wrote {len(files)} files to {out}")
    if not args.no_mlflow:
        params = {"models": " ".join(args.models), "labels": " | ".join(labels.values()),
                  "images": args.images, "baseline_images": int(others.shape[0]),
                  "deformations": ",".join(d.name for d in deformations),
                  "dataset": section(models[0].cfg, "dataset").name}
        run_id = _log_to_mlflow(tracking_uri, args.experiment, files, params)
        print(f"logged MLflow run {run_id} in experiment {args.experiment!r} ({tracking_uri})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
