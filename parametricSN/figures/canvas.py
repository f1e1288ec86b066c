"""The blank figure every plot of parametricSN starts from, and writing it as a PNG.

Every figure is a bare ``matplotlib.figure.Figure`` with an Agg canvas, built without pyplot, so
nothing here touches pyplot's global figure list, the rc parameters or the chosen backend; a
figure is freed once the caller drops it (``save_figure`` writes and closes it).
"""
from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["new_figure", "save_figure"]


def new_figure(width: float, height: float) -> Figure:
    """A Figure of ``width`` × ``height`` inches with its own Agg canvas (no pyplot)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


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
