"""Filter banks: the three parameterisations and the filters at every resolution.

A bank turns its parameters into real Fourier filters on the padded grid, (J·L, Hp, Wp),
index i = j·L + ℓ. ``wavelet_levels`` then derives what the transform needs at coarser
resolutions (kymatio's ``periodize_filter_fft``, written as the crop it amounts to).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

from parametricSN.scattering.morlet import PARAMETER_NAMES, morlet_fourier


def crop_to_resolution(filters: torch.Tensor, res: int) -> torch.Tensor:
    """Fourier filters (..., M, N) at resolution ``res``: (..., M/2^res, N/2^res).

    kymatio zeroes the band of frequencies with |f| ≥ M/2^(res+1) and sums the 4^res
    aliases. Once that band is zero each alias sum has a single non-zero term, so the result
    is the crop that keeps the lowest M/2^(res+1) positive and negative frequencies per axis
    (M/2^res and N/2^res must be even, as they are on the padded grid for res < J).
    """
    if res == 0:
        return filters
    M, N = filters.shape[-2:]
    hm, hn = M >> (res + 1), N >> (res + 1)
    rows = torch.cat([filters[..., :hm, :], filters[..., M - hm:, :]], dim=-2)
    return torch.cat([rows[..., :hn], rows[..., N - hn:]], dim=-1)


@dataclass
class FilterLevels:
    """Fourier filters at the resolutions the transform uses (all real).

    psi[r], r = 0..max(J−2, 0): the wavelets with j ≥ r at resolution r,
        ((J−r)·L, Hp/2^r, Wp/2^r); psi[0] is the whole bank at full resolution.
    lowpass[r], r = 0..J−1: (A, B), the low-pass step at resolution r as two matrices
        (H', Hp/2^r) and (W', Wp/2^r) (``morlet.lowpass_matrix``): S = A U Bᵀ.
    """

    psi: list[torch.Tensor]
    lowpass: list[tuple[torch.Tensor, torch.Tensor]]


def wavelet_levels(psi: torch.Tensor, J: int, L: int) -> list[torch.Tensor]:
    """psi (J·L, Hp, Wp) → [psi at resolution r restricted to j ≥ r, r = 0..max(J−2, 0)]."""
    return [crop_to_resolution(psi[r * L:], r) for r in range(max(J - 1, 1))]


def _as_tensors(params, dtype=torch.float32) -> dict[str, torch.Tensor]:
    return {name: torch.as_tensor(params[name]).to(dtype).clone() for name in PARAMETER_NAMES}


class Interval(nn.Module):
    """The map u ↦ low + (high − low)·sigmoid(u) from ℝ onto the open interval (low, high).

    Registered with ``torch.nn.utils.parametrize`` on a bank's ξ, σ or γ, it keeps a learned value
    inside its interval whatever step the optimizer takes: the optimizer updates the unbounded u.
    ``right_inverse`` (logit) sets u from a value, which is how the initial bank is stored; a value
    outside the interval is first moved ``margin`` (relative to the width) inside it.
    """

    def __init__(self, low: float, high: float, margin: float = 1e-3):
        super().__init__()
        self.low, self.high, self.margin = float(low), float(high), float(margin)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.low + (self.high - self.low) * torch.sigmoid(u)

    def right_inverse(self, value: torch.Tensor) -> torch.Tensor:
        share = ((value - self.low) / (self.high - self.low)).clamp(self.margin, 1 - self.margin)
        return torch.logit(share)

    def extra_repr(self) -> str:
        return f"low={self.low:g}, high={self.high:g}"


def bounded_intervals(J: int, L: int) -> dict[str, tuple[float, float]]:
    """The intervals of the bounded parameterisation: name → (low, high).

    ξ ∈ (0, π) rad/pixel: above π a wavelet's peak lies beyond the Nyquist frequency and aliases.
    σ ∈ (0.4, 2^(J+2)) pixels: from half kymatio's narrowest envelope (0.8) to 10× its widest
    (0.8·2^(J−1)); it holds the random initialisation (σ < 5).
    γ ∈ (0.1, max(2, 8/L)): up to twice the tight frame's 4/L, and above the random
    initialisation's 1.5.
    θ is an angle and stays free.
    """
    return {"xi": (0.0, math.pi), "sigma": (0.4, float(2 ** (J + 2))), "gamma": (0.1, max(2.0, 8.0 / L))}


class MorletBank(nn.Module):
    """Canonical parameterisation: θ, ξ, σ, γ for each of the J·L wavelets, each (J·L,).

    ``learnable`` makes them ``nn.Parameter``s, otherwise buffers. ``L`` wavelets (one scale)
    are built together, on the support their widest envelope needs. ``intervals`` (name → (low,
    high), learnable banks only) reparameterises those parameters through :class:`Interval`, so that
    ``bank.xi`` stays inside its interval; the stored parameter is then the unbounded latent.
    """

    def __init__(self, shape: tuple[int, int], params, L: int, learnable: bool,
                 intervals: dict[str, tuple[float, float]] | None = None):
        super().__init__()
        self.shape = tuple(shape)
        self.L = L
        for name, value in _as_tensors(params).items():
            if learnable:
                self.register_parameter(name, nn.Parameter(value))
            else:
                self.register_buffer(name, value)
        if learnable:
            for name, (low, high) in (intervals or {}).items():
                parametrize.register_parametrization(self, name, Interval(low, high))

    def trainable(self) -> dict[str, nn.Parameter]:
        """name → the tensor the optimizer updates: the parameter itself, or its latent when bounded."""
        return {name: (self.parametrizations[name].original if parametrize.is_parametrized(self, name)
                       else getattr(self, name)) for name in PARAMETER_NAMES}

    def values(self) -> dict[str, torch.Tensor]:
        """name → the parameter's value in its units (θ, ξ rad/pixel, σ pixels, γ), stored shape."""
        return {name: getattr(self, name) for name in PARAMETER_NAMES}

    def assign(self, values) -> None:
        """Set the parameters to ``values`` (name → value in its units, stored shape), no gradient."""
        with torch.no_grad():
            for name, value in values.items():
                target = getattr(self, name)
                value = torch.as_tensor(value, dtype=target.dtype, device=target.device)
                if parametrize.is_parametrized(self, name):
                    setattr(self, name, value)     # through Interval.right_inverse
                else:
                    target.copy_(value)

    def wavelet_parameters(self) -> dict[str, torch.Tensor]:
        """The (J·L,) θ, ξ, σ, γ tensors the filters are built from (differentiable)."""
        return {name: getattr(self, name) for name in PARAMETER_NAMES}

    def fourier_filters(self) -> torch.Tensor:
        """(J·L, Hp, Wp) real Fourier filters, rebuilt from the current parameters."""
        p = self.wavelet_parameters()
        return morlet_fourier(self.shape, *(p[n] for n in PARAMETER_NAMES), group=self.L)


