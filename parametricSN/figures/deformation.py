"""Figures of the deformation-stability study (``python -m parametricSN deform``,
:mod:`parametricSN.analysis.stability`): distance curves per deformation and image pairs, each a
Figure (:mod:`parametricSN.figures.canvas`)."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from parametricSN.figures.canvas import new_figure

__all__ = ["model_colours", "plot_deformation", "plot_image_pair"]


def _as_display_image(image) -> tuple[np.ndarray, Optional[str]]:
    """(C, H, W) float in [0, 1] (C = 1 or 3) → (H, W[, 3]) array and the colour map to use."""
    values = np.asarray(torch.as_tensor(image).detach().cpu().to(torch.float64)).clip(0.0, 1.0)
    if values.ndim != 3:
        raise ValueError(f"an image must have shape (C, H, W), got {values.shape}")
    if values.shape[0] == 1:
        return values[0], "gray"
    return values[:3].transpose(1, 2, 0), None


def _show_image(ax, image, title: str) -> None:
    values, cmap = _as_display_image(image)
    ax.imshow(values, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def model_colours(labels: Sequence[str]) -> dict[str, tuple]:
    """A distinct colour per label, stable for a given order (tab10, then tab20)."""
    palette = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {label: palette(i % palette.N) for i, label in enumerate(labels)}


def plot_deformation(name: str, strengths: Sequence[float], distances: Mapping[str, Sequence[float]],
                     baselines: Mapping[str, float], *, xlabel: str = "deformation strength",
                     before=None, after=None, after_title: Optional[str] = None) -> Figure:
    """Stability of several models under one deformation (the paper's deformation-stability figure).

    strengths: (S,) deformation strengths (x axis). distances: model label → (S,) values of
    ‖S(τx) − S(x)‖ / ‖S(x)‖ (dimensionless); baselines: model label → mean ratio between x and
    random other images, drawn as a dashed horizontal line in the model's colour. before / after:
    optional (C, H, W) images in [0, 1] (x and x at the strongest deformation), shown left of the
    curves.
    """
    with_images = before is not None and after is not None
    fig = new_figure(10.0 if with_images else 7.0, 5.0)
    if with_images:
        grid = fig.add_gridspec(2, 2, width_ratios=(1, 2.6))
        _show_image(fig.add_subplot(grid[0, 0]), before, "x")
        _show_image(fig.add_subplot(grid[1, 0]), after, after_title or "x deformed (strongest)")
        ax = fig.add_subplot(grid[:, 1])
    else:
        ax = fig.add_subplot()
    strengths = np.asarray(strengths, dtype=float)
    colours = model_colours(list(distances))
    for label, values in distances.items():
        values = np.asarray(values, dtype=float)
        if values.shape != strengths.shape:
            raise ValueError(f"distances[{label!r}] has shape {values.shape}, strengths "
                             f"{strengths.shape}")
        ax.plot(strengths, values, "o-", color=colours[label], markersize=3.5, label=label)
        if label in baselines:
            ax.axhline(float(baselines[label]), color=colours[label], linestyle="--", linewidth=1.2)
    handles, labels = ax.get_legend_handles_labels()
    if baselines:
        handles.append(Line2D([], [], color="grey", linestyle="--"))
        labels.append("random-image baseline")
    ax.legend(handles, labels, fontsize=8)
    ax.set(xlabel=xlabel, ylabel="‖S(τx) − S(x)‖ / ‖S(x)‖", title=f"Deformation: {name}")
    ax.set_ylim(bottom=0.0)
    ax.grid(alpha=0.3)
    return fig


def plot_image_pair(before, after, titles: Sequence[str] = ("x", "x deformed")) -> Figure:
    """Two images side by side: before (C, H, W) and after (C, H, W), floats in [0, 1]."""
    fig = new_figure(6.0, 3.3)
    for ax, image, title in zip(fig.subplots(1, 2), (before, after), titles):
        _show_image(ax, image, title)
    return fig
