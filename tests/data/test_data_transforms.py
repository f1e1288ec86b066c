import pytest
import torch

from parametricSN.data.images import center_crop
from parametricSN.data.transforms import AUGMENTATIONS, Cutout, cutout_length, make_augment
from parametricSN.errors import UserError

CASES = [  # family, channels, stored side, model side
    ("cifar", 3, 32, 32), ("cifar", 1, 32, 28), ("kth", 3, 200, 128), ("xray", 1, 260, 224)]


@pytest.mark.parametrize("mode", ["autoaugment", "autoaugment-torchvision", "original-cifar", "noaugment"])
@pytest.mark.parametrize("family,channels,stored,side", CASES)
def test_shapes_dtypes_and_reproducible(mode, family, channels, stored, side):
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (3, channels, stored, stored), dtype=torch.uint8, generator=gen)
    original = x.clone()
    augment = make_augment(mode, family, (side, side))
    torch.manual_seed(7)
    a = augment(x)
    torch.manual_seed(7)
    b = augment(x)
    assert a.dtype == torch.uint8 and a.shape == (3, channels, side, side)
    assert torch.equal(a, b)
    assert torch.equal(x, original)  # the stored images are never modified
    if mode == "noaugment":
        assert torch.equal(a, center_crop(x, (side, side)))
    else:
        torch.manual_seed(8)
        assert not torch.equal(a, augment(x))


def test_original_cifar_is_a_padded_crop_maybe_flipped():
    x = torch.randint(1, 256, (6, 3, 32, 32), dtype=torch.uint8)
    torch.manual_seed(3)
    out = make_augment("original-cifar", "cifar", (32, 32))(x)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for img, pad in zip(out, padded):
        candidates = [src[:, t:t + 32, l:l + 32] for src in (pad, pad.flip(-1))
                      for t in range(9) for l in range(9)]
        assert any(torch.equal(img, c) for c in candidates)


def test_kth_original_cifar_rotates_at_most_10_degrees():
    x = torch.full((8, 3, 200, 200), 200, dtype=torch.uint8)
    torch.manual_seed(0)
    rotated = make_augment("original-cifar", "kth", (200, 200))(x)  # full-size crop: rotation only
    zero_fraction = (rotated[:, 0] == 0).flatten(1).float().mean(1)
    assert (zero_fraction > 0).any()  # corners filled with zeros by the rotation
    # rotating a square by 10° leaves ≈ 7.3% of it uncovered (20°: ≈ 12%)
    assert (zero_fraction < 0.09).all()


def test_cutout_zeroes_one_clipped_square():
    x = torch.full((20, 1, 32, 32), 255, dtype=torch.uint8)
    torch.manual_seed(0)
    out = Cutout(16)(x)
    for img in out:
        hole = img[0] == 0
        rows, cols = hole.any(1).nonzero().flatten(), hole.any(0).nonzero().flatten()
        assert 0 < hole.sum() <= 256
        assert hole.sum() == len(rows) * len(cols)  # a rectangle
        assert len(rows) <= 16 and len(cols) <= 16


def test_cutout_length_scales_with_size():
    assert cutout_length((32, 32)) == 16
    assert cutout_length((128, 128)) == 64
    assert cutout_length((224, 224)) == 112


def test_bad_inputs():
    with pytest.raises(UserError, match="dataset.augment='glico'") as err:
        make_augment("glico", "cifar", (32, 32))
    assert "\n" not in str(err.value) and all(mode in str(err.value) for mode in AUGMENTATIONS)
    assert AUGMENTATIONS == ("autoaugment", "autoaugment-torchvision", "original-cifar", "noaugment")
    with pytest.raises(ValueError):
        make_augment("noaugment", "cifar", (32, 32))(torch.zeros(2, 3, 32, 32))


def test_every_configurable_mode_is_implemented():
    from parametricSN.config import SCHEMA
    assert set(SCHEMA["dataset"]["augment"].choices) == set(AUGMENTATIONS)
    for mode in AUGMENTATIONS:
        assert make_augment(mode, "cifar", (32, 32)).mode == mode
