"""Shear, translate and rotate of uint8 (N, C, H, W) batches, one affine map per image, with the
semantics of ``scipy.ndimage.affine_transform(channel, matrix, offset, order=3, mode='constant',
cval=0, prefilter=True)`` applied to each uint8 channel (docs/augmentation.md), batched in torch.

What scipy (checked on 1.17) does, and what is reproduced here:
- prefilter: the cubic B-spline coefficients of each channel, with the MIRROR boundary condition
  (scipy uses it for mode='constant'); the prefilter is linear, so along an axis of n pixels it is
  one n×n matrix (the inverse of the interpolation matrix), applied as P_H · X · P_Wᵀ;
- sampling: output pixel (row, col) reads input coordinates matrix · (row, col) + offset; a point
  whose row or column coordinate lies outside [0, n − 1] (even by 1e-16) is cval = 0 — points just
  outside the image do NOT interpolate toward 0; inside, the 4×4 taps use the mirror-extended
  coefficients;
- cast to uint8: round half up (floor(v + 0.5)), negative → 0, above 255 → 255.
Arithmetic is float64 on the images' device; transform parameters are built on the CPU.
"""

from __future__ import annotations

import functools
import math

import torch


def mirror_index(i: torch.Tensor, n: int) -> torch.Tensor:
    """scipy's 'mirror' extension (…, 2, 1 | 0, 1, …, n−1 | n−2, …): indices into range(n)."""
    if n == 1:
        return torch.zeros_like(i)
    period = 2 * n - 2
    i = i.remainder(period)
    return torch.where(i >= n, period - i, i)


@functools.lru_cache(maxsize=32)
def _prefilter_matrix_cpu(n: int) -> torch.Tensor:
    taps = torch.arange(n)[:, None] + torch.tensor([-1, 0, 1])
    weights = torch.tensor([1 / 6, 4 / 6, 1 / 6], dtype=torch.float64).expand(n, 3)
    interpolation = torch.zeros(n, n, dtype=torch.float64)
    interpolation.index_put_((torch.arange(n)[:, None].expand(n, 3), mirror_index(taps, n)), weights,
                             accumulate=True)
    return torch.linalg.inv(interpolation)


def prefilter_matrix(n: int, device: torch.device) -> torch.Tensor:
    """(n, n) float64 P with coefficients = P · samples for a cubic B-spline along n pixels."""
    return _prefilter_matrix_cpu(n).to(device)


def _cubic_weights(t: torch.Tensor) -> torch.Tensor:
    """B-spline weights (…, 4) of the taps floor(x) − 1 … floor(x) + 2 for t = x − floor(x)."""
    t2, t3 = t * t, t * t * t
    return torch.stack([(1 - t) ** 3 / 6, (4 - 6 * t2 + 3 * t3) / 6,
                        (1 + 3 * t + 3 * t2 - 3 * t3) / 6, t3 / 6], dim=-1)


def affine_warp(images: torch.Tensor, matrix: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) → uint8 (N, C, H, W): output (row, col) = input at matrix[n] · (row, col)
    + offset[n] (matrix (N, 2, 2), offset (N, 2), float64, in pixels), cubic B-spline, zero outside,
    rounded half up and clipped to [0, 255] as scipy casts to a uint8 output."""
    if len(images) == 0:
        return images.clone()
    values = spline_affine(images, matrix, offset)
    return (values + 0.5).floor_().clamp_(0, 255).to(torch.uint8)


def spline_affine(images: torch.Tensor, matrix: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """The float64 (N, C, H, W) values of ``affine_warp`` before the uint8 cast (scipy's output with
    output=numpy.float64); images (N, C, H, W) of any real dtype."""
    h, w = images.shape[-2:]
    matrix, offset = matrix.to(torch.float64), offset.to(torch.float64)
    src_r, src_c = _source_coordinates(matrix.to(images.device), offset.to(images.device), (h, w))
    identity_row = (matrix[:, 0, 0] == 1) & (matrix[:, 0, 1] == 0) & (offset[:, 0] == 0)
    identity_col = (matrix[:, 1, 0] == 0) & (matrix[:, 1, 1] == 1) & (offset[:, 1] == 0)
    # At integer coordinates along an axis the spline reproduces the samples, so a map that keeps
    # rows (shear / translate along columns) is a 1-D interpolation along columns, and vice versa.
    if identity_row.all():
        return _spline_along_last(images, src_c)
    if identity_col.all():
        return _spline_along_last(images.transpose(-1, -2), src_r.transpose(-1, -2)).transpose(-1, -2)
    return _spline_2d(images, src_r, src_c)


def _source_coordinates(matrix: torch.Tensor, offset: torch.Tensor, size: tuple[int, int]):
    """Input (row, col) float64 (N, H, W) of every output pixel, summed in scipy's order."""
    h, w = size
    rows = torch.arange(h, dtype=torch.float64, device=matrix.device).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float64, device=matrix.device).view(1, 1, w)
    m = matrix.reshape(-1, 4, 1, 1)
    src_r = (m[:, 0] * rows + m[:, 1] * cols) + offset[:, 0].view(-1, 1, 1)
    src_c = (m[:, 2] * rows + m[:, 3] * cols) + offset[:, 1].view(-1, 1, 1)
    return src_r, src_c


