"""The validation split (dataset.evaluate_on: validation): class-balanced, disjoint from the training
subset, independent of the run seed but for the images a run trains on, read from the training
images of every dataset; and a missing test split is one clear line only when it is needed."""

import numpy as np
import pytest
from parametricSN.data import balanced_subset_indices, build_data
from parametricSN.data.subsets import validation_indices
from parametricSN.errors import UserError

TARGETS = np.repeat(np.arange(4), 25)[np.random.RandomState(5).permutation(100)]


def test_validation_is_balanced_disjoint_and_sorted_per_class():
    train = balanced_subset_indices(TARGETS, 8, seed=1)
    val = validation_indices(TARGETS, 40, train)
    assert val.dtype == np.int64 and len(val) == 40 and len(set(val.tolist())) == 40
    assert not set(val.tolist()) & set(train.tolist())
    assert np.bincount(TARGETS[val]).tolist() == [10, 10, 10, 10]
    blocks = val.reshape(4, 10)
    assert all((np.diff(block) > 0).all() for block in blocks)        # ascending within a class
    assert [set(TARGETS[block]) for block in blocks] == [{0}, {1}, {2}, {3}]


def test_validation_does_not_depend_on_the_run_seed_beyond_the_excluded_images():
    a, b = (balanced_subset_indices(TARGETS, 8, seed=s) for s in (1, 2))
    val_a, val_b = validation_indices(TARGETS, 40, a), validation_indices(TARGETS, 40, b)
    assert not np.array_equal(a, b)
    # each run loses at most the images the other trains on (8 each, 2 per class)
    assert len(set(val_a.tolist()) ^ set(val_b.tolist())) <= 2 * 8
    assert np.array_equal(validation_indices(TARGETS, 40, a), val_a)  # deterministic


@pytest.mark.parametrize("n", [0, 42, 4 * 24])
def test_impossible_validation_sizes_name_the_key(n):
    train = balanced_subset_indices(TARGETS, 8, seed=1)   # 23 of 25 per class stay available
    with pytest.raises(UserError, match="dataset.validation_sample_num"):
        validation_indices(TARGETS, n, train)


def test_cifar_image_folder_with_only_train_validates(tmp_path, writers, make_config):
    writers.cifar_folder(tmp_path / "cifar10", train_per_class=6)
    import shutil

    shutil.rmtree(tmp_path / "cifar10" / "test")
    bundle = build_data(make_config("cifar", tmp_path, train_sample_num=6, seed=2,
                                    evaluate_on="validation", validation_sample_num=9))
    assert bundle.eval_split == "validation"
    train_pos = bundle.train_images[:, 1, 0, 0].tolist()       # G = index in the training list
    val_pos = bundle.test_images[:, 1, 0, 0].tolist()
    assert len(val_pos) == 9 and not set(train_pos) & set(val_pos)
    assert val_pos == bundle.eval_indices.tolist()
    assert bundle.test_targets.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    with pytest.raises(UserError, match="dataset.evaluate_on=validation") as error:
        build_data(make_config("cifar", tmp_path, train_sample_num=6, seed=2))
    assert str(tmp_path / "cifar10" / "test") in str(error.value) and "\n" not in str(error.value)


def test_cifar_batches_validation_comes_from_the_training_batches(tmp_path, writers, make_config):
    train_labels, _ = writers.cifar_batches(tmp_path / "cifar10", per_class=4)   # 200 training images
    (tmp_path / "cifar10" / "cifar-10-batches-py" / "test_batch").unlink()
    bundle = build_data(make_config("cifar", tmp_path, train_sample_num=20, seed=11,
                                    evaluate_on="validation", validation_sample_num=50))
    expected = validation_indices(train_labels, 50, balanced_subset_indices(train_labels, 20, 11))
    assert bundle.test_images[:, 1, 0, 0].tolist() == expected.tolist()
    assert bundle.test_targets.tolist() == train_labels[expected].tolist()
    with pytest.raises(UserError, match="test_batch"):
        build_data(make_config("cifar", tmp_path, train_sample_num=20, seed=11))


def test_digits_kth_and_xray_validate_on_their_training_images(tmp_path, writers, make_config):
    digits = build_data({"dataset": {"name": "digits", "train_sample_num": 100, "augment": "noaugment",
                                     "evaluate_on": "validation", "validation_sample_num": 200}})
    assert digits.test_images.shape[0] == 200 and digits.eval_split == "validation"
    assert not set(digits.eval_indices.tolist()) & set(digits.train_indices.tolist())

    writers.kth(tmp_path / "KTH-TIPS2-b", per_sample=4)
    kth = build_data(make_config("kth", tmp_path, train_sample_num=3, evaluate_on="validation",
                                 validation_sample_num=6, sample="b"))
    assert kth.test_images.shape == (6, 3, 128, 128)
    assert (kth.test_images[:, 1] == 50).all()          # G = 50 · sample number: all from sample b
    image_number = kth.test_images[:, 2, 0, 0] % 10
    train_number = kth.train_images[:, 2, 0, 0] % 10
    for m in range(3):  # per material, validation images are the ones not trained on
        assert not set(image_number[2 * m:2 * m + 2].tolist()) & set(train_number[m:m + 1].tolist())

    rows = [(f"{i}.png", "positive" if i % 2 else "negative") for i in range(12)]
    writers.xray(tmp_path / "COVIDx-CXR2", rows, [])
    (tmp_path / "COVIDx-CXR2" / "test.txt").unlink()
    xray = build_data(make_config("xray", tmp_path, train_sample_num=4, evaluate_on="validation",
                                  validation_sample_num=4))
    val_lines = set((xray.test_images[:, 0, 0, 0] // 3).tolist())     # value = 3 · line number
    train_lines = set((xray.train_images[:, 0, 0, 0] // 3).tolist())
    assert len(val_lines) == 4 and not val_lines & train_lines
    assert sorted(xray.test_targets.tolist()) == [0, 0, 1, 1]


def test_kth_whole_sample_training_leaves_nothing_to_validate(tmp_path, writers, make_config):
    writers.kth(tmp_path / "KTH-TIPS2-b", per_sample=2)
    with pytest.raises(UserError, match="dataset.validation_sample_num"):
        build_data(make_config("kth", tmp_path, train_sample_num=None, evaluate_on="validation",
                               validation_sample_num=3))


def test_validation_choice_reaches_the_bundle_through_the_config():
    from parametricSN.config import validate_config

    cfg = validate_config({"dataset": {"name": "cifar", "evaluate_on": "val"}})
    assert cfg["dataset"]["evaluate_on"] == "validation" and cfg["dataset"]["validation_sample_num"] == 10000
    with pytest.raises(UserError, match="dataset.evaluate_on"):
        validate_config({"dataset": {"evaluate_on": "train"}})
    bundle = build_data({"dataset": {"name": "digits", "train_sample_num": 50, "augment": "noaugment"}})
    assert bundle.eval_split == "test" and bundle.eval_indices.tolist() == list(range(360))
