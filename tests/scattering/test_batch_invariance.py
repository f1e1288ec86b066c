"""On CPU an image's coefficients do not depend on the batch it comes in: ``layer(x)[i]`` is
bitwise ``layer(x[i:i+1])[0]`` and the rows of ``layer(x[a:b])``, for fixed and learnable banks,
batches spanning several internal chunks, odd sizes and 1 or 2 threads (a feature cache relies
on it). On other devices no host synchronisation happens in forward (checked on ``meta``)."""

import pytest
import torch

from parametricSN.scattering import ParametricScattering2D
from parametricSN.scattering.transform import chunk_size


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def threads(request):
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)


@pytest.mark.parametrize("learnable", [False, True], ids=["fixed", "learnable"])
def test_coefficients_do_not_depend_on_the_batch(threads, learnable):
    layer = ParametricScattering2D(2, (32, 32), L=8, learnable=learnable)
    x = torch.randn(300, 3, 32, 32, generator=torch.Generator().manual_seed(11))
    assert 300 * 3 > 3 * chunk_size(2, 8, layer.padded_shape, x.device)     # several chunks
    with torch.no_grad():
        full = layer(x)
        for i in (0, 1, 7, 150, 298, 299):
            assert torch.equal(layer(x[i:i + 1])[0], full[i]), f"image {i} alone"
        for a, b in ((0, 37), (5, 118), (101, 300), (13, 14), (250, 299)):
            assert torch.equal(layer(x[a:b]), full[a:b]), f"images {a}:{b}"
        permuted = torch.arange(299, -1, -1)
        assert torch.equal(layer(x[permuted]), full[permuted])


def test_coefficients_with_and_without_autograd_are_equal():
    # the no-autograd path reuses buffers and works in place: same numbers
    layer = ParametricScattering2D(2, (32, 32), L=8, learnable=True)
    x = torch.randn(45, 1, 32, 32, generator=torch.Generator().manual_seed(12))
    with torch.no_grad():
        inference = layer(x)
    assert torch.equal(layer(x).detach(), inference)


@pytest.mark.parametrize("learnable", [False, True], ids=["fixed", "learnable"])
def test_forward_and_backward_need_no_host_synchronisation_off_cpu(learnable):
    # on the meta device any read-back of a value to the host (``.item()``) raises
    layer = ParametricScattering2D(2, (16, 20), L=4, learnable=learnable).to("meta")
    y = layer(torch.empty(2, 3, 16, 20, device="meta"))
    assert y.shape == (2, 3, layer.K, *layer.output_shape) and y.device.type == "meta"
    if learnable:
        y.sum().backward()
        assert all(p.grad is not None and p.grad.device.type == "meta" for p in layer.parameters())
