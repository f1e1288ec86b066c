"""The published recipe's table, sampling, Cutout and whole pipeline (docs/augmentation.md)."""

import numpy as np
import pytest
import torch
from torchvision.transforms import v2

from parametricSN.data.autoaugment import cutout, policy, reference
from parametricSN.data.autoaugment.policy import MAGNITUDE_BINS, SUB_POLICIES, draw_subpolicies
from parametricSN.data.transforms import Cutout, HorizontalFlip, RandomCrop, make_augment

# docs/augmentation.md's table, transcribed as written there
PUBLISHED_TABLE = """
(Invert .1 7, Contrast .2 6), (Rotate .7 2, TranslateX .3 9), (Sharpness .8 1, Sharpness .9 3),
(ShearY .5 8, TranslateY .7 9), (AutoContrast .5 8, Equalize .9 2), (ShearY .2 7, Posterize .3 7),
(Color .4 3, Brightness .6 7), (Sharpness .3 9, Brightness .7 9), (Equalize .6 5, Equalize .5 1),
(Contrast .6 7, Sharpness .6 5), (Color .7 7, TranslateX .5 8), (Equalize .3 7, AutoContrast .4 8),
(TranslateY .4 3, Sharpness .2 6), (Brightness .9 6, Color .2 8), (Solarize .5 2, Invert 0 3),
(Equalize .2 0, AutoContrast .6 0), (Equalize .2 8, Equalize .6 4), (Color .9 9, Equalize .6 6),
(AutoContrast .8 4, Solarize .2 8), (Brightness .1 3, Color .7 0), (Solarize .4 5, AutoContrast .9 3),
(TranslateY .9 9, TranslateY .7 9), (AutoContrast .9 2, Solarize .8 3), (Equalize .8 8, Invert .1 3),
(TranslateY .7 9, AutoContrast .9 1)
"""


def parse_spec_table():
    pairs = []
    for chunk in PUBLISHED_TABLE.replace("\n", " ").split("),"):
        ops = []
        for op in chunk.strip(" ()").split(","):
            name, p, m = op.split()
            ops.append((name, float(p), int(m)))
        pairs.append(tuple(ops))
    return pairs


def test_the_25_sub_policies_are_spec_s():
    assert [tuple(pair) for pair in SUB_POLICIES] == parse_spec_table()
    assert len(SUB_POLICIES) == 25


def test_magnitude_bins_are_spec_s():
    np.testing.assert_allclose(MAGNITUDE_BINS["ShearX"][[0, 1]], [-0.3, -0.24])
    np.testing.assert_allclose(MAGNITUDE_BINS["Rotate"][[2, 3]], [-18, -12])
    np.testing.assert_allclose(MAGNITUDE_BINS["TranslateY"][[9, 10]], [0.8 * 150 / 331, 150 / 331])
    np.testing.assert_allclose(MAGNITUDE_BINS["Solarize"][[2, 3]], [51.2, 76.8])
    np.testing.assert_allclose(MAGNITUDE_BINS["Sharpness"][[1, 2]], [0.28, 0.46])
    assert MAGNITUDE_BINS["Posterize"].tolist() == [4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8]
    assert all(MAGNITUDE_BINS[n] is None for n in ("AutoContrast", "Equalize", "Invert"))


@pytest.fixture(scope="module")
def draws():
    torch.manual_seed(0)
    return draw_subpolicies(20_000)


def test_sub_policies_are_drawn_uniformly(draws):
    counts = torch.bincount(draws.policy, minlength=25).double()
    assert counts.min() > 800 - 5 * 28 and counts.max() < 800 + 5 * 28  # 20,000 / 25 ± 5 σ


def test_ops_run_with_their_probability(draws):
    prob = torch.tensor([[p for _, p, _ in pair] for pair in SUB_POLICIES], dtype=torch.float64)[draws.policy]
    for slot in (0, 1):
        for p in prob[:, slot].unique():
            chosen = prob[:, slot] == p
            rate, n, p = draws.runs[chosen, slot].double().mean().item(), chosen.sum().item(), p.item()
            assert abs(rate - p) <= 5 * max(np.sqrt(p * (1 - p) / n), 1e-9)
    never = draws.policy == 14  # (Solarize .5 2, Invert 0 3)
    assert not draws.runs[never, 1].any()


