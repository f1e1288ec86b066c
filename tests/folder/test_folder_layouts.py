"""Folder habits: DIR/train with DIR/val (or valid) and/or DIR/test, class folders that are symbolic
links, and ``train_sample_num: up to N`` (the shipped conf/folder.yml) on any class count."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from parametricSN.config import load_config, validate_config
from parametricSN.data import build_data
from parametricSN.errors import UserError

from folder_images import folder_cfg, write_class_folder

REPO = Path(__file__).resolve().parents[2]


def build(path, **dataset):
    return build_data(validate_config(folder_cfg(path, **dataset)))


@pytest.mark.parametrize("name", ["val", "valid"])
def test_train_and_val_folders_train_on_one_and_evaluate_on_the_other(tmp_path, name):
    write_class_folder(tmp_path / "train", {"ants": 4, "bees": 5}, mixed=False)
    write_class_folder(tmp_path / name, {"ants": 2, "bees": 3}, mixed=False)
    data = build(tmp_path)
    assert data.eval_split == "validation"
    assert len(data.train_images) == 9 and np.bincount(data.test_targets.numpy()).tolist() == [2, 3]
    assert data.log_params["data.evaluation_folder"] == str((tmp_path / name).resolve())
    assert data.log_params["data.evaluation_images_found"] == 5
    subset = build(tmp_path, validation_sample_num=4)           # a balanced subset of val/
    assert np.bincount(subset.test_targets.numpy()).tolist() == [2, 2]


def test_test_wins_over_val_unless_validation_is_asked_and_both_val_spellings_are_refused(tmp_path):
    write_class_folder(tmp_path / "train", {"a": 3, "b": 3}, mixed=False)
    write_class_folder(tmp_path / "val", {"a": 1, "b": 1}, mixed=False)
    write_class_folder(tmp_path / "test", {"a": 2, "b": 2}, mixed=False)
    assert (build(tmp_path).eval_split, len(build(tmp_path).test_images)) == ("test", 4)
    data = build(tmp_path, evaluate_on="validation")
    assert (data.eval_split, len(data.test_images)) == ("validation", 2)
    write_class_folder(tmp_path / "valid", {"a": 1, "b": 1}, mixed=False)
    with pytest.raises(UserError, match=r"holds both val/ and valid/: keep one"):
        build(tmp_path)


def test_val_folder_with_a_missing_class_is_one_line(tmp_path):
    write_class_folder(tmp_path / "train", {"a": 3, "b": 3}, mixed=False)
    write_class_folder(tmp_path / "val", {"a": 1}, mixed=False)
    with pytest.raises(UserError, match=r"dataset.path val split: .* missing class folder\(s\) b"):
        build(tmp_path)


def test_class_folders_and_folders_inside_them_may_be_symbolic_links(tmp_path):
    store = tmp_path / "store"
    write_class_folder(store / "cats", {"batch1": 3, "batch2": 2}, mixed=False)
    write_class_folder(store / "dogs", {"all": 4}, mixed=False)
    root = tmp_path / "linked"
    (root / "cat").mkdir(parents=True)
    os.symlink(store / "cats" / "batch1", root / "cat" / "batch1")            # a folder inside a class
    os.symlink(os.path.relpath(store / "cats" / "batch2", root / "cat"), root / "cat" / "batch2")
    os.symlink(store / "dogs", root / "dog")                                  # the class folder itself
    os.symlink(root, root / "cat" / "loop")                                   # a cycle is walked once
    os.symlink(store / "cats" / "batch1", root / "cat" / "again")             # so is a second link
    data = build(root, evaluate_on="validation", validation_sample_num=2, train_sample_num=4)
    assert data.class_names == ["cat", "dog"]
    assert data.log_params["data.train_images_found"] == 9                    # 5 cats + 4 dogs


def test_up_to_takes_the_largest_balanced_subset_and_says_so(tmp_path, capsys):
    write_class_folder(tmp_path / "train", {"a": 4, "b": 5, "c": 6}, mixed=False)
    write_class_folder(tmp_path / "test", {"a": 1, "b": 1, "c": 1}, mixed=False)
    data = build(tmp_path, train_sample_num="up to 10")
    assert np.bincount(data.train_targets.numpy()).tolist() == [3, 3, 3]
    assert data.log_params["data.train_sample_num"] == 9
    note = capsys.readouterr().err.strip().splitlines()
    assert note == ["note: dataset.train_sample_num=up to 10: training on 9 images (3 from each of the 3 classes)"]
    small = build(tmp_path, train_sample_num="upto100")          # capped by the smallest class (4)
    assert len(small.train_images) == 12
    with pytest.raises(UserError, match=r"train_sample_num=10 is not a multiple of the 3 classes"):
        build(tmp_path, train_sample_num=10)                     # a plain number is taken as it is


def test_up_to_keeps_one_image_per_class_for_a_carved_validation_split(tmp_path):
    write_class_folder(tmp_path, {"few": 3, "many": 9}, mixed=False)
    data = build(tmp_path, train_sample_num="up to 100")
    assert np.bincount(data.train_targets.numpy()).tolist() == [2, 2]
    assert np.bincount(data.test_targets.numpy()).tolist() == [1, 1]
    write_class_folder(tmp_path, {"one": 1}, mixed=False)
    with pytest.raises(UserError, match=r"up to 100: class 'one' .* has only 1 image\(s\), kept for validation"):
        build(tmp_path, train_sample_num="up to 100")


def test_the_shipped_folder_config_trains_on_three_classes(tmp_path, capsys):
    write_class_folder(tmp_path / "train", {"covid": 34, "normal": 40, "pneumonia": 35}, gray=True, mixed=False)
    write_class_folder(tmp_path / "test", {"covid": 1, "normal": 1, "pneumonia": 1}, gray=True, mixed=False)
    cfg = load_config(REPO / "conf" / "folder.yml", [f"dataset.path={tmp_path}", "dataset.height=16",
                                                     "dataset.width=16", "scattering.J=2"])
    assert cfg.dataset.train_sample_num == "up to 100"
    data = build_data(cfg)
    assert len(data.train_images) == 99 and data.in_channels == 1
    assert "training on 99 images (33 from each of the 3 classes)" in capsys.readouterr().err


def test_up_to_in_the_config():
    assert validate_config({"dataset": {"name": "kth", "train_sample_num": "up to 100"}}).dataset.train_sample_num == 99
    assert validate_config({"dataset": {"name": "cifar", "train_sample_num": "Up To 100"}}).dataset.train_sample_num == 100
    folder = validate_config({"dataset": {"name": "folder", "num_classes": 3, "train_sample_num": "upto 50"}})
    assert folder.dataset.train_sample_num == "up to 50"        # a folder's class sizes are known once read
    with pytest.raises(UserError, match=r"up to 5 is less than one image for each of the 10 classes"):
        validate_config({"dataset": {"name": "cifar", "train_sample_num": "up to 5"}})
    with pytest.raises(UserError, match=r"dataset.train_sample_num: 'most' is not allowed; use a number, 'up to N'"):
        validate_config({"dataset": {"name": "folder", "train_sample_num": "most"}})
    with pytest.raises(UserError, match=r"dataset.train_sample_num: .* 0"):
        validate_config({"dataset": {"name": "folder", "train_sample_num": "up to 0"}})
