"""Figures of a training run and of the analyses: pure functions that return a matplotlib Figure.

Every figure is a bare ``matplotlib.figure.Figure`` with an Agg canvas, built without pyplot, so
nothing here touches pyplot's global figure list, the rc parameters or the chosen backend; a
figure is freed once the caller drops it (``save_figure`` writes and closes it). The GIF writer
composes its frames directly in numpy (no figure per frame), so a progression of thousands of
recorded steps stays fast.

Filter conventions (docs/architecture.md §1): a bank is given as its real Fourier filters ψ̂, a tensor
(N, Hp, Wp) on the padded grid, DC at index [0, 0]. "fourier" shows |ψ̂| with DC moved to the
centre (fftshift); "real" / "imag" show the real / imaginary part of the spatial filter
ψ = IFFT2(ψ̂), also fftshifted so that the filter sits in the middle of its panel.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "FILTER_KINDS",
    "new_figure",
    "filter_images",
    "plot_learning_curves",
    "plot_filters",
    "plot_littlewood_paley",
    "plot_parameter_trajectories",
    "plot_parameter_distance",
    "write_filter_progression_gif",
    "save_figure",
]

FILTER_KINDS = ("fourier", "real", "imag")
_KIND_TITLES = {"fourier": "Fourier modulus |ψ̂|", "real": "real part of ψ", "imag": "imaginary part of ψ"}
_KIND_ASCII = {"fourier": "Fourier modulus", "real": "real part", "imag": "imaginary part"}
_KIND_CMAPS = {"fourier": "viridis", "real": "RdBu_r", "imag": "RdBu_r"}
# Display order and axis labels of the canonical Morlet parameters (docs/architecture.md §1).
_PARAMETER_LABELS = {
    "theta": "θ (orientation, rad)",
    "xi": "ξ (central frequency, rad/pixel)",
    "sigma": "σ (width along the wave, pixels)",
    "gamma": "γ (slant: aspect ratio)",
}
_NOT_PARAMETERS = ("steps", "epochs")
_LEARNING_CURVE_LABELS = {
    "train_loss": "train",
    "test_loss": "test",
    "train_acc": "train",
    "test_acc": "test",
}


def new_figure(width: float, height: float) -> Figure:
    """A Figure of ``width`` × ``height`` inches with its own Agg canvas (no pyplot)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


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


def plot_learning_curves(history: Mapping[str, Sequence[tuple[int, float]]]) -> Figure:
    """Loss and accuracy against epochs, train and test in the same panels.

    history: keys among train_loss, test_loss, train_acc, test_acc (other keys are ignored);
    values are sequences of (epoch, value) pairs, accuracy in percent. Test curves, usually sparse
    (every step_test epochs), are drawn with markers.
    """
    fig = new_figure(10.0, 4.0)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for key, label in _LEARNING_CURVE_LABELS.items():
        points = list(history.get(key, ()))
        if not points:
            continue
        epochs, values = zip(*points)
        ax = loss_ax if key.endswith("loss") else acc_ax
        style = "o-" if key.startswith("test") else "-"
        ax.plot(epochs, values, style, label=label, markersize=4)
    loss_ax.set(xlabel="epoch", ylabel="loss", title="Loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend()
    return fig


def _parameter_names(trajectory: Mapping[str, np.ndarray]) -> list[str]:
    """Per-wavelet parameter names to plot: θ, ξ, σ, γ first, then any other (T, P) array."""
    names = [name for name in trajectory
             if name not in _NOT_PARAMETERS and np.asarray(trajectory[name]).ndim == 2]
    known = [name for name in _PARAMETER_LABELS if name in names]
    return known + sorted(name for name in names if name not in _PARAMETER_LABELS)


def plot_parameter_trajectories(trajectory: Mapping[str, np.ndarray], epochs: np.ndarray) -> Figure:
    """One panel per filter parameter, one line per wavelet, against epochs.

    trajectory: name → array (T, P): the values of that parameter for each of the P wavelets (or
    scales, for the equivariant bank) at T recorded steps. Keys "steps" / "epochs" and arrays that
    are not 2-D (the pixelwise bank's (T, N, Hp, Wp) filters) are skipped. epochs: (T,), may be
    fractional (a step inside an epoch). Line colour = wavelet index (colour bar).
    """
    epochs = np.asarray(epochs, dtype=float)
    names = _parameter_names(trajectory)
    if not names:
        fig = new_figure(5.0, 2.0)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no per-wavelet filter parameters recorded", ha="center", va="center")
        return fig
    ncols = min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = new_figure(5.5 * ncols + 1.0, 3.4 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    cmap = colormaps["viridis"]
    largest = 1
    for ax, name in zip(axes, names):
        values = np.asarray(trajectory[name], dtype=float)
        if values.shape[0] != epochs.shape[0]:
            raise ValueError(f"trajectory[{name!r}] has {values.shape[0]} steps but epochs has "
                             f"{epochs.shape[0]}")
        count = values.shape[1]
        largest = max(largest, count)
        for p in range(count):
            ax.plot(epochs, values[:, p], color=cmap(p / max(count - 1, 1)), linewidth=1.0)
        ax.set(xlabel="epoch", ylabel=_PARAMETER_LABELS.get(name, name),
               title=_PARAMETER_LABELS.get(name, name).split(" ")[0])
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        ax.set_axis_off()
    scalar = colormaps["viridis"].resampled(largest)
    mappable = _scalar_mappable(scalar, 0, largest - 1)
    fig.colorbar(mappable, ax=list(axes[:len(names)]), label="wavelet index", shrink=0.9)
    return fig


def _scalar_mappable(cmap, vmin: float, vmax: float):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(vmin=vmin, vmax=max(vmax, vmin + 1)), cmap=cmap)


def plot_parameter_distance(epochs: Sequence[int], distances: Mapping[str, Sequence[float]]) -> Figure:
    """Distance of the filter bank from a reference, one line per named distance.

    epochs: (T,) epoch numbers; distances: name → (T,) values, e.g. {"param_distance": distance
    to the initial bank, "param_distance_tight_frame": distance to the tight-frame bank after
    optimal matching} (``parametricSN.scattering.distance.bank_distance``).
    """
    fig = new_figure(6.0, 4.0)
    ax = fig.add_subplot()
    epochs = np.asarray(epochs, dtype=float)
    for name, values in distances.items():
        values = np.asarray(values, dtype=float)
        if values.shape[0] != epochs.shape[0]:
            raise ValueError(f"distances[{name!r}] has {values.shape[0]} values but epochs has "
                             f"{epochs.shape[0]}")
        ax.plot(epochs, values, label=name)
    ax.set(xlabel="epoch", ylabel="distance", title="Distance of the filter bank")
    ax.grid(alpha=0.3)
    if distances:
        ax.legend()
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


def save_figure(fig: Figure, path) -> Path:
    """Write ``fig`` as a PNG (dpi 120, parents created), then close it. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, format="png")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # a figure made with pyplot is also released from pyplot's registry
        pyplot.close(fig)
    fig.clear()
    return path
