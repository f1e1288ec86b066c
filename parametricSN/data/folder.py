"""The ``folder`` dataset: your own labelled images at ``dataset.path`` = DIR.

Layouts (torchvision's ImageFolder convention; class names = folder names, sorted; a class
folder, or a folder inside it, may be a symbolic link):
- ``DIR/train/<class>/*`` with ``DIR/test/<class>/*`` and/or ``DIR/val/<class>/*`` (or
  ``DIR/valid``): train on train/; evaluate on test/ when it exists (the default), else on val/;
  ``dataset.evaluate_on: validation`` picks val/ when both exist, or a split carved from train/
  when there is no val/. Both val/ and valid/ stop with one line;
- ``DIR/<class>/*``: no test split; the run evaluates on a validation split (the default;
  ``evaluate_on: test`` stops with one line).
Files: parametricSN.data.folder_files; formats and decoding: parametricSN.data.decoding (each image
resized, aspect ratio kept, to cover the model size and centre-cropped). Every listed file is
decoded (once per process) before anything else, so an unreadable or truncated image stops the run
at once with one line naming it, or, with ``dataset.skip_unreadable: true``, is left out with a
warning and counted in the run's params (``data.skipped_unreadable``).

Channels: 1 when every image is grayscale, else 3 (RGB); ``dataset.channels`` overrides.
Training subset: the seeded class-balanced ``train_sample_num`` (same number per class, the
published rule), the largest such subset of at most N images (``train_sample_num: up to N``,
said in one line on stderr), or every image (``train_sample_num: all``/null). Validation split
carved from train/: balanced, disjoint from the subset, ``validation_sample_num`` images, by
default the largest balanced split with at most VALIDATION_PER_CLASS per class. A test/ or val/
folder: every image, or a balanced ``test_sample_num`` / ``validation_sample_num``.
Normalisation: per-channel mean and std of the training subset (logged as params
``data.mean``/``data.std``). Images are stored at the model size; the training augmentation
shifts them (zero padding of 1/8 of the side, random crop) and flips them (transforms.py). All of
it (cover-resize, channels, statistics) is the preparation (data.preparation) saved with the model.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from parametricSN.config import per_class_up_to
from parametricSN.data.bundle import DataBundle
from parametricSN.data.decoding import Resize, decode_files
from parametricSN.data.folder_files import list_classes
from parametricSN.data.options import DataOptions
from parametricSN.data.preparation import ImagePreparation, stack_channels
from parametricSN.data.subsets import subset_or_all, validation_indices
from parametricSN.data.transforms import make_augment
from parametricSN.errors import UserError

VALIDATION_PER_CLASS = 200
MIN_STD = 1.0 / 255.0  # a constant channel is not divided by zero
LAYOUT = "DIR/<class>/* or DIR/train/<class>/* + DIR/test/<class>/* (or DIR/val/<class>/*)"
VALIDATION_FOLDERS = ("val", "valid")


@dataclass(frozen=True)
class Splits:
    """The folders of DIR: training images, and the test and validation folders (None if absent)."""

    train: Path
    test: Path | None = None
    validation: Path | None = None


def validation_folder(folder: Path) -> Path | None:
    """DIR/val or DIR/valid, whichever exists (None if neither); UserError if both do."""
    found = [folder / name for name in VALIDATION_FOLDERS if (folder / name).is_dir()]
    if len(found) > 1:
        raise UserError(f"{folder} holds both val/ and valid/: keep one validation folder (rename or move the other)")
    return found[0] if found else None


def find_splits(folder: Path) -> Splits:
    """DIR/train with DIR/test and DIR/val|valid when DIR/train exists, else DIR alone."""
    if not (folder / "train").is_dir():
        return Splits(folder)
    test = folder / "test"
    return Splits(folder / "train", test if test.is_dir() else None, validation_folder(folder))


def training_count(labels: np.ndarray, names: list[str], opts: DataOptions, carve_validation: bool,
                   where: Path) -> int | None:
    """The number of training images (None: every image): train_sample_num as given (checked by
    check_class_sizes), or for ``up to N`` the largest balanced number ≤ N that every class can
    give (keeping one image per class for a validation split carved from the same images)."""
    if not opts.train_up_to:
        check_class_sizes(labels, names, opts.train_n, where)
        return opts.train_n
    counts = np.bincount(labels, minlength=len(names))
    per_class = min(per_class_up_to(opts.train_n, len(names)), int(counts.min()) - (1 if carve_validation else 0))
    if per_class < 1:
        small = names[int(counts.argmin())]
        raise UserError(f"dataset.train_sample_num=up to {opts.train_n}: class {small!r} in {where} has only "
                        f"{counts.min()} image(s){', kept for validation' if carve_validation else ''}; add images")
    return per_class * len(names)


def check_class_sizes(labels: np.ndarray, names: list[str], n: int | None, where: Path) -> None:
    """UserError unless ``n`` (train_sample_num) takes the same number of images from every class."""
    if n is None or n == len(labels):
        return
    counts = np.bincount(labels, minlength=len(names))
    if n % len(names):
        raise UserError(f"dataset.train_sample_num={n} is not a multiple of the {len(names)} classes in {where}: "
                        f"use a multiple of {len(names)} up to {len(names) * counts.min()}, or all")
    per_class = n // len(names)
    for name, count in zip(names, counts):
        if count < per_class:
            raise UserError(f"dataset.train_sample_num={n} takes {per_class} images per class but class "
                            f"{name!r} has only {count}: use at most {len(names) * counts.min()}, or add images")


def _decoded(paths: list[Path], labels: np.ndarray, resize: Resize, skip: bool, where: Path):
    """Decode ``paths``; (images list, paths, labels, skipped [(path, reason)]) without the
    unreadable files if ``skip``, else UserError naming the first one."""
    results = decode_files(paths, resize, desc=f"decoding {where.name}")
    bad = [(p, r) for p, r in zip(paths, results) if isinstance(r, str)]
    if bad and not skip:
        path, reason = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise UserError(f"cannot read image {path}{more}: {reason}; fix or remove it, or set "
                        f"dataset.skip_unreadable=true to leave such files out")
    keep = [i for i, r in enumerate(results) if not isinstance(r, str)]
    return [results[i] for i in keep], [paths[i] for i in keep], labels[keep], bad


def load_folder(opts: DataOptions) -> DataBundle:
    """DataBundle of the images at opts.folder (module docstring)."""
    root = opts.folder
    if root is None:
        raise UserError(f"dataset.path is not set: point it at your images ({LAYOUT}), e.g. dataset.path=~/my_images")
    if not root.is_dir():
        raise UserError(f"dataset.path={root} is not a folder: point it at your images ({LAYOUT})")
    splits = find_splits(root)
    train_root = splits.train
    evaluate_on = opts.evaluate_on or ("test" if splits.test is not None else "validation")
    if evaluate_on == "test" and splits.test is None:
        raise UserError(f"dataset.evaluate_on=test but {root} has no test split: put the images in "
                        f"{root}/train/<class>/ and {root}/test/<class>/, or set dataset.evaluate_on=validation")
    eval_root = splits.test if evaluate_on == "test" else splits.validation  # None: carved from train/
    paths, labels, names = list_classes(train_root)
    if len(names) < 2:
        raise UserError(f"dataset.path: {train_root} holds one class folder ({names[0]}); a classifier needs "
                        f"at least two: put each class's images in its own sub-folder")
    opts.check_num_classes(len(names), train_root)
    carve = eval_root is None
    training_count(labels, names, opts, carve, train_root)  # before decoding a large folder
    skip = opts.skip_unreadable
    resize = Resize(opts.image_size, keep_aspect=True)
    images, paths, labels, skipped = _decoded(paths, labels, resize, skip, train_root)
    if eval_root is not None:
        test_paths, test_labels, _ = list_classes(eval_root, names, what=f"dataset.path {eval_root.name} split")
        test_images, test_paths, test_labels, more = _decoded(test_paths, test_labels, resize, skip, eval_root)
        skipped += more
    else:
        test_images, test_labels = images, labels
    if skipped:
        shown = ", ".join(str(p) for p, _ in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
        warnings.warn(f"skipped {len(skipped)} unreadable image(s) under {root}: {shown}", stacklevel=2)
    gray = all(im.shape[0] == 1 for im in images + test_images)
    channels = opts.channels or (1 if gray else 3)

    train_n = training_count(labels, names, opts, carve, train_root)  # again without the skipped files
    if opts.train_up_to:
        print(f"note: dataset.train_sample_num=up to {opts.train_n}: training on {train_n} images "
              f"({train_n // len(names)} from each of the {len(names)} classes)", file=sys.stderr)
    train_idx = subset_or_all(labels, train_n, opts.seed, "dataset.train_sample_num")
    if carve:
        eval_idx = validation_indices(labels, opts.validation_n or _default_validation_n(labels, train_idx, opts),
                                      train_idx)
    elif evaluate_on == "validation":
        eval_idx = subset_or_all(test_labels, opts.validation_n, opts.seed, "dataset.validation_sample_num")
    else:
        eval_idx = subset_or_all(test_labels, opts.test_n, opts.seed, "dataset.test_sample_num")
    train_images = stack_channels([images[i] for i in train_idx], channels)
    mean, std = channel_statistics(train_images)
    return DataBundle(
        name="folder", class_names=list(names), num_classes=len(names),
        preparation=ImagePreparation(resize, opts.image_size, channels, mean, std), train_images=train_images,
        train_targets=torch.from_numpy(labels[train_idx]),
        test_images=stack_channels([test_images[i] for i in eval_idx], channels),
        test_targets=torch.from_numpy(test_labels[eval_idx]),
        augment=make_augment(opts.augment, "folder", opts.image_size),
        train_indices=train_idx, eval_split=evaluate_on, eval_indices=eval_idx,
        train_files=[paths[i] for i in train_idx],
        log_params={"data.path": str(root.resolve()), "data.class_names": ",".join(names),
                    "data.channels": channels, "data.train_images_found": len(paths),
                    "data.train_sample_num": len(train_idx),
                    "data.evaluation_folder": None if carve else str(eval_root.resolve()),
                    "data.evaluation_images_found": None if carve else len(test_paths),
                    "data.skipped_unreadable": len(skipped),
                    "data.mean": ",".join(f"{m:.4f}" for m in mean),
                    "data.std": ",".join(f"{s:.4f}" for s in std)})


def _default_validation_n(labels: np.ndarray, train_idx: np.ndarray, opts: DataOptions) -> int:
    """C × min(VALIDATION_PER_CLASS, images of the smallest class outside the training subset)."""
    outside = np.ones(len(labels), dtype=bool)
    outside[train_idx] = False
    counts = np.bincount(labels[outside], minlength=int(labels.max()) + 1)
    if counts.min() == 0:
        raise UserError(f"dataset.train_sample_num={opts.train_n or 'all'} leaves no image of some class for the "
                        f"validation split: lower it, or put the images in {opts.folder}/train/<class>/ and "
                        f"{opts.folder}/test/<class>/ (evaluate_on=test)")
    return len(counts) * int(min(VALIDATION_PER_CLASS, counts.min()))


def channel_statistics(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std (population) of uint8 (N, C, H, W) in [0, 1] units; std ≥ MIN_STD."""
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for first in range(0, len(images), 256):  # chunks: no float copy of a large folder
        x = images[first:first + 256].to(torch.float64) / 255.0
        total += x.sum(dim=(0, 2, 3))
        squares += (x * x).sum(dim=(0, 2, 3))
    count = images.numel() / images.shape[1]
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(0).sqrt().clamp_min(MIN_STD)
    return tuple(round(float(v), 6) for v in mean), tuple(round(float(v), 6) for v in std)
