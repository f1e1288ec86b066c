import numpy as np
import pytest
import torch

from parametricSN.data import balanced_subset_indices
from parametricSN.data.subsets import subset_or_all
from parametricSN.errors import UserError

TARGETS = [0, 1, 0, 1, 0, 1, 2, 2, 2, 0]  # class 0 at 0,2,4,9; class 1 at 1,3,5; class 2 at 6,7,8


def test_hand_computed_example():
    # RandomState(0).permutation(3) == [2, 1, 0] (m = 3, the smallest class); 2 per class -> positions 2, 1
    assert np.random.RandomState(0).permutation(3).tolist() == [2, 1, 0]
    idx = balanced_subset_indices(TARGETS, 6, seed=0)
    assert idx.dtype == np.int64
    assert idx.tolist() == [4, 2, 5, 3, 8, 7]
    assert balanced_subset_indices(TARGETS, 3, seed=0).tolist() == [4, 5, 8]


def test_classes_taken_in_sorted_order_and_inputs_accepted():
    targets = [7, 3, 7, 3]  # class 3 first even though 7 appears first
    for t in (targets, np.array(targets), torch.tensor(targets)):
        idx = balanced_subset_indices(t, 2, seed=1)
        assert [targets[i] for i in idx] == [3, 7]


def test_published_seed_cifar_shaped_matches_recipe():
    rng = np.random.RandomState(123)
    targets = rng.permutation(np.repeat(np.arange(10), 5000))
    seed = 207715039  # first published CIFAR seed
    idx = balanced_subset_indices(targets, 100, seed)
    perm = np.random.RandomState(seed).permutation(5000)[:10]
    expected = np.concatenate([np.flatnonzero(targets == c)[perm] for c in range(10)])
    np.testing.assert_array_equal(idx, expected)
    assert np.bincount(targets[idx]).tolist() == [10] * 10
    assert len(set(idx.tolist())) == 100


def test_deterministic_and_seed_dependent():
    targets = np.repeat(np.arange(4), 50)
    a = balanced_subset_indices(targets, 20, 42)
    np.testing.assert_array_equal(a, balanced_subset_indices(targets, 20, 42))
    assert not np.array_equal(a, balanced_subset_indices(targets, 20, 43))
    # a larger subset extends the smaller one class by class (same permutation prefix)
    b = balanced_subset_indices(targets, 40, 42)
    assert set(a.tolist()) <= set(b.tolist())


def test_smallest_class_bounds_the_permutation():
    targets = [0] * 10 + [1] * 3
    idx = balanced_subset_indices(targets, 6, 5)
    assert sorted(targets[i] for i in idx) == [0, 0, 0, 1, 1, 1]
    perm = np.random.RandomState(5).permutation(3)
    assert idx[:3].tolist() == perm.tolist()  # class 0 indices are 0..9, positions from P over range(3)


@pytest.mark.parametrize("n", [7, 0, -3, 12])
def test_impossible_counts_are_user_errors(n):
    with pytest.raises(UserError) as err:
        balanced_subset_indices(TARGETS, n, 0)
    message = str(err.value)
    assert "dataset.train_sample_num" in message and "\n" not in message
    assert "multiple of the 3 classes" in message and "between 3 and 9" in message


def test_error_names_the_given_key():
    with pytest.raises(UserError, match="dataset.test_sample_num=5"):
        balanced_subset_indices(TARGETS, 5, 0, key="dataset.test_sample_num")


def test_subset_or_all():
    assert subset_or_all(TARGETS, None, 0, "k").tolist() == list(range(10))
    assert subset_or_all(TARGETS, 10, 0, "k").tolist() == list(range(10))
    assert subset_or_all(TARGETS, 3, 0, "k").tolist() == [4, 5, 8]
