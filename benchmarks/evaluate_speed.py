"""A saved run's own test pass against what ``evaluate`` spends on the same images, in one process.

    python benchmarks/evaluate_speed.py --run RUN_ID --tracking-uri URI --data DIR [--data-root ROOT] [--threads 1]

DIR holds the run's evaluation images as ``DIR/<class>/*`` (e.g. links to the KTH-TIPS2-b samples
the run tested on). Three timings, each from cold (the decoded-image cache and the fixed-bank feature
cache emptied first): the run's test pass exactly as ``fit`` makes it (``make_evaluator`` over the
dataset's test images, rebuilt from the run's config with ``--data-root``; what the run logs as
``test_s`` for one pass), then evaluate's two parts: decoding DIR's files with the model's saved
preparation, and its scoring pass (``Predictor.scores``). Accuracy and loss of both passes are
printed: they must agree. The commands' wall times add Python's start-up, loading the model from
MLflow and the report and MLflow logging: time them with ``/usr/bin/time`` (README).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    import torch

    from parametricSN.config import section
    from parametricSN.data import build_data, decoding
    from parametricSN.data.folder_files import list_classes
    from parametricSN.inference.predictor import add_model_arguments, load_predictor
    from parametricSN.training import features
    from parametricSN.training.fit import make_evaluator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    parser.add_argument("--data", required=True, help="DIR/<class>/*: the run's evaluation images")
    parser.add_argument("--data-root", help="dataset.data_root for the run's dataset (default: its config's)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    predictor = load_predictor(args)
    cfg = dict(predictor.cfg)
    if args.data_root:
        cfg["dataset"] = {**section(predictor.cfg, "dataset").to_dict(), "data_root": args.data_root}
    bundle = build_data(cfg)
    features.FEATURE_CACHE.clear()
    started = time.perf_counter()
    loss, accuracy = make_evaluator(predictor.model, bundle, bundle.test_images, bundle.test_targets,
                                    lambda u8: bundle.normalize(bundle.to_float(u8)), predictor.loss_fn,
                                    batch_size=predictor.batch_size, precision=predictor.precision)()
    run_pass = time.perf_counter() - started

    decoding.clear_decoded()
    paths, labels, _ = list_classes(Path(args.data), predictor.class_names)
    started = time.perf_counter()
    images = torch.stack(predictor.decode(paths, progress=False))
    decode = time.perf_counter() - started
    features.FEATURE_CACHE.clear()
    started = time.perf_counter()
    scores = predictor.scores(images, torch.from_numpy(labels))
    evaluate_pass = time.perf_counter() - started
    print(f"run's test pass {run_pass:.1f} s (accuracy {accuracy:.4f} %, loss {loss:.6f}); evaluate: decoding "
          f"{len(paths)} files {decode:.1f} s, pass {evaluate_pass:.1f} s (accuracy {scores.accuracy:.4f} %, "
          f"loss {scores.loss:.6f})")


if __name__ == "__main__":
    main()
