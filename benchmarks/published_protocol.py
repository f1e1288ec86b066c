"""The published CIFAR-10 100-sample LL protocol on real images, against the predecessor's figures.

    python benchmarks/published_protocol.py [--seeds 3 | all | S1,S2,...] [--variants tf-ls,tf-s,...]
                                            [--workers 2] [--epochs 200] [--set section.key=value ...]
                                            [--images png|jpeg]

Runs the sweep of experiments/cifar/ll/ll_100sample_cifar10_experiment.py (the paper's settings: 200 epochs,
OneCycle head peak 0.06, filter peaks 0.1, batch 128, autoaugment = docs/augmentation.md) on the real
CIFAR-10 training images of ../shared/data (lossless PNG by default, ``--images jpeg`` for the JPEG
copy; extracted once into ~/.cache/parametricSN/data/<png|jpeg>), for the
chosen variants × the first N published seeds, evaluated on the validation split (10,000 training
images outside each run's subset; the archive holds no test split). Runs already FINISHED in the
store are reused, so a longer table can be built up over several calls. Prints mean ± std of the
final validation accuracy per variant, the seconds per run, and the predecessor's figures on the
same images (its own code: test split, one seed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from real_cifar import (DEFAULT_IMAGES, PREDECESSOR, SWAPPED_IN, archive_for, extract_archive, finished_runs,
                        ll_sweep, mean_std, run_stoppable, seeds_from)

from parametricSN.config import flatten_config
from parametricSN.errors import UserError
from parametricSN.experiments import Sweep, Variant, run_sweep, variant_label
from parametricSN.experiments.runner import build_parser, build_runs

VARIANTS = {"tf-ls": Variant("tight-frame", True), "tf-s": Variant("tight-frame", False),
            "rand-ls": Variant("random", True), "rand-s": Variant("random", False)}
DEFAULT_STORE = "outputs/benchmarks/published_protocol/store.db"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="3", help="N (the first N published seeds), 'all' (10) or a list")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma list of {', '.join(VARIANTS)}")
    parser.add_argument("--workers", type=int, default=1, help="runs in parallel (each cores/N threads)")
    parser.add_argument("--epochs", type=int, help="override the protocol's 200 epochs (quick checks)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="any config key for every run (e.g. scattering.lr_scattering=0.01)")
    parser.add_argument("--tracking-uri", default=f"sqlite:///{DEFAULT_STORE}")
    parser.add_argument("--experiment-name", default="published-protocol")
    parser.add_argument("--images", choices=("png", "jpeg"), default=DEFAULT_IMAGES,
                        help="the lossless PNG archive (default; what the paper measured on) or the JPEG copy")
    parser.add_argument("--archive", type=Path, help="another archive of the chosen format (default ../shared/data/…)")
    return parser.parse_args(argv)


def sweep_argv(args, data_root: Path, seeds: list[int]) -> list[str]:
    """The experiment script's command line for this benchmark."""
    argv = ["--seeds", ",".join(map(str, seeds)), "--data-root", str(data_root), "--workers", str(args.workers),
            "--tracking-uri", args.tracking_uri, "--experiment-name", args.experiment_name,
            "--set", "dataset.evaluate_on=validation"]
    if args.epochs:
        argv += ["--epochs", str(args.epochs)]
    for text in args.overrides:
        argv += ["--set", text]
    return argv


def table(runs, images: str = DEFAULT_IMAGES) -> list[str]:
    """Markdown rows: variant, n, mean ± std, seconds per run, and the reference figures: the paper's
    (test split) on the lossless images, the predecessor's own code on the JPEG copy."""
    from parametricSN.experiments.published import PUBLISHED

    by_variant: dict[str, list] = {}
    for cfg, run in runs:
        by_variant.setdefault(variant_label(flatten_config(cfg)), []).append(run)
    if images == "png":
        header = "| variant | seeds | validation accuracy % (mean ± std) | s per run | paper (test split) |\n|---|---|---|---|---|"
    else:
        header = ("| variant | seeds | validation accuracy % (mean ± std) | s per run | predecessor, same images "
                  "(test split) | project + predecessor's recipe (docs/augmentation.md, test split) |\n|---|---|---|---|---|---|")
    lines = header.split("\n")
    for label, group in by_variant.items():
        accs = [r.data.metrics["final_test_acc"] for r in group]
        seconds = statistics.mean((r.info.end_time - r.info.start_time) / 1000 for r in group)
        if images == "png":
            paper = PUBLISHED["cifar"].get(label, {}).get("100")
            reference = f"{paper[0]:.2f} ± {paper[1]:.2f}" if paper else "–"
        else:
            reference = f"{PREDECESSOR.get(label, '–')} | {SWAPPED_IN.get(label, '–')}"
        lines.append(f"| {label} | {len(group)} | {mean_std(accs)} | {seconds:.0f} | {reference} |")
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        names = [v.strip() for v in args.variants.split(",") if v.strip()]
        unknown = [v for v in names if v not in VARIANTS]
        if unknown:
            raise UserError(f"--variants {', '.join(unknown)}: use some of {', '.join(VARIANTS)}")
        seeds = seeds_from(args.seeds)
        archive, cache = archive_for(args.images)
        data_root = extract_archive(args.archive or archive, cache)
        base = ll_sweep()
        sweep = Sweep(base.experiment, base.base, seeds=base.seeds, variants=[VARIANTS[v] for v in names])
        argv_sweep = sweep_argv(args, data_root, seeds)
        code = run_sweep(sweep, argv_sweep)
        cfgs = build_runs(sweep, build_parser(sweep).parse_args(argv_sweep))
        runs = finished_runs(args.tracking_uri, args.experiment_name, cfgs)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"\n# published LL protocol, 100 CIFAR-10 samples, real {args.images.upper()} images, validation split "
          f"(10,000 images); seeds: {', '.join(map(str, seeds))}")
    print("\n".join(table(runs, args.images)))
    return code


if __name__ == "__main__":
    sys.exit(run_stoppable(main))
