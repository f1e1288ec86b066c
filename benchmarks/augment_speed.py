"""Augmentation speed: milliseconds per 100 CIFAR-shaped uint8 images for each ``dataset.augment``
mode, at 1 and 2 torch threads, next to a per-image PIL / scipy implementation of the published
recipe (parametricSN.data.autoaugment.reference) and one LS+LL training step on 100 images.
Ratios use the best times: on a shared machine the medians swing with other processes' load.

    python benchmarks/augment_speed.py [--repeats 30] [--threads 1 2] [--jpeg-dir DIR] [--large]

--jpeg-dir: a folder of CIFAR-10 JPEGs (e.g. /tmp/cifar-jpeg/cifar10/train, see
/work/shared/data/README.md); 100 of the files found are used instead of random images.
--large: also time the augmentations of KTH (3×200×200 → 128) and X-ray (1×260×260 → 224) batches
of random images at the first --threads setting.
Record results in benchmarks/RESULTS-augment.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_load import load  # noqa: E402

from parametricSN.config import validate_config  # noqa: E402
from parametricSN.data.autoaugment import reference  # noqa: E402
from parametricSN.data.transforms import AUGMENTATIONS, make_augment  # noqa: E402
from parametricSN.models import build_model  # noqa: E402
from parametricSN.training import build_optimizer, cross_entropy_loss  # noqa: E402

BATCH = 100
CIFAR_MEAN = torch.tensor([125.3, 123.0, 113.9]).view(1, 3, 1, 1) / 255
CIFAR_STD = torch.tensor([63.0, 62.1, 66.7]).view(1, 3, 1, 1) / 255


def load_images(jpeg_dir: str | None) -> tuple[torch.Tensor, str]:
    """uint8 (100, 3, 32, 32) and a description."""
    if jpeg_dir:
        from PIL import Image
        files = sorted(Path(jpeg_dir).rglob("*.jpg"))[::500][:BATCH]
        if len(files) < BATCH:
            raise SystemExit(f"--jpeg-dir {jpeg_dir}: found {len(files)} of the {BATCH} JPEGs needed")
        arr = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
        images = torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
        return images, f"{BATCH} CIFAR-10 JPEGs from {jpeg_dir}"
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (BATCH, 3, 32, 32), generator=g, dtype=torch.uint8), "random uint8 images"


def median_ms(run, repeats: int) -> tuple[float, float]:
    """(median, best) milliseconds of ``run()`` over ``repeats`` calls after one warm-up."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), min(times)


def training_step(images: torch.Tensor):
    """One SGD step of the published LS+LL CIFAR model (J=2, L=8, tight-frame, learnable, linear)."""
    cfg = validate_config({"dataset": {"name": "cifar", "train_sample_num": 100},
                           "scattering": {"J": 2, "L": 8, "learnable": True, "init_params": "tight-frame"},
                           "model": {"name": "linear_layer"}})
    model = build_model(cfg, 3, 10, (32, 32))
    opt = build_optimizer(model, cfg)
    x = (images.float() / 255 - CIFAR_MEAN) / CIFAR_STD
    y = torch.arange(len(images)) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        cross_entropy_loss(model(x), y).backward()
        opt.step()
    return step


def reference_recipe(images: torch.Tensor):
    """The published recipe per image with PIL / scipy (as a PIL-based pipeline runs it)."""
    arrays = list(images.permute(0, 2, 3, 1).numpy())
    rng = np.random.default_rng(0)
    return lambda: [reference.augment(a, rng) for a in arrays]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--jpeg-dir", default=None)
    parser.add_argument("--large", action="store_true", help="also KTH / X-ray sizes")
    args = parser.parse_args(argv)

    images, what = load_images(args.jpeg_dir)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {what}, batch {BATCH}, "
          f"median (best) of {args.repeats} calls, load average {load()}")
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        step_ms = median_ms(training_step(images), max(5, args.repeats // 3))
        timings = {}
        for mode in AUGMENTATIONS:
            augment = make_augment(mode, "cifar", (32, 32))
            timings[mode] = median_ms(lambda: augment(images), args.repeats)
        timings["reference (PIL/scipy per image)"] = median_ms(reference_recipe(images),
                                                              max(5, args.repeats // 3))
        for name, (med, best) in timings.items():
            rows.append((threads, name, med, best, best / step_ms[1]))
        rows.append((threads, "LS+LL training step (fwd + bwd + SGD)", *step_ms, 1.0))

    print("\n| threads | what | ms / 100 images (median) | best | best / best training step |")
    print("|---|---|---|---|---|")
    for threads, name, med, best, ratio in rows:
        print(f"| {threads} | {name} | {med:.2f} | {best:.2f} | {100 * ratio:.1f} % |")
    if args.large:
        large_sizes(args.threads[0], max(3, args.repeats // 6))
    print(f"\nload average after: {load()}")
    return 0


def large_sizes(threads: int, repeats: int) -> None:
    """ms per 100 random images of the KTH / X-ray shapes for the three augmenting modes."""
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    print(f"\n| threads | family (stored → model) | mode | ms / 100 images (median) | best |")
    print("|---|---|---|---|---|")
    for family, channels, stored, side in [("kth", 3, 200, 128), ("xray", 1, 260, 224)]:
        images = torch.randint(0, 256, (BATCH, channels, stored, stored), generator=g, dtype=torch.uint8)
        for mode in ("autoaugment", "autoaugment-torchvision", "original-cifar"):
            augment = make_augment(mode, family, (side, side))
            med, best = median_ms(lambda: augment(images), repeats)
            print(f"| {threads} | {family} {channels}×{stored}² → {side}² | {mode} | {med:.1f} | {best:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
