"""Writers of tiny image folders in real on-disk formats (folder dataset, evaluate, predict tests).

Images are drawn so that a class is visible at any size: class k has a bright square in corner k
(at varying positions and sizes per image), on a per-image random background."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

FORMATS = {"png": "PNG", "jpg": "JPEG", "bmp": "BMP", "tif": "TIFF", "webp": "WEBP"}


def picture(label: int, index: int, size=(24, 20), channels: int = 3) -> np.ndarray:
    """uint8 (H, W[, 3]) of class ``label``: a bright block in corner ``label`` (of 4)."""
    rng = np.random.RandomState(1000 * label + index)
    h, w = size
    img = rng.randint(0, 80, size=(h, w, 3)).astype(np.uint8)
    top = 0 if label in (0, 1) else h // 2
    left = 0 if label in (0, 2) else w // 2
    img[top:top + h // 2, left:left + w // 2] = [220, 200 - 40 * label, 60 + 50 * label]
    return img if channels == 3 else img.mean(axis=2).astype(np.uint8)


def save(path: Path, array: np.ndarray, mode: str | None = None, fmt: str | None = None) -> Path:
    """Write ``array`` as ``path`` (format from the suffix); mode: convert first (L, RGBA, P...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(array)
    if mode is not None:
        img = img.convert(mode)
    img.save(path, format=fmt or FORMATS[path.suffix.lstrip(".").lower()])
    return path


def write_class_folder(root: Path, counts: dict, gray: bool = False, mixed: bool = True,
                       sizes=((24, 20), (30, 40), (16, 16))) -> dict:
    """root/<class>/img_<i>.<fmt> for each class name -> count; formats, modes and sizes cycle
    when ``mixed`` (PNG RGB, JPEG, BMP, TIFF, WebP, PNG RGBA, PNG palette). Returns
    {class: [paths]}."""
    written = {}
    modes = [("png", None), ("jpg", None), ("bmp", None), ("tif", None), ("webp", None),
             ("png", "RGBA"), ("png", "P")]
    for label, (name, count) in enumerate(sorted(counts.items())):
        written[name] = []
        for i in range(count):
            suffix, mode = modes[(i + label) % len(modes)] if mixed else ("png", None)
            size = sizes[i % len(sizes)] if mixed else sizes[0]
            if gray:
                mode = "L"
            written[name].append(save(root / name / f"img_{i:03d}.{suffix}", picture(label, i, size), mode))
    return written


def folder_cfg(path, store_uri="sqlite:///unused.db", **dataset) -> dict:
    """A folder config small enough to train in a second: 16x16, J=1, L=2, linear head."""
    return {
        "general": {"seed": 0, "device": "cpu"},
        "mlflow": {"tracking_uri": store_uri, "experiment_name": "folder-tests"},
        "dataset": {"name": "folder", "path": None if path is None else str(path), "train_sample_num": "all",
                    "height": 16, "width": 16, "train_batch_size": 8, "test_batch_size": 16, **dataset},
        "scattering": {"J": 1, "L": 2},
        "model": {"name": "linear_layer", "epoch": 2, "step_test": 1, "save": True},
    }
