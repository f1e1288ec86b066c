"""COVIDx CXR-2 at <data_root>/COVIDx-CXR2/{train.txt, test.txt, train/, test/}.

Label files: one sample per line, no header, space separated ``patient_id filename class source``
with class ∈ {negative, positive} (every line is a sample — the predecessor dropped the first).
Images are read as grayscale (1 channel; an RGB file becomes its luma after the resize).  Training:
a balanced ``train_sample_num`` subset, chosen from the label list before any image is decoded,
stored resized to 260×260 (aspect ratio not kept).  Test: a balanced 400 (200 per class; or
``test_sample_num``) chosen with the run seed, resized to 260×260 and centre-cropped to the model
size (224): the preparation (data.preparation) saved with the model.

Normalisation: one channel with the ImageNet statistics averaged over R, G, B —
mean (0.485 + 0.456 + 0.406) / 3 = 0.449, std (0.229 + 0.224 + 0.225) / 3 = 0.226 — the
single-channel counterpart of the ImageNet normalisation the published X-ray runs used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from parametricSN.data.bundle import DataBundle
from parametricSN.data.decoding import Resize
from parametricSN.data.options import DataOptions
from parametricSN.data.preparation import ImagePreparation
from parametricSN.data.subsets import split_indices
from parametricSN.data.transforms import make_augment
from parametricSN.errors import UserError

XRAY_CLASSES = ["negative", "positive"]
XRAY_MEAN = (0.449,)
XRAY_STD = (0.226,)
XRAY_RESIZE = 260
XRAY_TEST_SAMPLES = 400
XRAY_URL = "https://www.kaggle.com/andyczhao/covidx-cxr2"


def _not_found(folder: Path, missing: Path) -> UserError:
    return UserError(
        f"COVIDx CXR-2 not found in {folder} (missing {missing.name}): download it from {XRAY_URL} "
        f"and unpack it so that {folder}/train.txt, test.txt, train/ and test/ exist")


def read_label_file(path: Path) -> tuple[list[str], np.ndarray]:
    """``patient_id filename class source`` lines -> (filenames, int64 targets (N,)) with
    negative = 0, positive = 1.  Blank lines are skipped; every other line is a sample."""
    filenames: list[str] = []
    targets: list[int] = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 3:
                raise UserError(f"{path} line {number}: expected 'patient_id filename class source', "
                                f"got {line.strip()!r}")
            # filename is everything between the patient id and the class (source, when present, is last)
            name, label = (fields[1], fields[2]) if len(fields) == 3 else (" ".join(fields[1:-2]), fields[-2])
            label = label.lower()
            if label not in XRAY_CLASSES:
                raise UserError(f"{path} line {number}: class {label!r} is not one of {', '.join(XRAY_CLASSES)}")
            filenames.append(name)
            targets.append(XRAY_CLASSES.index(label))
    return filenames, np.asarray(targets, dtype=np.int64)


def load_xray(opts: DataOptions) -> DataBundle:
    """COVIDx CXR-2 DataBundle, grayscale (in_channels 1)."""
    folder = opts.folder
    for needed in ("train.txt", "train") + (() if opts.validates else ("test.txt", "test")):
        if not (folder / needed).exists():
            raise _not_found(folder, folder / needed)
    opts.check_num_classes(len(XRAY_CLASSES), folder)
    base = opts.base_size(XRAY_RESIZE)

    train_files, train_labels = read_label_file(folder / "train.txt")
    train_idx, test_files, test_labels, test_idx = split_indices(
        opts, train_labels, lambda: read_label_file(folder / "test.txt"),
        test_n=XRAY_TEST_SAMPLES if opts.test_n is None else opts.test_n)
    eval_dir, test_files = ("train", train_files) if test_files is None else ("test", test_files)
    preparation = ImagePreparation(Resize((base, base)), opts.image_size, 1, XRAY_MEAN, XRAY_STD)
    return DataBundle(
        name="xray", class_names=list(XRAY_CLASSES), num_classes=len(XRAY_CLASSES), preparation=preparation,
        train_images=preparation.read([folder / "train" / train_files[i] for i in train_idx]),
        train_targets=torch.from_numpy(train_labels[train_idx]),
        test_images=preparation.centre(preparation.read([folder / eval_dir / test_files[i] for i in test_idx])),
        test_targets=torch.from_numpy(test_labels[test_idx]),
        augment=make_augment(opts.augment, "xray", opts.image_size), train_indices=train_idx,
        eval_split=opts.evaluate_on, eval_indices=test_idx,
        train_files=[folder / "train" / train_files[i] for i in train_idx])
