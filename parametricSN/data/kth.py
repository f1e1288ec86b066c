"""KTH-TIPS2-b as distributed: <data_root>/KTH-TIPS2-b/<material>/sample_<a|b|c|d>/*.png.

11 materials (classes, sorted by folder name) × 4 physical samples × 108 colour images, 200×200
but for 233 of the 4,752 (from 71 to 299 pixels a side). Training uses sample ``dataset.sample`` (a
balanced ``train_sample_num`` of its 1,188 images, or all of them when that is null or 1188), stored
resized to 200×200 whatever the image's aspect ratio (the published ``Resize((200, 200))``); the
test set is the other three samples (3,564 images, or a balanced ``test_sample_num``), resized to
200×200 the same way and centre-cropped to the model size (128). ImageNet normalisation. The
preparation (data.preparation) is saved with the model, so evaluate and predict do the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from parametricSN.data.bundle import DataBundle
from parametricSN.data.decoding import Resize
from parametricSN.data.images import class_folders, image_files
from parametricSN.data.options import SAMPLES, DataOptions
from parametricSN.data.preparation import ImagePreparation
from parametricSN.data.subsets import split_indices
from parametricSN.data.transforms import make_augment
from parametricSN.errors import UserError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
KTH_RESIZE = 200
KTH_URL = "https://www.csc.kth.se/cvap/databases/kth-tips/download.html"


def _not_found(folder: Path, detail: str = "not found") -> UserError:
    return UserError(
        f"KTH-TIPS2-b {detail} in {folder}: download kth-tips2-b_col_200x200.tar from {KTH_URL} "
        f"and extract it so that {folder}/<material>/sample_<a|b|c|d>/*.png exist")


def list_sample(folder: Path, materials: list[str], sample: str) -> tuple[list[Path], np.ndarray]:
    """Files of one physical sample for every material, in material then name order
    -> (paths, int64 targets (N,))."""
    paths: list[Path] = []
    targets: list[int] = []
    for label, material in enumerate(materials):
        sample_dir = folder / material / f"sample_{sample}"
        if not sample_dir.is_dir():
            raise _not_found(folder, f"has no {material}/sample_{sample}")
        files = image_files(sample_dir)
        paths += files
        targets += [label] * len(files)
    return paths, np.asarray(targets, dtype=np.int64)


def load_kth(opts: DataOptions) -> DataBundle:
    """KTH-TIPS2-b DataBundle (train on opts.sample, test on the other three, or validate on
    images of opts.sample outside the training subset)."""
    folder = opts.folder
    materials = class_folders(folder) if folder.is_dir() else []
    if not materials:
        raise _not_found(folder)
    opts.check_num_classes(len(materials), folder)
    base = opts.base_size(KTH_RESIZE)

    train_paths, train_labels = list_sample(folder, materials, opts.sample)
    if len(train_paths) == 0:
        raise _not_found(folder, "has no images")
    train_idx, test_paths, test_labels, test_idx = split_indices(
        opts, train_labels, lambda: _test_samples(folder, materials, opts.sample))
    test_paths = train_paths if test_paths is None else test_paths
    preparation = ImagePreparation(Resize((base, base)), opts.image_size, 3, IMAGENET_MEAN, IMAGENET_STD)
    return DataBundle(
        name="kth", class_names=list(materials), num_classes=len(materials), preparation=preparation,
        train_images=preparation.read([train_paths[i] for i in train_idx]),
        train_targets=torch.from_numpy(train_labels[train_idx]),
        test_images=preparation.centre(preparation.read([test_paths[i] for i in test_idx])),
        test_targets=torch.from_numpy(test_labels[test_idx]),
        augment=make_augment(opts.augment, "kth", opts.image_size), train_indices=train_idx,
        eval_split=opts.evaluate_on, eval_indices=test_idx, train_files=[train_paths[i] for i in train_idx])


def _test_samples(folder: Path, materials: list[str], train_sample: str) -> tuple[list[Path], np.ndarray]:
    """The three physical samples other than ``train_sample`` -> (paths, int64 targets)."""
    paths: list[Path] = []
    parts = []
    for other in SAMPLES:
        if other != train_sample:
            sample_paths, labels = list_sample(folder, materials, other)
            paths += sample_paths
            parts.append(labels)
    if not paths:
        raise _not_found(folder, "has no test images")
    return paths, np.concatenate(parts)
