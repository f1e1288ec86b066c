"""Each op of the published recipe (docs/augmentation.md), batched in torch, against PIL / scipy on the same
images at drawn magnitudes (both signs, 1 and 3 channels)."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageFilter, ImageOps
from scipy import ndimage

from parametricSN.data.autoaugment import colour, geometric, reference
from parametricSN.data.autoaugment.policy import MAGNITUDE_BINS, OPS

COLOUR_OPS = ["Color", "Contrast", "Brightness", "Sharpness", "AutoContrast", "Equalize", "Invert",
              "Posterize", "Solarize"]
GEOMETRIC_OPS = ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"]


def images(rng: np.random.Generator, count: int, channels: int, size=(9, 11)) -> np.ndarray:
    """uint8 (count, H, W, C): uniform noise, few-level, narrow-range and constant images."""
    out = []
    for i in range(count):
        shape = (*size, channels)
        kind = i % 4
        if kind == 0:
            img = rng.integers(0, 256, shape)
        elif kind == 1:
            img = rng.choice([0, 17, 200, 255], shape)
        elif kind == 2:
            img = rng.integers(90, 140, shape)
        else:
            img = np.full(shape, rng.integers(0, 256))
        out.append(img.astype(np.uint8))
    return np.stack(out)


def draw_values(rng: np.random.Generator, name: str, count: int) -> np.ndarray:
    """A value per image, each from a random bin m of the op (both signs for signed ranges)."""
    bins = MAGNITUDE_BINS[name]
    if bins is None:
        return np.zeros(count)
    m = rng.integers(0, 10, count)
    return rng.uniform(bins[m], bins[m + 1])


def batched(name: str, imgs: np.ndarray, values: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous()
    return OPS[name](x, torch.from_numpy(values)).permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", COLOUR_OPS)
def test_colour_ops_are_bit_exact_with_pil(name, channels):
    rng = np.random.default_rng([COLOUR_OPS.index(name), channels])
    imgs = images(rng, 24, channels)
    values = draw_values(rng, name, len(imgs))
    out = batched(name, imgs, values)
    for img, value, got in zip(imgs, values, out):
        np.testing.assert_array_equal(got, reference.apply_op(img, name, value), err_msg=f"{name} at {value}")


@pytest.mark.parametrize("factor", [0.1, 0.3, 0.7, 1.0, 1.3, 1.9])
def test_enhance_blend_rounds_like_pil_at_round_factors(factor):
    """Factors like 0.7 are not exact in float32: PIL's single-precision multiply-then-add and the
    truncation decide values that land on integers."""
    rng = np.random.default_rng(5)
    imgs = rng.integers(0, 256, (4, 16, 16, 3)).astype(np.uint8)
    for name, enhancer in [("Brightness", ImageEnhance.Brightness), ("Contrast", ImageEnhance.Contrast),
                           ("Color", ImageEnhance.Color), ("Sharpness", ImageEnhance.Sharpness)]:
        out = batched(name, imgs, np.full(len(imgs), factor))
        for img, got in zip(imgs, out):
            np.testing.assert_array_equal(got, np.asarray(enhancer(Image.fromarray(img)).enhance(factor)))


def test_color_is_the_identity_on_grayscale_as_pil_mode_L():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (1, 1, 8, 8), dtype=np.uint8)
    for factor in (0.1, 0.5, 1.9):
        pil = np.asarray(ImageEnhance.Color(Image.fromarray(img[0, 0], "L")).enhance(factor))
        np.testing.assert_array_equal(pil, img[0, 0])
        got = colour.color(torch.from_numpy(img), torch.tensor([factor], dtype=torch.float64))
        assert torch.equal(got, torch.from_numpy(img))


def test_contrast_blends_with_the_rounded_grayscale_mean():
    # gray mean 100.5 → PIL uses 101 (int(mean + 0.5)); the unrounded mean gives other values
    img = np.array([[100, 101]], dtype=np.uint8)
    x = torch.from_numpy(img)[None, None]
    got = colour.contrast(x, torch.tensor([1.9], dtype=torch.float64))
    expected = np.asarray(ImageEnhance.Contrast(Image.fromarray(img, "L")).enhance(1.9))
    np.testing.assert_array_equal(got[0, 0].numpy(), expected)
    assert got[0, 0].tolist() == [[99, 101]]  # 101 + 1.9·(100 − 101) = 99.1 → 99


def test_sharpness_leaves_the_border_and_smooths_the_inside():
    img = np.zeros((5, 5), dtype=np.uint8)
    img[2, 2] = 130
    img[0, 0] = 255
    x = torch.from_numpy(img)[None, None]
    smooth = colour.smooth(x)[0, 0].numpy()
    assert smooth[0, 0] == 255 and smooth[2, 2] == 50 and smooth[1, 1] == 30  # 5·130/13, (130 + 255)/13
    got = colour.sharpness(x, torch.tensor([0.0], dtype=torch.float64))[0, 0].numpy()
    np.testing.assert_array_equal(got, smooth)
    np.testing.assert_array_equal(smooth, np.asarray(Image.fromarray(img, "L").filter(ImageFilter.SMOOTH)))


@pytest.mark.parametrize("levels", [[0, 255], [3, 4, 5], [7], [0, 1, 2, 3, 250]])
def test_equalize_matches_pil_on_sparse_histograms(levels):
    rng = np.random.default_rng(len(levels))
    weights = np.linspace(1, 3, len(levels))
    img = rng.choice(levels, (1, 3, 13, 7), p=weights / weights.sum()).astype(np.uint8)
    got = colour.equalize(torch.from_numpy(img))[0].permute(1, 2, 0).numpy()
    expected = np.asarray(ImageOps.equalize(Image.fromarray(img[0].transpose(1, 2, 0))))
    np.testing.assert_array_equal(got, expected)


def test_solarize_threshold_is_not_rounded():
    x = torch.tensor([[[[51, 52, 53]]]], dtype=torch.uint8)
    got = colour.solarize(x, torch.tensor([52.3], dtype=torch.float64))
    assert got.flatten().tolist() == [51, 52, 255 - 53]
    pil = ImageOps.solarize(Image.fromarray(x[0, 0].numpy(), "L"), 52.3)
    assert np.asarray(pil).flatten().tolist() == [51, 52, 202]


def scipy_reference_float(img: np.ndarray, matrix: np.ndarray, offset: np.ndarray) -> np.ndarray:
    return np.stack([ndimage.affine_transform(img[:, :, k].astype(np.float64), matrix, offset=offset, order=3,
                                              mode="constant", cval=0.0, output=np.float64)
                     for k in range(img.shape[2])])


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", GEOMETRIC_OPS)
def test_geometric_ops_match_scipy(name, channels):
    """After the uint8 cast: at least 99.9 % of the pixels exact, none off by more than 1 (measured:
    all exact); both signs of every signed range."""
    rng = np.random.default_rng([GEOMETRIC_OPS.index(name), channels, 1])
    imgs = rng.integers(0, 256, (16, 12, 10, channels)).astype(np.uint8)
    values = draw_values(rng, name, len(imgs))
    values[:8] = -np.abs(values[:8])
    values[8:] = np.abs(values[8:])
    out = batched(name, imgs, values)
    expected = np.stack([reference.apply_op(img, name, v) for img, v in zip(imgs, values)])
    diff = np.abs(out.astype(int) - expected.astype(int))
    assert diff.max() <= 1
    assert (diff == 0).mean() >= 0.999
    assert (expected == 0).any() and (expected != 0).mean() > 0.5  # zero fill happened, image kept


def test_affine_values_match_scipy_before_the_cast():
    rng = np.random.default_rng(3)
    for h, w in [(7, 5), (2, 9), (1, 4), (16, 16)]:
        img = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        matrix = np.eye(2) + rng.normal(0, 0.3, (2, 2))
        offset = rng.normal(0, 2, 2)
        got = geometric.spline_affine(torch.from_numpy(img).permute(2, 0, 1)[None],
                                      torch.from_numpy(matrix)[None], torch.from_numpy(offset)[None])[0]
        np.testing.assert_allclose(got.numpy(), scipy_reference_float(img, matrix, offset), atol=1e-9)


def test_points_just_outside_the_image_are_zero_not_interpolated():
    """scipy mode='constant': a coordinate past the last pixel by 1e-9 is cval, with no blend toward it;
    at exactly the last pixel the value is the pixel (mirror-prefiltered spline interpolates)."""
    img = torch.randint(1, 256, (1, 1, 6, 6), dtype=torch.uint8)
    shifted = geometric.translate_x(img, torch.tensor([1e-9], dtype=torch.float64))
    assert torch.equal(shifted[..., :5], img[..., :5]) and (shifted[..., 5] == 0).all()
    back = geometric.translate_x(img, torch.tensor([-1.0], dtype=torch.float64))
    assert torch.equal(back[..., 1:], img[..., :5]) and (back[..., 0] == 0).all()
    expected = ndimage.affine_transform(img[0, 0].numpy(), np.eye(2), offset=(0, 1e-9), order=3,
                                        mode="constant")
    np.testing.assert_array_equal(shifted[0, 0].numpy(), expected)


def test_shear_and_rotation_act_about_the_predecessor_centre():
    """Centre (H/2 + 0.5, W/2 + 0.5) = (16.5, 16.5) at 32×32: ShearX reads row + s·(col − 16.5)."""
    s = torch.tensor([0.25], dtype=torch.float64)
    matrix = torch.tensor([[[1.0, 0.25], [0.0, 1.0]]], dtype=torch.float64)
    offset = geometric._about_centre(matrix, (32, 32))
    assert offset.tolist() == [[-0.25 * 16.5, 0.0]]
    img = torch.randint(0, 256, (1, 3, 32, 32), dtype=torch.uint8)
    assert torch.equal(geometric.shear_x(img, s), geometric.affine_warp(img, matrix, offset))
    rot = geometric.rotation_matrix(torch.tensor([90.0], dtype=torch.float64))
    np.testing.assert_allclose(rot[0].numpy(), [[0, -1], [1, 0]], atol=1e-15)


def test_translate_is_a_fraction_of_the_width_or_height():
    rng = np.random.default_rng(4)
    img = rng.integers(0, 256, (1, 6, 16, 3)).astype(np.uint8)  # H 6, W 16
    out_x = batched("TranslateX", img, np.array([0.25]))
    np.testing.assert_array_equal(out_x[0, :, :12], img[0, :, 4:])  # 0.25 · 16 = 4 whole pixels
    out_y = batched("TranslateY", img, np.array([-0.5]))
    np.testing.assert_array_equal(out_y[0, 3:], img[0, :3])  # −0.5 · 6 = −3 rows


def test_posterize_keeps_the_high_bits():
    x = torch.tensor([[[[255, 129, 64, 7]]]], dtype=torch.uint8).repeat(2, 1, 1, 1)
    got = OPS["Posterize"](x, torch.tensor([7.9, 4.2], dtype=torch.float64))  # bits 7, 4
    assert got[0].flatten().tolist() == [254, 128, 64, 6]
    assert got[1].flatten().tolist() == [240, 128, 64, 0]


def test_ops_leave_their_input_untouched():
    x = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    before = x.clone()
    values = {"Posterize": 6.0, "Solarize": 128.0}
    for name in OPS:
        out = OPS[name](x, torch.full((4,), values.get(name, 0.6), dtype=torch.float64))
        assert out.shape == x.shape and out.dtype == torch.uint8
    assert torch.equal(x, before)