class EquivariantMorletBank(MorletBank):
    """Rotation-equivariant parameterisation: θ_j, ξ_j, σ_j, γ_j per scale, each (J,).

    Wavelet (j, ℓ) has orientation θ_j − ℓπ/L and the scale's ξ, σ, γ. The tight-frame bank
    is θ_j = k·π/L with k = ⌊L − L/2 − 1⌋, which reproduces kymatio's orientations exactly.
    """

    def wavelet_parameters(self) -> dict[str, torch.Tensor]:
        """The per-wavelet (J·L,) values, expanded from the (J,) per-scale parameters."""
        per_scale = {name: getattr(self, name) for name in PARAMETER_NAMES}
        step = torch.arange(self.L, dtype=self.theta.dtype, device=self.theta.device) * (math.pi / self.L)
        expanded = {name: value.repeat_interleave(self.L) for name, value in per_scale.items()}
        expanded["theta"] = (per_scale["theta"][:, None] - step[None, :]).reshape(-1)
        return expanded

    @staticmethod
    def per_scale(params, J: int, L: int) -> dict[str, torch.Tensor]:
        """(J·L,) parameters → (J,) per-scale ones: those of each scale's ℓ = 0 wavelet."""
        return {name: torch.as_tensor(params[name]).reshape(J, L)[:, 0].clone() for name in PARAMETER_NAMES}


class PixelwiseBank(nn.Module):
    """Pixelwise parameterisation: the (J·L, Hp, Wp) real Fourier filters are the parameters.

    ``initial`` keeps the θ, ξ, σ, γ (J·L,) the filters were initialised from, as buffers.
    """

    def __init__(self, shape: tuple[int, int], params, L: int, learnable: bool):
        super().__init__()
        self.shape = tuple(shape)
        initial = _as_tensors(params, torch.float64)
        filters = morlet_fourier(self.shape, *(initial[n] for n in PARAMETER_NAMES), group=L).float()
        if learnable:
            self.fourier_filters_param = nn.Parameter(filters)
        else:
            self.register_buffer("fourier_filters_param", filters)
        for name, value in initial.items():
            self.register_buffer(f"initial_{name}", value.float())

    def wavelet_parameters(self) -> dict[str, torch.Tensor]:
        """The (J·L,) θ, ξ, σ, γ the filters were initialised from (not updated by training)."""
        return {name: getattr(self, f"initial_{name}") for name in PARAMETER_NAMES}

    def fourier_filters(self) -> torch.Tensor:
        """(J·L, Hp, Wp) the current filters themselves."""
        return self.fourier_filters_param
