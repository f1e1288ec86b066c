"""How each Morlet parameter shapes one filter: θ, ξ, σ, γ varied one at a time.

    python examples/filter_parameters.py [--out filter_parameters.png] [--size 64]

Writes one figure with a row per parameter. Each row starts from the same reference wavelet
(θ = π/4, ξ = 3π/8 rad/pixel, σ = 3 pixels, γ = 0.5; a mid-scale tight-frame-like filter) and
changes only that parameter across five values. Left block: the real part of the spatial filter
ψ (the oscillation and its envelope); right block: the Fourier modulus |ψ̂| (where the filter sits
in frequency). What to look for:

- θ rotates the wave and moves the Fourier bump around the origin;
- ξ sets the frequency of the oscillation: the Fourier bump moves away from the origin;
- σ widens the envelope in space, so the Fourier bump shrinks;
- γ squeezes the envelope across the wave (width σ/γ): large γ gives short, wide bumps in Fourier.

The filters are built with the engine's public API only: a one-wavelet learnable
``ParametricScattering2D`` (J = 1, L = 1) whose ``filter_parameters()`` receive the values, then
``wavelet_filters()`` (its real Fourier filter on the padded grid).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a file from anywhere: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REFERENCE = {"theta": math.pi / 4, "xi": 3 * math.pi / 8, "sigma": 3.0, "gamma": 0.5}
VARIATIONS = {
    "theta": [0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4, math.pi],
    "xi": [0.4, 0.8, 1.2, 1.8, 2.4],
    "sigma": [1.5, 2.25, 3.0, 4.5, 6.0],
    "gamma": [0.25, 0.5, 1.0, 1.5, 2.0],
}
SYMBOLS = {"theta": "θ", "xi": "ξ", "sigma": "σ", "gamma": "γ"}


def morlet_filters(values: list[dict[str, float]], size: int = 64) -> torch.Tensor:
    """Real Fourier filters (n, Hp, Wp) of the Morlet wavelets with the given θ, ξ, σ, γ values.

    values: n dicts with keys theta (rad), xi (rad/pixel), sigma (pixels), gamma; size: side of
    the (square) image the layer is built for; Hp = Wp is its padded size.
    """
    from parametricSN.scattering import ParametricScattering2D

    layer = ParametricScattering2D(1, shape=(size, size), L=1, max_order=1, learnable=True)
    params = layer.filter_parameters()
    filters = []
    with torch.no_grad():
        for value in values:
            for name, param in params.items():
                param.fill_(float(value[name]))
            filters.append(layer.wavelet_filters()[0])
    return torch.stack(filters)


def _format(name: str, value: float) -> str:
    if name == "theta":
        return f"θ = {value / math.pi:.2g}π"
    return f"{SYMBOLS[name]} = {value:.3g}"


def plot_parameter_effects(size: int = 64):
    """Figure: rows θ, ξ, σ, γ; columns the five values; real part (left) and |ψ̂| (right)."""
    from parametricSN.figures.canvas import new_figure
    from parametricSN.figures.filters import filter_images

    rows = list(VARIATIONS)
    ncols = len(next(iter(VARIATIONS.values())))
    fig = new_figure(2.0 * ncols * 2 * 0.62 + 1.0, 2.0 * len(rows) * 0.62 + 1.2)
    left, right = fig.subfigures(1, 2, wspace=0.02)
    left.suptitle("real part of ψ (space)")
    right.suptitle("|ψ̂| (Fourier, centred)")
    crop = slice(None)
    for block, kind in ((left, "real"), (right, "fourier")):
        axes = block.subplots(len(rows), ncols, squeeze=False)
        for r, name in enumerate(rows):
            values = [dict(REFERENCE, **{name: v}) for v in VARIATIONS[name]]
            images = filter_images(morlet_filters(values, size), kind)
            if kind == "real":  # the filters sit in the middle: show its central half
                h, w = images.shape[-2:]
                crop = (slice(h // 4, h - h // 4), slice(w // 4, w - w // 4))
                images = images[(slice(None),) + crop]
            for c, (ax, image) in enumerate(zip(axes[r], images)):
                peak = np.abs(image).max() or 1.0
                ax.imshow(image, cmap="RdBu_r" if kind == "real" else "viridis",
                          vmin=-peak if kind == "real" else 0.0, vmax=peak, interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(_format(name, VARIATIONS[name][c]), fontsize=8, pad=2)
    fig.suptitle("One Morlet filter, changing one parameter per row (others: θ = π/4, ξ = 3π/8, "
                 "σ = 3, γ = 0.5)", fontsize=10)
    return fig


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="filter_parameters.png", help="PNG to write (default: %(default)s)")
    parser.add_argument("--size", type=int, default=64, help="image side the filters are built for (default: 64)")
    args = parser.parse_args(argv)
    from parametricSN.figures.canvas import save_figure

    path = save_figure(plot_parameter_effects(args.size), args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
