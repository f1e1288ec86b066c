"""Why learnable filters score below fixed ones on the real JPEG images (issue 8, item 5).

    python benchmarks/learnable_vs_fixed.py [--seeds 4] [--workers 2] [--init tight-frame|random]

Runs the published LL 100-sample protocol (benchmarks/published_protocol.py's sweep, validation split
of the real CIFAR-10 JPEGs, a test only at the end: the final accuracy is the same) for the fixed bank
and for learnable banks that differ only in what the filters may learn and how fast:

- ``published``: θ at peak 0.1, ξ σ γ at peak 0.1 (the paper's; parametricSN/experiments/grid.py);
- ``filter LR 0.01``: both filter peaks 0.01;
- ``θ only``: ξ σ γ frozen (``scattering.lr_scattering=0``);
- ``θ frozen``: only ξ σ γ learned, at 0.1.

Prints per setting the mean ± std and the mean paired difference to the fixed bank (same seed, so the
same subset), and how far the filters moved (from each run's trajectory.npz: mean change of ξ per scale,
the largest final ξ — above π a wavelet aliases —, mean change of σ and |γ|, mean |Δθ|). Also the
share of the images' spectral power above a few frequencies, which shows what the JPEG images still hold.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

from real_cifar import extract_archive, finished_runs, ll_sweep, mean_std

from parametricSN.experiments import CIFAR_SEEDS, Sweep, Variant, run_sweep
from parametricSN.experiments.runner import build_parser, build_runs

SETTINGS = {
    "published": [],
    "filter LR 0.01": ["scattering.lr_scattering=0.01", "scattering.lr_orientation=0.01"],
    "θ only": ["scattering.lr_scattering=0"],
    "θ frozen": ["scattering.lr_orientation=0"],
}
DEFAULT_STORE = "outputs/benchmarks/learnable_vs_fixed/store.db"


def run_setting(init: str, learnable: bool, sets: list[str], args, data_root: Path):
    """Run (or reuse) one setting for the seeds; (config, MLflow run) per FINISHED run."""
    base = ll_sweep()
    sweep = Sweep("learnable-vs-fixed", base.base, seeds=base.seeds, variants=[Variant(init, learnable)])
    argv = ["--num-seeds", str(args.seeds), "--workers", str(args.workers), "--data-root", str(data_root),
            "--tracking-uri", args.tracking_uri, "--set", "dataset.evaluate_on=validation",
            "--set", "model.step_test=200"] + [a for s in sets for a in ("--set", s)]
    if args.epochs:
        argv += ["--epochs", str(args.epochs), "--set", f"model.step_test={args.epochs}"]
    run_sweep(sweep, argv)
    return finished_runs(args.tracking_uri, sweep.experiment, build_runs(sweep, build_parser(sweep).parse_args(argv)))


def drift(run, client, L: int = 8) -> dict[str, float]:
    """How far one learnable run's filters moved, from its trajectory (first vs last frame)."""
    path = client.download_artifacts(run.info.run_id, "trajectory/trajectory.npz")
    t = np.load(path)
    first, last = {k: t[k][0] for k in ("theta", "xi", "sigma", "gamma")}, {k: t[k][-1] for k in ("theta", "xi", "sigma", "gamma")}
    return {"Δξ j=0": float(np.mean(last["xi"][:L] - first["xi"][:L])),
            "Δξ j=1": float(np.mean(last["xi"][L:] - first["xi"][L:])),
            "max ξ": float(last["xi"].max()),
            "share ξ > π": float(np.mean(np.abs(last["xi"]) > np.pi)),
            "Δσ": float(np.mean(last["sigma"] - first["sigma"])),
            "Δ|γ|": float(np.mean(np.abs(last["gamma"]) - np.abs(first["gamma"]))),
            "|Δθ|": float(np.mean(np.abs(last["theta"] - first["theta"])))}


def spectrum_shares(data_root: Path, every: int = 50) -> list[str]:
    """Share of the grey-level images' power above |ω| = 1, 2, 2.5, 3 rad/pixel (1,000 images)."""
    from PIL import Image

    files = sorted((data_root / "cifar10" / "train").glob("*/*.jpg"))[::every]
    x = np.stack([np.asarray(Image.open(f).convert("L"), dtype=np.float64) for f in files])
    x -= x.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fft2(x)) ** 2).mean(0)
    w = np.fft.fftfreq(32) * 2 * np.pi
    radius = np.hypot(*np.meshgrid(w, w, indexing="ij"))
    return [f"|ω| > {c}: {power[radius > c].sum() / power.sum():.2%}" for c in (1.0, 2.0, 2.5, 3.0)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help=f"the first N of the {len(CIFAR_SEEDS)} published seeds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="override the protocol's 200 epochs (quick checks)")
    parser.add_argument("--init", default="tight-frame", choices=("tight-frame", "random"))
    parser.add_argument("--tracking-uri", default=f"sqlite:///{DEFAULT_STORE}")
    args = parser.parse_args(argv)
    from mlflow.tracking import MlflowClient

    data_root = extract_archive()
    client = MlflowClient(tracking_uri=args.tracking_uri)
    fixed = {c["general"]["seed"]: r.data.metrics["final_test_acc"]
             for c, r in run_setting(args.init, False, [], args, data_root)}
    rows = [f"| fixed (S) | {len(fixed)} | {mean_std(list(fixed.values()))} | – | – |"]
    for name, sets in SETTINGS.items():
        runs = run_setting(args.init, True, sets, args, data_root)
        accs = {c["general"]["seed"]: r.data.metrics["final_test_acc"] for c, r in runs}
        paired = [accs[s] - fixed[s] for s in accs if s in fixed]
        moved = [drift(r, client) for _, r in runs]
        summary = ", ".join(f"{k} {statistics.mean(m[k] for m in moved):+.2f}" for k in moved[0]) if moved else "–"
        wins = sum(d > 0 for d in paired)
        rows.append(f"| LS, {name} | {len(accs)} | {mean_std(list(accs.values()))} | "
                    f"{statistics.mean(paired):+.2f} ({wins}/{len(paired)} seeds above S) | {summary} |")
    print(f"\n# {args.init}, validation accuracy %, seeds = the first {args.seeds} published CIFAR seeds")
    print("| bank | seeds | accuracy | LS − S, paired | filter drift (mean over runs) |\n|---|---|---|---|---|")
    print("\n".join(rows))
    print("\nspectral power of the JPEG training images: " + "; ".join(spectrum_shares(data_root)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
