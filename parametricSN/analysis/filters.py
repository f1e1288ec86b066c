"""Pictures of a saved model's filter bank: ``python -m parametricSN filters MODEL``.

Writes to ``--out`` (default ``outputs/filters/<run id prefix or folder name>``):

- ``filters_fourier.png``, ``filters_real.png``, ``filters_imag.png``: the trained bank
  (Fourier modulus |ψ̂|, real and imaginary parts of the spatial filter ψ), one panel per wavelet,
  one row per scale;
- ``littlewood_paley.png``: Σλ|ψ̂λ|² of the trained bank;

and, when the run recorded ``trajectory/trajectory.npz`` (MODEL a run id / runs:/ URI, or a run's
artifact folder that holds it beside ``model/``):

- ``filters_initial_{fourier,real,imag}.png``: the bank at the first recorded step;
- ``parameter_trajectories.png``: θ, ξ, σ, γ of every wavelet against epochs;
- ``progression_{fourier,real,imag}.gif``: one frame per recorded step, the step printed on it.

The bank at a recorded step is rebuilt with the engine's public API only: a learnable
``ParametricScattering2D`` with the model's J, L, shape, init and parameterization, whose
``filter_parameters()`` receive the recorded values, then ``wavelet_filters()``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import torch

from parametricSN.analysis.model_source import resolve_model
from parametricSN.errors import UserError


def bank_from_trajectory(scattering, trajectory: Mapping[str, np.ndarray],
                         indices: Optional[Sequence[int]] = None) -> list[torch.Tensor]:
    """The Fourier filters (J·L, Hp, Wp) at each recorded step of ``trajectory``.

    scattering: the model's ParametricScattering2D (its J, L, shape, init, parameterization);
    trajectory: name → (T, ...) recorded values of each of its filter parameters;
    indices: which of the T steps (default all). Raises ValueError when the trajectory does not
    hold every filter parameter of that bank with the right shape.
    """
    from parametricSN.scattering import ParametricScattering2D

    layer = ParametricScattering2D(scattering.J, shape=scattering.shape, L=scattering.L, max_order=1,
                                   learnable=True, init=scattering.init,
                                   parameterization=scattering.parameterization,
                                   bounded=getattr(scattering, "bounded", False))
    params = layer.filter_parameters()
    for name, param in params.items():
        if name not in trajectory:
            raise ValueError(f"the trajectory has no {name!r} (it holds {', '.join(sorted(trajectory))})")
        if tuple(trajectory[name].shape[1:]) != tuple(param.shape):
            raise ValueError(f"trajectory[{name!r}] has shape {trajectory[name].shape}, expected "
                             f"(T, {', '.join(map(str, param.shape))})")
    steps = len(next(iter(trajectory[name] for name in params)))
    banks = []
    with torch.no_grad():
        for t in range(steps) if indices is None else indices:
            layer.set_filter_values({name: np.asarray(trajectory[name][t]) for name in params})
            banks.append(layer.wavelet_filters())
    return banks


def frame_indices(count: int, max_frames: Optional[int]) -> list[int]:
    """All of range(count), or ``max_frames`` evenly spaced ones keeping the first and the last."""
    if not max_frames or count <= max_frames:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, max_frames).round().astype(int).tolist()))


def write_bank_figures(filters: torch.Tensor, out: Path, prefix: str, ncols: int, title: str) -> list[Path]:
    """{prefix}_{fourier,real,imag}.png for a bank (N, Hp, Wp)."""
    from parametricSN.figures.canvas import save_figure
    from parametricSN.figures.filters import FILTER_KINDS, plot_filters

    return [save_figure(plot_filters(filters, kind, ncols=ncols, title=f"{title}: {kind}"),
                        out / f"{prefix}_{kind}.png")
            for kind in FILTER_KINDS]


def write_trajectory_outputs(scattering, trajectory: Mapping[str, np.ndarray], out: Path, ncols: int,
                             max_frames: Optional[int] = None) -> list[Path]:
    """Initial-bank grids, parameter trajectories and the three progression GIFs of a run."""
    from parametricSN.figures.canvas import save_figure
    from parametricSN.figures.curves import plot_parameter_trajectories
    from parametricSN.figures.filters import FILTER_KINDS, write_filter_progression_gif

    names = [n for n in trajectory if n not in ("steps", "epochs")]
    count = len(trajectory[names[0]]) if names else 0
    steps = np.asarray(trajectory.get("steps", np.arange(count)))
    epochs = np.asarray(trajectory.get("epochs", steps), dtype=float)
    paths = [save_figure(plot_parameter_trajectories(trajectory, epochs), out / "parameter_trajectories.png")]
    indices = frame_indices(count, max_frames)
    banks = bank_from_trajectory(scattering, trajectory, indices)
    paths += write_bank_figures(banks[0], out, "filters_initial", ncols,
                                f"Filters at step {int(steps[indices[0]])}")
    frame_steps = [int(steps[i]) for i in indices]
    for kind in FILTER_KINDS:
        paths.append(write_filter_progression_gif(banks, frame_steps, out / f"progression_{kind}.gif",
                                                  kind, ncols=ncols))
    return paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parametricSN filters",
        description="Filter grids, Littlewood-Paley sum and progression GIFs of a saved model.")
    parser.add_argument("model", metavar="MODEL",
                        help="saved-model folder, MLflow run id, or runs:/<run id>/model URI")
    parser.add_argument("--out", default=None,
                        help="output folder (default: outputs/filters/<run id prefix or folder name>)")
    parser.add_argument("--tracking-uri", default=None,
                        help="MLflow store of the run (default: $MLFLOW_TRACKING_URI or sqlite:///mlruns/store.db)")
    parser.add_argument("--ncols", type=int, default=None, help="panels per row (default: L, one scale a row)")
    parser.add_argument("--max-frames", type=int, default=None,
                        help="at most this many GIF frames, evenly spaced (default: every recorded step)")
    parser.add_argument("--no-gif", action="store_true", help="skip the trajectory figures and GIFs")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames {args.max_frames} is not allowed: give a positive number of frames")
    loaded = resolve_model(args.model, args.tracking_uri, with_trajectory=not args.no_gif)
    scattering = getattr(loaded.model, "scattering", None)
    if scattering is None:
        raise UserError(f"model {args.model!r} has no scattering layer (scattering.architecture: identity), "
                        f"so it has no filters to draw")
    from parametricSN.figures.canvas import save_figure
    from parametricSN.figures.filters import plot_littlewood_paley

    out = Path(args.out) if args.out else Path("outputs") / "filters" / loaded.short_id
    ncols = args.ncols or scattering.L
    paths = write_bank_figures(scattering.wavelet_filters(), out, "filters", ncols,
                               f"Filters of {loaded.label}")
    paths.append(save_figure(plot_littlewood_paley(scattering.littlewood_paley()), out / "littlewood_paley.png"))
    if loaded.trajectory is not None:
        try:
            paths += write_trajectory_outputs(scattering, loaded.trajectory, out, ncols, args.max_frames)
        except ValueError as error:
            print(f"note: no progression GIFs: {error}", file=sys.stderr)
    elif not args.no_gif:
        print("note: no trajectory/trajectory.npz recorded for this model, so no progression GIFs",
              file=sys.stderr)
    print(f"wrote {len(paths)} files to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
