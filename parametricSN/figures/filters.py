"""Pictures of a filter bank: its filters, its Littlewood–Paley sum (each a Figure, see
:mod:`parametricSN.figures.canvas`) and an animated GIF of the bank during training. The GIF
writer composes its frames directly in numpy (no figure per frame), so a progression of thousands
of recorded steps stays fast.

Filter conventions (docs/architecture.md §1): a bank is given as its real Fourier filters ψ̂, a tensor
(N, Hp, Wp) on the padded grid, DC at index [0, 0]. "fourier" shows |ψ̂| with DC moved to the
centre (fftshift); "real" / "imag" show the real / imaginary part of the spatial filter
ψ = IFFT2(ψ̂), also fftshifted so that the filter sits in the middle of its panel.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure

from parametricSN.figures.canvas import new_figure

__all__ = ["FILTER_KINDS", "filter_images", "plot_filters", "plot_littlewood_paley",
           "write_filter_progression_gif"]

FILTER_KINDS = ("fourier", "real", "imag")
_KIND_TITLES = {"fourier": "Fourier modulus |ψ̂|", "real": "real part of ψ", "imag": "imaginary part of ψ"}
_KIND_ASCII = {"fourier": "Fourier modulus", "real": "real part", "imag": "imaginary part"}
_KIND_CMAPS = {"fourier": "viridis", "real": "RdBu_r", "imag": "RdBu_r"}


def _check_kind(kind: str) -> None:
    if kind not in FILTER_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FILTER_KINDS)}, got {kind!r}")


def filter_images(filters: torch.Tensor, kind: str) -> np.ndarray:
    """The images shown for a bank of Fourier filters.

    filters: (N, Hp, Wp) real Fourier filters ψ̂ (DC at [0, 0]); a complex tensor is accepted too.
    kind: "fourier" → |ψ̂| fftshifted; "real" / "imag" → real / imaginary part of IFFT2(ψ̂),
    fftshifted. Returns a float64 array (N, Hp, Wp).
    """
    _check_kind(kind)
    f = torch.as_tensor(filters).detach().cpu()
    if f.ndim != 3:
        raise ValueError(f"filters must have shape (N, Hp, Wp), got {tuple(f.shape)}")
    f = f.to(torch.complex128) if f.is_complex() else f.to(torch.float64)
    if kind == "fourier":
        image = f.abs()
    else:
        spatial = torch.fft.ifft2(f)
        image = spatial.real if kind == "real" else spatial.imag
    return torch.fft.fftshift(image, dim=(-2, -1)).numpy()


def _grid_shape(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(int(ncols), n))
    return math.ceil(n / ncols), ncols


def _panel_limits(images: np.ndarray, kind: str) -> np.ndarray:
    """(N, 2) colour limits per panel: [0, max] for a modulus, symmetric ±max|.| for a real part."""
    peak = np.abs(images).reshape(images.shape[0], -1).max(axis=1)
    peak = np.where(peak > 0, peak, 1.0)
    low = np.zeros_like(peak) if kind == "fourier" else -peak
    return np.stack([low, peak], axis=1)


def plot_filters(filters: torch.Tensor, kind: str = "fourier", ncols: int = 8,
                 title: Optional[str] = None) -> Figure:
    """Grid of the N filters of a bank, one panel each, in index order i = j·L + ℓ (row-major).

    filters: (N, Hp, Wp) real Fourier filters ψ̂ (e.g. ``ParametricScattering2D.wavelet_filters()``).
    kind: "fourier" | "real" | "imag" (see the module docstring). With ``ncols = L`` a row is a
    scale j. Each panel has its own colour scale (coarse filters are much weaker in space).
    """
    images = filter_images(filters, kind)
    n = images.shape[0]
    nrows, ncols = _grid_shape(n, ncols)
    fig = new_figure(1.3 * ncols + 0.4, 1.3 * nrows + 0.6)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    limits = _panel_limits(images, kind)
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(images[i], cmap=_KIND_CMAPS[kind], vmin=limits[i, 0], vmax=limits[i, 1],
                  interpolation="nearest")
        ax.set_title(str(i), fontsize=7, pad=2)
    fig.suptitle(title or f"Filters: {_KIND_TITLES[kind]}")
    return fig


def plot_littlewood_paley(lp: torch.Tensor, title: Optional[str] = None) -> Figure:
    """The Littlewood–Paley sum Σλ|ψ̂λ|² over the frequency plane.

    lp: (Hp, Wp) real tensor or array, DC at [0, 0]; shown fftshifted with axes in rad/pixel
    (−π … π) and its range in the title (a tight frame keeps it near-constant away from DC).
    """
    values = np.asarray(torch.as_tensor(lp).detach().cpu().to(torch.float64))
    if values.ndim != 2:
        raise ValueError(f"lp must have shape (Hp, Wp), got {values.shape}")
    fig = new_figure(5.0, 4.2)
    ax = fig.add_subplot()
    image = ax.imshow(np.fft.fftshift(values), cmap="viridis", origin="lower",
                      extent=(-math.pi, math.pi, -math.pi, math.pi), interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.85)
    ax.set_xlabel("ω₁ (rad/pixel)")
    ax.set_ylabel("ω₀ (rad/pixel)")
    heading = title or "Littlewood–Paley sum Σ|ψ̂λ|²"
    ax.set_title(f"{heading}\nmin {values.min():.3g}, max {values.max():.3g}", fontsize=10)
    return fig


# --- filter progression GIF -------------------------------------------------------------------

def _colourize(images: np.ndarray, limits: np.ndarray, cmap_name: str) -> np.ndarray:
    """(N, H, W) values + (N, 2) limits → (N, H, W, 3) uint8 RGB."""
    low, high = limits[:, 0, None, None], limits[:, 1, None, None]
    scaled = np.clip((images - low) / (high - low), 0.0, 1.0)
    rgba = colormaps[cmap_name](scaled)
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def _tile(panels: np.ndarray, ncols: int, scale: int, gap: int) -> np.ndarray:
    """(N, H, W, 3) panels → one (rows·(sH+gap)+gap, cols·(sW+gap)+gap, 3) white-gapped grid."""
    n, height, width, _ = panels.shape
    nrows, ncols = _grid_shape(n, ncols)
    panels = panels.repeat(scale, axis=1).repeat(scale, axis=2)
    ph, pw = height * scale, width * scale
    grid = np.full((nrows * (ph + gap) + gap, ncols * (pw + gap) + gap, 3), 255, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, ncols)
        top, left = gap + r * (ph + gap), gap + c * (pw + gap)
        grid[top:top + ph, left:left + pw] = panels[i]
    return grid


def _caption(image: np.ndarray, text: str) -> np.ndarray:
    """Prepend a white band with ``text`` written in black above an (H, W, 3) uint8 image."""
    from PIL import Image, ImageDraw, ImageFont

    band = 24
    canvas = Image.new("RGB", (image.shape[1], image.shape[0] + band), "white")
    canvas.paste(Image.fromarray(image), (0, band))
    try:
        font = ImageFont.load_default(size=16)
    except TypeError:  # Pillow < 10.1 has one fixed-size bitmap font
        font = ImageFont.load_default()
    ImageDraw.Draw(canvas).text((6, 3), text, fill="black", font=font)
    return np.asarray(canvas)


def write_filter_progression_gif(frames: Sequence[torch.Tensor], steps: Sequence[int], path,
                                 kind: str = "fourier", ncols: int = 8, *,
                                 duration_ms: int = 100) -> Path:
    """Animated GIF of a filter bank during training, one frame per recorded step.

    frames: T tensors (N, Hp, Wp) of real Fourier filters ψ̂ (the bank at each recorded step);
    steps: T optimisation step numbers, printed on their frame ("step 30"); kind: "fourier" |
    "real" | "imag"; ncols: panels per row (L puts one scale per row). Each filter keeps one colour
    scale over the whole animation, so changes of amplitude stay visible. Panels are enlarged by
    an integer factor to at least 64 pixels. Returns the written path (parents created).
    """
    _check_kind(kind)
    if len(frames) == 0:
        raise ValueError("write_filter_progression_gif needs at least one frame")
    if len(frames) != len(steps):
        raise ValueError(f"got {len(frames)} frames but {len(steps)} steps")
    images = np.stack([filter_images(f, kind) for f in frames])  # (T, N, Hp, Wp)
    peak = np.abs(images).max(axis=(0, 2, 3))
    peak = np.where(peak > 0, peak, 1.0)
    limits = np.stack([np.zeros_like(peak) if kind == "fourier" else -peak, peak], axis=1)
    scale = max(1, math.ceil(64 / max(images.shape[-2:])))
    rendered = []
    for step, frame in zip(steps, images):
        grid = _tile(_colourize(frame, limits, _KIND_CMAPS[kind]), ncols, scale, gap=2)
        rendered.append(_caption(grid, f"step {int(step)}   ({_KIND_ASCII[kind]})"))
    import imageio.v3 as iio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, np.stack(rendered), extension=".gif", duration=int(duration_ms), loop=0)
    return path
