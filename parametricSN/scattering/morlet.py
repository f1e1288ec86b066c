"""Morlet wavelets and the low-pass Gaussian, built in space and returned in Fourier.

A wavelet is described by four numbers (the paper's parameterization):

- ``theta`` θ: orientation of the wave (radians),
- ``xi`` ξ: central frequency (radians per pixel),
- ``sigma`` σ: width of the Gaussian envelope along the wave (pixels),
- ``gamma`` γ: aspect ratio; the width across the wave is σ/γ.

Everything here is a differentiable function of these tensors, vectorised over a bank (one set
of tensor operations per group of filters, e.g. per scale). The grid convention is kymatio's:
the first grid axis (rows) is ``u0``, the filter is evaluated on the padded grid and periodised
by summing the 5×5 neighbouring tiles (offsets −2..2); on CPU, points whose envelope is below
e^-50 of its peak are skipped, which leaves the float64 result unchanged (on other devices all
tiles are summed: sizing the support would need a host synchronisation per filter build).
"""

from __future__ import annotations

import math

import torch

# kymatio normalises Gabor filters by 2·3.1415·σ²/γ (a truncated π); the bank must match it.
_KYMATIO_PI = 3.1415

PARAMETER_NAMES = ("theta", "xi", "sigma", "gamma")


# A point further than this (squared, halved) number of envelope widths from the origin adds
# less than e^-50 of the envelope's peak: it is left out of the tile sum.
_NEGLIGIBLE_EXPONENT = 50.0


