"""The dataset settings a reader needs, taken from the config's ``dataset`` section (architecture §2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parametricSN.catalog import DATASET_INFO
from parametricSN.config import SCHEMA, sample_num_bound, section
from parametricSN.errors import UserError

DATASETS = tuple(DATASET_INFO)
SAMPLES = SCHEMA["dataset"]["sample"].choices


@dataclass(frozen=True)
class DataOptions:
    """name; folder = data_root/data_folder; train_n/test_n (None = whole set / dataset's
    standard test set); seed for the subsets; sample (KTH); augment mode; image_size (H, W)
    of the model input; download (CIFAR); num_classes (None = don't check); evaluate_on
    ("test" | "validation": what the bundle's evaluation images are; None = the folder dataset
    decides from what DIR holds); validation_n (size of the validation split carved from the
    training images; None = the dataset's default); channels (folder: 1 | 3 | None = from the
    images); skip_unreadable (folder: skip unreadable images with a warning instead of stopping);
    train_up_to (folder: train_n is an upper bound, ``train_sample_num: up to N``)."""

    name: str
    folder: Path | None
    train_n: int | None
    test_n: int | None
    seed: int
    sample: str
    augment: str
    image_size: tuple[int, int]
    download: bool
    num_classes: int | None
    evaluate_on: str | None = "test"
    validation_n: int | None = None
    channels: int | None = None
    skip_unreadable: bool = False
    train_up_to: bool = False

    @classmethod
    def from_config(cls, cfg) -> "DataOptions":
        """The options of a :class:`parametricSN.config.Config` (or of a partial mapping, each key
        normalised by the config's SCHEMA; see :func:`parametricSN.config.section`)."""
        ds, general = section(cfg, "dataset"), section(cfg, "general")
        info = DATASET_INFO[ds.name]
        folder_name = ds.data_folder or info.data_folder
        folder = Path(ds.data_root) / folder_name if folder_name else None
        if ds.name == "folder" and ds.path:
            folder = Path(ds.path).expanduser()
        validation_n = ds.validation_sample_num or info.validation_sample_num
        train_n, train_up_to = sample_num_bound(ds.train_sample_num)
        return cls(name=ds.name, folder=folder,
                   train_n=train_n, test_n=ds.test_sample_num, seed=general.seed,
                   sample=ds.sample, augment=ds.augment or info.augment,
                   image_size=(ds.height or info.height, ds.width or info.width), download=ds.download,
                   num_classes=ds.num_classes, evaluate_on=ds.evaluate_on or info.evaluate_on,
                   validation_n=validation_n, channels=ds.channels, skip_unreadable=ds.skip_unreadable,
                   train_up_to=train_up_to)

    def base_size(self, resize: int) -> int:
        """Side of the square the dataset is resized to before cropping to image_size: the
        dataset's own resize (CIFAR 32, KTH 200, X-ray 260, digits 32), grown if the model
        input is larger."""
        return max(resize, *self.image_size)

    @property
    def validates(self) -> bool:
        """True when the run evaluates on a validation split carved from the training images."""
        return self.evaluate_on == "validation"

    def check_num_classes(self, found: int, where) -> None:
        """UserError when the config's dataset.num_classes disagrees with the data on disk."""
        if self.num_classes is not None and self.num_classes != found:
            raise UserError(f"dataset.num_classes={self.num_classes} but {where} holds {found} classes: "
                            f"set dataset.num_classes to {found} or null")
