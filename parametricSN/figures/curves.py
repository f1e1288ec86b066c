"""Quantities of a training run against epochs, each a Figure (:mod:`parametricSN.figures.canvas`):
loss and accuracy, the filter parameters of every wavelet, the filter bank's distance from a
reference. The parameters are the canonical Morlet ones (docs/architecture.md §1).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from parametricSN.figures.canvas import new_figure

__all__ = ["plot_learning_curves", "plot_parameter_trajectories", "plot_parameter_distance"]

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
