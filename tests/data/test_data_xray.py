import pytest
import torch

from parametricSN.data import balanced_subset_indices, build_data
from parametricSN.data.xray import read_label_file
from parametricSN.errors import UserError

TRAIN = [("first.png", "positive"), ("b.png", "negative"), ("c.jpg", "positive"),
         ("d.png", "negative"), ("e.png", "positive"), ("f.png", "negative")]
TEST = [(f"t{k}.png", "negative" if k % 2 else "positive") for k in range(8)]


def test_label_file_keeps_the_first_line(tmp_path, writers):
    writers.xray(tmp_path / "COVIDx-CXR2", TRAIN, TEST)
    text = (tmp_path / "COVIDx-CXR2" / "train.txt").read_text()
    assert text.startswith("1001 first.png positive cohen\n")  # no header: line 1 is a sample
    names, targets = read_label_file(tmp_path / "COVIDx-CXR2" / "train.txt")
    assert names[0] == "first.png" and len(names) == 6
    assert targets.tolist() == [1, 0, 1, 0, 1, 0]


def test_build_grayscale_sizes_and_first_sample(tmp_path, writers, make_config):
    writers.xray(tmp_path / "COVIDx-CXR2", TRAIN, TEST)
    bundle = build_data(make_config("xray", tmp_path, train_sample_num=None, test_sample_num=4, seed=5))
    assert bundle.in_channels == 1 and bundle.class_names == ["negative", "positive"]
    assert bundle.train_images.shape == (6, 1, 260, 260) and bundle.train_images.dtype == torch.uint8
    assert bundle.test_images.shape == (4, 1, 224, 224)
    assert bundle.train_images[0, 0, 0, 0].item() == 3  # line 1 (first.png) is there
    assert bundle.train_targets.tolist() == [1, 0, 1, 0, 1, 0]
    expected = balanced_subset_indices([1, 0] * 4, 4, 5, key="dataset.test_sample_num")
    assert bundle.test_images[:, 0, 5, 5].tolist() == [3 * (i + 1) for i in expected]
    assert sorted(bundle.test_targets.tolist()) == [0, 0, 1, 1]
    assert bundle.mean == (0.449,) and bundle.std == (0.226,)


def test_only_the_subset_is_read(tmp_path, writers, make_config):
    rows = [(f"img{k:02d}.png", "positive" if k % 3 else "negative") for k in range(30)]
    targets = [1 if k % 3 else 0 for k in range(30)]
    chosen = balanced_subset_indices(targets, 4, 77)
    skip = {rows[k][0] for k in range(30) if k not in set(chosen.tolist())}
    writers.xray(tmp_path / "COVIDx-CXR2", rows, TEST, skip=skip)  # unchosen files do not exist
    bundle = build_data(make_config("xray", tmp_path, train_sample_num=4, test_sample_num=8, seed=77))
    assert bundle.train_images[:, 0, 0, 0].tolist() == [3 * (k + 1) for k in chosen]


def test_default_test_set_is_400_balanced(tmp_path, writers, make_config):
    writers.xray(tmp_path / "COVIDx-CXR2", TRAIN, TEST)
    with pytest.raises(UserError, match="dataset.test_sample_num=400"):
        build_data(make_config("xray", tmp_path, train_sample_num=2))


def test_bad_class_names_line(tmp_path, writers, make_config):
    writers.xray(tmp_path / "COVIDx-CXR2", TRAIN + [("g.png", "COVID-19")], TEST)
    with pytest.raises(UserError, match="train.txt line 7: class 'covid-19'"):
        build_data(make_config("xray", tmp_path, train_sample_num=2, test_sample_num=2))


def test_missing_dataset(tmp_path, make_config):
    with pytest.raises(UserError) as err:
        build_data(make_config("xray", tmp_path))
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "COVIDx-CXR2") in message
    assert "https://www.kaggle.com/andyczhao/covidx-cxr2" in message


def test_missing_image_named(tmp_path, writers, make_config):
    writers.xray(tmp_path / "COVIDx-CXR2", TRAIN, TEST, skip={"first.png"})
    with pytest.raises(UserError, match="first.png"):
        build_data(make_config("xray", tmp_path, train_sample_num=None, test_sample_num=2))


@pytest.mark.parametrize("mode", ["autoaugment", "original-cifar", "noaugment"])
def test_augment_from_stored_260(tmp_path, writers, make_config, mode):
    writers.xray(tmp_path / "COVIDx-CXR2", TRAIN, TEST)
    bundle = build_data(make_config("xray", tmp_path, train_sample_num=2, test_sample_num=2, augment=mode))
    torch.manual_seed(1)
    out = bundle.augment(bundle.train_images)
    assert out.shape == (2, 1, 224, 224) and out.dtype == torch.uint8