def test_magnitudes_are_uniform_within_their_bin(draws):
    for index, pair in enumerate(SUB_POLICIES):
        for slot, (name, _, m) in enumerate(pair):
            values = draws.values[draws.policy == index, slot].numpy()
            bins = MAGNITUDE_BINS[name]
            if bins is None:
                assert (values == 0).all()
                continue
            low, high = bins[m], bins[m + 1]
            assert values.min() >= low and values.max() <= high, (name, m)
            if high > low:  # covers the bin: both ends reached, mean in the middle
                width = high - low
                assert values.min() < low + 0.02 * width and values.max() > high - 0.02 * width
                assert abs(values.mean() - (low + high) / 2) < 0.05 * width
    rotate = draws.values[draws.policy == 1, 0]
    assert (rotate >= -18).all() and (rotate <= -12).all()  # Rotate m = 2 is one-sided: −18° … −12°


def test_cutout_fill_is_the_truncated_mean_of_the_whole_image():
    x = torch.empty(1, 3, 8, 8, dtype=torch.uint8)
    x[:, 0], x[:, 1], x[:, 2] = 10, 20, 31  # mean 20.33
    out = cutout.mean_cutout(x, torch.tensor([0]), torch.tensor([0]), 4)
    assert (out[0, :, :4, :4] == 20).all() and torch.equal(out[0, :, 4:], x[0, :, 4:])
    assert cutout.image_means(torch.full((2, 1, 3, 3), 255, dtype=torch.uint8)).tolist() == [255, 255]


def test_cutout_block_follows_the_published_rule_and_its_slip():
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(np.uint8)
    x = torch.from_numpy(img).permute(2, 0, 1)[None]
    for t in range(-8, 16):
        for l in range(-8, 16):
            got = cutout.mean_cutout(x, torch.tensor([t]), torch.tensor([l]), 16)[0].permute(1, 2, 0).numpy()
            np.testing.assert_array_equal(got, reference.cutout(img, t, l, 16))
    mask = cutout.cutout_mask(torch.tensor([-5, 3]), torch.tensor([15, 15]), 16, (32, 32))
    assert mask[0].any(0).sum() == 31  # t ≤ 0, l = 15: columns [0, 31), wider than 16
    assert mask[1].any(0).nonzero().flatten().tolist() == list(range(3, 31))  # starts at t = 3


def test_cutout_placement_distribution():
    torch.manual_seed(1)
    n = 24_000
    top, left = cutout.draw_cutout(n, (32, 32), 16)
    for corner in (top, left):
        counts = torch.bincount(corner + 8, minlength=24)
        assert corner.min() == -8 and corner.max() == 15 and len(counts) == 24
        assert counts.min() > 1000 - 5 * 31 and counts.max() < 1000 + 5 * 31
    first_col = cutout.cutout_mask(top, left, 16, (32, 32)).any(1).float().argmax(1)
    # first filled column 0 when l < 0 (8/24) or t ≤ 0 (9/24 of the rest): 7/12, not 9/24 for a plain clip
    assert abs((first_col == 0).float().mean().item() - 7 / 12) < 0.015
    assert torch.equal(first_col, torch.where(left < 0, 0, top.clamp(min=0)))


@pytest.mark.parametrize("side,length,expected", [(32, 16, (-8, 16)), (128, 64, (-32, 64)),
                                                  (224, 112, (-56, 112)), (28, 14, (-7, 14))])
def test_cutout_placement_scales_with_the_image(side, length, expected):
    assert cutout.placement_range(side, length) == expected
    torch.manual_seed(0)
    top, left = cutout.draw_cutout(4000, (side, side), length)
    assert top.min() == expected[0] and top.max() == expected[1] - 1
    assert left.min() == expected[0] and left.max() == expected[1] - 1


