import pytest
import torch

from parametricSN.catalog import DIGITS_TEST_SIZE
from parametricSN.data import build_data
from parametricSN.data.digits import DIGITS_MEAN, DIGITS_STD, digits_images, digits_split
from parametricSN.errors import UserError


def cfg(**dataset):
    ds = {"name": "digits", "train_sample_num": 50, "augment": "autoaugment"}
    seed = dataset.pop("seed", 0)
    ds.update(dataset)
    return {"general": {"seed": seed}, "dataset": ds}


def test_end_to_end_shapes_and_balance():
    bundle = build_data(cfg())
    assert DIGITS_TEST_SIZE == 360
    assert bundle.train_images.shape == (50, 1, 32, 32) and bundle.train_images.dtype == torch.uint8
    assert bundle.test_images.shape == (360, 1, 32, 32)
    assert torch.bincount(bundle.train_targets).tolist() == [5] * 10
    assert bundle.in_channels == 1 and bundle.num_classes == 10 and bundle.image_size == (32, 32)
    assert bundle.train_images.max() > 200  # 0..16 scaled to 0..255
    torch.manual_seed(0)
    batch = bundle.normalize(bundle.to_float(bundle.augment(bundle.train_images[:8])))
    assert batch.shape == (8, 1, 32, 32) and batch.dtype == torch.float32


def test_split_is_fixed_and_never_depends_on_the_seed():
    train, test = digits_split()
    assert len(train) == 1437 and len(test) == DIGITS_TEST_SIZE
    assert not set(train.tolist()) & set(test.tolist())
    a, b = build_data(cfg(seed=0)), build_data(cfg(seed=1))
    assert torch.equal(a.test_images, b.test_images) and torch.equal(a.test_targets, b.test_targets)
    assert not torch.equal(a.train_images, b.train_images)
    assert set(a.train_indices.tolist()) <= set(range(1437))


def test_normalisation_constants_are_the_train_split_statistics():
    images, _ = digits_images()
    train, _ = digits_split()
    x = images[torch.from_numpy(train)].double() / 255
    assert x.mean().item() == pytest.approx(DIGITS_MEAN[0], abs=1e-3)
    assert x.std().item() == pytest.approx(DIGITS_STD[0], abs=1e-3)


def test_upsampling_keeps_the_digit():
    from sklearn.datasets import load_digits

    images, targets = digits_images()
    small = torch.nn.functional.avg_pool2d(images[:20].float(), 4)  # back to 8×8
    original = torch.from_numpy(load_digits().images[:20] * 255 / 16).float()[:, None]
    assert (small - original).abs().mean() < 25
    assert targets[:10].tolist() == list(range(10))


def test_test_subset_and_bad_sample_number():
    bundle = build_data(cfg(test_sample_num=50))
    assert torch.bincount(bundle.test_targets).tolist() == [5] * 10
    with pytest.raises(UserError, match="dataset.train_sample_num=15"):
        build_data(cfg(train_sample_num=15))


def test_test_data_is_never_augmented():
    torch.manual_seed(0)
    a = build_data(cfg(augment="autoaugment"))
    torch.manual_seed(1)
    b = build_data(cfg(augment="noaugment"))
    assert torch.equal(a.test_images, b.test_images)
    images, _ = digits_images()
    _, test = digits_split()
    assert torch.equal(a.test_images, images[torch.from_numpy(test)])
