"""The per-dataset facts live in :mod:`parametricSN.catalog` (read by the config boundary too)."""

from parametricSN.catalog import DATASET_INFO, DIGITS_TEST_SIZE, DatasetInfo  # noqa: F401
