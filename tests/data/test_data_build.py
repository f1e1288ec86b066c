import pytest
import torch

from parametricSN.data import DataBundle, build_data
from parametricSN.data.options import DataOptions
from parametricSN.errors import UserError


def test_options_defaults_and_paths():
    opts = DataOptions.from_config({"dataset": {"name": "x-ray", "data_root": "/d", "train_sample_num": 4},
                                    "general": {"seed": 3}})
    assert opts.name == "xray" and str(opts.folder) == "/d/COVIDx-CXR2"
    assert opts.image_size == (224, 224) and opts.seed == 3 and opts.base_size(260) == 260
    opts = DataOptions.from_config({"dataset": {"name": "cifar", "data_folder": "c10", "height": 40,
                                                "width": 36}})
    assert str(opts.folder) == "data/c10" and opts.image_size == (40, 36) and opts.base_size(32) == 40
    assert DataOptions.from_config({"dataset": {"name": "kth"}}).image_size == (128, 128)


@pytest.mark.parametrize("dataset,key", [({"name": "mnist"}, "dataset.name"),
                                         ({"name": "kth", "sample": "e"}, "dataset.sample")])
def test_bad_options(dataset, key):
    with pytest.raises(UserError, match=key):
        DataOptions.from_config({"dataset": dataset})


def test_num_classes_mismatch():
    with pytest.raises(UserError, match="dataset.num_classes=5"):
        build_data({"dataset": {"name": "digits", "num_classes": 5, "train_sample_num": 10}})


def test_larger_model_size_grows_the_stored_images():
    bundle = build_data({"dataset": {"name": "digits", "train_sample_num": 10, "height": 40, "width": 40,
                                     "augment": "original-cifar"}})
    assert bundle.train_images.shape == (10, 1, 40, 40) and bundle.test_images.shape[-2:] == (40, 40)
    assert bundle.augment(bundle.train_images).shape == (10, 1, 40, 40)


def test_to_float_and_normalize():
    bundle = build_data({"dataset": {"name": "digits", "train_sample_num": 10, "augment": "noaugment"}})
    assert isinstance(bundle, DataBundle)
    x = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)
    f = bundle.to_float(x)
    assert f.dtype == torch.float32 and f.flatten().tolist() == [0.0, 1.0]
    y = bundle.normalize(f)
    assert y.flatten().tolist() == pytest.approx([-bundle.mean[0] / bundle.std[0],
                                                  (1 - bundle.mean[0]) / bundle.std[0]])
