"""benchmarks/device_pack.py: a pack of a CIFAR image folder holding only the images the competition
runs of the given seeds read gives those runs exactly the data of the whole folder (the same
fingerprints of images and indices), and every other file is a placeholder."""

import json
from pathlib import Path

import pytest

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SIZES = ["--set", "dataset.train_sample_num=10", "--set", "dataset.validation_sample_num=20"]


@pytest.fixture
def device_pack(benchmark_script):
    return benchmark_script("device_pack")


def test_the_pack_reads_as_the_whole_folder_for_each_seed(tmp_path, writers, device_pack, capsys):
    writers.cifar_folder(tmp_path / "full" / "cifar10", classes=CLASSES, train_per_class=6, test_per_class=0)
    assert device_pack.main(["--data-root", str(tmp_path / "full"), "--out", str(tmp_path / "pack"),
                             "--num-seeds", "2"] + SIZES) == 0
    full = sorted(p.relative_to(tmp_path / "full") for p in (tmp_path / "full").rglob("*.png"))
    packed = sorted(p.relative_to(tmp_path / "pack") for p in (tmp_path / "pack").rglob("*.png"))
    assert packed == full
    grey = device_pack.placeholder_png()
    copies = [p for p in full if (tmp_path / "pack" / p).read_bytes() != grey]
    assert 20 < len(copies) < len(full)  # the validation images and each seed's subset, not all
    assert all((tmp_path / "pack" / p).read_bytes() == (tmp_path / "full" / p).read_bytes() for p in copies)
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    seeds = list(manifest["seeds"])
    assert len(seeds) == 2
    again = device_pack.fingerprints(str(tmp_path / "pack"), [int(s) for s in seeds], SIZES[1::2])
    assert again == manifest["seeds"]
    assert "every seed's data fingerprints equal the whole folder's" in capsys.readouterr().out


def test_a_pack_missing_a_selected_image_is_refused(tmp_path, writers, device_pack, monkeypatch, capsys):
    writers.cifar_folder(tmp_path / "full" / "cifar10", classes=CLASSES, train_per_class=6, test_per_class=0)
    real_copy = device_pack.shutil.copyfile
    skipped = []

    def lose_one(source, target):  # one selected image written as the placeholder
        if not skipped:
            skipped.append(source)
            Path(target).write_bytes(device_pack.placeholder_png())
        else:
            real_copy(source, target)

    monkeypatch.setattr(device_pack.shutil, "copyfile", lose_one)
    assert device_pack.main(["--data-root", str(tmp_path / "full"), "--out", str(tmp_path / "pack"),
                             "--num-seeds", "1"] + SIZES) == 1
    assert "the pack reads differently" in capsys.readouterr().err
    assert not (tmp_path / "pack" / "manifest.json").exists()


def test_check_compares_each_runs_data_tags_with_the_manifest(tmp_path, device_pack, capsys):
    from mlflow.tracking import MlflowClient

    pack = tmp_path / "pack"
    pack.mkdir()
    tags = {"data.train_fingerprint": "aa", "data.train_indices_fingerprint": "bb"}
    (pack / "manifest.json").write_text(json.dumps({"seeds": {"7": tags}}))
    uri = f"sqlite:///{tmp_path}/store.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("cifar10-competition")
    for name, seed, train in (("same", 7, "aa"), ("other", 7, "zz"), ("unknown", 8, "aa")):
        run_id = client.create_run(experiment, run_name=name).info.run_id
        client.log_param(run_id, "general.seed", seed)
        for key, value in {**tags, "data.train_fingerprint": train}.items():
            client.set_tag(run_id, key, value)
    assert device_pack.main(["--check", str(pack), "--tracking-uri", uri]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "same: the whole folder's data", "other: differs: data.train_fingerprint", "unknown: no seed of the pack"]
