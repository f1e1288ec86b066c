"""ImagePreparation (data.preparation), the one owner of how an image becomes the model's input:
every reader builds one, its dataset's test images are exactly what it makes of the files, it
survives info.json, a model saved before it existed keeps its old rule, and arrays take the same
resize as files."""

import json

import numpy as np
import pytest
import torch

from parametricSN.data import build_data
from parametricSN.data.decoding import Resize
from parametricSN.data.preparation import ImagePreparation, to_gray
from parametricSN.errors import UserError


def test_kth_test_images_are_the_preparation_of_their_files(tmp_path, writers, make_config):
    writers.kth(tmp_path / "KTH-TIPS2-b")   # with images of odd sizes
    bundle = build_data(make_config("kth", tmp_path, sample="a", train_sample_num=None))
    prep = bundle.preparation
    assert prep.resize == Resize((200, 200), keep_aspect=False) and prep.crop == (128, 128)
    assert (prep.channels, prep.mean) == (3, (0.485, 0.456, 0.406))
    files = sorted((tmp_path / "KTH-TIPS2-b").glob("*/sample_[bcd]/*.png"), key=lambda p: (p.parent.name, p))
    decoded = torch.stack(prep.decode(files, progress=False))
    assert decoded.shape == bundle.test_images.shape == (len(files), 3, 128, 128)
    assert torch.equal(decoded, bundle.test_images)


def test_round_trip_through_info_json():
    prep = ImagePreparation(Resize((260, 260)), (224, 224), 1, (0.449,), (0.226,))
    again = ImagePreparation.from_info(json.loads(json.dumps({"preparation": prep.to_info()})))
    assert again == prep


def test_an_info_without_preparation_keeps_the_old_cover_rule():
    old = {"in_channels": 3, "num_classes": 2, "image_size": [16, 16], "mean": [0.5] * 3, "std": [0.25] * 3}
    prep = ImagePreparation.from_info(old)
    assert prep.resize == Resize((16, 16), keep_aspect=True) and prep.crop == (16, 16)
    assert prep.channels == 3 and prep.std == (0.25,) * 3
    with pytest.raises(UserError, match="lacks mean and std"):
        ImagePreparation.from_info({"in_channels": 3, "image_size": [16, 16]}, "m")
    with pytest.raises(UserError, match="no valid 'preparation'"):
        ImagePreparation.from_info({"preparation": {"resize": [8]}}, "m")


def test_arrays_take_the_same_resize_as_files(tmp_path, writers):
    rng = np.random.RandomState(0)
    array = rng.randint(0, 256, size=(20, 28, 3)).astype(np.uint8)
    writers.png(tmp_path / "x.png", array)
    prep = ImagePreparation(Resize((36, 36)), (32, 32), 3, (0.5,) * 3, (0.5,) * 3)
    from_file = prep.read([tmp_path / "x.png"])
    from_array = prep.from_arrays(torch.from_numpy(array).permute(2, 0, 1)[None])
    assert from_file.shape == (1, 3, 36, 36) and torch.equal(from_file, from_array)


def test_channel_rule_after_the_resize(tmp_path, writers):
    rgb = np.random.RandomState(1).randint(0, 256, size=(12, 12, 3)).astype(np.uint8)
    writers.png(tmp_path / "c.png", rgb)
    gray = ImagePreparation(Resize((12, 12)), (12, 12), 1, (0.5,), (0.5,)).read([tmp_path / "c.png"])
    assert torch.equal(gray[0], to_gray(torch.from_numpy(rgb).permute(2, 0, 1)))
    writers.png(tmp_path / "g.png", rgb[:, :, 0])
    colour = ImagePreparation(Resize((12, 12)), (12, 12), 3, (0.5,) * 3, (0.5,) * 3).read([tmp_path / "g.png"])
    assert all(torch.equal(colour[0, c], torch.from_numpy(rgb[:, :, 0])) for c in range(3))


def test_unreadable_file_is_one_line_naming_it(tmp_path):
    prep = ImagePreparation(Resize((8, 8)), (8, 8), 3, (0.5,) * 3, (0.5,) * 3)
    with pytest.raises(UserError, match=r"cannot read image .*nothere\.png: no such file"):
        prep.read([tmp_path / "nothere.png"])