def _axis_support(size: int, width: float, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The coordinates along one axis that can carry envelope, and where they land.

    kymatio sums the 5 tiles u ∈ [−2·size, 3·size); we keep those u with u²/(2·width²) ≤ 50
    (width = the widest envelope's standard deviation), which changes nothing above e^-50
    and shrinks the grid a lot for small wavelets. Returns (u, u mod size), both (R,) int64.
    """
    reach = math.sqrt(2 * _NEGLIGIBLE_EXPONENT) * width if math.isfinite(width) else math.inf
    low = -2 * size if reach >= 2 * size else -math.floor(reach)
    high = 3 * size - 1 if reach >= 3 * size - 1 else math.floor(reach)
    coords = torch.arange(low, high + 1, device=device)
    return coords, coords % size


def gabor_2d(shape: tuple[int, int], theta: torch.Tensor, xi: torch.Tensor, sigma: torch.Tensor,
             gamma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Periodised Gabor filters and their envelopes in space, unnormalised.

    Args:
        shape: (M, N) grid size in pixels (rows, columns).
        theta, xi, sigma, gamma: (n,) real tensors, one entry per filter.

    Returns:
        (gabor, envelope): complex (n, M, N) ``exp(-u·Au) exp(iξ u·e)`` and real (n, M, N)
        ``exp(-u·Au)``, each summed over the 5×5 neighbouring tiles (on CPU, points that cannot
        reach e^-50 of the peak skipped), with e = (cos θ, sin θ) along the wave, e⊥ = (−sin θ, cos θ)
        across it and u·Au = ((u·e)² + γ²(u·e⊥)²) / (2σ²).
    """
    M, N = shape
    if theta.device.type == "cpu":
        with torch.no_grad():   # the widest envelope (std. dev. max(σ, σ/γ)) decides the support
            width = (sigma.abs() * torch.clamp(1 / gamma.abs(), min=1)).max().item()
    else:
        width = math.inf        # all 5×5 tiles: reading the width back would stall the device
    rows, row_pos = _axis_support(M, width, theta.device)
    cols, col_pos = _axis_support(N, width, theta.device)
    u0 = rows.to(theta.dtype)[:, None]                      # (R, 1)
    u1 = cols.to(theta.dtype)[None, :]                      # (1, C)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # u·Au = a·u0² + b·u0·u1 + c·u1², expanded from e = (cos, sin) and e⊥ = (−sin, cos)
    g2, w = gamma ** 2, 2 * sigma ** 2
    a = ((cos ** 2 + g2 * sin ** 2) / w)[:, None, None]
    b = (2 * cos * sin * (1 - g2) / w)[:, None, None]
    c = ((sin ** 2 + g2 * cos ** 2) / w)[:, None, None]
    envelope = torch.exp(-(a * u0 ** 2 + c * u1 ** 2 + b * (u0 * u1)))     # (n, R, C)
    # exp(iξ u·e) = exp(iξ cos θ u0) · exp(iξ sin θ u1): the phase is separable
    phase0 = torch.polar(torch.ones_like(u0), (xi * cos)[:, None, None] * u0)
    phase1 = torch.polar(torch.ones_like(u1), (xi * sin)[:, None, None] * u1)
    gabor = envelope * (phase0 * phase1)

    def fold(t: torch.Tensor) -> torch.Tensor:
        # (n, R, C) -> (n, M, N): add every point onto its position on the periodic grid
        t = t.new_zeros(t.shape[0], M, t.shape[2]).index_add(1, row_pos, t)
        return t.new_zeros(t.shape[0], M, N).index_add(2, col_pos, t)

    return fold(gabor), fold(envelope)


def morlet_fourier(shape: tuple[int, int], theta: torch.Tensor, xi: torch.Tensor,
                   sigma: torch.Tensor, gamma: torch.Tensor, group: int | None = None) -> torch.Tensor:
    """Real Fourier transforms of zero-mean Morlet wavelets.

    ψ = (g_ξ − β g_0) / (2·3.1415·σ²/γ) with β = Σ g_ξ / Σ g_0, then ψ̂ = Re FFT2(ψ).

    Args:
        shape: (M, N) padded grid size.
        theta, xi, sigma, gamma: (n,) real tensors (same dtype and device).
        group: build the filters in consecutive groups of this size (e.g. one scale, L), each
            on the support its own widest envelope needs; None = all at once.

    Returns:
        (n, M, N) real tensor in the parameters' dtype; zero frequency at index [0, 0].
    """
    if group is not None and group < theta.shape[0]:
        parts = zip(*(t.split(group) for t in (theta, xi, sigma, gamma)))
        return torch.cat([morlet_fourier(shape, *p) for p in parts])
    gabor, envelope = gabor_2d(shape, theta, xi, sigma, gamma)
    beta = gabor.sum(dim=(-2, -1)) / envelope.sum(dim=(-2, -1))      # (n,) complex
    morlet = gabor - beta[:, None, None] * envelope
    morlet = morlet / (2 * _KYMATIO_PI * sigma ** 2 / gamma)[:, None, None]
    return torch.fft.fft2(morlet).real


def lowpass_fourier(shape: tuple[int, int], J: int, dtype: torch.dtype = torch.float64,
                    device: torch.device | str | None = None) -> torch.Tensor:
    """Real Fourier transform of the low-pass Gaussian φ (σ = 0.8·2^(J−1), γ = 1): (M, N)."""
    zero = torch.zeros(1, dtype=dtype, device=device)
    sigma = torch.full((1,), 0.8 * 2 ** (J - 1), dtype=dtype, device=device)
    _, envelope = gabor_2d(shape, zero, zero, sigma, torch.ones_like(zero))
    phi = envelope / (2 * _KYMATIO_PI * sigma[:, None, None] ** 2)
    return torch.fft.fft2(phi).real[0]


def lowpass_matrix(size: int, J: int, res: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """One axis of the low-pass step at resolution ``res`` as a matrix: (size/2^J − 2, size/2^res).

    φ is an isotropic Gaussian, so its periodised filter is separable, φ̂ = ĝ ⊗ ĝ' (up to terms
    below e⁻¹⁰⁰), and so is its crop at every resolution. "Multiply by φ̂ at resolution res,
    subsample by k = 2^(J−res) in Fourier, inverse FFT, drop one border" is then the linear map
    S = A U Bᵀ with A[i, u] = a[(k·(i+1) − u) mod m], a = IFFT(crop(ĝ)) the spatial filter at
    that resolution (m = size/2^res). The 2·3.1415·σ² normalisation is split evenly between
    the two axes, so ``lowpass_matrix(H, ...) @ U @ lowpass_matrix(W, ...).T`` is the step.
    """
    sigma = 0.8 * 2 ** (J - 1)
    u = torch.arange(-2 * size, 3 * size, dtype=torch.float64)       # kymatio's 5 tiles
    g = torch.exp(-u ** 2 / (2 * sigma ** 2)).reshape(5, size).sum(dim=0)
    g_hat = torch.fft.fft(g).real / math.sqrt(2 * _KYMATIO_PI * sigma ** 2)
    m = size >> res
    half = m // 2
    cropped = torch.cat([g_hat[:half], g_hat[size - half:]]) if res > 0 else g_hat
    a = torch.fft.ifft(cropped).real                          # (m,) spatial filter at res
    k = 2 ** (J - res)
    rows = torch.arange(1, m // k - 1) * k                    # kept output positions, unpadded
    return a[(rows[:, None] - torch.arange(m)[None, :]) % m].to(dtype)


def tight_frame_parameters(J: int, L: int) -> dict[str, torch.Tensor]:
    """kymatio's Morlet bank: σ = 0.8·2^j, ξ = (3π/4)/2^j, γ = 4/L, θ = (⌊L − L/2 − 1⌋ − ℓ)·π/L.

    Returns ``{"theta", "xi", "sigma", "gamma"}``, each a (J·L,) float64 tensor indexed
    i = j·L + ℓ. ⌊·⌋ truncates toward zero as kymatio's ``int()`` does (L = 1 gives θ = 0).
    """
    j = torch.arange(J, dtype=torch.float64).repeat_interleave(L)
    ell = torch.arange(L, dtype=torch.float64).repeat(J)
    return {
        "theta": (tight_frame_first_angle(L) - ell) * math.pi / L,
        "xi": 0.75 * math.pi / 2 ** j,
        "sigma": 0.8 * 2 ** j,
        "gamma": torch.full((J * L,), 4.0 / L, dtype=torch.float64),
    }


def tight_frame_first_angle(L: int) -> int:
    """The integer k such that the tight-frame wavelet ℓ has θ = (k − ℓ)·π/L."""
    return int(L - L / 2 - 1)


def random_parameters(n: int, seed: int) -> dict[str, torch.Tensor]:
    """Random Morlet parameters (the paper's distributions), reproducible from ``seed`` alone.

    θ ~ U(0, 2π), γ ~ U(0.5, 1.5), ξ ~ U(0.5, 1), σ = ln(U(e, e⁵)); each (n,) float64,
    drawn in that order from a private ``torch.Generator`` (the global RNG is untouched).
    """
    generator = torch.Generator().manual_seed(int(seed))

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)

    theta = uniform(0.0, 2 * math.pi)
    gamma = uniform(0.5, 1.5)
    xi = uniform(0.5, 1.0)
    sigma = torch.log(uniform(math.e, math.e ** 5))
    return {"theta": theta, "xi": xi, "sigma": sigma, "gamma": gamma}
