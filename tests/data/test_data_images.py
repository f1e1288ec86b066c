"""The one decoder (data.decoding): image files are decoded once per process while unchanged (a
sweep's runs, and an evaluate after a run, read the same files), re-read when a file changes, and
resized by one rule, stretched or covered; a folder listing is reused until a class folder changes."""

import os

import numpy as np

import parametricSN.data.decoding as decoding
import parametricSN.data.images as images
from parametricSN.data.decoding import Resize


def test_unchanged_files_are_decoded_once_and_changed_files_again(tmp_path, writers, monkeypatch):
    for k in range(3):
        writers.png(tmp_path / "c" / f"{k}.png", np.full((4, 4, 3), 10 * k, dtype=np.uint8))
    paths = sorted((tmp_path / "c").glob("*.png"))
    calls = []
    real = decoding.decode_file
    monkeypatch.setattr(decoding, "decode_file", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    first = decoding.decode_files(paths, Resize((4, 4)))
    again = decoding.decode_files(paths, Resize((4, 4)))
    assert len(calls) == 3 and all((a == b).all() for a, b in zip(first, again))
    decoding.decode_files(paths, Resize((4, 4), keep_aspect=True))      # another size rule: decoded again
    assert len(calls) == 6
    writers.png(paths[1], np.full((4, 4, 3), 99, dtype=np.uint8))
    os.utime(paths[1], ns=(1, 1))                       # a different modification time
    changed = decoding.decode_files(paths, Resize((4, 4)))
    assert calls[6:] == [paths[1]] and int(changed[1][0, 0, 0]) == 99


def test_decoding_uses_the_runs_threads_not_every_core(tmp_path, writers, monkeypatch):
    """Two runs side by side with general.cores=1 each must not decode on every core of the machine."""
    import torch

    for k in range(3):
        writers.png(tmp_path / f"{k}.png", np.full((4, 4, 3), k, dtype=np.uint8))
    pools = []
    real = decoding.ThreadPoolExecutor
    monkeypatch.setattr(decoding, "ThreadPoolExecutor",
                        lambda max_workers: pools.append(max_workers) or real(max_workers))
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        decoding.clear_decoded()
        decoding.decode_files(sorted(tmp_path.glob("*.png")), Resize((4, 4)))
    finally:
        torch.set_num_threads(threads)
    assert pools == [1]


def test_stretch_squeezes_and_cover_crops(tmp_path, writers):
    """A 20-high × 40-wide image whose centre half is white: stretched to 10 × 10 both black sides
    stay (squeezed), covered only the white centre remains."""
    array = np.zeros((20, 40, 3), dtype=np.uint8)
    array[:, 10:30] = 255
    path = tmp_path / "wide.png"
    writers.png(path, array)
    stretched = decoding.decode_file(path, Resize((10, 10)))
    covered = decoding.decode_file(path, Resize((10, 10), keep_aspect=True))
    assert stretched.shape == covered.shape == (3, 10, 10)
    assert stretched[:, :, 0].max() < 60 and stretched[:, :, 4:6].min() == 255
    assert covered[:, :, 1:-1].min() == 255


def test_missing_file_and_broken_file_give_a_reason(tmp_path, writers):
    good = tmp_path / "good.png"
    writers.png(good, np.zeros((4, 4), dtype=np.uint8))
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:30])
    out = decoding.decode_files([good, tmp_path / "missing.png", broken], Resize((4, 4)))
    assert out[0].shape == (1, 4, 4) and out[1] == "no such file"
    assert isinstance(out[2], str) and "\n" not in out[2]


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
