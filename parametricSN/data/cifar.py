"""CIFAR-10 from <data_root>/<data_folder> (default data/cifar10), in either on-disk format:

(a) torchvision's python batches: ``cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``
    (or those files directly in the folder) — pickled dicts with 'data' uint8 (N, 3072) in
    R, G, B planes of 32×32 row-major, and 'labels' (N,);
(b) an image folder: ``train/<class>/*.png|jpg`` and ``test/<class>/*.png|jpg`` (classes sorted by
    name, as torchvision's ImageFolder does; for CIFAR-10 that equals its label order); ``test/``
    may be missing when the run evaluates on a validation split (``dataset.evaluate_on``).
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
from parametricSN.data.decoding import Resize
from parametricSN.data.images import list_image_folder
from parametricSN.data.options import DataOptions
from parametricSN.data.preparation import ImagePreparation
from parametricSN.data.subsets import split_indices
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


def _no_test_split(missing: Path) -> UserError:
    return UserError(
        f"CIFAR-10 test split not found: {missing} is missing or empty; add it, or set "
        "dataset.evaluate_on=validation to evaluate on images carved from the training split")


def find_format(folder: Path) -> tuple[str, Path] | None:
    """('batches', dir holding data_batch_1) or ('folders', folder holding train/) or None."""
    for candidate in (folder / BATCH_DIR, folder):
        if (candidate / TRAIN_BATCHES[0]).is_file():
            return "batches", candidate
    if (folder / "train").is_dir():
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
    is larger) and the evaluation images at the model size: the test set (full 10k, or a
    balanced test_sample_num), or a validation split carved from the training images."""
    folder = opts.folder
    found = find_format(folder)
    if found is None and opts.download:
        _download(folder)
        found = find_format(folder)
    if found is None:
        raise _not_found(folder)
    kind, where = found
    base = opts.base_size(CIFAR_SIZE)
    preparation = ImagePreparation(Resize((base, base)), opts.image_size, 3, CIFAR_MEAN, CIFAR_STD)
    read = _read_batches_split if kind == "batches" else _read_folder_split
    train_images, train_labels, class_names = read(where, "train", preparation)
    train_idx, eval_images, eval_labels, eval_idx = split_indices(
        opts, train_labels, lambda: read(where, "test", preparation, class_names)[:2])
    eval_images = train_images if eval_images is None else eval_images
    opts.check_num_classes(len(class_names), folder)
    return DataBundle(
        name="cifar", class_names=list(class_names), num_classes=len(class_names), preparation=preparation,
        train_images=train_images(train_idx), train_targets=torch.from_numpy(train_labels[train_idx]),
        test_images=preparation.centre(eval_images(eval_idx)).contiguous(),
        test_targets=torch.from_numpy(eval_labels[eval_idx]),
        augment=make_augment(opts.augment, "cifar", opts.image_size), train_indices=train_idx,
        eval_split=opts.evaluate_on, eval_indices=eval_idx)


def _read_batches_split(where: Path, split: str, preparation: ImagePreparation, class_names=None):
    """(images, labels int64 (N,), class_names) of the python batches' train or test split;
    ``images(indices)`` -> uint8 (n, 3, S, S) at the preparation's stored size S."""
    names = TRAIN_BATCHES if split == "train" else [TEST_BATCH]
    if split == "test" and not (where / TEST_BATCH).is_file():
        raise _no_test_split(where / TEST_BATCH)
    images, labels = read_batches(where, names)
    return (lambda idx: preparation.from_arrays(images[torch.from_numpy(idx)]),
            labels, class_names or _class_names(where))


def _read_folder_split(where: Path, split: str, preparation: ImagePreparation, class_names=None):
    """(images, labels int64 (N,), class_names) of ``where/<split>/<class>/<image file>``;
    ``images(indices)`` decodes only those files -> uint8 (n, 3, S, S) at the stored size S."""
    root = where / split
    if split == "test" and not root.is_dir():
        raise _no_test_split(root)
    paths, labels, names = list_image_folder(root, class_names)
    if len(paths) == 0:
        raise _no_test_split(root) if split == "test" else _not_found(where)
    return lambda idx: preparation.read([paths[i] for i in idx]), labels, names
