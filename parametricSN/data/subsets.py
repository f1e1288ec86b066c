"""Seeded class-balanced subsampling: the recipe that selects the published subsets
(tests/data/test_data_subsets.py)."""

from __future__ import annotations

from typing import Any, Callable, Sequence, Tuple

import numpy as np

from parametricSN.errors import UserError


def _as_labels(targets) -> np.ndarray:
    """Targets (list, ndarray or tensor of class ids) as a 1-D int64 numpy array."""
    if hasattr(targets, "detach"):  # torch tensor, without importing torch here
        targets = targets.detach().cpu().numpy()
    labels = np.asarray(targets)
    if labels.ndim != 1:
        raise ValueError(f"targets must be 1-D, got shape {labels.shape}")
    return labels.astype(np.int64, copy=False)


def balanced_subset_indices(targets: Sequence[int], n_samples: int, seed: int,
                            key: str = "dataset.train_sample_num") -> np.ndarray:
    """Indices of a class-balanced subset of ``n_samples`` items, chosen by ``seed``.

    The recipe (tests/data/test_data_subsets.py) with ``numpy.random.RandomState(seed)`` draw ONE permutation P of
    ``range(m)``, m = size of the smallest class; for each class c in sorted order, take the
    indices of class c (in dataset order) at positions ``P[0 : n_samples / C]``.  The result is
    the per-class index blocks concatenated in class order: int64 array of shape (n_samples,).

    ``key`` is the config key named in the error when ``n_samples`` is impossible (it must be a
    positive multiple of the class count C, and at most C·m).
    """
    labels = _as_labels(targets)
    classes = np.unique(labels)
    if len(classes) == 0:
        raise UserError(f"{key}={n_samples}: the dataset holds no samples to choose from")
    if not 0 <= int(seed) < 2**32:
        raise UserError(f"general.seed={seed} is not allowed: use an integer in [0, 2**32 - 1]")
    per_class = [np.flatnonzero(labels == c) for c in classes]
    m = min(len(ix) for ix in per_class)
    n_classes = len(classes)
    n = int(n_samples)
    if n <= 0 or n % n_classes != 0 or n // n_classes > m:
        raise UserError(
            f"{key}={n_samples} is not possible: use a multiple of the {n_classes} classes "
            f"between {n_classes} and {n_classes * m} (the smallest class has {m} samples)")
    permutation = np.random.RandomState(int(seed)).permutation(m)
    chosen = permutation[: n // n_classes]
    return np.concatenate([ix[chosen] for ix in per_class]).astype(np.int64)


def subset_or_all(targets: Sequence[int], n_samples: int | None, seed: int, key: str) -> np.ndarray:
    """``balanced_subset_indices`` unless ``n_samples`` is None or the whole set: then every
    index in dataset order (int64, shape (len(targets),))."""
    labels = _as_labels(targets)
    if n_samples is None or int(n_samples) == len(labels):
        return np.arange(len(labels), dtype=np.int64)
    return balanced_subset_indices(labels, n_samples, seed, key=key)


# The validation split does not depend on the run seed: runs with different seeds are compared on
# (nearly) the same images, the few that one run trains on being left out for that run only.
VALIDATION_SEED = 0


def validation_indices(targets: Sequence[int], n_samples: int, exclude: Sequence[int],
                       key: str = "dataset.validation_sample_num") -> np.ndarray:
    """A class-balanced validation subset of ``n_samples`` items, disjoint from ``exclude``.

    For each class c in sorted order, the indices of class c are shuffled by one fixed
    ``numpy.random.RandomState(VALIDATION_SEED)`` (one permutation per class, drawn in class
    order); the indices in ``exclude`` (the run's training subset) are dropped and the first
    ``n_samples / C`` kept. Because the shuffle is fixed, two runs whose training subsets differ
    share all of their validation images but the few either trains on.

    Returns int64 (n_samples,): per-class blocks in class order, each block ascending.
    ``key`` names the config key in the error when ``n_samples`` is impossible.
    """
    labels = _as_labels(targets)
    classes = np.unique(labels)
    excluded = np.zeros(len(labels), dtype=bool)
    excluded[np.asarray(exclude, dtype=np.int64)] = True
    rng = np.random.RandomState(VALIDATION_SEED)
    pools = []
    for c in classes:
        members = np.flatnonzero(labels == c)
        shuffled = members[rng.permutation(len(members))]
        pools.append(shuffled[~excluded[shuffled]])
    n, n_classes = int(n_samples), len(classes)
    available = min((len(pool) for pool in pools), default=0)
    if n <= 0 or n_classes == 0 or n % n_classes != 0 or n // n_classes > available:
        raise UserError(
            f"{key}={n_samples} is not possible: use a multiple of the {n_classes} classes up to "
            f"{n_classes * available} (the smallest class has {available} training images outside the "
            f"training subset); or lower dataset.train_sample_num, or set dataset.evaluate_on=test")
    per_class = n // n_classes
    return np.concatenate([np.sort(pool[:per_class]) for pool in pools]).astype(np.int64)


def split_indices(opts, train_labels: Sequence[int], read_test: Callable[[], Tuple[Any, Sequence[int]]],
                  test_n: int | None = None) -> Tuple[np.ndarray, Any, np.ndarray, np.ndarray]:
    """The run's training subset and its evaluation images, the rule every reader shares.

    ``opts``: the DataOptions. Returns ``(train_idx, test_source, eval_labels, eval_idx)``: with
    ``dataset.evaluate_on: validation``, ``test_source`` is None (evaluate on the training source)
    and ``eval_idx`` is :func:`validation_indices` of the training labels, disjoint from the
    subset; otherwise ``read_test()`` -> (source, labels) is called (only then: the test split may
    be absent when validating) and ``eval_idx`` is a balanced ``test_n`` (default
    ``opts.test_n``) of it, or all of it.
    """
    train_idx = subset_or_all(train_labels, opts.train_n, opts.seed, "dataset.train_sample_num")
    if opts.validates:
        return train_idx, None, train_labels, validation_indices(train_labels, opts.validation_n, train_idx)
    source, test_labels = read_test()
    count = opts.test_n if test_n is None else test_n
    return train_idx, source, test_labels, subset_or_all(test_labels, count, opts.seed, "dataset.test_sample_num")
