"""The 2D scattering algorithm (orders 0–2) as a pure function of an input and its filters.

Computes kymatio's ``Scattering2D`` (SPEC §1); the function never knows whether the filters
are learned. Departures from kymatio's recipe that change nothing beyond rounding:

- no per-path loop: all wavelets of a scale, and for order 2 all (θ1, θ2) pairs of a
  (j1, j2), go through one broadcast product;
- "multiply by ψ̂, subsample in Fourier" accumulates the alias mean block by block on the
  real view of the spectrum, never forming the full-size product;
- the low-pass step (× φ̂, subsample, inverse FFT, drop the border) is two small matrix
  products, because φ is a separable Gaussian (``morlet.lowpass_matrix``);
- on CPU the batch goes through in chunks whose intermediates stay in cache.
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
    """Spatial subsampling by k, done in Fourier: (..., M, N) → (..., M/k, N/k), alias mean.

    The plain reference form (``filter_and_subsample`` fuses it with the filtering)."""
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


def prepare_band(psi: torch.Tensor, k: int) -> torch.Tensor:
    """Filters in the form ``filter_and_subsample`` uses: (P, M, N) → (P, M, N, 2).

    ψ̂/k² (the alias mean's weight folded in) duplicated along a last axis of 2, so that it
    multiplies the real view (re, im) of a complex spectrum with plain real arithmetic.
    Differentiable; built once per forward and shared by all chunks.
    """
    return (psi * (1.0 / (k * k))).unsqueeze(-1).expand(*psi.shape, 2).contiguous()


class _FilterSubsample(torch.autograd.Function):
    """sub_k(û · ψ̂) for every (input, filter) pair, accumulated alias block by alias block.

    Real multiply-adds on the (re, im) view are several times faster than complex × real
    ones on CPU; the backward writes each gradient block once instead of zero-filling
    full-size tensors per block as autograd through slicing would.
    """

    @staticmethod
    def forward(ctx, u_hat, band, k):
        u = torch.view_as_real(u_hat).unsqueeze(-4)                  # (..., A, 1, M, N, 2)
        out = None
        for u_block, band_block in zip(_blocks(u, k, (-3, -2)), _blocks(band, k, (-3, -2))):
            out = u_block * band_block if out is None else out.addcmul_(u_block, band_block)
        ctx.k = k
        ctx.save_for_backward(u_hat, band)
        return torch.view_as_complex(out)                             # (..., A, P, m, n)

    @staticmethod
    def backward(ctx, grad):
        u_hat, band = ctx.saved_tensors
        k = ctx.k
        g = torch.view_as_real(grad.contiguous())                     # (..., A, P, m, n, 2)
        scratch = torch.empty_like(g)     # reused by every block: fresh large buffers are slow
        grad_u = grad_band = None
        if ctx.needs_input_grad[0]:
            grad_u = torch.empty_like(torch.view_as_real(u_hat))      # (..., A, M, N, 2)
            for target, band_block in zip(_blocks(grad_u, k, (-3, -2)), _blocks(band, k, (-3, -2))):
                target.copy_(torch.mul(g, band_block, out=scratch).sum(dim=-4))
            grad_u = torch.view_as_complex(grad_u)
        if ctx.needs_input_grad[1]:
            u = torch.view_as_real(u_hat).unsqueeze(-4)
            lead = tuple(range(g.dim() - 4))                          # batch dims and A
            grad_band = torch.empty_like(band)                        # (P, M, N, 2)
            for target, u_block in zip(_blocks(grad_band, k, (-3, -2)), _blocks(u, k, (-3, -2))):
                target.copy_(torch.mul(g, u_block, out=scratch).sum(dim=lead))
        return grad_u, grad_band, None


def filter_and_subsample(u_hat: torch.Tensor, band: torch.Tensor, k: int) -> torch.Tensor:
    """sub_k(û · ψ̂) for every pair of input and filter, without the full-size product.

    u_hat (..., A, M, N) complex, band (P, M, N, 2) from ``prepare_band(psi, k)``
    → (..., A, P, M/k, N/k) complex.
    """
    return _FilterSubsample.apply(u_hat.contiguous(), band, k)


class _Modulus(torch.autograd.Function):
    """|z| of a complex tensor, with gradient 0 where z = 0 (torch's own abs is slower on CPU)."""

    @staticmethod
    def forward(ctx, z):
        parts = torch.view_as_real(z)
        out = parts[..., 0].square().addcmul_(parts[..., 1], parts[..., 1]).sqrt_()
        ctx.save_for_backward(z, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        z, out = ctx.saved_tensors
        # d|z| = z/|z|; where |z| = 0 (grad/0 is ±inf or nan) the subgradient 0 is used
        scale = grad.div(out).nan_to_num_(0.0, 0.0, 0.0)
        grad_z = torch.view_as_real(z).clone()
        grad_z[..., 0].mul_(scale)            # real × real on each part: mixed complex × real
        grad_z[..., 1].mul_(scale)            # products are several times slower on CPU
        return torch.view_as_complex(grad_z)


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


def _band_modulus(u_hat: torch.Tensor, band: torch.Tensor, k: int) -> torch.Tensor:
    """|IFFT(sub_k(û · ψ̂))|: u_hat (..., A, M, N), band (P, M, N, 2) → real (..., A, P, M/k, N/k)."""
    return modulus(torch.fft.ifft2(filter_and_subsample(u_hat, band, k)))


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
    parts = x.split(chunk) if chunk else (x,)
    out = [_scatter(part, bands, filters.lowpass, J, max_order, rows, cols) for part in parts]
    return out[0] if len(out) == 1 else torch.cat(out)


def _scatter(x, bands, low, J, max_order, rows, cols) -> torch.Tensor:
    n = x.shape[0]
    padded = x[:, rows[:, None], cols[None, :]]                  # (N, Hp, Wp)
    x_hat = torch.fft.fft2(padded).unsqueeze(1)                   # (N, 1, Hp, Wp)
    order0 = lowpass(padded, low[0]).unsqueeze(1)                 # (N, 1, H', W')
    order1, order2 = [], []
    for j1 in range(J):
        u1 = _band_modulus(x_hat, bands[(-1, j1)], 2 ** j1)[:, 0]  # (N, L, Hp/2^j1, Wp/2^j1)
        order1.append(lowpass(u1, low[j1]))
        if max_order < 2 or j1 == J - 1:
            continue
        u1_hat = torch.fft.fft2(u1)
        per_j2 = [lowpass(_band_modulus(u1_hat, bands[(j1, j2)], 2 ** (j2 - j1)), low[j2])
                  for j2 in range(j1 + 1, J)]                     # each (N, L θ1, L θ2, H', W')
        # θ1 outer, then (j2, θ2): kymatio's order of the λ2 loop inside the λ1 loop
        order2.append(torch.cat(per_j2, dim=2).reshape(n, -1, *order0.shape[-2:]))
    return torch.cat([order0] + order1 + order2, dim=1)


def chunk_size(J: int, L: int, padded: tuple[int, int], device: torch.device,
               budget_bytes: int = 8 << 20) -> int | None:
    """Images per pass so that the largest complex intermediate stays near ``budget_bytes``.

    The largest is the order-1 band at full resolution, (L, Hp, Wp), or the order-2 bands of
    one j1 at resolution j1+1, (L, L, Hp/2^(j1+1), Wp/2^(j1+1)). None (no chunking) off CPU.
    """
    if device.type != "cpu":
        return None
    pixels = padded[0] * padded[1]
    per_image = 8 * max(L * pixels, L * L * pixels // 4 if J > 1 else 0)
    return max(1, budget_bytes // per_image)
