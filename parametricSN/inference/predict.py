"""``predict``: classify image files with a trained model, one CSV row per file.

    python -m parametricSN predict --run RUN_ID [--tracking-uri URI] --output preds.csv PATH...

PATH: image files or folders (searched recursively; hidden files and non-image files in folders
are skipped). CSV columns: ``path,predicted,probability`` (the top class), then
``class_2,probability_2 … class_K,probability_K`` for the next classes of the top-k (--top-k,
default 3), then ``error``: the reason a file could not be read (its other columns empty; a line
on stderr too). Exit status 0 when at least one image was predicted, 2 when none. Images are
prepared by the model's saved preparation (data.preparation) and classified by the run's own test
pass (training.fit.make_evaluator) in batches on the run's device (or --device), with a progress
bar; the CSV is written to a temporary file and renamed when complete.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import Iterable

from parametricSN.data.folder_files import image_files_below
from parametricSN.errors import UserError
from parametricSN.inference.predictor import add_model_arguments, load_predictor

CHUNK = 256  # files decoded at a time (rounded to whole batches)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN predict",
        description="Classify image files or folders with a trained model; write a CSV.",
        epilog="example: python -m parametricSN predict --run 3f2a... --output preds.csv ~/new_images")
    add_model_arguments(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (recursive)")
    parser.add_argument("--output", "-o", required=True, metavar="CSV", help="where the predictions go")
    parser.add_argument("--top-k", type=int, default=3, metavar="K", help="classes per row (default 3)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def collect(paths: Iterable[str]) -> list[Path]:
    """Files named and image files below folders named, in the order given (folders sorted);
    a path that does not exist is kept (its row reports the error)."""
    files: list[Path] = []
    for text in paths:
        path = Path(text).expanduser()
        files += image_files_below(path) if path.is_dir() else [path]
    return files


def header(k: int) -> list[str]:
    return ["path", "predicted", "probability"] + \
        [f"{name}_{rank}" for rank in range(2, k + 1) for name in ("class", "probability")] + ["error"]


def main(argv=None) -> int:
    """``predict`` command: 0 if at least one image was predicted, else 2."""
    args = _parser().parse_intermixed_args(sys.argv[1:] if argv is None else list(argv))
    if args.top_k < 1:
        raise UserError(f"--top-k must be >= 1, got {args.top_k}")
    files = collect(args.paths)
    if not files:
        raise UserError(f"no image files found in {', '.join(args.paths)}")
    predictor = load_predictor(args)
    names = predictor.class_names
    k = min(args.top_k, len(names))
    output = Path(args.output).expanduser()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        predicted, failed = _write(partial, files, predictor, names, k, args.no_progress)
    except BaseException:
        partial.unlink(missing_ok=True)  # never a half-written CSV
        raise
    os.replace(partial, output)
    print(f"predicted {predicted} of {len(files)} file(s) ({failed} unreadable) -> {output}")
    return 0 if predicted else 2


def _write(partial: Path, files: list[Path], predictor, names: list[str], k: int, quiet: bool) -> tuple[int, int]:
    """Predict ``files`` chunk by chunk into the CSV ``partial``; (predicted, unreadable) counts."""
    import torch
    from tqdm import tqdm

    predicted = failed = 0
    chunk_size = max(1, CHUNK // predictor.batch_size) * predictor.batch_size
    with open(partial, "w", newline="", encoding="utf-8") as f, \
            tqdm(total=len(files), desc="predicting", unit="img", file=sys.stderr,
                 disable=True if quiet or len(files) < 2 * predictor.batch_size else None) as bar:
        writer = csv.writer(f)
        writer.writerow(header(k))
        for first in range(0, len(files), chunk_size):
            chunk = files[first:first + chunk_size]
            decoded = predictor.decode(chunk, progress=False)
            readable = [d for d in decoded if not isinstance(d, str)]
            if readable:
                scores = predictor.scores(torch.stack(readable))
                # a stable sort puts the first of equal logits first, as the run's argmax does
                top_i = torch.sort(scores.logits, dim=1, descending=True, stable=True).indices[:, :k]
                top_p = scores.probabilities.gather(1, top_i)
            row = 0
            for path, item in zip(chunk, decoded):
                if isinstance(item, str):
                    print(f"error: cannot read {path}: {item}", file=sys.stderr)
                    writer.writerow([str(path)] + [""] * (2 * k) + [item])
                    failed += 1
                    continue
                ranked = [(names[int(i)], f"{float(p):.6f}") for p, i in zip(top_p[row], top_i[row])]
                writer.writerow([str(path)] + [v for pair in ranked for v in pair] + [""])
                row += 1
                predicted += 1
            bar.update(len(chunk))
    return predicted, failed


if __name__ == "__main__":
    sys.exit(main())
