"""Files of a folder of labelled images (torchvision's ImageFolder convention) and their decoding.

Listing: a class is a non-hidden sub-folder (or a link to one); its images are the files below it
(recursively, through links to folders) whose suffix is one of IMAGE_SUFFIXES; hidden files and
folders (``.DS_Store``, ``._x.png``, ``.git``) and other files (README.txt, labels.csv) are
skipped. Classes are sorted by name, files by path.

Decoding (:func:`decode_file`): any PNG, JPEG, BMP, TIFF or WebP Pillow reads, EXIF orientation
applied, transparency composited on white, 16-bit grayscale scaled to 8 bits; then resized
(bilinear, antialiased when shrinking) to cover H×W with its aspect ratio kept and centre-cropped
to H×W. A grayscale file gives 1 channel, any other (RGB, RGBA, palette, CMYK) 3 channels;
:func:`stack_channels` brings a set to one channel count. Decoded images are remembered within the
process (while the file is unchanged, up to DECODED_BUDGET_BYTES), so the epochs and the runs of a
sweep decode a folder once.
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageOps

from parametricSN.errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
DECODED_BUDGET_BYTES = 1024 * 2 ** 20
PROGRESS_FROM = 200  # files to decode before a progress bar is shown
_DECODED: dict[tuple[str, int, int], tuple[int, torch.Tensor]] = {}
_LOCK = threading.Lock()
_decoded_bytes = 0


def _hidden(name: str) -> bool:
    return name.startswith(".")


def image_files_below(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, following symbolic links to folders; each real
    folder is walked once and a link to ``folder`` or to a folder above it is not followed;
    hidden files/folders and other suffixes skipped), sorted by path."""
    start = os.path.realpath(folder)
    found, visited = [], {start}
    for top, dirs, files in os.walk(folder, followlinks=True):
        walk = []
        for name in sorted(d for d in dirs if not _hidden(d)):
            real = os.path.realpath(os.path.join(top, name))
            if real not in visited and not start.startswith(real.rstrip(os.sep) + os.sep):
                visited.add(real)
                walk.append(name)
        dirs[:] = walk
        found += [Path(top) / f for f in files if not _hidden(f) and Path(f).suffix.lower() in IMAGE_SUFFIXES]
    return sorted(found)