def replay_reference(x: torch.Tensor, seed: int, length: int = 16) -> np.ndarray:
    """The recipe per image with PIL / scipy, replaying the torch draws in the pipeline's order:
    crop corners, flips, sub-policies, (u₁, u₂, magnitudes), Cutout tops, Cutout lefts."""
    b = len(x)
    torch.manual_seed(seed)
    tops, lefts = torch.randint(0, 9, (b,)), torch.randint(0, 9, (b,))
    flips = torch.rand(b) < 0.5
    drawn = draw_subpolicies(b)
    cut_top, cut_left = cutout.draw_cutout(b, (32, 32), length)
    out = []
    for i, img in enumerate(x.permute(0, 2, 3, 1).numpy()):
        a = reference.crop_flip(img, int(tops[i]), int(lefts[i]), bool(flips[i]), (32, 32), 4)
        a = reference.apply_subpolicy(a, int(drawn.policy[i]), tuple(drawn.runs[i].tolist()),
                                      tuple(drawn.values[i].tolist()))
        out.append(reference.cutout(a, int(cut_top[i]), int(cut_left[i]), length))
    return np.stack(out)


@pytest.mark.parametrize("channels", [1, 3])
def test_pipeline_is_crop_flip_subpolicy_cutout_as_the_reference(channels):
    gen = torch.Generator().manual_seed(2)
    x = torch.randint(0, 256, (100, channels, 32, 32), dtype=torch.uint8, generator=gen)
    original = x.clone()
    torch.manual_seed(11)
    got = make_augment("autoaugment", "cifar", (32, 32))(x).permute(0, 2, 3, 1).numpy()
    expected = replay_reference(x, 11)
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() >= 0.9999
    assert torch.equal(x, original)


def test_pipeline_reproducible_under_the_torch_seed():
    x = torch.randint(0, 256, (50, 3, 32, 32), dtype=torch.uint8)
    augment = make_augment("autoaugment", "cifar", (32, 32))
    torch.manual_seed(3)
    a = augment(x)
    torch.manual_seed(3)
    b = augment(x)
    torch.manual_seed(4)
    c = augment(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_autoaugment_torchvision_is_the_old_autoaugment():
    """The previous ``autoaugment``: crop, flip, torchvision AutoAugment per image, zero Cutout."""
    x = torch.randint(1, 256, (40, 3, 32, 32), dtype=torch.uint8)
    torch.manual_seed(5)
    got = make_augment("autoaugment-torchvision", "cifar", (32, 32))(x)
    torch.manual_seed(5)
    old = HorizontalFlip()(RandomCrop((32, 32), padding=4)(x))
    tv = v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10)
    old = Cutout(16)(torch.stack([tv(img) for img in old]))
    assert torch.equal(got, old)
    torch.manual_seed(5)
    published = make_augment("autoaugment", "cifar", (32, 32))(x)
    assert not torch.equal(got, published)


@pytest.mark.parametrize("family,channels,stored,side", [("kth", 3, 140, 128), ("xray", 1, 120, 112)])
def test_larger_images_crop_then_use_the_scaled_recipe(family, channels, stored, side):
    x = torch.randint(1, 256, (6, channels, stored, stored), dtype=torch.uint8)
    augment = make_augment("autoaugment", family, (side, side))
    assert [type(s).__name__ for s in augment.steps] == ["RandomCrop", "HorizontalFlip",
                                                         "PublishedAutoAugment", "MeanCutout"]
    assert augment.steps[-1].length == side // 2
    torch.manual_seed(0)
    out = augment(x)
    assert out.shape == (6, channels, side, side) and out.dtype == torch.uint8


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_batch_gives_the_cpu_result():
    x = torch.randint(0, 256, (200, 3, 32, 32), dtype=torch.uint8)
    augment = make_augment("autoaugment", "cifar", (32, 32))
    torch.manual_seed(9)
    cpu = augment(x)
    torch.manual_seed(9)
    gpu = augment(x.cuda())
    assert gpu.device.type == "cuda"
    diff = (gpu.cpu().int() - cpu.int()).abs()
    assert diff.max() <= 1 and (diff == 0).float().mean() >= 0.9999


def test_policy_module_names_every_op_it_uses():
    used = {name for pair in SUB_POLICIES for name, _, _ in pair}
    assert used <= set(policy.OPS) and used <= set(MAGNITUDE_BINS)
