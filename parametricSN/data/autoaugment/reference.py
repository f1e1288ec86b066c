"""A per-image PIL / scipy version of the published recipe (docs/augmentation.md), written from its
description as a PIL-based pipeline would run it: the oracle of the tests and the baseline of
benchmarks/augment_speed.py. Slow (PIL / scipy calls per image); never used for training.

Images are numpy uint8 (H, W, C) with C = 3 (PIL mode 'RGB') or C = 1 (mode 'L').
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageEnhance, ImageOps
from scipy import ndimage

from parametricSN.data.autoaugment.policy import MAGNITUDE_BINS, SUB_POLICIES


def to_pil(img: np.ndarray) -> Image.Image:
    return Image.fromarray(img[:, :, 0], "L") if img.shape[2] == 1 else Image.fromarray(img, "RGB")


def from_pil(pil: Image.Image) -> np.ndarray:
    arr = np.asarray(pil)
    return arr[:, :, None].copy() if arr.ndim == 2 else arr.copy()


def centred_affine(img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``matrix`` (output (row, col) → input) about (H/2 + 0.5, W/2 + 0.5), as a 3×3 composition."""
    h, w = img.shape[:2]
    o_r, o_c = h / 2 + 0.5, w / 2 + 0.5
    to_centre = np.array([[1, 0, o_r], [0, 1, o_c], [0, 0, 1]], dtype=np.float64)
    from_centre = np.array([[1, 0, -o_r], [0, 1, -o_c], [0, 0, 1]], dtype=np.float64)
    m3 = np.eye(3)
    m3[:2, :2] = matrix
    full = to_centre @ m3 @ from_centre
    return affine(img, full[:2, :2], full[:2, 2])


def affine(img: np.ndarray, matrix: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """scipy.ndimage.affine_transform per uint8 channel: order 3, constant 0 outside, uint8 out."""
    return np.stack([ndimage.affine_transform(img[:, :, k], matrix, offset=offset, order=3,
                                              mode="constant", cval=0.0, prefilter=True)
                     for k in range(img.shape[2])], axis=-1)


def apply_op(img: np.ndarray, name: str, value: float) -> np.ndarray:
    """One op at its drawn value (factor, degrees, fraction of the size, threshold, bits)."""
    h, w = img.shape[:2]
    if name in ("ShearX", "ShearY", "Rotate"):
        if name == "Rotate":
            t = math.radians(value)
            matrix = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        else:
            matrix = np.array([[1.0, value], [0.0, 1.0]] if name == "ShearX" else [[1.0, 0.0], [value, 1.0]])
        return centred_affine(img, matrix)
    if name == "TranslateX":
        return affine(img, np.eye(2), np.array([0.0, value * w]))
    if name == "TranslateY":
        return affine(img, np.eye(2), np.array([value * h, 0.0]))
    pil = to_pil(img)
    enhancers = {"Color": ImageEnhance.Color, "Contrast": ImageEnhance.Contrast,
                 "Brightness": ImageEnhance.Brightness, "Sharpness": ImageEnhance.Sharpness}
    if name in enhancers:
        return from_pil(enhancers[name](pil).enhance(value))
    ops = {"Posterize": lambda p: ImageOps.posterize(p, int(value)),
           "Solarize": lambda p: ImageOps.solarize(p, value),
           "AutoContrast": ImageOps.autocontrast, "Equalize": ImageOps.equalize, "Invert": ImageOps.invert}
    return from_pil(ops[name](pil))


def apply_subpolicy(img: np.ndarray, policy: int, runs: tuple[bool, bool],
                    values: tuple[float, float]) -> np.ndarray:
    """Op 1 then op 2 of SUB_POLICIES[policy], each where ``runs`` says, at ``values``."""
    for (name, _, _), run, value in zip(SUB_POLICIES[policy], runs, values):
        if run:
            img = apply_op(img, name, value)
    return img


def cutout(img: np.ndarray, top: int, left: int, length: int) -> np.ndarray:
    """The published Cutout: the image's mean (truncated) in rows [max(t, 0), t + L) and columns
    [c0, l + L), c0 = 0 if l < 0 else max(t, 0) (the upstream slip)."""
    out = img.copy()
    c0 = 0 if left < 0 else max(top, 0)
    out[max(top, 0):top + length, c0:left + length] = int(img.mean())
    return out


def crop_flip(img: np.ndarray, top: int, left: int, flip: bool, size: tuple[int, int],
              padding: int) -> np.ndarray:
    """The size window at (top, left) of the zero-padded image, mirrored left-right if ``flip``."""
    padded = np.pad(img, ((padding, padding), (padding, padding), (0, 0)))
    out = padded[top:top + size[0], left:left + size[1]]
    return out[:, ::-1].copy() if flip else out.copy()


def augment(img: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = (32, 32), padding: int = 4,
            length: int = 16) -> np.ndarray:
    """The whole recipe on one image, drawing from ``rng``: crop, flip, sub-policy, Cutout."""
    h0, w0 = img.shape[0] + 2 * padding, img.shape[1] + 2 * padding
    out = crop_flip(img, int(rng.integers(h0 - size[0] + 1)), int(rng.integers(w0 - size[1] + 1)),
                    bool(rng.random() < 0.5), size, padding)
    policy = int(rng.integers(len(SUB_POLICIES)))
    runs, values = [], []
    for name, p, m in SUB_POLICIES[policy]:
        runs.append(bool(rng.random() < p))
        bins = MAGNITUDE_BINS[name]
        values.append(0.0 if bins is None else float(rng.uniform(bins[m], bins[m + 1])))
    out = apply_subpolicy(out, policy, tuple(runs), tuple(values))
    low = -(length // 2)
    top, left = int(rng.integers(low, size[0] - length)), int(rng.integers(low, size[1] - length))
    return cutout(out, top, left, length)