def _taps(src: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For coordinates src along an axis of n pixels: inside [0, n − 1] (bool), the first of the
    4 taps as an index into the mirror-extended coefficients (−1 … n + 1 → 0 … n + 2), and the
    weights (…, 4)."""
    inside = (src >= 0) & (src <= n - 1)
    src = src.clamp(0, n - 1)
    floor = src.floor()
    return inside, floor.long(), _cubic_weights(src - floor)


def _coefficients(images: torch.Tensor, axes: tuple[int, ...]) -> torch.Tensor:
    """Float64 B-spline coefficients along the given axes (2 = rows, 3 = cols), mirror-extended
    to the indices −1 … n + 1 along them."""
    coef = images.to(torch.float64)
    for axis in axes:
        n = coef.shape[axis]
        p = prefilter_matrix(n, coef.device)
        coef = p @ coef if axis == 2 else coef @ p.T
        coef = coef.index_select(axis, mirror_index(torch.arange(-1, n + 2), n).to(coef.device))
    return coef


def _spline_along_last(images: torch.Tensor, src_c: torch.Tensor) -> torch.Tensor:
    """Float64 (N, C, H, W): each row interpolated at its own columns src_c (N, H, W)."""
    n, c, h, w = images.shape
    device = images.device
    coef = _coefficients(images, (3,))
    inside, first, weights = _taps(src_c, w)
    index = (first[..., None] + torch.arange(4, device=device)).reshape(n, 1, h, w * 4)
    index = index.expand(n, c, h, w * 4)
    values = (coef.gather(3, index).view(n, c, h, w, 4) * weights[:, None]).sum(-1)
    return values.where(inside[:, None], torch.zeros((), dtype=values.dtype, device=device))


def _spline_2d(images: torch.Tensor, src_r: torch.Tensor, src_c: torch.Tensor) -> torch.Tensor:
    """Float64 (N, C, H, W): the 4×4-tap tensor-product spline at (src_r, src_c) (N, H, W)."""
    n, c, h, w = images.shape
    device = images.device
    coef = _coefficients(images, (2, 3))
    inside_r, first_r, w_r = (t.flatten(1, 2) for t in _taps(src_r, h))  # (N, HW[, 4])
    inside_c, first_c, w_c = (t.flatten(1, 2) for t in _taps(src_c, w))
    taps = torch.arange(4, device=device)
    tap_r, tap_c = first_r[..., None] + taps, first_c[..., None] + taps  # (N, HW, 4)
    flat = (tap_r[..., :, None] * (w + 3) + tap_c[..., None, :]).view(n, 1, -1).expand(n, c, -1)
    gathered = coef.flatten(2).gather(2, flat).view(n, c, h * w, 16)
    weights = (w_r[..., :, None] * w_c[..., None, :]).view(n, 1, h * w, 16)
    values = (gathered * weights).sum(-1).view(n, c, h, w)
    inside = (inside_r & inside_c).view(n, 1, h, w)
    return values.where(inside, torch.zeros((), dtype=values.dtype, device=device))


def _about_centre(matrix: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Offset (N, 2) that makes ``matrix`` act about (H/2 + 0.5, W/2 + 0.5) (the predecessor's
    centre, half a pixel off the true one): input = matrix · (out − o) + o."""
    o = torch.tensor([size[0] / 2 + 0.5, size[1] / 2 + 0.5], dtype=torch.float64)
    return o - matrix @ o


def _warp(images: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    return affine_warp(images, matrix, _about_centre(matrix, images.shape[-2:]))


def shear_x(images: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """ShearX (docs/augmentation.md): input row = row + s·col (about the centre); s (N,) float64."""
    matrix = torch.eye(2, dtype=torch.float64).repeat(len(s), 1, 1)
    matrix[:, 0, 1] = s
    return _warp(images, matrix)


def shear_y(images: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """ShearY: input col = col + s·row (about the centre); s (N,) float64."""
    matrix = torch.eye(2, dtype=torch.float64).repeat(len(s), 1, 1)
    matrix[:, 1, 0] = s
    return _warp(images, matrix)


def translate_x(images: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """TranslateX: input col = col + pixels; pixels (N,) float64 (fractional: interpolated)."""
    offset = torch.zeros(len(pixels), 2, dtype=torch.float64)
    offset[:, 1] = pixels
    return affine_warp(images, torch.eye(2, dtype=torch.float64).repeat(len(pixels), 1, 1), offset)


def translate_y(images: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """TranslateY: input row = row + pixels; pixels (N,) float64."""
    offset = torch.zeros(len(pixels), 2, dtype=torch.float64)
    offset[:, 0] = pixels
    return affine_warp(images, torch.eye(2, dtype=torch.float64).repeat(len(pixels), 1, 1), offset)


def rotation_matrix(degrees: torch.Tensor) -> torch.Tensor:
    """(N, 2, 2) [[cos, −sin], [sin, cos]] acting on (row, col), angles in degrees (N,) float64."""
    theta = degrees.to(torch.float64) * (math.pi / 180)
    cos, sin = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)


def rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate about the centre by the matrix [[cos, −sin], [sin, cos]] (output → input); degrees (N,)."""
    return _warp(images, rotation_matrix(degrees))
