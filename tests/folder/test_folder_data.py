"""The folder dataset (parametricSN.data.folder): layouts, formats, modes, sizes, skipped files,
unreadable images, unequal classes, channel choice, statistics, decoding once, config keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import parametricSN.data.decoding as decoding
from parametricSN.config import config_hash, validate_config
from parametricSN.data import build_data
from parametricSN.data.decoding import Resize, decode_file
from parametricSN.data.preparation import to_gray
from parametricSN.errors import UserError

from folder_images import folder_cfg, picture, save


def build(path, **dataset):
    return build_data(validate_config(folder_cfg(path, **dataset)))


def test_every_format_and_mode_mixed_sizes_one_rgb_dataset(make_folder):
    root = make_folder({"cat": 7, "dog": 7})  # PNG, JPEG, BMP, TIFF, WebP, RGBA PNG, palette PNG; 3 sizes
    suffixes = {p.suffix for p in (root / "cat").iterdir()}
    assert suffixes == {".png", ".jpg", ".bmp", ".tif", ".webp"}
    data = build(root, evaluate_on="validation", train_sample_num=8, validation_sample_num=6)
    assert data.class_names == ["cat", "dog"] and data.num_classes == 2 and data.in_channels == 3
    assert data.train_images.shape == (8, 3, 16, 16) and data.train_images.dtype == torch.uint8
    assert data.test_images.shape == (6, 3, 16, 16)
    assert data.train_targets.tolist() == [0] * 4 + [1] * 4
    assert data.eval_split == "validation"
    # validation images are disjoint from the training subset
    assert not set(data.train_indices.tolist()) & set(data.eval_indices.tolist())


def test_hidden_and_non_image_files_are_skipped(make_folder):
    root = make_folder({"a": 3, "b": 3}, mixed=False)
    (root / "a" / "README.txt").write_text("notes")
    (root / "a" / ".DS_Store").write_bytes(b"\x00\x01\x02")
    save(root / "a" / ".hidden.png", picture(0, 9))
    save(root / ".cache" / "x.png", picture(0, 9))          # a hidden folder is not a class
    data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert data.class_names == ["a", "b"]
    assert data.log_params["data.train_images_found"] == 6


def test_grayscale_folder_gives_one_channel_and_override_gives_three(make_folder):
    root = make_folder({"a": 4, "b": 4}, gray=True, mixed=False)
    assert build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4).in_channels == 1
    forced = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4, channels=3)
    assert forced.in_channels == 3
    x = forced.train_images
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])


def test_one_colour_image_makes_the_dataset_rgb_and_channels_1_converts(make_folder):
    root = make_folder({"a": 4, "b": 4}, gray=True, mixed=False)
    save(root / "b" / "colour.png", picture(1, 50))
    data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert data.in_channels == 3
    gray = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4, channels=1)
    assert gray.in_channels == 1 and gray.train_images.shape[1] == 1


def test_decode_keeps_aspect_ratio_and_centre_crops(tmp_path):
    array = np.zeros((20, 40, 3), dtype=np.uint8)
    array[:, 10:30] = 255                        # the centre 20x20 is white, the sides black
    path = save(tmp_path / "wide.png", array)
    out = decode_file(path, Resize((10, 10), keep_aspect=True))
    # only the white centre remains (squashing 40 -> 10 would keep black columns at the sides)
    assert out.shape == (3, 10, 10) and out[:, :, 1:-1].min() == 255 and out.min() > 200


def test_rgba_transparency_is_white_and_palette_and_16_bit_decode(tmp_path):
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)      # fully transparent black
    path = save(tmp_path / "t.png", rgba)
    assert decode_file(path, Resize((8, 8), keep_aspect=True)).min() == 255
    palette = save(tmp_path / "p.png", picture(2, 0, (8, 8)), mode="P")
    assert decode_file(palette, Resize((8, 8), keep_aspect=True)).shape == (3, 8, 8)
    deep = tmp_path / "deep.tif"
    Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)).save(deep)
    out = decode_file(deep, Resize((8, 8), keep_aspect=True))
    assert out.shape == (1, 8, 8) and int(out.min()) == 255


def test_gray_conversion_matches_pillow(tmp_path):
    array = picture(3, 1, (12, 12))
    rgb = torch.from_numpy(array).permute(2, 0, 1)
    pillow = np.asarray(Image.fromarray(array).convert("L"))
    assert np.array_equal(to_gray(rgb)[0].numpy(), pillow)


def test_truncated_image_stops_with_one_line_naming_it(make_folder):
    root = make_folder({"a": 3, "b": 3}, mixed=False)
    bad = root / "b" / "img_001.png"
    bad.write_bytes(bad.read_bytes()[:60])
    with pytest.raises(UserError) as error:
        build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=2)
    message = str(error.value)
    assert str(bad) in message and "dataset.skip_unreadable" in message and "\n" not in message


def test_skip_unreadable_warns_and_counts(make_folder):
    root = make_folder({"a": 4, "b": 4}, mixed=False)
    (root / "a" / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4,
                     skip_unreadable=True)
    assert data.log_params["data.skipped_unreadable"] == 1
    assert data.log_params["data.train_images_found"] == 8


def test_unequal_classes_take_the_same_number_per_class(make_folder):
    root = make_folder({"few": 3, "many": 9}, mixed=False)
    data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert np.bincount(data.train_targets.numpy()).tolist() == [2, 2]
    again = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert np.array_equal(data.train_indices, again.train_indices)  # seeded: the same subset
    assert torch.equal(again.train_images, data.train_images)


def test_class_smaller_than_asked_names_class_and_counts(make_folder):
    root = make_folder({"few": 3, "many": 9}, mixed=False)
    with pytest.raises(UserError, match=r"train_sample_num=8 takes 4 images per class but class 'few' has only 3"):
        build(root, evaluate_on="validation", train_sample_num=8)


def test_train_sample_num_not_a_multiple_of_the_folder_classes(make_folder):
    root = make_folder({"a": 3, "b": 3, "c": 3}, mixed=False)
    cfg = validate_config(folder_cfg(root, train_sample_num=4))  # fine until the folder is read
    assert cfg["dataset"]["num_classes"] is None
    with pytest.raises(UserError, match=r"dataset.train_sample_num=4 is not a multiple of the 3 classes"):
        build_data(cfg)


def test_all_images_for_training_leave_no_validation_split(make_folder):
    root = make_folder({"a": 3, "b": 3}, mixed=False)
    with pytest.raises(UserError, match=r"train_sample_num=all leaves no image of some class for the validation"):
        build(root, train_sample_num="all")


def test_train_sample_num_all_and_train_test_layout(make_folder):
    root = make_folder({"a": 3, "b": 5}, test_counts={"a": 2, "b": 2}, mixed=False)
    data = build(root, train_sample_num="all")
    assert data.eval_split == "test" and len(data.train_images) == 8 and len(data.test_images) == 4


def test_layout_without_test_defaults_to_validation_and_test_is_refused(make_folder):
    root = make_folder({"a": 5, "b": 5}, mixed=False)
    data = build(root, train_sample_num=4)
    assert data.eval_split == "validation" and len(data.test_images) == 6  # 3 left per class
    with pytest.raises(UserError, match=r"evaluate_on=test but .* has no test split"):
        build(root, train_sample_num=4, evaluate_on="test")


def test_test_split_missing_a_class(make_folder):
    root = make_folder({"a": 3, "b": 3}, test_counts={"a": 2}, mixed=False)
    with pytest.raises(UserError, match=r"missing class folder\(s\) b"):
        build(root, train_sample_num=4)


def test_missing_path_and_single_class(tmp_path, make_folder):
    with pytest.raises(UserError, match="dataset.path is not set"):
        build_data(validate_config(folder_cfg(None)))
    with pytest.raises(UserError, match="is not a folder"):
        build(tmp_path / "nowhere")
    root = make_folder({"only": 3}, mixed=False)
    with pytest.raises(UserError, match="at least two"):
        build(root)


def test_normalisation_from_the_training_images(make_folder):
    root = make_folder({"a": 4, "b": 4}, mixed=False)
    data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    x = data.train_images.to(torch.float64) / 255
    assert np.allclose(data.mean, x.mean(dim=(0, 2, 3)).numpy(), atol=1e-5)
    assert np.allclose(data.std, x.std(dim=(0, 2, 3), unbiased=False).numpy(), atol=1e-5)
    assert data.log_params["data.mean"] == ",".join(f"{m:.4f}" for m in data.mean)


def test_images_are_decoded_once_per_process(make_folder, monkeypatch):
    root = make_folder({"a": 4, "b": 4}, mixed=False)
    calls = []
    real = decoding.decode_file
    monkeypatch.setattr(decoding, "decode_file", lambda path, resize: calls.append(path) or real(path, resize))
    build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert len(calls) == 8
    build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4, augment="noaugment")
    assert len(calls) == 8                      # a second run of the process decodes nothing


def test_config_keys_and_hash_of_other_datasets_unchanged():
    assert config_hash({}) == config_hash({"dataset": {"skip_unreadable": False, "path": None}})
    assert config_hash({"dataset": {"name": "folder", "path": "/a"}}) != \
        config_hash({"dataset": {"name": "folder", "path": "/b"}})
    cfg = validate_config({"dataset": {"name": "imagefolder", "train_sample_num": "all"}})
    assert cfg["dataset"]["name"] == "folder" and cfg["dataset"]["train_sample_num"] is None
    assert cfg["dataset"]["augment"] == "original-cifar" and cfg["dataset"]["height"] == 128
    assert validate_config({})["dataset"]["augment"] == "autoaugment"
    with pytest.raises(UserError, match="dataset.channels"):
        validate_config({"dataset": {"name": "folder", "channels": 2}})
    with pytest.raises(UserError, match="dataset.path is read by dataset.name=folder only"):
        validate_config({"dataset": {"name": "cifar", "path": "/images"}})


def test_folder_augmentation_shifts_and_flips(make_folder):
    root = make_folder({"a": 4, "b": 4}, mixed=False)
    data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert [type(s).__name__ for s in data.augment.steps] == ["RandomCrop", "HorizontalFlip"]
    assert data.augment.steps[0].padding == 2          # 16 / 8
    assert data.augment(data.train_images).shape == data.train_images.shape


def test_every_head_takes_a_grayscale_folder(make_folder):
    """One channel is the folder's unusual case (the RGB heads are exercised by CIFAR's tests)."""
    from parametricSN.models import HEADS, build_model

    root = make_folder({"a": 4, "b": 4, "c": 4}, gray=True, mixed=False)
    for head in HEADS:
        raw = folder_cfg(root, evaluate_on="validation", validation_sample_num=3, train_sample_num=3)
        raw["model"]["name"] = head
        cfg = validate_config(raw)
        data = build_data(cfg)
        model = build_model(cfg, data.in_channels, data.num_classes, data.image_size)
        x = data.normalize(data.to_float(data.augment(data.train_images)))
        assert data.in_channels == 1 and model(x).shape == (3, 3), head
