"""The 2D scattering algorithm (orders 0–2) as a pure function of an input and its filters.

Computes kymatio's ``Scattering2D`` (checked coefficient by coefficient in
tests/scattering/test_matches_kymatio.py); the function never knows whether the filters
are learned; the kernels it calls live in :mod:`parametricSN.scattering.kernels`. Departures
from kymatio's recipe that change nothing beyond rounding:

- no per-path loop: all wavelets of a scale, and for order 2 all (θ1, θ2) pairs of a
  (j1, j2), go through one broadcast product;
- the signals that are Fourier transformed (the padded image, U1) are real: ``rfft2`` gives
  half of the spectrum and the other half is read from it by Hermitian symmetry, straight
  into the k×k alias tiles of the next subsampling (``tile_index``);
- "multiply by ψ̂, subsample in Fourier" is a sum over those tiles of tile × filter on real
  views, one long contiguous loop per tile, never forming the full-size product;
- the low-pass step (× φ̂, subsample, inverse FFT, drop the border) is two small matrix
  products, because φ is a separable Gaussian (``morlet.lowpass_matrix``);
- on CPU the batch goes through in chunks whose intermediates stay in cache; without autograd
  the chunks reuse the same buffers and work in place; on one thread the inverse FFTs are
  scipy's (in place, faster than torch's on these sizes). Every image sees the same
  operations whatever its neighbours, so its coefficients do not depend on its batch.
"""

from __future__ import annotations

import torch

from parametricSN.scattering.filter_bank import FilterLevels
from parametricSN.scattering.kernels import (
    _band_modulus, _Scratch, _spectrum_tiles, lowpass, prepare_band, real_fft2, tile_index,
)


