"""The CPU-minded kernels of the scattering transform (``transform.scattering2d`` reads like the
equations and calls these): Fourier subsampling as a sum over alias tiles, the modulus with its
own backward, real FFTs read into tiles by Hermitian symmetry, in-place inverse FFTs (scipy's on
one thread), and the scratch buffers reused from chunk to chunk when no autograd graph is
recorded. Each kernel is checked against its plain-torch definition by tests/scattering/
(test_matches_kymatio.py, test_gradients.py, test_batch_invariance.py).
"""

from __future__ import annotations

import torch

try:
    import scipy.fft as _scipy_fft
except ImportError:          # pragma: no cover - scipy is a dependency; torch.fft is the fallback
    _scipy_fft = None


def subsample_fourier(x: torch.Tensor, k: int) -> torch.Tensor:
    """Spatial subsampling by k, done in Fourier: (..., M, N) → (..., M/k, N/k), alias mean.

    The plain reference form (``filter_and_subsample`` fuses it with the filtering)."""
    if k == 1:
        return x
    M, N = x.shape[-2:]
    return x.reshape(*x.shape[:-2], k, M // k, k, N // k).mean(dim=(-4, -2))


# ------------------------------------------------------------------ spectra of real signals
def tile_index(M: int, N: int, k: int, device=None) -> torch.Tensor:
    """Where each alias tile of a real signal's spectrum sits in its ``rfft2``: (k², M/k, N/k) int64.

    Tile t = a·k + b of the full spectrum F (M, N) holds F[a·m + i, b·n + j] (m = M/k,
    n = N/k). For real u, F's left half (columns < N/2) is h = rfft2(u) itself and its right
    half is conj(h[(−r) mod M, N − c]); the index points into h flattened over its last two
    dims, to the entry itself on the left and to the conjugate partner on the right (the
    conjugation is left to the filters, see ``prepare_band``).
    """
    m, n, half = M // k, N // k, N // 2 + 1
    r = torch.arange(M, device=device).view(k, 1, m, 1)             # (a, ·, i, ·) → a·m + i
    c = torch.arange(N, device=device).view(1, k, 1, n)             # (·, b, ·, j) → b·n + j
    left = r * half + c
    right = ((-r) % M) * half + (N - c)
    return torch.where(c < N // 2, left, right).reshape(k * k, m, n)


def spectrum_tiles(h: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """FFT2 of a real signal cut into its k×k alias tiles: (..., M, N/2+1) → (..., k², M/k, N/k).

    h = rfft2(u) of the real signal u (..., M, N), ``index`` from ``tile_index(M, N, k)``; the
    right half of the spectrum is stored conjugated. With the rfft2, costs about half a complex
    FFT2 of u.
    """
    flat = h.flatten(-2)                                            # (..., M·(N/2+1))
    tiles = torch.gather(flat, -1, index.reshape(-1).expand(*flat.shape[:-1], -1))
    return tiles.view(*flat.shape[:-1], *index.shape)


# ------------------------------------------------------------------ band-pass filtering
def prepare_band(psi: torch.Tensor, k: int) -> torch.Tensor:
    """Filters in the form ``filter_and_subsample`` uses: (P, M, N) → (k², P, M/k, N/k, 2).

    ψ̂/k² (the alias mean's weight folded in), cut into the k×k alias tiles of
    ``tile_index`` and duplicated along a last axis of 2, so that it multiplies the real view
    (re, im) of a spectrum tile with plain real arithmetic; on the right half of the spectrum
    (columns ≥ N/2, stored conjugated by ``spectrum_tiles``) the imaginary slot is negated.
    Differentiable; built once per forward and shared by all chunks.
    """
    P, M, N = psi.shape
    m, n = M // k, N // k
    sign = torch.ones(N, 2, dtype=psi.dtype, device=psi.device)
    sign[N // 2:, 1] = -1.0
    band = (psi * (1.0 / (k * k))).unsqueeze(-1) * sign               # (P, M, N, 2)
    return band.view(P, k, m, k, n, 2).permute(1, 3, 0, 2, 4, 5).reshape(k * k, P, m, n, 2)


def _tile_products(tiles: torch.Tensor, band: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Σ_t tiles[..., t] · band[t] on real views.

    tiles (..., A, T, m, n, 2), band (T, P, m, n, 2) → (..., A, P, m, n, 2), into ``out`` if given.
    """
    for t in range(band.shape[0]):
        u_t = tiles.select(-4, t).unsqueeze(-4)                        # (..., A, 1, m, n, 2)
        if t == 0:
            out = torch.mul(u_t, band[0], out=out)
        else:
            out.addcmul_(u_t, band[t])
    return out


class _FilterSubsample(torch.autograd.Function):
    """sub_k(F · ψ̂) for every (input, filter) pair: the sum over alias tiles of tile × filter.

    Works on real views of contiguous tiles: real multiply-adds are several times faster
    than complex × real ones on CPU, and each tile product is one long contiguous loop.
    """

    @staticmethod
    def forward(ctx, tiles, band):
        ctx.save_for_backward(tiles, band)
        return torch.view_as_complex(_tile_products(torch.view_as_real(tiles), band))  # (..., A, P, m, n)

    @staticmethod
    def backward(ctx, grad):
        tiles, band = ctx.saved_tensors
        g = torch.view_as_real(grad.contiguous())                       # (..., A, P, m, n, 2)
        scratch = torch.empty_like(g)     # reused by every tile: fresh large buffers are slow
        grad_tiles = grad_band = None
        if ctx.needs_input_grad[0]:
            # Σ_P g[..., P] · band[:, P]: one multiply-add per filter over all tiles at once
            grad_tiles = torch.view_as_real(tiles).new_zeros(torch.view_as_real(tiles).shape)
            for p in range(band.shape[1]):                               # (..., A, T, m, n, 2)
                grad_tiles.addcmul_(g.select(-4, p).unsqueeze(-4), band[:, p])
            grad_tiles = torch.view_as_complex(grad_tiles)
        if ctx.needs_input_grad[1]:
            u = torch.view_as_real(tiles)
            lead = tuple(range(g.dim() - 4))                             # batch dims and A
            grad_band = torch.empty_like(band)                           # (T, P, m, n, 2)
            for t in range(band.shape[0]):
                u_t = u.select(-4, t).unsqueeze(-4)
                torch.sum(torch.mul(g, u_t, out=scratch), dim=lead, out=grad_band[t])
        return grad_tiles, grad_band


def filter_and_subsample(tiles: torch.Tensor, band: torch.Tensor) -> torch.Tensor:
    """sub_k(F · ψ̂) for every pair of input and filter, without the full-size product.

    tiles (..., A, k², m, n) complex from ``spectrum_tiles``, band (k², P, m, n, 2) from
    ``prepare_band(psi, k)`` → (..., A, P, m, n) complex.
    """
    return _FilterSubsample.apply(tiles.contiguous(), band)


# ------------------------------------------------------------------ modulus and low-pass
def _modulus_of(parts: torch.Tensor, out: torch.Tensor | None = None,
                overwrite: bool = False) -> torch.Tensor:
    """|z| from the real view (..., 2) of z → (...); ``overwrite`` squares ``parts`` in place.

    Squaring the contiguous real view is vectorised; only the sum of the two parts reads
    strided memory (torch's complex abs is slower still).
    """
    squares = parts.square_() if overwrite else parts.square()
    return torch.add(squares[..., 0], squares[..., 1], out=out).sqrt_()


def _modulus_grad(z: torch.Tensor, out: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """Backward of |z|: grad · z/|z|, with the subgradient 0 where |z| = 0; complex like z."""
    scale = torch.where(out > 0, grad / out, 0.0)
    parts = torch.view_as_real(z)
    grad_z = torch.empty_like(parts)
    torch.mul(parts[..., 0], scale, out=grad_z[..., 0])     # real × real on each part:
    torch.mul(parts[..., 1], scale, out=grad_z[..., 1])     # complex × real is slower
    return torch.view_as_complex(grad_z)


class _Modulus(torch.autograd.Function):
    """|z| of a complex tensor, with gradient 0 where z = 0."""

    @staticmethod
    def forward(ctx, z):
        out = _modulus_of(torch.view_as_real(z))
        ctx.save_for_backward(z, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _modulus_grad(*ctx.saved_tensors, grad)


def modulus(z: torch.Tensor) -> torch.Tensor:
    """Complex modulus (..., ) complex → real, differentiable with a 0 subgradient at 0."""
    return _Modulus.apply(z)


def lowpass(u: torch.Tensor, matrices: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Low-pass φ, subsample, drop the border: real (..., m, n) → (..., H', W'), S = A U Bᵀ."""
    rows, cols = matrices
    m, n = u.shape[-2:]
    # A U as one batched product of small matrices, then (·) Bᵀ as one plain matrix product
    s = torch.matmul(rows, u.reshape(-1, m, n)) @ cols.T                # (B, H', W')
    return s.view(*u.shape[:-2], *s.shape[-2:])


def _in_place_fft(y: torch.Tensor) -> bool:
    """On one CPU thread, scipy's pocketfft transforms contiguous tensors in place and is faster
    than torch's MKL transforms on the many small 2D transforms of the band-pass steps (with
    more threads, its own thread pool would compete with torch's)."""
    return (y.device.type == "cpu" and _scipy_fft is not None and y.is_contiguous()
            and torch.get_num_threads() == 1)


def _ifft2_(y: torch.Tensor) -> torch.Tensor:
    """ifft2 over the last two dims; overwrites y (and returns it) when it can."""
    if _in_place_fft(y):
        return torch.from_numpy(_scipy_fft.ifft2(y.detach().numpy(), workers=1,
                                                 overwrite_x=True))
    return torch.fft.ifft2(y)


def _fft2_adjoint_(g: torch.Tensor) -> torch.Tensor:
    """The adjoint of ifft2, fft2 / (m·n); overwrites g (and returns it) when it can."""
    if _in_place_fft(g):
        return torch.from_numpy(_scipy_fft.fft2(g.numpy(), norm="forward", workers=1,
                                                overwrite_x=True))
    return torch.fft.fft2(g, norm="forward")


class _PocketRealFFT2(torch.autograd.Function):
    """``torch.fft.rfft2`` by pocketfft on one CPU thread; its backward is one real-output
    inverse transform instead of torch's complex transform of a zero-padded spectrum."""

    @staticmethod
    def forward(ctx, u):
        ctx.shape = u.shape[-2:]
        return torch.from_numpy(_scipy_fft.rfft2(u.detach().contiguous().numpy(), workers=1))

    @staticmethod
    def backward(ctx, grad):
        # grad_u = Re(Fᴴ pad(grad)): the columns that stand for two (±c) are halved for irfft2
        half = grad.shape[-1]
        weight = torch.full((half,), 0.5, dtype=grad.real.dtype)
        weight[0] = 1.0
        if ctx.shape[-1] % 2 == 0:
            weight[-1] = 1.0
        g = (grad * weight).numpy()
        return torch.from_numpy(_scipy_fft.irfft2(g, s=tuple(ctx.shape), norm="forward", workers=1,
                                                  overwrite_x=True))


def real_fft2(u: torch.Tensor) -> torch.Tensor:
    """rfft2 over the last two dims of a real signal: (..., M, N) → (..., M, N/2+1)."""
    if _in_place_fft(u):
        return _PocketRealFFT2.apply(u)
    return torch.fft.rfft2(u)


class _InverseModulus(torch.autograd.Function):
    """|IFFT2(y)| over the last two dims, transforming y in place (it is a band-pass step's
    own output); the backward likewise transforms its own gradient buffer in place."""

    @staticmethod
    def forward(ctx, y):
        z = _ifft2_(y)
        out = _modulus_of(torch.view_as_real(z))
        ctx.save_for_backward(z, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _fft2_adjoint_(_modulus_grad(*ctx.saved_tensors, grad))


class _Scratch:
    """Buffers reused from chunk to chunk when no autograd graph is recorded: on CPU, a fresh
    large tensor per step costs page faults and cache misses. One buffer per name, grown to
    the largest size asked for; ``get`` returns a view of its start."""

    def __init__(self, dtype: torch.dtype, device: torch.device):
        self.dtype, self.device, self.buffers = dtype, device, {}

    def get(self, name: str, *shape: int, complex_: bool = False) -> torch.Tensor:
        dtype = self.dtype.to_complex() if complex_ else self.dtype
        numel = 1
        for size in shape:
            numel *= size
        buf = self.buffers.get((name, dtype))
        if buf is None or buf.numel() < numel:
            buf = self.buffers[(name, dtype)] = torch.empty(numel, dtype=dtype, device=self.device)
        return buf[:numel].view(shape)


def _band_modulus(tiles: torch.Tensor, band: torch.Tensor, scratch: _Scratch | None,
                  name: str) -> torch.Tensor:
    """|IFFT(sub_k(F · ψ̂))|: tiles (..., A, k², m, n), band (k², P, m, n, 2) → (..., A, P, m, n).

    With ``scratch`` (no autograd), every step writes into reused buffers, in place where it can.
    """
    if scratch is None:
        return _InverseModulus.apply(filter_and_subsample(tiles, band))
    shape = (*tiles.shape[:-3], band.shape[1], *tiles.shape[-2:])          # (..., A, P, m, n)
    y = scratch.get("band", *shape, complex_=True)
    _tile_products(torch.view_as_real(tiles), band, out=torch.view_as_real(y))
    z = _ifft2_(y)
    return _modulus_of(torch.view_as_real(z), out=scratch.get(name, *shape), overwrite=True)


def _spectrum_tiles(h: torch.Tensor, index: torch.Tensor, scratch: _Scratch | None) -> torch.Tensor:
    """``spectrum_tiles``, into a reused buffer when ``scratch`` is given."""
    if scratch is None:
        return spectrum_tiles(h, index)
    flat = h.flatten(-2)
    out = scratch.get("tiles", *flat.shape[:-1], index.numel(), complex_=True)
    torch.gather(flat, -1, index.reshape(-1).expand(*flat.shape[:-1], -1), out=out)
    return out.view(*flat.shape[:-1], *index.shape)
