"""The parametric scattering engine: a differentiable 2D Morlet scattering layer.

    from parametricSN.scattering import ParametricScattering2D
    scat = ParametricScattering2D(J=2, shape=(32, 32), L=8, learnable=True)
    scat(x)   # (B, C, H, W) -> (B, C, K, H/4, W/4)
"""

from parametricSN.scattering.distance import bank_distance
from parametricSN.scattering.layer import ParametricScattering2D
from parametricSN.scattering.morlet import tight_frame_parameters

__all__ = ["ParametricScattering2D", "bank_distance", "tight_frame_parameters"]
