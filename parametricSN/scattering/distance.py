"""Distance between two Morlet banks described by their per-wavelet parameters."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from parametricSN.errors import UserError
from parametricSN.scattering.morlet import PARAMETER_NAMES


def _as_matrix(params: Mapping, label: str) -> np.ndarray:
    """{theta, xi, sigma, gamma: (n,)} → (n, 4) float64 array."""
    missing = [name for name in PARAMETER_NAMES if name not in params]
    if missing:
        raise UserError(f"{label} lacks {', '.join(missing)}: bank_distance needs theta, xi, sigma, gamma")
    columns = []
    for name in PARAMETER_NAMES:
        value = params[name]
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        columns.append(np.asarray(value, dtype=np.float64).reshape(-1))
    if len({c.size for c in columns}) != 1:
        raise UserError(f"{label} has parameters of different lengths: each must be (J*L,)")
    return np.stack(columns, axis=1)


def _pairwise_sq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, 4), (m, 4) → (n, m) squared distances, θ compared as an angle of period 2π."""
    diff = a[:, None, :] - b[None, :, :]
    diff[..., 0] = np.remainder(diff[..., 0] + math.pi, 2 * math.pi) - math.pi
    return (diff ** 2).sum(axis=-1)


def bank_distance(params: Mapping, reference: Mapping, match: bool = True) -> float:
    """Euclidean distance between two banks: sqrt(Σ_i |p_i − r_π(i)|²).

    Each wavelet is the vector (θ, ξ, σ, γ); Δθ is wrapped into [−π, π). With ``match`` the
    pairing π is the optimal assignment (scipy's linear_sum_assignment on squared distances),
    so reordering the wavelets of either bank does not change the distance; without it π is
    the identity (index by index).

    Args:
        params, reference: mappings with "theta", "xi", "sigma", "gamma", each (n,) tensor or array.
        match: pair the wavelets optimally before comparing.

    Returns:
        The distance, a Python float (0.0 for identical banks).
    """
    a, b = _as_matrix(params, "params"), _as_matrix(reference, "reference")
    if a.shape != b.shape:
        raise UserError(f"params has {a.shape[0]} wavelets and reference {b.shape[0]}: they must match")
    cost = _pairwise_sq(a, b)
    if match:
        from scipy.optimize import linear_sum_assignment
        rows, cols = linear_sum_assignment(cost)
        total = cost[rows, cols].sum()
    else:
        total = np.trace(cost)
    return float(math.sqrt(max(total, 0.0)))