def padded_shape(shape: tuple[int, int], J: int) -> tuple[int, int]:
    """kymatio's padded size: ((H + 2^J) // 2^J + 1)·2^J per axis."""
    return tuple(((n + 2 ** J) // 2 ** J + 1) * 2 ** J for n in shape)


def output_shape(shape: tuple[int, int], J: int) -> tuple[int, int]:
    """Spatial size of the coefficients: padded size / 2^J minus the two unpadded borders."""
    return tuple(p // 2 ** J - 2 for p in padded_shape(shape, J))


def num_coefficients(J: int, L: int, max_order: int) -> int:
    """K = 1 + J·L (+ L²·J(J−1)/2 for order 2)."""
    return 1 + J * L + (L * L * J * (J - 1) // 2 if max_order == 2 else 0)


def reflect_indices(size: int, padded: int, device=None) -> torch.Tensor:
    """Source index of each padded position along one axis, (padded,) int64.

    Reflection without repeating the edge, extended periodically (period 2·(size − 1)), with
    kymatio's split: (padded − size)//2 positions before the signal, the rest after. This equals
    kymatio's padding also when the padding before equals the size (its special case).
    """
    before = (padded - size) // 2
    period = 2 * (size - 1)
    pos = (torch.arange(padded, device=device) - before) % period
    return torch.where(pos < size, pos, period - pos)


# ------------------------------------------------------------------ the transform
def prepare_bands(filters: FilterLevels, J: int, L: int, max_order: int) -> dict:
    """{(j_in, j): band} for every filtering step: j_in = −1 is the image (order 1, wavelet
    scale j at full resolution); j_in = j1 ≥ 0 is an order-1 output (order 2, j > j1)."""
    bands = {(-1, j): prepare_band(filters.psi[0][j * L:(j + 1) * L], 2 ** j) for j in range(J)}
    if max_order == 2:
        for j1 in range(J - 1):
            for j2 in range(j1 + 1, J):
                psi = filters.psi[j1][(j2 - j1) * L:(j2 - j1 + 1) * L]   # scale j2 at res j1
                bands[(j1, j2)] = prepare_band(psi, 2 ** (j2 - j1))
    return bands


def prepare_tiles(padded: tuple[int, int], J: int, max_order: int, device=None) -> dict:
    """{(j_in, j): tile index} matching ``prepare_bands`` (``tile_index`` at each step's resolution)."""
    Hp, Wp = padded
    steps = [(-1, j) for j in range(J)]
    if max_order == 2:
        steps += [(j1, j2) for j1 in range(J - 1) for j2 in range(j1 + 1, J)]
    return {(j_in, j): tile_index(Hp >> max(j_in, 0), Wp >> max(j_in, 0), 2 ** (j - max(j_in, 0)), device)
            for j_in, j in steps}


def scattering2d(x: torch.Tensor, filters: FilterLevels, J: int, L: int, max_order: int,
                 rows: torch.Tensor, cols: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """Scattering coefficients of each image.

    Args:
        x: (N, H, W) real images.
        filters: the bank at every resolution (``FilterLevels``), same dtype/device as x.
        J, L, max_order: scale, orientations, order (1 or 2).
        rows, cols: (Hp,), (Wp,) reflect-padding source indices (``reflect_indices``).
        chunk: images per pass (None: all at once). On CPU, passes whose intermediates stay in
            cache are several times faster than one pass over a large batch.

    Returns:
        (N, K, H', W') real: [S0, S1 by (j1, θ1), S2 by (j1, θ1, j2, θ2)], kymatio's order.
    """
    bands = prepare_bands(filters, J, L, max_order)
    tiles = prepare_tiles((rows.shape[0], cols.shape[0]), J, max_order, x.device)
    recorded = torch.is_grad_enabled() and (x.requires_grad or any(b.requires_grad for b in bands.values()))
    scratch = None if recorded or x.device.type != "cpu" else _Scratch(x.dtype, x.device)
    parts = x.split(chunk) if chunk else (x,)
    out = [_scatter(part, bands, tiles, filters.lowpass, J, max_order, rows, cols, scratch) for part in parts]
    return out[0] if len(out) == 1 else torch.cat(out)


def _scatter(x, bands, tiles, low, J, max_order, rows, cols, scratch) -> torch.Tensor:
    n = x.shape[0]
    padded = x[:, rows[:, None], cols[None, :]]                  # (N, Hp, Wp)
    order0 = lowpass(padded, low[0]).unsqueeze(1)                 # (N, 1, H', W')
    x_hat = real_fft2(padded).unsqueeze(1)                        # (N, 1, Hp, Wp/2+1)
    order1, order2 = [], []
    for j1 in range(J):
        x_tiles = _spectrum_tiles(x_hat, tiles[(-1, j1)], scratch)  # (N, 1, 4^j1, Hp/2^j1, Wp/2^j1)
        u1 = _band_modulus(x_tiles, bands[(-1, j1)], scratch, "u1")[:, 0]  # (N, L, Hp/2^j1, Wp/2^j1)
        order1.append(lowpass(u1, low[j1]))
        if max_order < 2 or j1 == J - 1:
            continue
        u1_hat = real_fft2(u1)
        per_j2 = []
        for j2 in range(j1 + 1, J):
            u1_tiles = _spectrum_tiles(u1_hat, tiles[(j1, j2)], scratch)
            u2 = _band_modulus(u1_tiles, bands[(j1, j2)], scratch, "u2")   # (N, L θ1, L θ2, ., .)
            per_j2.append(lowpass(u2, low[j2]))                   # (N, L θ1, L θ2, H', W')
        # θ1 outer, then (j2, θ2): kymatio's order of the λ2 loop inside the λ1 loop
        per_j1 = per_j2[0] if len(per_j2) == 1 else torch.cat(per_j2, dim=2)
        order2.append(per_j1.reshape(n, -1, *order0.shape[-2:]))
    return torch.cat([order0] + order1 + order2, dim=1)


def chunk_size(J: int, L: int, padded: tuple[int, int], device: torch.device,
               budget_bytes: int = 4 << 20, minimum: int = 4) -> int | None:
    """Images per pass on CPU: the largest complex intermediate near ``budget_bytes`` (cache),
    but at least ``minimum`` images (large images: per-operation overhead). None off CPU.

    The largest intermediate is the order-1 band at full resolution, (L, Hp, Wp), or the
    order-2 bands of one j1 at resolution j1+1, (L, L, Hp/2^(j1+1), Wp/2^(j1+1)).
    """
    if device.type != "cpu":
        return None
    pixels = padded[0] * padded[1]
    per_image = 8 * max(L * pixels, L * L * pixels // 4 if J > 1 else 0)
    return max(minimum, budget_bytes // per_image)
