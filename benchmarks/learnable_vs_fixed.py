"""Learned vs fixed filters on real CIFAR-10: filter-learning recipes, paired by seed (issue 16).

    python benchmarks/learnable_vs_fixed.py [--recipes published,bounded] [--seeds 4 | all | S1,S2]
        [--inits tight-frame,random] [--samples 100] [--images png|jpeg] [--workers 1]
        [--candidate NAME:section.key=value,...] [--tracking-uri URI] [--markdown FILE] [--report-only]

Runs the published LL protocol (experiments/cifar/ll/ll_<N>sample_cifar10_experiment.py; 100 samples:
200 epochs, batch 128, head peak 0.06; 500: 1000 epochs, batch 500, peak 0.13) on the lossless CIFAR-10 training images (``--images jpeg``: the JPEG copy),
evaluated on the 10,000-image validation split, tests only at the end (the final accuracy does not
depend on it). For each init, the fixed bank (S) runs once; the learnable bank (LS) runs once per
recipe: the named ones of ``parametricSN.experiments.recipes`` and ad hoc ``--candidate``s (a name
and the keys it sets). Runs already FINISHED in the store are reused, so a table grows over calls.

Prints, per seed and as mean ± std: each bank's validation accuracy; paired by seed: LS − S per
recipe and init, and recipe − published (mean ± std, seeds above); how far the learned filters
moved, from each run's ``trajectory/trajectory.npz`` (share of wavelets ending with ξ > π, where a
wavelet aliases; the largest ξ; mean Δξ per scale, Δσ, Δγ, |Δθ|); seconds per run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

from real_cifar import (DEFAULT_IMAGES, archive_for, extract_archive, finished_runs, ll_sweep, mean_std,
                        run_stoppable, seeds_from)

from parametricSN.errors import UserError
from parametricSN.experiments import Sweep, Variant, run_sweep
from parametricSN.experiments.recipes import FILTER_RECIPES
from parametricSN.experiments.runner import build_parser, build_runs

DEFAULT_STORE = "outputs/benchmarks/learnable_vs_fixed/store.db"
INIT_LABEL = {"tight-frame": "TF", "random": "Rand"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default="published,bounded",
                        help=f"comma list of named recipes ({', '.join(FILTER_RECIPES)}) and --candidate names")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                        help="an ad hoc recipe, e.g. 'lr0.01:scattering.lr_scattering=0.01,"
                             "scattering.lr_orientation=0.01' (repeatable; list NAME in --recipes)")
    parser.add_argument("--seeds", default="4", help="N (the first N published seeds), 'all' or a list")
    parser.add_argument("--inits", default="tight-frame,random")
    parser.add_argument("--samples", type=int, default=100,
                        help="training images: 100, 500 or 1000, each with its published LL protocol")
    parser.add_argument("--no-fixed", action="store_true", help="skip the fixed banks (S)")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: the tables from the runs the store holds FINISHED ('–' where missing)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="override the protocol's 200 epochs (quick checks)")
    parser.add_argument("--images", choices=("png", "jpeg"), default=DEFAULT_IMAGES)
    parser.add_argument("--tracking-uri", default=f"sqlite:///{DEFAULT_STORE}")
    parser.add_argument("--experiment-name", default="filter-recipes")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    return parser.parse_args(argv)


def recipe_overrides(args) -> dict[str, list[str]]:
    """recipe name → its ``section.key=value`` overrides (named recipes and --candidate's)."""
    table = {name: [f"{s}.{k}={v}" for s, keys in settings.items() for k, v in keys.items()]
             for name, settings in FILTER_RECIPES.items()}
    for text in args.candidate:
        name, _, sets = text.partition(":")
        if not name or not sets:
            raise UserError(f"--candidate {text!r}: give NAME:section.key=value[,section.key=value...]")
        table[name] = [s.strip() for s in sets.split(",") if s.strip()]
    wanted = [r.strip() for r in args.recipes.split(",") if r.strip()]
    unknown = [r for r in wanted if r not in table]
    if unknown:
        raise UserError(f"--recipes {', '.join(unknown)}: use named recipes ({', '.join(FILTER_RECIPES)}) "
                        f"or define them with --candidate NAME:KEY=VALUE,...")
    return {name: table[name] for name in wanted}


def run_bank(init: str, learnable: bool, sets: list[str], seeds: list[int], args, data_root: Path):
    """Run (or reuse) one bank over the seeds: {seed: (config, MLflow run)} of the FINISHED ones."""
    base = ll_sweep(args.samples)
    sweep = Sweep(args.experiment_name, base.base, seeds=base.seeds, variants=[Variant(init, learnable)])
    epochs = base.base["model"]["epoch"]
    argv = ["--seeds", ",".join(map(str, seeds)), "--workers", str(args.workers), "--data-root", str(data_root),
            "--tracking-uri", args.tracking_uri, "--set", "dataset.evaluate_on=validation",
            "--set", f"model.step_test={epochs}"]
    if args.epochs:
        argv += ["--epochs", str(args.epochs), "--set", f"model.step_test={args.epochs}"]
    argv += [a for s in sets for a in ("--set", s)]
    if not args.report_only:
        run_sweep(sweep, argv)
    cfgs = build_runs(sweep, build_parser(sweep).parse_args(argv))
    return {c["general"]["seed"]: (c, r) for c, r in finished_runs(args.tracking_uri, args.experiment_name, cfgs)}


def drift(run, client, L: int = 8) -> dict[str, float]:
    """How far one learnable run's filters moved, first vs last frame of its trajectory (an
    equivariant bank records one value per scale: each then stands for its L wavelets)."""
    t = np.load(client.download_artifacts(run.info.run_id, "trajectory/trajectory.npz"))
    per_scale = run.data.params.get("scattering.parameterization") == "equivariant"
    frame = (lambda a: np.repeat(a, L)) if per_scale else (lambda a: a)
    first = {k: frame(t[k][0]) for k in ("theta", "xi", "sigma", "gamma")}
    last = {k: frame(t[k][-1]) for k in ("theta", "xi", "sigma", "gamma")}
    return {"share ξ > π": float(np.mean(np.abs(last["xi"]) > np.pi)),
            "max ξ": float(np.abs(last["xi"]).max()),
            "Δξ j=0": float(np.mean(last["xi"][:L] - first["xi"][:L])),
            "Δξ j=1": float(np.mean(last["xi"][L:2 * L] - first["xi"][L:2 * L])),
            "Δσ": float(np.mean(last["sigma"] - first["sigma"])),
            "Δγ": float(np.mean(last["gamma"] - first["gamma"])),
            "|Δθ|": float(np.mean(np.abs(last["theta"] - first["theta"])))}


def paired(a: dict[int, float], b: dict[int, float]) -> str:
    """'+1.23 ± 0.45 (7/10 above)': mean ± std of a − b over the seeds both hold."""
    diffs = [a[s] - b[s] for s in a if s in b]
    if not diffs:
        return "–"
    spread = f" ± {statistics.stdev(diffs):.2f}" if len(diffs) > 1 else ""
    return f"{statistics.mean(diffs):+.2f}{spread} ({sum(d > 0 for d in diffs)}/{len(diffs)} above)"


def seconds(run) -> float:
    return (run.info.end_time - run.info.start_time) / 1000


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        recipes = recipe_overrides(args)
        seeds = seeds_from(args.seeds)
        inits = [i.strip() for i in args.inits.split(",") if i.strip()]
        data_root = extract_archive(*archive_for(args.images))
        columns: dict[str, dict[int, object]] = {}      # "TF S", "TF LS bounded", ... → seed → run
        for init in inits:
            if not args.no_fixed:
                columns[f"{INIT_LABEL[init]} S"] = run_bank(init, False, [], seeds, args, data_root)
            for name, sets in recipes.items():
                columns[f"{INIT_LABEL[init]} LS {name}"] = run_bank(init, True, sets, seeds, args, data_root)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=args.tracking_uri)
    acc = {col: {s: r.data.metrics["final_test_acc"] for s, (_, r) in runs.items()} for col, runs in columns.items()}
    names = list(columns)
    lines = [f"# LL, {args.samples} CIFAR-10 samples, {args.images.upper()} images, validation accuracy % "
             f"(10,000 images), tests at the end", "",
             "| seed | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for seed in seeds:
        lines.append(f"| {seed} | " + " | ".join(f"{acc[c][seed]:.2f}" if seed in acc[c] else "–" for c in names) + " |")
    lines.append("| mean ± std | " + " | ".join(mean_std(list(acc[c].values())) if acc[c] else "–" for c in names) + " |")
    lines.append("| s per run | " + " | ".join(
        f"{statistics.mean(seconds(r) for _, r in columns[c].values()):.0f}" if columns[c] else "–" for c in names) + " |")
    lines += ["", "Paired by seed:", ""]
    for init in inits:
        fixed, published = f"{INIT_LABEL[init]} S", f"{INIT_LABEL[init]} LS published"
        for name in recipes:
            col = f"{INIT_LABEL[init]} LS {name}"
            if fixed in acc:
                lines.append(f"- {col} − {fixed}: {paired(acc[col], acc[fixed])}")
            if name != "published" and published in acc:
                lines.append(f"- {col} − {published}: {paired(acc[col], acc[published])}")
    lines += ["", "Filters at the end of training (mean over the runs):", "",
              "| bank | share ξ > π | max ξ | Δξ j=0 | Δξ j=1 | Δσ | Δγ | \\|Δθ\\| |", "|---|---|---|---|---|---|---|---|"]
    for col in names:
        if " LS " in col and columns[col]:
            moved = [drift(r, client) for _, r in columns[col].values()]
            means = {k: statistics.mean(m[k] for m in moved) for k in moved[0]}
            lines.append(f"| {col} | {means['share ξ > π']:.0%} | {means['max ξ']:.2f} | "
                         + " | ".join(f"{means[k]:+.2f}" for k in ("Δξ j=0", "Δξ j=1", "Δσ", "Δγ", "|Δθ|")) + " |")
    text = "\n".join(lines)
    print("\n" + text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_stoppable(main))
