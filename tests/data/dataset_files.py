"""Writers of tiny datasets in the real on-disk formats (CIFAR-10's python batches and folders,
KTH-TIPS2-b, COVIDx CXR-2), for the data and inference tests (tests/data/conftest.py puts this
folder on sys.path)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image

CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def cifar_image(index: int, label: int) -> np.ndarray:
    """uint8 (3, 32, 32): R = row number (checks H/W order), G = index, B = 20 * label."""
    img = np.empty((3, 32, 32), dtype=np.uint8)
    img[0] = np.arange(32, dtype=np.uint8)[:, None]
    img[1] = index
    img[2] = 20 * label
    return img


def _pickle(path: Path, record: dict, bytes_keys: bool) -> None:
    if bytes_keys:
        record = {k.encode(): v for k, v in record.items()}
    with open(path, "wb") as f:
        pickle.dump(record, f, protocol=2)


def write_cifar_batches(folder: Path, per_class: int = 2, test_per_class: int = 3,
                        bytes_keys: bool = True, subdir: bool = True):
    """torchvision's cifar-10-batches-py layout: data_batch_1..5, test_batch, batches.meta with
    'data' uint8 (N, 3072) and 'labels'. Returns (train_labels, test_labels) in dataset order."""
    out = folder / "cifar-10-batches-py" if subdir else folder
    out.mkdir(parents=True, exist_ok=True)
    train_labels = []
    index = 0
    for b in range(1, 6):
        labels = [(j + b) % 10 for j in range(10 * per_class)]
        data = np.stack([cifar_image(index + k, lab).reshape(-1) for k, lab in enumerate(labels)])
        index += len(labels)
        train_labels += labels
        _pickle(out / f"data_batch_{b}", {"batch_label": f"training batch {b} of 5", "labels": labels,
                                          "data": data, "filenames": [f"{k}.png" for k in range(len(labels))]},
                bytes_keys)
    test_labels = [j % 10 for j in range(10 * test_per_class)]
    data = np.stack([cifar_image(k, lab).reshape(-1) for k, lab in enumerate(test_labels)])
    _pickle(out / "test_batch", {"batch_label": "testing batch 1 of 1", "labels": test_labels, "data": data},
            bytes_keys)
    _pickle(out / "batches.meta", {"label_names": CIFAR_NAMES, "num_cases_per_batch": 10000,
                                   "num_vis": 3072}, bytes_keys)
    return np.array(train_labels), np.array(test_labels)


def write_png(path: Path, array: np.ndarray) -> None:
    """array uint8 (H, W) grayscale or (H, W, 3) RGB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def write_cifar_folder(folder: Path, classes=("cat", "airplane", "dog"), train_per_class=3, test_per_class=2):
    """train/<class>/*.png and test/<class>/*.png, 32×32 RGB; G channel = running index per split."""
    for split, count in (("train", train_per_class), ("test", test_per_class)):
        index = 0
        for name in sorted(classes):
            for k in range(count):
                img = cifar_image(index, sorted(classes).index(name)).transpose(1, 2, 0)
                write_png(folder / split / name / f"img_{k:03d}.png", np.ascontiguousarray(img))
                index += 1


# (width, height) of image 1 of every material in each sample, as Pillow gives them: the real
# KTH-TIPS2-b has 233 of its 4,752 images off 200×200, from 71 to 299 pixels a side (74 under 128),
# e.g. cracker 60a-scale_10_im_7 (81×163) and corduroy 42b-scale_10_im_10 (258×94)
KTH_ODD_SIZES = {"a": (199, 200), "b": (200, 187), "c": (95, 187), "d": (258, 94)}


def write_kth(folder: Path, materials=("wool", "cork", "linen"), per_sample=2, size=200, odd_sizes=True):
    """KTH-TIPS2-b/<material>/sample_<x>/*.png, RGB size×size but for image 1 of each sample
    (KTH_ODD_SIZES, unless ``odd_sizes`` is false): R = column ramp (x), G = 50 * sample number
    (a=0..d=3), B = 10 * material position in sorted order + image number. Beside the material
    folders, the distribution's README.txt and kth-tips-2b-sizes.txt (not classes)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text("KTH-TIPS2-b\n")
    (folder / "kth-tips-2b-sizes.txt").write_text("The standard size is 200 x 200\n")
    for m, material in enumerate(sorted(materials)):
        for s, sample in enumerate("abcd"):
            for k in range(per_sample):
                width, height = KTH_ODD_SIZES[sample] if odd_sizes and k == 1 else (size, size)
                img = np.empty((height, width, 3), dtype=np.uint8)
                img[..., 0] = (np.arange(width) % 256).astype(np.uint8)[None, :]
                img[..., 1] = 50 * s
                img[..., 2] = 10 * m + k
                write_png(folder / material / f"sample_{sample}" / f"{m}{sample}-scale_{k}_im_1_col.png", img)


def write_xray(folder: Path, train_rows, test_rows, size=(300, 280), skip=(), textured=False):
    """COVIDx CXR-2: train.txt/test.txt (no header, 'patient_id filename class source') and the
    images in train/ and test/, grayscale of (width, height) = size; each image's value = its line
    number (1-based) * 3. ``textured``: that value plus a ramp along x (column % 64), and every
    third file RGB (three different planes) of size (height, width), as the real set mixes
    grayscale and colour files of many sizes. ``skip``: file names not written (to prove they are
    never read)."""
    for split, rows in (("train", train_rows), ("test", test_rows)):
        (folder / split).mkdir(parents=True, exist_ok=True)
        lines = []
        for number, (name, label) in enumerate(rows, start=1):
            lines.append(f"{1000 + number} {name} {label} cohen")
            if name in skip:
                continue
            if not textured:
                write_png(folder / split / name, np.full((size[1], size[0]), 3 * number, dtype=np.uint8))
                continue
            colour = number % 3 == 0
            width, height = size[::-1] if colour else size
            value = (3 * number + np.arange(width) % 64)[None, :].repeat(height, axis=0)
            pixels = np.stack([value, value * 3 // 4, value // 2], axis=2) if colour else value
            write_png(folder / split / name, pixels.astype(np.uint8))
        (folder / f"{split}.txt").write_text("\n".join(lines) + "\n")
