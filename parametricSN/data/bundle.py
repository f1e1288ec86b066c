"""DataBundle: a dataset's training subset and test set held as uint8 tensors (architecture §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from parametricSN.data.preparation import ImagePreparation


@dataclass
class DataBundle:
    """Everything training needs from a dataset, in memory.

    preparation: how an image file becomes the model's input (data.preparation): the stored
        size, the model size image_size = (H, W), in_channels, mean and std; saved with the model
    train_images: uint8 (N, C, H0, W0), the selected subset at stored size (H0, W0) ≥ image_size
    train_targets: int64 (N,)
    test_images: uint8 (M, C, H, W), the EVALUATION images as ``preparation`` makes them (stored
        size, then centre-cropped to image_size): the test split, or (``eval_split ==
        "validation"``) a validation split carved from the training images, disjoint from the
        training subset
    test_targets: int64 (M,)
    augment: uint8 (B, C, H0, W0) -> uint8 (B, C, H, W); training augmentation drawing from
        the torch global RNG ('noaugment' still centre-crops to (H, W))
    train_indices: positions of the subset in the dataset's full training list (int64 (N,))
    eval_split: "test" | "validation", what test_images hold
    eval_indices: positions of test_images in their source list (the test list, or the training
        list for a validation split), int64 (M,)
    log_params: what the reader found that the run logs as params (e.g. the folder dataset's
        ``data.mean``, ``data.skipped_unreadable``); None values are not logged
    train_files: the image files of the training subset, in train_images order, when the reader
        read files (empty otherwise); a saved model keeps their content digests

    Training batch = normalize(to_float(augment(train_images[idx])));
    test batch = normalize(to_float(test_images[idx])).
    """

    name: str
    class_names: list[str]
    num_classes: int
    preparation: ImagePreparation
    train_images: torch.Tensor
    train_targets: torch.Tensor
    test_images: torch.Tensor
    test_targets: torch.Tensor
    augment: Callable[[torch.Tensor], torch.Tensor]
    train_indices: np.ndarray | None = field(default=None, repr=False)
    eval_split: str = "test"
    eval_indices: np.ndarray | None = field(default=None, repr=False)
    log_params: dict = field(default_factory=dict, repr=False)
    train_files: list = field(default_factory=list, repr=False)

    @property
    def in_channels(self) -> int:
        """C, the model's channel count."""
        return self.preparation.channels

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W), the model input."""
        return self.preparation.crop

    @property
    def mean(self) -> tuple[float, ...]:
        """Per-channel normalisation mean, [0, 1] units."""
        return self.preparation.mean

    @property
    def std(self) -> tuple[float, ...]:
        """Per-channel normalisation std, [0, 1] units."""
        return self.preparation.std

    def to_float(self, x_uint8: torch.Tensor) -> torch.Tensor:
        """uint8 (…, C, H, W) in 0..255 -> float32 in [0, 1], same device."""
        return self.preparation.to_float(x_uint8)

    def normalize(self, x_float01: torch.Tensor) -> torch.Tensor:
        """(x - mean) / std per channel; x float (B, C, H, W) or (C, H, W) in [0, 1]."""
        return self.preparation.normalize(x_float01)
