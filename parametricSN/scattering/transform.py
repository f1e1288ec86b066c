"""The 2D scattering algorithm (orders 0–2) as a pure function of an input and its filters.

Follows kymatio's ``Scattering2D`` (SPEC §1) but works on whole groups of paths at once: all
wavelets of one scale in one broadcast product, and for order 2 all (θ1, λ2) pairs of one j1.
The function never knows whether the filters are learned.
"""

from __future__ import annotations

import torch

from parametricSN.scattering.filter_bank import FilterLevels


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


def subsample_fourier(x: torch.Tensor, k: int) -> torch.Tensor:
    """Spatial subsampling by k, done in Fourier: (..., M, N) → (..., M/k, N/k), alias mean."""
    if k == 1:
        return x
    M, N = x.shape[-2:]
    return x.reshape(*x.shape[:-2], k, M // k, k, N // k).mean(dim=(-4, -2))


def _lowpass(u_hat: torch.Tensor, phi: torch.Tensor, k: int) -> torch.Tensor:
    """Low-pass, subsample by k, back to space, drop the border: real (..., m/k − 2, n/k − 2)."""
    s = torch.fft.ifft2(subsample_fourier(u_hat * phi, k)).real
    return s[..., 1:-1, 1:-1]


def _modulus_of_band(u_hat: torch.Tensor, psi: torch.Tensor, k: int) -> torch.Tensor:
    """|IFFT(sub_k(û · ψ̂))| for every pair of input and filter.

    u_hat (..., A, m, n) complex, psi (P, m, n) real → (..., A, P, m/k, n/k) real.
    """
    band = subsample_fourier(u_hat.unsqueeze(-3) * psi, k)
    return torch.fft.ifft2(band).abs()


def scattering2d(x: torch.Tensor, filters: FilterLevels, J: int, L: int, max_order: int,
                 rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Scattering coefficients of each image.

    Args:
        x: (N, H, W) real images.
        filters: the bank at every resolution (``FilterLevels``), same dtype/device as x.
        J, L, max_order: scale, orientations, order (1 or 2).
        rows, cols: (Hp,), (Wp,) reflect-padding source indices (``reflect_indices``).

    Returns:
        (N, K, H', W') real: [S0, S1 by (j1, θ1), S2 by (j1, θ1, j2, θ2)], kymatio's order.
    """
    padded = x[:, rows[:, None], cols[None, :]]                  # (N, Hp, Wp)
    x_hat = torch.fft.fft2(padded)
    phi = filters.phi
    out = [_lowpass(x_hat, phi[0], 2 ** J).unsqueeze(1)]         # S0: (N, 1, h, w)
    order1_hat = []
    for j1 in range(J):
        u1 = _modulus_of_band(x_hat, filters.psi[0][j1 * L:(j1 + 1) * L], 2 ** j1)  # (N, L, ...)
        u1_hat = torch.fft.fft2(u1)
        out.append(_lowpass(u1_hat, phi[j1], 2 ** (J - j1)))
        order1_hat.append(u1_hat)
    if max_order == 2:
        for j1 in range(J - 1):
            psi = filters.psi[j1][L:]                             # wavelets j2 > j1 at res j1
            for j2 in range(j1 + 1, J):
                band = psi[(j2 - j1 - 1) * L:(j2 - j1) * L]
                u2 = _modulus_of_band(order1_hat[j1], band, 2 ** (j2 - j1))  # (N, L, L, ...)
                s2 = _lowpass(torch.fft.fft2(u2), phi[j2], 2 ** (J - j2))
                out.append(s2)
    # reorder order 2 so that for each j1 the θ1 index is outer and (j2, θ2) inner
    return _concatenate(out, J, L, max_order)


def _concatenate(parts: list[torch.Tensor], J: int, L: int, max_order: int) -> torch.Tensor:
    n = parts[0].shape[0]
    flat = [p.reshape(n, -1, *p.shape[-2:]) for p in parts[:1 + J]]
    if max_order == 2:
        i = 1 + J
        for j1 in range(J - 1):
            group = parts[i:i + J - 1 - j1]                       # each (N, L θ1, L θ2, h, w)
            i += J - 1 - j1
            flat.append(torch.cat(group, dim=2).reshape(n, -1, *group[0].shape[-2:]))
    return torch.cat(flat, dim=1)
