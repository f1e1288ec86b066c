"""``ParametricScattering2D``: the torch layer that holds a Morlet bank and scatters images."""

from __future__ import annotations

import contextlib
import numbers

import torch
from torch import nn

from parametricSN.errors import UserError
from parametricSN.scattering import filter_bank as fb
from parametricSN.scattering.morlet import (PARAMETER_NAMES, lowpass_fourier, lowpass_matrix, morlet_fourier,
                                            random_parameters, tight_frame_parameters)
from parametricSN.scattering.transform import (num_coefficients, output_shape, padded_shape,
                                               reflect_indices, scattering2d, chunk_size)

INITS = ("tight-frame", "random")
PARAMETERIZATIONS = ("canonical", "equivariant", "pixelwise")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_arguments(J, shape, L, max_order, init, parameterization) -> tuple[int, int]:
    """Validate the constructor's arguments (UserError naming the first bad one); → (H, W)."""
    if not _is_int(J) or J < 1:
        raise UserError(f"J={J!r} is not allowed: J must be an integer >= 1")
    try:
        H, W = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise UserError(f"shape={shape!r} is not allowed: shape must be (H, W), two integers") from None
    if H < 1 or W < 1:
        raise UserError(f"shape=({H}, {W}) is not allowed: H and W must be positive integers")
    if 2 ** J > H or 2 ** J > W:
        raise UserError(f"J={J} is too large for shape ({H}, {W}): 2^J must be <= min(H, W), "
                        f"so J <= {min(H, W).bit_length() - 1}")
    if not _is_int(L) or L < 1:
        raise UserError(f"L={L!r} is not allowed: L (number of orientations) must be an integer >= 1")
    if not _is_int(max_order) or max_order not in (1, 2):
        raise UserError(f"max_order={max_order!r} is not allowed: max_order must be 1 or 2")
    if init not in INITS:
        raise UserError(f"init={init!r} is not allowed: init must be one of {', '.join(INITS)}")
    if parameterization not in PARAMETERIZATIONS:
        raise UserError(f"parameterization={parameterization!r} is not allowed: parameterization must "
                        f"be one of {', '.join(PARAMETERIZATIONS)}")
    return H, W


def _rebuild_fixed_filters(module: "ParametricScattering2D", incompatible_keys) -> None:
    """After load_state_dict: the fixed filters are derived from the (possibly new) bank."""
    module._store_fixed_filters()


