import numpy as np
import pytest
import torch

from parametricSN.data import balanced_subset_indices, build_data
from parametricSN.data.cifar import CIFAR_MEAN, CIFAR_STD, find_format
from parametricSN.errors import UserError


@pytest.mark.parametrize("bytes_keys", [True, False])
def test_python_batches(tmp_path, writers, make_config, bytes_keys):
    train_labels, test_labels = writers.cifar_batches(tmp_path / "cifar10", bytes_keys=bytes_keys)
    bundle = build_data(make_config("cifar", tmp_path, train_sample_num=20, seed=11))
    expected = balanced_subset_indices(train_labels, 20, 11)
    assert bundle.train_images.shape == (20, 3, 32, 32) and bundle.train_images.dtype == torch.uint8
    # G plane holds the dataset index, B plane 20 * label, R plane the row number
    assert bundle.train_images[:, 1, 0, 0].tolist() == expected.tolist()
    assert bundle.train_targets.dtype == torch.int64
    assert bundle.train_targets.tolist() == train_labels[expected].tolist()
    assert (bundle.train_images[:, 2, 0, 0] == 20 * bundle.train_targets).all()
    assert bundle.train_images[0, 0, :, 5].tolist() == list(range(32))
    np.testing.assert_array_equal(bundle.train_indices, expected)
    # full test set in dataset order, never subsampled by default
    assert bundle.test_images.shape == (30, 3, 32, 32)
    assert bundle.test_targets.tolist() == test_labels.tolist()
    assert bundle.test_images[:, 1, 0, 0].tolist() == list(range(30))
    assert bundle.class_names[:2] == ["airplane", "automobile"] and bundle.num_classes == 10
    assert (bundle.in_channels, bundle.image_size, bundle.name) == (3, (32, 32), "cifar")
    assert bundle.mean == CIFAR_MEAN and bundle.std == CIFAR_STD
    assert CIFAR_MEAN[0] == pytest.approx(125.3 / 255) and CIFAR_STD[2] == pytest.approx(66.7 / 255)


def test_batches_directly_in_folder_and_test_subset(tmp_path, writers, make_config):
    _, test_labels = writers.cifar_batches(tmp_path / "mine", subdir=False)
    bundle = build_data(make_config("cifar", tmp_path, data_folder="mine", test_sample_num=10, seed=3))
    expected = balanced_subset_indices(test_labels, 10, 3, key="dataset.test_sample_num")
    assert bundle.test_images[:, 1, 0, 0].tolist() == expected.tolist()
    assert sorted(bundle.test_targets.tolist()) == list(range(10))


def test_image_folder(tmp_path, writers, make_config):
    writers.cifar_folder(tmp_path / "cifar10")
    assert find_format(tmp_path / "cifar10")[0] == "folders"
    bundle = build_data(make_config("cifar", tmp_path, train_sample_num=6, seed=2))
    assert bundle.class_names == ["airplane", "cat", "dog"]  # sorted folder names
    train_targets = np.repeat(np.arange(3), 3)
    expected = balanced_subset_indices(train_targets, 6, 2)
    assert bundle.train_images[:, 1, 0, 0].tolist() == expected.tolist()  # PNG is lossless
    assert bundle.train_targets.tolist() == train_targets[expected].tolist()
    assert bundle.train_images[0, 0, :, 3].tolist() == list(range(32))
    assert bundle.test_images.shape == (6, 3, 32, 32)
    assert bundle.test_targets.tolist() == [0, 0, 1, 1, 2, 2]


def test_image_folder_reads_only_the_subset(tmp_path, writers, make_config, monkeypatch):
    import parametricSN.data.decoding as decoding

    writers.cifar_folder(tmp_path / "cifar10")
    calls = []
    real = decoding.decode_file
    monkeypatch.setattr(decoding, "decode_file", lambda p, *a, **k: calls.append(p) or real(p, *a, **k))
    build_data(make_config("cifar", tmp_path, train_sample_num=3, test_sample_num=3))
    assert len(calls) == 6


def test_missing_dataset_message(tmp_path, make_config):
    with pytest.raises(UserError) as err:
        build_data(make_config("cifar", tmp_path))
    message = str(err.value)
    folder = tmp_path / "cifar10"
    assert message == (
        f"CIFAR-10 not found in {folder}: put torchvision's cifar-10-batches-py there "
        "(https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz) or train/<class>/*.png and "
        "test/<class>/*.png folders, or set dataset.download=true")


def test_missing_batch_file_named(tmp_path, writers, make_config):
    writers.cifar_batches(tmp_path / "cifar10")
    (tmp_path / "cifar10" / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(UserError, match="data_batch_3"):
        build_data(make_config("cifar", tmp_path))


def test_download_uses_torchvision_only_when_asked(tmp_path, writers, make_config, monkeypatch):
    import torchvision.datasets

    roots = []

    class FakeCIFAR10:
        def __init__(self, root, train, download):
            assert download is True
            roots.append(root)
            writers.cifar_batches(tmp_path / "cifar10")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    bundle = build_data(make_config("cifar", tmp_path, download=True))
    assert roots and roots[0] == str(tmp_path / "cifar10")
    assert bundle.train_images.shape[0] == 10
    roots.clear()
    build_data(make_config("cifar", tmp_path, download=True))  # present now: no second download
    assert roots == []


def test_download_failure_is_one_line(tmp_path, make_config, monkeypatch):
    import torchvision.datasets

    class Offline:
        def __init__(self, *a, **k):
            raise RuntimeError("network unreachable\nsecond line")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", Offline)
    with pytest.raises(UserError) as err:
        build_data(make_config("cifar", tmp_path, download=True))
    assert "could not download CIFAR-10" in str(err.value)
