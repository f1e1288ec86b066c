"""Files of a folder of labelled images (torchvision's ImageFolder convention).

A class is a non-hidden sub-folder (or a link to one); its images are the files below it
(recursively, through links to folders) whose suffix is one of data.decoding's IMAGE_SUFFIXES;
hidden files and folders (``.DS_Store``, ``._x.png``, ``.git``) and other files (README.txt,
labels.csv) are skipped. Classes are sorted by name, files by path. Decoding is data.decoding's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from parametricSN.data.decoding import IMAGE_SUFFIXES
from parametricSN.data.images import class_folders
from parametricSN.errors import UserError


def _hidden(name: str) -> bool:
    return name.startswith(".")


def image_files_below(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, following symbolic links to folders; each real
    folder is walked once and a link to ``folder`` or to a folder above it is not followed;
    hidden files/folders and other suffixes skipped), sorted by path."""
    start = os.path.realpath(folder)
    found, visited = [], {start}
    for top, dirs, files in os.walk(folder, followlinks=True):
        walk = []
        for name in sorted(d for d in dirs if not _hidden(d)):
            real = os.path.realpath(os.path.join(top, name))
            if real not in visited and not start.startswith(real.rstrip(os.sep) + os.sep):
                visited.add(real)
                walk.append(name)
        dirs[:] = walk
        found += [Path(top) / f for f in files if not _hidden(f) and Path(f).suffix.lower() in IMAGE_SUFFIXES]
    return sorted(found)


def list_classes(root: Path, class_names: Sequence[str] | None = None,
                 what: str = "dataset.path") -> tuple[list[Path], np.ndarray, list[str]]:
    """``root/<class>/**/image`` -> (paths, int64 labels (N,), class names).

    ``class_names`` (e.g. the training split's or a model's) must be exactly the classes found:
    a missing or an extra class folder is a UserError naming it. A class folder without images
    is a UserError too. ``what`` names the folder's origin in the messages.
    """
    found = class_folders(root)
    if not found:
        raise UserError(f"{what}: {root} has no class folders; put the images in {root}/<class name>/")
    if class_names is not None:
        names = list(class_names)
        missing = [n for n in names if n not in found]
        extra = [n for n in found if n not in names]
        if missing or extra:
            parts = ([f"missing class folder(s) {', '.join(missing)}"] if missing else []) + \
                    ([f"extra class folder(s) {', '.join(extra)}"] if extra else [])
            raise UserError(f"{what}: {root} has {'; '.join(parts)}: it needs exactly the classes "
                            f"{', '.join(names)}")
    else:
        names = found
    paths: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(names):
        files = image_files_below(root / name)
        if not files:
            raise UserError(f"{what}: class folder {root / name} holds no images "
                            f"({', '.join(IMAGE_SUFFIXES)}); add some or remove the folder")
        paths += files
        labels += [label] * len(files)
    return paths, np.asarray(labels, dtype=np.int64), names
