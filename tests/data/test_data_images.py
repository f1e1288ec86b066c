"""Image files are decoded once per process while unchanged (a sweep's runs read the same files),
re-read when a file changes, and a folder listing is reused until a class folder changes."""

import os

import numpy as np

import parametricSN.data.images as images


def test_unchanged_files_are_decoded_once_and_changed_files_again(tmp_path, writers, monkeypatch):
    for k in range(3):
        writers.png(tmp_path / "c" / f"{k}.png", np.full((4, 4, 3), 10 * k, dtype=np.uint8))
    paths = sorted((tmp_path / "c").glob("*.png"))
    calls = []
    real = images.read_image
    monkeypatch.setattr(images, "read_image", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    first = images.read_images(paths, 3)
    again = images.read_images(paths, 3)
    assert len(calls) == 3 and (first == again).all()
    writers.png(paths[1], np.full((4, 4, 3), 99, dtype=np.uint8))
    os.utime(paths[1], ns=(1, 1))                       # a different modification time
    changed = images.read_images(paths, 3)
    assert calls[3:] == [paths[1]] and int(changed[1, 0, 0, 0]) == 99


def test_listing_is_reused_until_a_class_folder_changes(tmp_path, writers, monkeypatch):
    writers.cifar_folder(tmp_path, classes=("cat", "dog"), train_per_class=2, test_per_class=1)
    listed = []
    real = images.image_files
    monkeypatch.setattr(images, "image_files", lambda folder: listed.append(folder) or real(folder))
    paths, targets, names = images.list_image_folder(tmp_path / "train")
    images.list_image_folder(tmp_path / "train")
    assert len(listed) == 2 and targets.tolist() == [0, 0, 1, 1] and names == ["cat", "dog"]
    writers.png(tmp_path / "train" / "dog" / "extra.png", np.zeros((32, 32, 3), dtype=np.uint8))
    os.utime(tmp_path / "train" / "dog", ns=(2, 2))
    paths, targets, _ = images.list_image_folder(tmp_path / "train")
    assert len(listed) == 4 and targets.tolist() == [0, 0, 1, 1, 1]
