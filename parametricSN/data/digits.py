"""scikit-learn's bundled 8×8 digits (offline): the default dataset that needs no download.

1,797 images with values 0..16 -> uint8 0..255 (×255/16, rounded) -> upsampled bilinearly to
32×32 (or the model size if larger), 1 channel.  A FIXED stratified split (independent of the run
seed) gives 1,437 training and DIGITS_TEST_SIZE = 360 test images, each kept in dataset order; the
run's balanced ``train_sample_num`` subset is drawn from the training part.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from parametricSN.data.bundle import DataBundle
from parametricSN.catalog import DIGITS_TEST_SIZE
from parametricSN.data.decoding import Resize
from parametricSN.data.options import DataOptions
from parametricSN.data.preparation import ImagePreparation
from parametricSN.data.subsets import split_indices
from parametricSN.data.transforms import make_augment

DIGITS_TRAIN_SIZE = 1437
DIGITS_SPLIT_SEED = 0  # fixed random_state of the train/test split: never the run seed
DIGITS_SIZE = 32
# Mean / std of the 1,437 upsampled 32×32 training images in [0, 1] units (test_digits checks them).
DIGITS_MEAN = (0.3054,)
DIGITS_STD = (0.3236,)
DIGITS_CLASSES = [str(d) for d in range(10)]


def digits_split() -> tuple[np.ndarray, np.ndarray]:
    """Fixed (train_indices (1437,), test_indices (360,)) into load_digits(), each ascending."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    targets = load_digits().target
    train, test = train_test_split(np.arange(len(targets)), test_size=DIGITS_TEST_SIZE,
                                   stratify=targets, random_state=DIGITS_SPLIT_SEED)
    return np.sort(train), np.sort(test)


def digits_images(size: int = DIGITS_SIZE) -> tuple[torch.Tensor, np.ndarray]:
    """All 1,797 digits -> (uint8 (1797, 1, size, size), int64 targets (1797,))."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = torch.from_numpy(np.rint(digits.images * (255.0 / 16.0))).to(torch.float32)[:, None]
    up = F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False)
    return up.round().clamp(0, 255).to(torch.uint8), digits.target.astype(np.int64)


def load_digits_bundle(opts: DataOptions) -> DataBundle:
    """digits DataBundle: balanced subset of the fixed training split; the whole test split
    (or a balanced ``test_sample_num`` of it), or a validation split of the training part."""
    opts.check_num_classes(len(DIGITS_CLASSES), "scikit-learn's digits")
    base = opts.base_size(DIGITS_SIZE)
    images, targets = digits_images(base)   # the digits as images of base × base: what a file would hold
    train_split, test_split = digits_split()
    train_sub, eval_split, _, eval_sub = split_indices(
        opts, targets[train_split], lambda: (test_split, targets[test_split]))
    eval_split = train_split if eval_split is None else eval_split
    train_idx, test_idx = train_split[train_sub], eval_split[eval_sub]
    preparation = ImagePreparation(Resize((base, base)), opts.image_size, 1, DIGITS_MEAN, DIGITS_STD)
    return DataBundle(
        name="digits", class_names=list(DIGITS_CLASSES), num_classes=len(DIGITS_CLASSES), preparation=preparation,
        train_images=images[torch.from_numpy(train_idx)].contiguous(),
        train_targets=torch.from_numpy(targets[train_idx]),
        test_images=preparation.centre(images[torch.from_numpy(test_idx)]).contiguous(),
        test_targets=torch.from_numpy(targets[test_idx]),
        augment=make_augment(opts.augment, "cifar", opts.image_size), train_indices=train_sub,
        eval_split=opts.evaluate_on, eval_indices=eval_sub)
