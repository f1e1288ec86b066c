"""PIL's colour ops on uint8 (N, C, H, W) batches (C = 3: mode 'RGB', C = 1: mode 'L'), bit-exact,
with one parameter per image.

ImageEnhance.X(img).enhance(f) is Image.blend(degenerate, img, f): in C, per pixel and channel,
``(UINT8) clip(deg + (float) f * (img − deg))`` in single precision — float32 multiply, then
float32 add, then clip to [0, 255] and truncate. The degenerate images:
Brightness black; Contrast the constant int(mean(L) + 0.5) of the grayscale image L; Color L
(so Color is the identity on 1-channel images, as in PIL for mode 'L'); Sharpness the 3×3 SMOOTH
filter (kernel 1 1 1 / 1 5 1 / 1 1 1, ÷13, rounded), whose first and last rows and columns are
copied from the image. Grayscale L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16 (PIL's 'RGB' → 'L').
ImageOps (autocontrast, equalize, posterize, solarize, invert) act per channel through a 256-entry
lookup table, computed here per image and channel with PIL's formulas.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _per_image(values: torch.Tensor, like: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return values.to(like.device, dtype).view(-1, 1, 1, 1)


def _blend(degenerate: torch.Tensor, images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """PIL Image.blend(degenerate, images, factor); degenerate broadcastable to images (any int dtype)."""
    deg = degenerate.to(torch.float32)
    diff = images.to(torch.float32) - deg
    scaled = _per_image(factor, images, torch.float32) * diff  # separate float32 ops, as PIL (no FMA)
    return (deg + scaled).clamp_(0, 255).to(torch.uint8)  # float → uint8 truncates, as the C cast


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """PIL 'RGB' → 'L': int32 (N, 1, H, W); a 1-channel batch is returned as it is (as int32)."""
    x = images.to(torch.int32)
    if x.shape[1] == 1:
        return x
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16


def brightness(images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """ImageEnhance.Brightness(factor): blend with black."""
    return _blend(torch.zeros((), dtype=torch.uint8, device=images.device), images, factor)


def contrast(images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """ImageEnhance.Contrast(factor): blend with the image's grayscale mean, rounded half up."""
    gray = grayscale(images).flatten(1)
    pixels = gray.shape[1]
    mean = (2 * gray.sum(1, dtype=torch.int64) + pixels) // (2 * pixels)  # = int(sum / pixels + 0.5)
    return _blend(mean.view(-1, 1, 1, 1), images, factor)


def color(images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """ImageEnhance.Color(factor): blend with the grayscale image; identity on 1 channel ('L')."""
    if images.shape[1] == 1:
        return images.clone()
    return _blend(grayscale(images), images, factor)


def smooth(images: torch.Tensor) -> torch.Tensor:
    """ImageFilter.SMOOTH: interior = round((sum of the 3×3 block + 4·centre) / 13); border copied."""
    n, c, h, w = images.shape
    if h < 3 or w < 3:
        return images.clone()
    kernel = torch.ones(c, 1, 3, 3, dtype=torch.float32, device=images.device)
    kernel[:, :, 1, 1] = 5
    sums = F.conv2d(images.to(torch.float32), kernel, groups=c).to(torch.int32)  # exact: ≤ 13·255
    out = images.clone()
    # (s / 13 + 0.5) truncated; s/13 is never within float error of a half, so integer division is exact
    out[:, :, 1:-1, 1:-1] = ((2 * sums + 13) // 26).to(torch.uint8)
    return out


def sharpness(images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """ImageEnhance.Sharpness(factor): blend with the SMOOTH-filtered image."""
    return _blend(smooth(images), images, factor)


def autocontrast(images: torch.Tensor) -> torch.Tensor:
    """ImageOps.autocontrast (cutoff 0), per channel: lo = min, hi = max; if hi > lo,
    v → int(v · scale + offset) with scale = 255.0 / (hi − lo), offset = −lo · scale (float64)."""
    flat = images.flatten(2)
    lo = flat.amin(2).to(torch.float64)[..., None, None]
    hi = flat.amax(2).to(torch.float64)[..., None, None]
    # tensor / tensor: torch computes ``scalar / tensor`` as a reciprocal times the scalar, which
    # rounds differently from Python's 255.0 / (hi - lo)
    scale = torch.full_like(hi, 255.0) / (hi - lo).clamp(min=1)
    offset = -lo * scale
    stretched = (images.to(torch.float64) * scale + offset).trunc_().clamp_(0, 255).to(torch.uint8)
    return torch.where(hi > lo, stretched, images)


def _histograms(images: torch.Tensor) -> torch.Tensor:
    """int64 (N·C, 256) per image and channel."""
    n, c = images.shape[:2]
    flat = images.reshape(n * c, -1).to(torch.int64)
    base = (torch.arange(n * c, device=images.device) * 256)[:, None]
    return torch.bincount((flat + base).flatten(), minlength=n * c * 256).view(n * c, 256)


def equalize(images: torch.Tensor) -> torch.Tensor:
    """ImageOps.equalize, per channel: step = (pixels − count of the highest occupied value) // 255;
    identity if step is 0; else lut[i] = (step // 2 + #pixels below i) // step, clipped to 255."""
    n, c, h, w = images.shape
    hist = _histograms(images)
    occupied = torch.arange(256, device=images.device).expand_as(hist).masked_fill(hist == 0, -1)
    top_count = hist.gather(1, occupied.amax(1, keepdim=True))
    step = (h * w - top_count) // 255
    below = hist.cumsum(1) - hist
    lut = ((step // 2 + below) // step.clamp(min=1)).clamp_(max=255)
    lut = torch.where(step > 0, lut, torch.arange(256, device=images.device))
    out = lut.gather(1, images.reshape(n * c, -1).to(torch.int64))
    return out.to(torch.uint8).view(n, c, h, w)


def posterize(images: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """ImageOps.posterize: keep the ``bits`` (N,) high bits (1 … 8) of each value."""
    mask = (255 << (8 - bits.to(torch.int64))) & 255
    return images & _per_image(mask, images, torch.uint8)


def solarize(images: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """ImageOps.solarize: v if v < threshold else 255 − v; threshold (N,) float (not rounded)."""
    below = images.to(torch.float64) < _per_image(threshold, images, torch.float64)
    return torch.where(below, images, 255 - images)


def invert(images: torch.Tensor) -> torch.Tensor:
    """ImageOps.invert: 255 − v."""
    return 255 - images