class ParametricScattering2D(nn.Module):
    """2D scattering transform (orders 0–2) over a Morlet bank that can be learned.

    Args:
        J: number of scales (≥ 1); outputs are subsampled by 2^J.
        shape: (H, W) spatial size of the inputs (2^J ≤ H, W).
        L: number of orientations per scale (≥ 1).
        max_order: 1 or 2.
        learnable: the bank's parameters are ``nn.Parameter``s (else fixed buffers, filters
            built once).
        init: "tight-frame" (kymatio's bank) or "random" (the paper's; test_random_init.py).
        parameterization: "canonical" (θ, ξ, σ, γ per wavelet), "equivariant" (per scale) or
            "pixelwise" (the Fourier filters themselves).
        seed: seed of the random initialisation (``None`` means 0); unused for tight-frame.
        bounded: keep a learnable Morlet bank's ξ, σ, γ inside the intervals of
            ``filter_bank.bounded_intervals`` (ξ ∈ (0, π): no wavelet moves where it aliases) by a
            sigmoid reparameterisation; the initial bank is the same. Canonical and equivariant only.

    ``forward``: x (B, C, H, W) float32/float64 → (B, C, K, H', W'), kymatio's coefficient
    order [S0, S1 by (j1, θ1), S2 by (j1, θ1, j2, θ2)], H' = H/2^J when 2^J divides H.
    """

    def __init__(self, J: int, shape, L: int = 8, max_order: int = 2, learnable: bool = True,
                 init: str = "tight-frame", parameterization: str = "canonical", seed: int | None = None,
                 bounded: bool = False):
        super().__init__()
        H, W = _check_arguments(J, shape, L, max_order, init, parameterization)
        if bounded and parameterization == "pixelwise":
            raise UserError("bounded=True needs a Morlet bank (parameterization canonical or equivariant): "
                            "pixelwise filters have no ξ, σ, γ to bound")
        self.J, self.L, self.max_order = int(J), int(L), int(max_order)
        J, L = self.J, self.L
        self.shape = (H, W)
        self.padded_shape = padded_shape(self.shape, J)
        self.output_shape = output_shape(self.shape, J)
        self.K = num_coefficients(J, L, max_order)
        self.learnable, self.init, self.parameterization = bool(learnable), init, parameterization
        self.bounded = bool(bounded)
        self._built_once: fb.FilterLevels | None = None   # set inside filters_built_once()
        self.seed = 0 if seed is None else int(seed)

        params = self._initial_parameters()
        intervals = fb.bounded_intervals(J, L) if self.bounded else None
        if parameterization == "canonical":
            self.bank = fb.MorletBank(self.padded_shape, params, L, self.learnable, intervals)
        elif parameterization == "equivariant":
            per_scale = fb.EquivariantMorletBank.per_scale(params, J, L)
            self.bank = fb.EquivariantMorletBank(self.padded_shape, per_scale, L, self.learnable, intervals)
        else:
            self.bank = fb.PixelwiseBank(self.padded_shape, params, L, self.learnable)

        self.register_buffer("phi", lowpass_fourier(self.padded_shape, J).float(), persistent=False)
        for r in range(J):
            for axis, size in zip("rc", self.padded_shape):
                self.register_buffer(f"lowpass_{axis}{r}", lowpass_matrix(size, J, r).float(),
                                     persistent=False)
        self.register_buffer("pad_rows", reflect_indices(H, self.padded_shape[0]), persistent=False)
        self.register_buffer("pad_cols", reflect_indices(W, self.padded_shape[1]), persistent=False)
        if not self.learnable:
            self._store_fixed_filters()
            self.register_load_state_dict_post_hook(_rebuild_fixed_filters)

    def _initial_parameters(self) -> dict[str, torch.Tensor]:
        if self.init == "tight-frame":
            return tight_frame_parameters(self.J, self.L)
        if self.parameterization == "equivariant":
            # one draw per scale, expanded like the bank does, so the per-scale values are random
            drawn = random_parameters(self.J, self.seed)
            return {name: value.repeat_interleave(self.L) for name, value in drawn.items()}
        return random_parameters(self.J * self.L, self.seed)

    # ---------------------------------------------------------------- filters
    def _store_fixed_filters(self) -> None:
        """Build the fixed bank once (in float64) and keep its levels as non-persistent buffers."""
        with torch.no_grad():
            psi = self._build_wavelets(torch.float64)
            ref = self.phi
            for r, level in enumerate(fb.wavelet_levels(psi, self.J, self.L)):
                self.register_buffer(f"psi_{r}", level.to(ref).contiguous(), persistent=False)

    def _build_wavelets(self, dtype: torch.dtype | None = None) -> torch.Tensor:
        """(J·L, Hp, Wp) Fourier filters of the bank, computed in ``dtype`` when it is a Morlet bank."""
        if dtype is not None and self.parameterization != "pixelwise":
            p = {n: v.to(dtype) for n, v in self.bank.wavelet_parameters().items()}
            return morlet_fourier(self.padded_shape, *(p[n] for n in PARAMETER_NAMES), group=self.L)
        return self.bank.fourier_filters()

    def filter_levels(self) -> fb.FilterLevels:
        """The filters the transform uses (rebuilt from the parameters when learnable)."""
        low = [(getattr(self, f"lowpass_r{r}"), getattr(self, f"lowpass_c{r}")) for r in range(self.J)]
        if self.learnable:
            psi = fb.wavelet_levels(self.bank.fourier_filters(), self.J, self.L)
        else:
            psi = [getattr(self, f"psi_{r}") for r in range(max(self.J - 1, 1))]
        return fb.FilterLevels(psi=psi, lowpass=low)

    def filter_parameters(self) -> dict[str, nn.Parameter]:
        """The learnable parameters by name ({} when fixed): what the optimizer updates. With
        ``bounded`` the ξ, σ, γ entries are the unbounded latents; :meth:`filter_values` gives
        the values themselves."""
        if not self.learnable:
            return {}
        if self.parameterization == "pixelwise":
            return {"fourier_filters": self.bank.fourier_filters_param}
        return self.bank.trainable()

    def filter_values(self) -> dict[str, torch.Tensor]:
        """The learnable parameters' current values in their units, detached ({} when fixed):
        same names and shapes as :meth:`filter_parameters` (θ rad, ξ rad/pixel, σ pixels, γ)."""
        if not self.learnable:
            return {}
        if self.parameterization == "pixelwise":
            return {"fourier_filters": self.bank.fourier_filters_param.detach()}
        return {name: value.detach() for name, value in self.bank.values().items()}

    def set_filter_values(self, values) -> None:
        """Set the learnable parameters from values in their units (as :meth:`filter_values` gives)."""
        unknown = set(values) - set(self.filter_parameters())
        if unknown:
            raise ValueError(f"not filter parameters of this bank: {', '.join(sorted(unknown))}")
        if self.parameterization == "pixelwise":
            with torch.no_grad():
                self.bank.fourier_filters_param.copy_(torch.as_tensor(values["fourier_filters"]))
            return
        self.bank.assign(values)

    def _parameter(self, name: str) -> torch.Tensor:
        return self.bank.wavelet_parameters()[name].detach().clone()

    @property
    def theta(self) -> torch.Tensor:
        """(J·L,) orientations (radians), i = j·L + ℓ; a detached copy."""
        return self._parameter("theta")

    @property
    def xi(self) -> torch.Tensor:
        """(J·L,) central frequencies (radians/pixel); a detached copy."""
        return self._parameter("xi")

    @property
    def sigma(self) -> torch.Tensor:
        """(J·L,) envelope widths along the wave (pixels); a detached copy."""
        return self._parameter("sigma")

    @property
    def gamma(self) -> torch.Tensor:
        """(J·L,) aspect ratios (width across the wave = σ/γ); a detached copy."""
        return self._parameter("gamma")

    def wavelet_filters(self) -> torch.Tensor:
        """(J·L, Hp, Wp) current real Fourier filters ψ̂ at full resolution (detached)."""
        with torch.no_grad():
            return self.filter_levels().psi[0].detach().clone()

    def lowpass_filter(self) -> torch.Tensor:
        """(Hp, Wp) real Fourier low-pass filter φ̂ (detached)."""
        return self.phi.detach().clone()

    def littlewood_paley(self) -> torch.Tensor:
        """(Hp, Wp) Littlewood–Paley sum Σλ |ψ̂λ|² of the current bank (detached)."""
        return (self.wavelet_filters() ** 2).sum(dim=0)

    # ---------------------------------------------------------------- forward
    @contextlib.contextmanager
    def filters_built_once(self):
        """Within the block, every forward reuses the filters built on entering it, without
        gradient: for evaluation passes over many batches while the parameters stay put (a
        learnable bank is otherwise rebuilt at every call)."""
        with torch.no_grad():
            self._built_once = self.filter_levels()
        try:
            yield self
        finally:
            self._built_once = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) → (B, C, K, H', W')."""
        self._check_input(x)
        B, C = x.shape[:2]
        levels = self._built_once if self._built_once is not None else self.filter_levels()
        chunk = chunk_size(self.J, self.L, self.padded_shape, x.device)
        s = scattering2d(x.reshape(B * C, *self.shape), levels, self.J, self.L, self.max_order,
                         self.pad_rows, self.pad_cols, chunk)
        return s.reshape(B, C, self.K, *self.output_shape)

    def _check_input(self, x) -> None:
        if not isinstance(x, torch.Tensor):
            raise UserError(f"input must be a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}")
        if x.dim() != 4:
            raise UserError(f"input has {x.dim()} dimensions {tuple(x.shape)}: expected 4, (B, C, H, W)")
        if tuple(x.shape[-2:]) != self.shape:
            size = tuple(x.shape[-2:])
            raise UserError(f"input spatial size {size} differs from the layer's shape {self.shape}: "
                            f"resize the input or build the layer with shape={size}")
        if x.dtype not in (torch.float32, torch.float64):
            raise UserError(f"input dtype {x.dtype} is not allowed: use torch.float32 or torch.float64")
        if x.dtype != self.phi.dtype:
            raise UserError(f"input dtype {x.dtype} differs from the layer's {self.phi.dtype}: "
                            f"call .to({x.dtype}) on the layer (or convert the input)")

    def extra_repr(self) -> str:
        return (f"J={self.J}, shape={self.shape}, L={self.L}, max_order={self.max_order}, K={self.K}, "
                f"learnable={self.learnable}, init={self.init!r}, parameterization={self.parameterization!r}"
                + (", bounded=True" if self.bounded else ""))
