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


def _blocks(t: torch.Tensor, k: int, dims: tuple[int, int]):
    """Yield the k×k alias blocks of t along the two given (negative) dims, row-major."""
    M, N = t.shape[dims[0]], t.shape[dims[1]]
    m, n = M // k, N // k
    for a in range(k):
        rows = t.narrow(dims[0], a * m, m)
        for b in range(k):
            yield rows.narrow(dims[1], b * n, n)


class _FilterSubsample(torch.autograd.Function):
    """sub_k(û · ψ̂) for every (input, filter) pair, accumulated alias block by alias block.

    Works on the real view of û (re, im as a last axis of 2) and on a copy of ψ̂ duplicated
    along that axis: real multiply-adds are several times faster than complex × real ones on
    CPU, and the backward writes each block once instead of zero-filling full-size gradients.
    """

    @staticmethod
    def forward(ctx, u_hat, psi, k):
        u = torch.view_as_real(u_hat).unsqueeze(-4)                  # (..., A, 1, M, N, 2)
        psi2 = (psi * (1.0 / (k * k))).unsqueeze(-1).expand(*psi.shape, 2).contiguous()
        out = None
        for u_block, psi_block in zip(_blocks(u, k, (-3, -2)), _blocks(psi2, k, (-3, -2))):
            out = u_block * psi_block if out is None else out.addcmul_(u_block, psi_block)
        ctx.k = k
        ctx.save_for_backward(u_hat, psi2)
        return torch.view_as_complex(out)                             # (..., A, P, m, n)

    @staticmethod
    def backward(ctx, grad):
        u_hat, psi2 = ctx.saved_tensors
        k = ctx.k
        g = torch.view_as_real(grad.contiguous())                     # (..., A, P, m, n, 2)
        grad_u = grad_psi = None
        if ctx.needs_input_grad[0]:
            grad_u = torch.empty_like(torch.view_as_real(u_hat))      # (..., A, M, N, 2)
            for target, psi_block in zip(_blocks(grad_u, k, (-3, -2)), _blocks(psi2, k, (-3, -2))):
                target.copy_((g * psi_block).sum(dim=-4))
            grad_u = torch.view_as_complex(grad_u)
        if ctx.needs_input_grad[1]:
            u = torch.view_as_real(u_hat).unsqueeze(-4)
            lead = g.dim() - 4                                        # batch dims and A
            grad_psi = torch.empty(psi2.shape[:-1], dtype=g.dtype, device=g.device)
            for target, u_block in zip(_blocks(grad_psi, k, (-2, -1)), _blocks(u, k, (-3, -2))):
                # leading dims first: a reduction that includes the size-2 last axis is slow
                target.copy_((g * u_block).sum(dim=tuple(range(lead))).sum(dim=-1))
            grad_psi = grad_psi * (1.0 / (k * k))
        return grad_u, grad_psi, None


def filter_and_subsample(u_hat: torch.Tensor, psi: torch.Tensor, k: int) -> torch.Tensor:
    """sub_k(û · ψ̂) for every pair of input and filter, without the full-size product.

    u_hat (..., A, M, N) complex, psi (P, M, N) real → (..., A, P, M/k, N/k) complex.
    """
    return _FilterSubsample.apply(u_hat.contiguous(), psi.contiguous(), k)


class _Modulus(torch.autograd.Function):
    """|z| of a complex tensor, with gradient 0 where z = 0 (torch's own abs is slower on CPU)."""

    @staticmethod
    def forward(ctx, z):
        parts = torch.view_as_real(z)
        out = torch.addcmul(parts[..., 0].square(), parts[..., 1], parts[..., 1]).sqrt_()
        ctx.save_for_backward(z, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        z, out = ctx.saved_tensors
        scale = torch.where(out > 0, grad / out, torch.zeros_like(out))
        return z * scale


def modulus(z: torch.Tensor) -> torch.Tensor:
    """Complex modulus (..., ) complex → real, differentiable with a 0 subgradient at 0."""
    return _Modulus.apply(z)


def lowpass(u: torch.Tensor, matrices: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Low-pass φ, subsample, drop the border: real (..., m, n) → (..., H', W'), S = A U Bᵀ."""
    rows, cols = matrices
    (h, m), (w, n) = rows.shape, cols.shape
    batch = u.shape[:-2]
    # two plain 2-D matrix products; a broadcast ``rows @ t`` makes autograd loop over the batch
    t = (u.reshape(-1, n) @ cols.T).reshape(-1, m, w).transpose(1, 2)       # (B, w, m)
    s = t.reshape(-1, m) @ rows.T                                           # (B·w, h)
    return s.reshape(*batch, w, h).transpose(-1, -2)


def _band_modulus(u_hat: torch.Tensor, psi: torch.Tensor, k: int) -> torch.Tensor:
    """|IFFT(sub_k(û · ψ̂))|: u_hat (..., A, m, n), psi (P, m, n) → real (..., A, P, m/k, n/k)."""
    return modulus(torch.fft.ifft2(filter_and_subsample(u_hat, psi, k)))


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
    if chunk is not None and x.shape[0] > chunk:
        return torch.cat([scattering2d(part, filters, J, L, max_order, rows, cols)
                          for part in x.split(chunk)])
    n = x.shape[0]
    padded = x[:, rows[:, None], cols[None, :]]                  # (N, Hp, Wp)
    x_hat = torch.fft.fft2(padded)
    low = filters.lowpass
    order0 = lowpass(padded, low[0]).unsqueeze(1)                 # (N, 1, H', W')
    order1, order2 = [], []
    for j1 in range(J):
        u1 = _band_modulus(x_hat, filters.psi[0][j1 * L:(j1 + 1) * L], 2 ** j1)  # (N, L, m, n)
        order1.append(lowpass(u1, low[j1]))
        if max_order < 2 or j1 == J - 1:
            continue
        u1_hat = torch.fft.fft2(u1)
        psi = filters.psi[j1][L:]                                 # wavelets j2 > j1 at res j1
        per_j2 = []
        for j2 in range(j1 + 1, J):
            band = psi[(j2 - j1 - 1) * L:(j2 - j1) * L]
            u2 = _band_modulus(u1_hat, band, 2 ** (j2 - j1))     # (N, L θ1, L θ2, m', n')
            per_j2.append(lowpass(u2, low[j2]))
        # θ1 outer, then (j2, θ2): kymatio's order of the λ2 loop inside the λ1 loop
        order2.append(torch.cat(per_j2, dim=2).reshape(n, -1, *order0.shape[-2:]))
    return torch.cat([order0] + order1 + order2, dim=1)


def chunk_size(J: int, L: int, padded: tuple[int, int], device: torch.device,
               budget_bytes: int = 4 << 20) -> int | None:
    """Images per pass so that the largest complex intermediate stays near ``budget_bytes``.

    The largest is the order-1 band at full resolution, (L, Hp, Wp), or the order-2 bands of
    one j1 at resolution j1+1, (L, L, Hp/2^(j1+1), Wp/2^(j1+1)). None (no chunking) off CPU.
    """
    if device.type != "cpu":
        return None
    pixels = padded[0] * padded[1]
    per_image = 8 * max(L * pixels, L * L * pixels // 4 if J > 1 else 0)
    return max(1, budget_bytes // per_image)
