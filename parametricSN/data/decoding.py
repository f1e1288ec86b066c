"""The one image decoder: an image file -> uint8 (1 | 3, H, W) at a given size, remembered per process.

Formats: the files whose suffix is one of IMAGE_SUFFIXES that Pillow reads (PNG, JPEG, BMP, TIFF,
WebP). EXIF orientation is applied, transparency composited on white, 16-bit grayscale scaled to
8 bits (÷257; 32-bit and float grayscale clipped). A grayscale file gives 1 channel, any other mode
(RGB, RGBA, palette, CMYK) 3; a dataset's channel rule comes after (data.preparation).

Size (:class:`Resize`), Pillow bilinear (antialiased when shrinking):
- ``keep_aspect=False`` ("stretch"): resized to H×W whatever its aspect ratio, as the published
  KTH-TIPS2-b, X-ray and CIFAR pipelines did (``Resize((200, 200))``);
- ``keep_aspect=True`` ("cover"): resized with its aspect ratio kept to cover H×W, then
  centre-cropped to H×W (``ImageOps.fit``; the folder dataset).

Decoded images are remembered within the process while the file is unchanged (its modification
time), up to DECODED_BUDGET_BYTES, so the epochs and the runs of a sweep, and an ``evaluate`` after
a run in the same process, decode a file once.
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageOps

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
# every KTH-TIPS2-b image at 200×200 (4,752 × 120 KB) or CIFAR-10's 50,000 training images (150 MB)
DECODED_BUDGET_BYTES = 1024 * 2 ** 20
PROGRESS_FROM = 200  # files to decode before a progress bar is shown
_DECODED: dict[tuple[str, "Resize"], tuple[int, torch.Tensor]] = {}
_LOCK = threading.Lock()
_decoded_bytes = 0


@dataclass(frozen=True)
class Resize:
    """Bring a decoded image to ``size`` = (H, W) pixels: stretched (``keep_aspect=False``) or
    resized to cover and centre-cropped (``keep_aspect=True``); module docstring."""

    size: tuple[int, int]
    keep_aspect: bool = False

    def __post_init__(self):
        object.__setattr__(self, "size", (int(self.size[0]), int(self.size[1])))

    def image(self, img: Image.Image) -> Image.Image:
        """A Pillow image of any size -> (W, H) = size[::-1] in Pillow's order."""
        height, width = self.size
        if img.size == (width, height):
            return img
        if self.keep_aspect:
            return ImageOps.fit(img, (width, height), method=Image.Resampling.BILINEAR)
        return img.resize((width, height), Image.Resampling.BILINEAR)

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 (C, H0, W0) with C = 1 or 3 -> uint8 (C, H, W), through the same Pillow resize as a file."""
        if tuple(x.shape[-2:]) == self.size:
            return x
        array = x.permute(1, 2, 0).numpy()
        img = Image.fromarray(array[:, :, 0] if x.shape[0] == 1 else array)
        return _to_tensor(self.image(img))


def _to_8bit(img: Image.Image) -> Image.Image:
    """32-bit integer / 16-bit / float grayscale -> 'L' (16-bit scaled by 1/257, others clipped)."""
    array = np.asarray(img, dtype=np.float64)
    if img.mode.startswith("I;16") or (img.mode == "I" and array.max(initial=0) > 255):
        array = array / 257.0
    return Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8), "L")


def _to_tensor(img: Image.Image) -> torch.Tensor:
    """'L' or 'RGB' Pillow image -> uint8 (1 | 3, H, W)."""
    array = np.asarray(img, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def decode_file(path: Path, resize: Resize) -> torch.Tensor:
    """One image file -> uint8 (1 | 3, H, W) with (H, W) = resize.size (module docstring).
    Raises whatever Pillow raises for an unreadable file (OSError, SyntaxError, ValueError, ...)."""
    with Image.open(path) as opened:
        img = ImageOps.exif_transpose(opened)
        gray = img.mode in GRAY_MODES
        if img.mode in ("I", "F") or img.mode.startswith("I;16"):
            img = _to_8bit(img)
        if "A" in img.mode or "transparency" in img.info:
            rgba = img.convert("RGBA")
            img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        img = resize.image(img.convert("L" if gray else "RGB"))
        return _to_tensor(img)


def _remembered(path: Path, resize: Resize) -> tuple[tuple[str, Resize], int, torch.Tensor | None]:
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = -1
    key = (str(Path(path).resolve()), resize)
    hit = _DECODED.get(key)
    return key, stamp, (hit[1] if hit is not None and hit[0] == stamp else None)


def _decode_one(path: Path, resize: Resize) -> torch.Tensor | str:
    """decode_file, remembered; an unreadable file -> its one-line reason (str)."""
    global _decoded_bytes
    key, stamp, image = _remembered(path, resize)
    if image is not None:
        return image
    if stamp < 0 and not Path(path).exists():
        return "no such file"
    try:
        image = decode_file(path, resize)
    except Exception as error:  # noqa: BLE001 — Pillow raises many kinds for a broken file
        return " ".join(f"{type(error).__name__}: {error}".split())
    with _LOCK:
        if stamp >= 0 and key not in _DECODED and _decoded_bytes + image.numel() <= DECODED_BUDGET_BYTES:
            _DECODED[key] = (stamp, image)
            _decoded_bytes += image.numel()
    return image


def clear_decoded() -> None:
    """Forget every remembered image (benchmarks time a first decoding with it)."""
    global _decoded_bytes
    with _LOCK:
        _DECODED.clear()
        _decoded_bytes = 0


def decode_files(paths: Sequence[Path], resize: Resize, desc: str = "decoding images",
                 progress: bool = True) -> list[torch.Tensor | str]:
    """Decode many files (threads, order kept): per file uint8 (1 | 3, H, W), or the reason (str)
    it could not be read. A progress bar (stderr, on a terminal) is shown when PROGRESS_FROM or
    more files are not yet remembered."""
    results: list[torch.Tensor | str | None] = [None] * len(paths)
    todo = []
    for i, path in enumerate(paths):
        hit = _remembered(path, resize)[2]
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    if todo:
        from tqdm import tqdm

        workers = max(1, min(8, torch.get_num_threads()))  # the run's general.cores, not the machine's
        quiet = not progress or len(todo) < PROGRESS_FROM
        with ThreadPoolExecutor(max_workers=workers) as pool, \
                tqdm(total=len(todo), desc=desc, unit="img", file=sys.stderr, leave=False,
                     disable=True if quiet else None) as bar:  # None: shown on a terminal only
            for i, result in zip(todo, pool.map(lambda i: _decode_one(paths[i], resize), todo)):
                results[i] = result
                bar.update()
    return results  # type: ignore[return-value]
