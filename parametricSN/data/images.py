"""Image folders listed for the dataset readers (CIFAR's and KTH's layouts), and the centre crop of
uint8 tensors. Decoding is data.decoding's, the whole preparation data.preparation's."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from parametricSN.data.decoding import IMAGE_SUFFIXES
from parametricSN.errors import UserError

_LISTINGS: dict[tuple, tuple[list[Path], np.ndarray]] = {}


def image_files(folder: Path) -> list[Path]:
    """The image files directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def class_folders(root: Path) -> list[str]:
    """Names of the sub-folders of ``root`` (one per class), sorted — ImageFolder's class order."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def list_image_folder(root: Path, class_names: Sequence[str] | None = None):
    """``root/<class>/<image file>`` -> (paths, targets int64 (N,), class_names).

    Files are in class order, then name order. ``class_names`` fixes the class order (e.g. the
    training split's); a class folder missing from ``root`` is a UserError. A listing is reused
    within the process while no class folder changes (sweeps list the same 50,000 files per run).
    """
    names = list(class_names) if class_names is not None else class_folders(root)
    stamps = []
    for name in names:
        folder = root / name
        if not folder.is_dir():
            raise UserError(f"missing class folder {folder}: every split needs the classes {', '.join(names)}")
        stamps.append(folder.stat().st_mtime_ns)
    key = (str(root.resolve()), tuple(names), tuple(stamps))
    if key not in _LISTINGS:
        paths: list[Path] = []
        targets: list[int] = []
        for label, name in enumerate(names):
            files = image_files(root / name)
            paths += files
            targets += [label] * len(files)
        _LISTINGS.clear()                      # keep one listing: the current dataset's
        _LISTINGS[key] = (paths, np.asarray(targets, dtype=np.int64))
    paths, targets = _LISTINGS[key]
    return list(paths), targets.copy(), names


def center_crop(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Centre crop the last two dims of uint8 (…, H0, W0) to size (H, W) ≤ (H0, W0); offsets
    round((H0 - H) / 2) like torchvision's CenterCrop."""
    h, w = size
    h0, w0 = x.shape[-2:]
    if (h, w) == (h0, w0):
        return x
    if h > h0 or w > w0:
        raise ValueError(f"cannot centre-crop {h0}x{w0} to {h}x{w}")
    top = int(round((h0 - h) / 2.0))
    left = int(round((w0 - w) / 2.0))
    return x[..., top:top + h, left:left + w]
