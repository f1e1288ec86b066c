"""How a learnable filter bank is trained beyond its optimizer group: a warm-up and a pull.

Both are candidates of the learned-vs-fixed study (``benchmarks/learnable_vs_fixed.py``); with
their defaults (``scattering.filter_warmup: 0``, ``scattering.lp_pull: 0``) training is the
published one.

- **Warm-up** (:func:`warmup_epochs`, :func:`filters_frozen`): the filters are frozen for the first
  share of the epochs while the head fits the initial bank's features; the schedules run on as
  usual, so the filters start moving at the LR their schedule has reached.
- **Littlewood–Paley pull** (:class:`LittlewoodPaleyPull`): a penalty keeping the bank's
  Littlewood–Paley sum LP(ω) = Σ_λ ψ̂_λ(ω)² near the tight-frame bank's, i.e. the frequency plane
  stays covered as evenly as by the tight frame while single wavelets move.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

from parametricSN.scattering.morlet import PARAMETER_NAMES, morlet_fourier, tight_frame_parameters


def warmup_epochs(share: float, epochs: int) -> int:
    """Epochs with frozen filters: ``share`` (0 ≤ share < 1) of ``epochs``, rounded."""
    return int(round(share * epochs))


@contextlib.contextmanager
def filters_frozen(scattering, frozen: bool = True) -> Iterator[None]:
    """Within the block the learnable filter parameters take no gradient (the optimizer then
    leaves them, and their momentum, untouched; no backward pass runs through the transform)."""
    params = list(scattering.filter_parameters().values()) if (frozen and scattering is not None) else []
    previous = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, previous):
            p.requires_grad_(flag)


def littlewood_paley_sum(psi: torch.Tensor) -> torch.Tensor:
    """(n, M, N) real Fourier filters → (M, N) Σ over the n filters of ψ̂(ω)²."""
    return (psi * psi).sum(dim=0)


class LittlewoodPaleyPull:
    """``() -> weight · mean_ω (LP(ω) − LP_tf(ω))² / mean_ω LP_tf(ω)²`` (a scalar tensor).

    LP is the Littlewood–Paley sum of the bank's current wavelets on the padded grid, LP_tf the
    same sum for kymatio's tight-frame bank (J, L) on that grid. The penalty is 0 at the tight
    frame and, divided by mean LP_tf², about 1 for a bank covering the plane unlike it: ``weight``
    compares with the cross-entropy's scale. Differentiable in the bank's parameters.
    """

    def __init__(self, scattering, weight: float):
        self.bank, self.weight = scattering.bank, float(weight)
        tight = tight_frame_parameters(scattering.J, scattering.L)
        with torch.no_grad():
            psi = morlet_fourier(tuple(scattering.padded_shape),
                                 *(torch.as_tensor(tight[n], dtype=torch.float64) for n in PARAMETER_NAMES),
                                 group=scattering.L)
        self.target = littlewood_paley_sum(psi)
        self.scale = float((self.target ** 2).mean())

    def __call__(self) -> torch.Tensor:
        lp = littlewood_paley_sum(self.bank.fourier_filters())
        if self.target.dtype != lp.dtype or self.target.device != lp.device:
            self.target = self.target.to(lp)      # once: the bank's dtype and device do not change
        return self.weight * ((lp - self.target) ** 2).mean() / self.scale


def build_filter_pull(scattering, weight: float) -> LittlewoodPaleyPull | None:
    """The pull of ``scattering.lp_pull`` = ``weight``; None when 0 or the bank is fixed."""
    if weight <= 0 or scattering is None or not scattering.filter_parameters():
        return None
    return LittlewoodPaleyPull(scattering, weight)
