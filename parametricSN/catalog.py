"""What each dataset fixes when the config leaves it empty: the one table of per-dataset facts."""

from __future__ import annotations

from dataclasses import dataclass

# sklearn's 1797 digits are split into 1437 train / 360 test images (digits.py).
DIGITS_TEST_SIZE = 360


@dataclass(frozen=True)
class DatasetInfo:
    """num_classes; model input height/width (pixels); data_folder under data_root (None: built in);
    test_sample_num of the standard test set; validation_sample_num of the default validation
    split (carved from the training images, ``dataset.evaluate_on: validation``); the default
    augment and evaluate_on.  None = known only once the data is read (the ``folder`` dataset:
    its classes are its sub-folders; see parametricSN.data.folder)."""

    num_classes: int | None
    height: int
    width: int
    data_folder: str | None
    test_sample_num: int | None
    validation_sample_num: int | None
    augment: str = "autoaugment"
    evaluate_on: str | None = "test"


DATASET_INFO: dict[str, DatasetInfo] = {
    "cifar": DatasetInfo(10, 32, 32, "cifar10", 10000, 10000),
    "kth": DatasetInfo(11, 128, 128, "KTH-TIPS2-b", 3564, 264),
    "xray": DatasetInfo(2, 224, 224, "COVIDx-CXR2", 400, 400),
    "digits": DatasetInfo(10, 32, 32, None, DIGITS_TEST_SIZE, DIGITS_TEST_SIZE),
    # Your own images (dataset.path): 128x128 as KTH's published runs; shift + flip only (README).
    "folder": DatasetInfo(None, 128, 128, None, None, None, augment="original-cifar", evaluate_on=None),
}
