"""A small copy of the CIFAR-10 image folder that gives the competition runs exactly the images they
would read from the whole folder: for a machine that cannot hold or receive the 107 MB folder (the
lent GPU machine takes a 64 MiB working tree).

    python benchmarks/device_pack.py --data-root DIR --out PACK [--num-seeds 10]

DIR holds ``cifar10/train/<class>/*.png`` (the lossless copy, ../shared/data/README.md). The folder
reader lists every file and decodes only the ones a run selects (the seed's 100 training images and
the 10,000-image validation split of ``dataset.evaluate_on: validation``), so the pack keeps every
file name — the listing, hence every index, is unchanged — with the selected images copied byte for
byte and every other file a 32 × 32 grey placeholder. For each seed the pack is then read back and its
data fingerprints (the run tags ``data.*_fingerprint``: the selected images and their indices) must
equal the whole folder's; they are written to ``PACK/manifest.json``. Use the pack as
``--data-root PACK`` with the same seeds and ``--set dataset.evaluate_on=validation``;

    python benchmarks/device_pack.py --check PACK --tracking-uri URI

then checks that every run of that store read what the whole folder would have given it (its
``data.*_fingerprint`` tags against the manifest's), exit status 1 if not (benchmarks/gpu_competition.sh).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parametricSN.config import apply_overrides, validate_config  # noqa: E402
from parametricSN.data.build import build_data  # noqa: E402
from parametricSN.data.images import list_image_folder  # noqa: E402
from parametricSN.experiments.grid import sweep  # noqa: E402
from parametricSN.experiments.sweeps import deep_update  # noqa: E402
from parametricSN.tracking.provenance import data_fingerprint  # noqa: E402


def placeholder_png() -> bytes:
    """A valid 32 × 32 mid-grey RGB PNG (a few dozen bytes)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), (128, 128, 128)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def run_config(data_root: str, seed: int, overrides=()):
    """The config of a competition run of ``seed`` evaluated on the validation split, with
    ``section.key=value`` overrides."""
    partial = deep_update(copy.deepcopy(sweep("cifar", "cnn", "100").base),
                          {"dataset": {"data_root": data_root, "evaluate_on": "validation"}, "general": {"seed": seed}})
    return validate_config(apply_overrides(partial, list(overrides)))


def fingerprints(data_root: str, seeds, overrides=()) -> dict[str, dict[str, str]]:
    """{seed: data fingerprints} of the competition runs of ``seeds`` reading ``data_root``."""
    return {str(seed): data_fingerprint(build_data(run_config(data_root, seed, overrides))) for seed in seeds}


def check_runs(pack: Path, tracking_uri: str) -> list[str]:
    """One line per run of the store: its data fingerprints equal the manifest's for its seed, or
    which differ."""
    from parametricSN.tracking.listing import list_runs
    from parametricSN.tracking.store import open_client

    expected = json.loads((pack / "manifest.json").read_text())["seeds"]
    client, lines = open_client(tracking_uri, create=False), []
    for line in list_runs(tracking_uri):
        tags, seed = client.get_run(line.run_id).data.tags, line.params.get("general.seed")
        wrong = sorted(key for key, value in expected.get(seed, {}).items() if tags.get(key) != value)
        verdict = ("no seed of the pack" if seed not in expected else
                   f"differs: {', '.join(wrong)}" if wrong else "the whole folder's data")
        lines.append(f"{line.name or line.run_id}: {verdict}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", help="folder holding cifar10/train/<class>/")
    parser.add_argument("--out", help="the pack's folder (created; must not exist)")
    parser.add_argument("--check", metavar="PACK", help="check the runs of --tracking-uri against PACK's manifest")
    parser.add_argument("--tracking-uri", help="with --check: the store of the runs")
    parser.add_argument("--num-seeds", type=int, default=10, help="the first N published competition seeds")
    parser.add_argument("--set", action="append", default=[], metavar="section.key=value",
                        help="a setting the runs will use that changes what they read (e.g. dataset.validation_sample_num)")
    args = parser.parse_args(argv)
    if args.check:
        if not args.tracking_uri:
            parser.error("--check needs --tracking-uri")
        lines = check_runs(Path(args.check), args.tracking_uri)
        print("\n".join(lines) or "no runs")
        return 0 if lines and all(line.endswith("the whole folder's data") for line in lines) else 1
    if not (args.data_root and args.out):
        parser.error("give --data-root and --out (or --check PACK --tracking-uri URI)")
    out = Path(args.out)
    if out.exists():
        parser.error(f"--out {out} exists; give a new folder")
    seeds = sweep("cifar", "cnn", "100").seeds[: args.num_seeds]
    source = Path(args.data_root) / "cifar10" / "train"
    paths, _, _ = list_image_folder(source)
    needed: set[int] = set()
    expected = {}
    for seed in seeds:
        bundle = build_data(run_config(args.data_root, seed, args.set))
        expected[str(seed)] = data_fingerprint(bundle)
        needed |= set(np.asarray(bundle.train_indices).tolist()) | set(np.asarray(bundle.eval_indices).tolist())
    grey = placeholder_png()
    for index, path in enumerate(paths):
        target = out / "cifar10" / "train" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if index in needed:
            shutil.copyfile(path, target)
        else:
            target.write_bytes(grey)
    found = fingerprints(str(out), seeds, args.set)
    if found != expected:
        bad = [seed for seed in expected if found.get(seed) != expected[seed]]
        print(f"error: the pack reads differently from {args.data_root} for seeds {', '.join(bad)}", file=sys.stderr)
        return 1
    (out / "manifest.json").write_text(json.dumps({"source": str(source.resolve()), "settings": args.set,
                                                   "seeds": expected}, indent=1))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{out}: {len(paths)} files, {len(needed)} real images ({size / 2**20:.1f} MiB); every seed's data "
          f"fingerprints equal the whole folder's ({', '.join(map(str, seeds))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
