"""Datasets as in-memory uint8 tensors: readers (CIFAR-10, KTH-TIPS2-b, COVIDx CXR-2, digits),
seeded class-balanced subsets, training augmentations, per-dataset normalisation."""

from parametricSN.data.build import build_data
from parametricSN.data.bundle import DataBundle
from parametricSN.data.subsets import balanced_subset_indices

__all__ = ["balanced_subset_indices", "build_data", "DataBundle"]
