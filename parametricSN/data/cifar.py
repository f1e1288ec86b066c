"""CIFAR-10 from <data_root>/<data_folder> (default data/cifar10), in either on-disk format:

(a) torchvision's python batches: ``cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``
    (or those files directly in the folder) — pickled dicts with 'data' uint8 (N, 3072) in
    R, G, B planes of 32×32 row-major, and 'labels' (N,);
(b) an image folder: ``train/<class>/*.png|jpg`` and ``test/<class>/*.png|jpg`` (classes sorted by
    name, as torchvision's ImageFolder does; for CIFAR-10 that equals its label order).
The format is picked from what the folder holds.  The batches are read with a small pickle reader
(torchvision's CIFAR10 checks md5 sums); torchvision is used only to download when
``dataset.download`` is true.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from parametricSN.data.bundle import DataBundle
from parametricSN.data.images import center_crop, list_image_folder, read_images, resize_uint8
from parametricSN.data.options import DataOptions
from parametricSN.data.subsets import subset_or_all
from parametricSN.data.transforms import make_augment
from parametricSN.errors import UserError

CIFAR_MEAN = tuple(v / 255.0 for v in (125.3, 123.0, 113.9))
CIFAR_STD = tuple(v / 255.0 for v in (63.0, 62.1, 66.7))
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]
CIFAR_SIZE = 32
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
BATCH_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_BATCH = "test_batch"


def _not_found(folder: Path) -> UserError:
    return UserError(
        f"CIFAR-10 not found in {folder}: put torchvision's {BATCH_DIR} there ({CIFAR_URL}) or "
        "train/<class>/*.png and test/<class>/*.png folders, or set dataset.download=true")


def find_format(folder: Path) -> tuple[str, Path] | None:
    """('batches', dir holding data_batch_1) or ('folders', folder) or None when neither is there."""
    for candidate in (folder / BATCH_DIR, folder):
        if (candidate / TRAIN_BATCHES[0]).is_file():
            return "batches", candidate
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        return "folders", folder
    return None


def _download(folder: Path) -> None:
    """Fetch the python batches into folder/cifar-10-batches-py with torchvision (needs internet)."""
    from torchvision.datasets import CIFAR10

    try:
        for train in (True, False):
            CIFAR10(root=str(folder), train=train, download=True)
    except Exception as err:  # network or disk trouble: one line for the user
        raise UserError(f"could not download CIFAR-10 into {folder} ({type(err).__name__}: {err}); "
                        f"fetch {CIFAR_URL} by hand and unpack it there") from None


def _unpickle(path: Path) -> dict:
    """One batch file -> dict with str keys (the files are Python-2 pickles: latin1)."""
    if not path.is_file():
        raise UserError(f"CIFAR-10 batch file missing: {path} (unpack {CIFAR_URL} completely)")
    try:
        with open(path, "rb") as f:
            raw = pickle.load(f, encoding="latin1")
    except Exception as err:
        raise UserError(f"cannot read CIFAR-10 batch {path}: {err}") from None
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in raw.items()}


def read_batches(batch_dir: Path, names: list[str]) -> tuple[torch.Tensor, np.ndarray]:
    """Concatenate batch files -> (uint8 (N, 3, 32, 32), int64 labels (N,))."""
    images, labels = [], []
    for name in names:
        batch = _unpickle(batch_dir / name)
        data = np.asarray(batch["data"], dtype=np.uint8)
        images.append(data.reshape(-1, 3, CIFAR_SIZE, CIFAR_SIZE))
        labels.append(np.asarray(batch["labels"], dtype=np.int64))
    return torch.from_numpy(np.concatenate(images)), np.concatenate(labels)


def _class_names(batch_dir: Path) -> list[str]:
    meta = batch_dir / "batches.meta"
    if meta.is_file():
        names = _unpickle(meta).get("label_names")
        if names:
            return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    return list(CIFAR_CLASSES)


def load_cifar(opts: DataOptions) -> DataBundle:
    """CIFAR-10 DataBundle: the balanced train subset (stored at base size, 32 unless the model
    is larger) and the test set (full 10k, or a balanced test_sample_num) at the model size."""
    folder = opts.folder
    found = find_format(folder)
    if found is None and opts.download:
        _download(folder)
        found = find_format(folder)
    if found is None:
        raise _not_found(folder)
    kind, where = found
    base = opts.base_size(CIFAR_SIZE)
    if kind == "batches":
        train_all, train_labels = read_batches(where, TRAIN_BATCHES)
        train_idx = subset_or_all(train_labels, opts.train_n, opts.seed, "dataset.train_sample_num")
        train_images = train_all[torch.from_numpy(train_idx)].clone()
        del train_all
        test_all, test_labels = read_batches(where, [TEST_BATCH])
        test_idx = subset_or_all(test_labels, opts.test_n, opts.seed, "dataset.test_sample_num")
        test_images = test_all[torch.from_numpy(test_idx)].clone()
        class_names = _class_names(where)
        train_images = resize_uint8(train_images, (base, base))
        test_images = resize_uint8(test_images, (base, base))
    else:
        train_paths, train_labels, class_names = list_image_folder(where / "train")
        test_paths, test_labels, _ = list_image_folder(where / "test", class_names)
        if len(train_paths) == 0 or len(test_paths) == 0:
            raise _not_found(folder)
        train_idx = subset_or_all(train_labels, opts.train_n, opts.seed, "dataset.train_sample_num")
        test_idx = subset_or_all(test_labels, opts.test_n, opts.seed, "dataset.test_sample_num")
        train_images = read_images([train_paths[i] for i in train_idx], 3, base)
        test_images = read_images([test_paths[i] for i in test_idx], 3, base)
    opts.check_num_classes(len(class_names), folder)
    return DataBundle(
        name="cifar", class_names=list(class_names), num_classes=len(class_names), in_channels=3,
        image_size=opts.image_size, train_images=train_images,
        train_targets=torch.from_numpy(train_labels[train_idx]),
        test_images=center_crop(test_images, opts.image_size).contiguous(),
        test_targets=torch.from_numpy(test_labels[test_idx]),
        mean=CIFAR_MEAN, std=CIFAR_STD,
        augment=make_augment(opts.augment, "cifar", opts.image_size), train_indices=train_idx)
