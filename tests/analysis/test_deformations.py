"""The six deformations: identity at strength 0, shapes kept for 1/3 channels and any size,
each one actually changes the image, and the diffeomorphism's strength is sup‖∇τ‖."""
import pytest
import torch

from parametricSN.analysis.deformations import (DEFORMATIONS, DIFFEO_UNIT_SIZE, STRENGTH_COUNT,
                                                diffeo_displacement, get_deformations)
from parametricSN.errors import UserError

EXPECTED = {"rotation": 10.0, "shear": 10.0, "perspective": 0.2, "sharpness": 50.0,
            "translation": 10.0, "diffeo": 0.8}


def _smooth_images(channels, height, width):
    """(2, C, H, W) in [0, 1]: a smooth blob plus texture, so every deformation has something to move."""
    gen = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    blob = torch.exp(-((xx - 0.2) ** 2 + (yy + 0.1) ** 2) * 4)
    noise = torch.rand(2, channels, height, width, generator=gen)
    return (0.7 * blob + 0.3 * noise).clamp(0, 1)


def test_the_six_deformations_and_their_ranges():
    assert {name: d.max_strength for name, d in DEFORMATIONS.items()} == EXPECTED
    for d in DEFORMATIONS.values():
        strengths = d.strengths()
        assert strengths.shape == (STRENGTH_COUNT,) and strengths[0] == 0
        assert strengths[-1] == pytest.approx(d.max_strength)


@pytest.mark.parametrize("shape", [(1, 32, 32), (3, 20, 28)])
@pytest.mark.parametrize("name", list(DEFORMATIONS))
def test_identity_at_zero_shape_kept_and_image_changed(name, shape):
    images = _smooth_images(*shape)
    d = DEFORMATIONS[name]
    assert torch.equal(d(images, 0.0), images)
    moved = d(images, d.max_strength)
    assert moved.shape == images.shape and moved.dtype == images.dtype
    assert (moved - images).abs().mean() > 1e-3
    assert moved.min() >= -1e-6 and moved.max() <= 1 + 1e-6


def test_translation_is_a_horizontal_shift_in_percent_of_width():
    images = _smooth_images(1, 8, 20)
    shifted = DEFORMATIONS["translation"](images, 10.0)  # 10% of 20 pixels = 2 pixels
    torch.testing.assert_close(shifted[..., 2:], images[..., :-2])
    assert torch.all(shifted[..., :2] == 0)


def test_rotation_turns_counter_clockwise_by_the_angle():
    images = torch.zeros(1, 1, 33, 33)
    images[..., 16, 20:30] = 1.0  # a bar pointing right from the centre
    rotated = DEFORMATIONS["rotation"](images, 10.0)
    # counter-clockwise on screen: the far end of the bar moves up (smaller row index)
    rows = torch.arange(33, dtype=torch.float32)
    column = rotated[0, 0, :, 28]
    assert (column * rows).sum() / column.sum() < 16 - 1.0


def test_diffeo_strength_is_the_sup_of_the_jacobian_norm():
    assert DIFFEO_UNIT_SIZE == pytest.approx(0.81623, abs=1e-5)
    # finite differences of τ on a fine grid of [-1, 1]²
    n = 201
    u = torch.linspace(-1, 1, n, dtype=torch.float64)
    u1, u0 = torch.meshgrid(u, u, indexing="ij")
    for size in (0.1, 0.5):
        t0, t1 = diffeo_displacement(u0, u1, size)
        h = float(u[1] - u[0])
        jac = torch.stack([torch.stack(torch.gradient(t, spacing=(h, h))[::-1], -1) for t in (t0, t1)], -2)
        sup = torch.linalg.matrix_norm(jac, ord=2).max().item()
        assert sup == pytest.approx(size, rel=1e-2)


def test_get_deformations_subsets_and_rejects_unknown_names():
    assert [d.name for d in get_deformations(["shear", "rotation", "shear"])] == ["shear", "rotation"]
    assert len(get_deformations(None)) == 6
    with pytest.raises(UserError, match="allowed: rotation"):
        get_deformations(["twist"])


def test_batch_members_are_deformed_independently():
    images = _smooth_images(3, 16, 16)
    for d in DEFORMATIONS.values():
        both = d(images, d.max_strength / 2)
        torch.testing.assert_close(both[1:], d(images[1:], d.max_strength / 2))
