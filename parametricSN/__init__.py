"""parametricSN: parametric scattering networks for small-sample image classification."""

from parametricSN.scattering import ParametricScattering2D

__all__ = ["ParametricScattering2D"]
__version__ = "0.1.0"
