"""Shared helpers for the engine tests: kymatio's reference transform, built once per bank."""

import functools

import pytest


@functools.lru_cache(maxsize=None)
def _kymatio(J, shape, L, max_order):
    from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D
    return ScatteringTorch2D(J=J, shape=shape, L=L, max_order=max_order)


@pytest.fixture(scope="session")
def kymatio_scattering():
    """kymatio_scattering(J, shape, L, max_order=2) -> kymatio's ScatteringTorch2D (cached).

    Imports the 2D torch frontend directly: ``kymatio.torch`` fails to import with SciPy ≥ 1.17.
    """
    pytest.importorskip("kymatio")

    def build(J, shape, L, max_order=2):
        return _kymatio(J, tuple(shape), L, max_order)

    return build


@pytest.fixture(scope="session")
def relative_error():
    """relative_error(a, b) -> ‖a − b‖₂ / ‖b‖₂ as a float."""
    return lambda a, b: ((a - b).norm() / b.norm()).item()
