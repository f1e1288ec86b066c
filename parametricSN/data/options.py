"""The dataset settings a reader needs, taken from the normalised config dict (architecture §2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parametricSN.data.catalog import DATASET_INFO
from parametricSN.errors import UserError

DATASETS = tuple(DATASET_INFO)
_ALIASES = {"cifar10": "cifar", "cifar-10": "cifar", "x-ray": "xray"}
SAMPLES = ("a", "b", "c", "d")
EVALUATION_SPLITS = ("test", "validation")


@dataclass(frozen=True)
class DataOptions:
    """name; folder = data_root/data_folder; train_n/test_n (None = whole set / dataset's
    standard test set); seed for the subsets; sample (KTH); augment mode; image_size (H, W)
    of the model input; download (CIFAR); num_classes (None = don't check); evaluate_on
    ("test" | "validation": what the bundle's evaluation images are; None = the folder dataset
    decides from what DIR holds); validation_n (size of the validation split carved from the
    training images; None = the dataset's default); channels (folder: 1 | 3 | None = from the
    images); skip_unreadable (folder: skip unreadable images with a warning instead of stopping)."""

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

    @classmethod
    def from_config(cls, cfg: dict) -> "DataOptions":
        ds = dict(cfg.get("dataset") or {})
        general = dict(cfg.get("general") or {})
        name = str(ds.get("name", "digits")).lower()
        name = _ALIASES.get(name, name)
        if name not in DATASETS:
            raise UserError(f"dataset.name={ds.get('name')!r} is not allowed: use one of {', '.join(DATASETS)}")
        info = DATASET_INFO[name]
        folder_name = ds.get("data_folder") or info.data_folder
        folder = Path(ds.get("data_root") or "data") / folder_name if folder_name else None
        if name == "folder" and ds.get("path"):
            folder = Path(str(ds["path"])).expanduser()
        height = int(ds.get("height") or info.height)
        width = int(ds.get("width") or info.width)
        if height < 1 or width < 1:
            raise UserError(f"dataset.height/width={height}x{width}: use positive sizes")
        sample = str(ds.get("sample") or "d").lower()
        if sample not in SAMPLES:
            raise UserError(f"dataset.sample={sample!r} is not allowed: use one of {', '.join(SAMPLES)}")
        train_n = ds.get("train_sample_num", 100)
        train_n = None if str(train_n).lower() == "all" else train_n
        test_n = ds.get("test_sample_num")
        num_classes = ds.get("num_classes")
        evaluate_on = ds.get("evaluate_on") or info.evaluate_on
        evaluate_on = None if evaluate_on is None else str(evaluate_on).lower()
        if evaluate_on is not None and evaluate_on not in EVALUATION_SPLITS:
            raise UserError(f"dataset.evaluate_on={ds.get('evaluate_on')!r} is not allowed: use one of "
                            f"{', '.join(EVALUATION_SPLITS)}")
        validation_n = ds.get("validation_sample_num") or info.validation_sample_num
        return cls(name=name, folder=folder,
                   train_n=None if train_n is None else int(train_n),
                   test_n=None if test_n is None else int(test_n),
                   seed=int(general.get("seed", 0) or 0), sample=sample,
                   augment=str(ds.get("augment") or info.augment),
                   image_size=(height, width), download=bool(ds.get("download", False)),
                   num_classes=None if num_classes is None else int(num_classes),
                   evaluate_on=evaluate_on, validation_n=None if validation_n is None else int(validation_n),
                   channels=None if ds.get("channels") is None else int(ds["channels"]),
                   skip_unreadable=bool(ds.get("skip_unreadable", False)))

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