def class_names_in(root: Path) -> list[str]:
    """Sorted names of the non-hidden sub-folders of ``root``: the classes."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not _hidden(p.name))


def list_classes(root: Path, class_names: Sequence[str] | None = None,
                 what: str = "dataset.path") -> tuple[list[Path], np.ndarray, list[str]]:
    """``root/<class>/**/image`` -> (paths, int64 labels (N,), class names).

    ``class_names`` (e.g. the training split's or a model's) must be exactly the classes found:
    a missing or an extra class folder is a UserError naming it. A class folder without images
    is a UserError too. ``what`` names the folder's origin in the messages.
    """
    found = class_names_in(root)
    if not found:
        raise UserError(f"{what}: {root} has no class folders; put the images in {root}/<class name>/")
    if class_names is not None:
        names = list(class_names)
        missing = [n for n in names if n not in found]
        extra = [n for n in found if n not in names]
        if missing or extra:
            parts = ([f"missing class folder(s) {', '.join(missing)}"] if missing else []) + \
                    ([f"extra class folder(s) {', '.join(extra)}"] if extra else [])
            raise UserError(f"{what}: {root} has {'; '.join(parts)}: it needs exactly the classes "
                            f"{', '.join(names)}")
    else:
        names = found
    paths: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(names):
        files = image_files_below(root / name)
        if not files:
            raise UserError(f"{what}: class folder {root / name} holds no images "
                            f"({', '.join(IMAGE_SUFFIXES)}); add some or remove the folder")
        paths += files
        labels += [label] * len(files)
    return paths, np.asarray(labels, dtype=np.int64), names


def _to_8bit(img: Image.Image) -> Image.Image:
    """32-bit integer / 16-bit / float grayscale -> 'L' (16-bit scaled by 1/257, others clipped)."""
    array = np.asarray(img, dtype=np.float64)
    if img.mode.startswith("I;16") or (img.mode == "I" and array.max(initial=0) > 255):
        array = array / 257.0
    return Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8), "L")


def decode_file(path: Path, size: tuple[int, int]) -> torch.Tensor:
    """One image file -> uint8 (1 | 3, H, W) with (H, W) = size (module docstring).
    Raises whatever Pillow raises for an unreadable file (OSError, SyntaxError, ValueError, ...)."""
    height, width = size
    with Image.open(path) as opened:
        img = ImageOps.exif_transpose(opened)
        gray = img.mode in GRAY_MODES
        if img.mode in ("I", "F") or img.mode.startswith("I;16"):
            img = _to_8bit(img)
        if "A" in img.mode or "transparency" in img.info:
            rgba = img.convert("RGBA")
            img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        img = img.convert("L" if gray else "RGB")
        img = ImageOps.fit(img, (width, height), method=Image.Resampling.BILINEAR)
        array = np.asarray(img, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def _remembered(path: Path, size: tuple[int, int]) -> tuple[str, tuple[int, int, int], torch.Tensor | None]:
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = -1
    key = (str(Path(path).resolve()), int(size[0]), int(size[1]))
    hit = _DECODED.get(key)
    return key, stamp, (hit[1] if hit is not None and hit[0] == stamp else None)


def _decode_one(path: Path, size: tuple[int, int]) -> torch.Tensor | str:
    """decode_file, remembered; an unreadable file -> its one-line reason (str)."""
    global _decoded_bytes
    key, stamp, image = _remembered(path, size)
    if image is not None:
        return image
    try:
        image = decode_file(path, size)
    except Exception as error:  # noqa: BLE001 — Pillow raises many kinds for a broken file
        return " ".join(f"{type(error).__name__}: {error}".split())
    with _LOCK:
        if stamp >= 0 and key not in _DECODED and _decoded_bytes + image.numel() <= DECODED_BUDGET_BYTES:
            _DECODED[key] = (stamp, image)
            _decoded_bytes += image.numel()
    return image


def decode_files(paths: Sequence[Path], size: tuple[int, int], desc: str = "decoding images",
                 progress: bool = True) -> list[torch.Tensor | str]:
    """Decode many files (threads, order kept): per file uint8 (1 | 3, H, W), or the reason (str)
    it could not be read. A progress bar (stderr, on a terminal) is shown when PROGRESS_FROM or
    more files are not yet remembered."""
    results: list[torch.Tensor | str | None] = [None] * len(paths)
    todo = []
    for i, path in enumerate(paths):
        hit = _remembered(path, size)[2]
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    if todo:
        from tqdm import tqdm

        workers = max(1, min(8, os.cpu_count() or 1))
        quiet = not progress or len(todo) < PROGRESS_FROM
        with ThreadPoolExecutor(max_workers=workers) as pool, \
                tqdm(total=len(todo), desc=desc, unit="img", file=sys.stderr, leave=False,
                     disable=True if quiet else None) as bar:  # None: shown on a terminal only
            for i, result in zip(todo, pool.map(lambda i: _decode_one(paths[i], size), todo)):
                results[i] = result
                bar.update()
    return results  # type: ignore[return-value]


def to_gray(x: torch.Tensor) -> torch.Tensor:
    """uint8 (…, 3, H, W) RGB -> (…, 1, H, W) luma L = (19595 R + 38470 G + 7471 B + 2^15) >> 16,
    Pillow's convert("L")."""
    r, g, b = x.to(torch.int64).unbind(-3)
    return ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16).to(torch.uint8).unsqueeze(-3)


def stack_channels(images: Sequence[torch.Tensor], channels: int) -> torch.Tensor:
    """uint8 (1 | 3, H, W) images -> uint8 (N, channels, H, W): grayscale repeated to RGB, RGB
    converted to luma for channels=1."""
    out = []
    for image in images:
        if image.shape[0] != channels:
            image = image.expand(3, -1, -1) if channels == 3 else to_gray(image)
        out.append(image)
    if not out:
        raise ValueError("stack_channels: no images")
    return torch.stack(out).contiguous()
