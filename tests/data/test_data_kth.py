import numpy as np
import pytest
import torch

from parametricSN.data import balanced_subset_indices, build_data
from parametricSN.errors import UserError


@pytest.fixture
def kth_root(tmp_path, writers):
    writers.kth(tmp_path / "KTH-TIPS2-b")
    return tmp_path


def test_train_on_one_sample_test_on_the_other_three(kth_root, make_config):
    bundle = build_data(make_config("kth", kth_root, sample="b", train_sample_num=None))
    assert bundle.class_names == ["cork", "linen", "wool"] and bundle.num_classes == 3
    assert bundle.train_images.shape == (6, 3, 200, 200) and bundle.train_images.dtype == torch.uint8
    assert bundle.test_images.shape == (18, 3, 128, 128)
    assert (bundle.train_images[:, 1] == 50).all()  # G = 50 * sample number: b only
    assert sorted(set(bundle.test_images[:, 1, 0, 0].tolist())) == [0, 100, 150]
    assert bundle.train_targets.tolist() == [0, 0, 1, 1, 2, 2]
    assert (bundle.test_images[:, 2, 0, 0] // 10 == bundle.test_targets).all()
    # test = resize 200 (already) + centre crop 128: columns 36..163 of the R ramp
    assert bundle.test_images[0, 0, 0].tolist() == list(range(36, 164))
    assert bundle.image_size == (128, 128) and bundle.in_channels == 3
    assert bundle.mean == (0.485, 0.456, 0.406) and bundle.std == (0.229, 0.224, 0.225)


def test_balanced_train_subset_reads_only_needed_images(kth_root, make_config, monkeypatch):
    import parametricSN.data.decoding as decoding

    calls = []
    real = decoding.decode_file
    monkeypatch.setattr(decoding, "decode_file", lambda p, *a, **k: calls.append(p) or real(p, *a, **k))
    bundle = build_data(make_config("kth", kth_root, sample="a", train_sample_num=3, seed=9))
    expected = balanced_subset_indices(np.repeat(np.arange(3), 2), 3, 9)
    assert bundle.train_indices.tolist() == expected.tolist()
    assert (bundle.train_images[:, 2, 0, 0] % 10).tolist() == (expected % 2).tolist()
    assert len(calls) == 3 + 18
    assert all("sample_a" in str(p) for p in calls[:3])


def test_odd_sizes_are_stretched_to_200_as_published(kth_root, make_config):
    """Image 1 of sample d is 258 wide × 94 high (as corduroy 42b-scale_10_im_10): resized to
    200×200 without keeping its aspect ratio, every column of it stays (the R ramp spans 0..255);
    covering would have kept only its middle columns (about 84..175)."""
    bundle = build_data(make_config("kth", kth_root, sample="d", train_sample_num=None))
    odd = bundle.train_images[1]
    assert odd.shape == (3, 200, 200) and (odd[1] == 150).all()
    assert int(odd[0, 50, 0]) <= 2 and abs(int(odd[0, 50, 150]) - 194) <= 2


def test_other_sizes_resize_to_200(tmp_path, writers, make_config):
    writers.kth(tmp_path / "KTH-TIPS2-b", materials=("wool", "cork"), per_sample=1, size=100)
    bundle = build_data(make_config("kth", tmp_path, train_sample_num=None))
    assert bundle.train_images.shape == (2, 3, 200, 200)


@pytest.mark.parametrize("mode", ["autoaugment", "original-cifar", "noaugment"])
def test_augment_from_stored_200(kth_root, make_config, mode):
    bundle = build_data(make_config("kth", kth_root, train_sample_num=None, augment=mode))
    torch.manual_seed(0)
    out = bundle.augment(bundle.train_images[:2])
    assert out.shape == (2, 3, 128, 128) and out.dtype == torch.uint8


def test_missing_dataset(tmp_path, make_config):
    with pytest.raises(UserError) as err:
        build_data(make_config("kth", tmp_path))
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "KTH-TIPS2-b") in message
    assert "https://www.csc.kth.se/cvap/databases/kth-tips/download.html" in message
    assert "<material>/sample_<a|b|c|d>/*.png" in message


def test_missing_sample_folder(kth_root, make_config):
    import shutil

    shutil.rmtree(kth_root / "KTH-TIPS2-b" / "linen" / "sample_c")
    with pytest.raises(UserError, match="linen/sample_c"):
        build_data(make_config("kth", kth_root, train_sample_num=None))


def test_num_classes_must_match_disk(kth_root, make_config):
    with pytest.raises(UserError, match="dataset.num_classes=11 .* holds 3 classes"):
        build_data(make_config("kth", kth_root, num_classes=11))
