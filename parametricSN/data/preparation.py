"""ImagePreparation: the one owner of how an image becomes the tensor a model sees.

Each dataset builds one; the run saves it with the model (info.json ``"preparation"``), and every
door an image comes in by uses it: the run's own test pass (through the DataBundle), ``evaluate``,
``predict``, the deformation analysis and the logged MLflow model. So a model answers the same on
the same image whichever way it came.

    file ─ decode + resize ─► uint8 (1 | 3, h0, w0)   data.decoding: Pillow, EXIF, alpha on white,
                                                      (h0, w0) = resize.size, stretched or covered
         ─ channels ────────► uint8 (C, h0, w0)       the stored size: training augments from here
         ─ centre crop ─────► uint8 (C, H, W)         (H, W) = crop, the model input (evaluation)
         ─ normalise ───────► float32 (C, H, W)       (x / 255 − mean) / std per channel

Channel rule (after the resize): a grayscale image is repeated to 3 channels for an RGB model, an
RGB image becomes its luma L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (Pillow's ``convert("L")``)
for a 1-channel model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import torch

from parametricSN.data.decoding import Resize, decode_files
from parametricSN.data.images import center_crop
from parametricSN.errors import UserError

INFO_KEY = "preparation"


def to_gray(x: torch.Tensor) -> torch.Tensor:
    """uint8 (…, 3, H, W) RGB -> (…, 1, H, W) luma, exactly Pillow's convert("L")."""
    r, g, b = x.to(torch.int64).unbind(-3)
    return ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16).to(torch.uint8).unsqueeze(-3)


def with_channels(image: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (1 | 3, H, W) -> uint8 (channels, H, W) by the channel rule (module docstring)."""
    if image.shape[0] == channels:
        return image
    return image.expand(3, -1, -1) if channels == 3 else to_gray(image)


def stack_channels(images: Sequence[torch.Tensor], channels: int) -> torch.Tensor:
    """uint8 (1 | 3, H, W) images -> uint8 (N, channels, H, W) by the channel rule."""
    if not images:
        raise ValueError("stack_channels: no images")
    return torch.stack([with_channels(image, channels) for image in images]).contiguous()


@dataclass(frozen=True)
class ImagePreparation:
    """From an image file (or a decoded array) to the model's input (module docstring).

    resize: decoded image -> the stored size (h0, w0); crop: (H, W), the model input, the centre
    of the stored image at evaluation; channels: C, 1 or 3; mean, std: per channel, [0, 1] units.
    """

    resize: Resize
    crop: tuple[int, int]
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __post_init__(self):
        object.__setattr__(self, "crop", (int(self.crop[0]), int(self.crop[1])))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))

    # ---- files and arrays -> uint8
    def decode(self, paths: Sequence[Path], desc: str = "decoding images",
               progress: bool = True) -> list[torch.Tensor | str]:
        """Per file uint8 (C, H, W) at the MODEL size (centre-cropped), or the reason (str) it
        could not be read: what evaluate and predict classify."""
        return [item if isinstance(item, str) else self.centre(with_channels(item, self.channels))
                for item in decode_files(paths, self.resize, desc=desc, progress=progress)]

    def read(self, paths: Sequence[Path], desc: str = "decoding images") -> torch.Tensor:
        """Files -> uint8 (N, C, h0, w0) at the STORED size (what a dataset keeps for training);
        the first unreadable file is a UserError naming it."""
        if len(paths) == 0:
            return torch.zeros((0, self.channels, *self.resize.size), dtype=torch.uint8)
        decoded = decode_files(paths, self.resize, desc=desc)
        for path, item in zip(paths, decoded):
            if isinstance(item, str):
                raise UserError(f"cannot read image {path}: {item}")
        return stack_channels(decoded, self.channels)  # type: ignore[arg-type]

    def from_arrays(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N, 1 | 3, H0, W0) images held as arrays (CIFAR's batches) -> uint8 (N, C, h0, w0),
        through the same resize and channel rule as a file."""
        if len(images) == 0:
            return torch.zeros((0, self.channels, *self.resize.size), dtype=torch.uint8)
        return stack_channels([self.resize.tensor(image) for image in images], self.channels)

    def centre(self, stored: torch.Tensor) -> torch.Tensor:
        """uint8 (…, C, h0, w0) at the stored size -> (…, C, H, W): the centre crop the model sees."""
        return center_crop(stored, self.crop)

    # ---- uint8 -> the model's input
    def to_float(self, x_uint8: torch.Tensor) -> torch.Tensor:
        """uint8 (…, C, H, W) in 0..255 -> float32 in [0, 1], same device."""
        return x_uint8.to(torch.float32) / 255.0

    def normalize(self, x_float01: torch.Tensor) -> torch.Tensor:
        """(x - mean) / std per channel; x float (B, C, H, W) or (C, H, W) in [0, 1]."""
        mean = torch.tensor(self.mean, dtype=x_float01.dtype, device=x_float01.device)
        std = torch.tensor(self.std, dtype=x_float01.dtype, device=x_float01.device)
        return (x_float01 - mean.view(-1, 1, 1)) / std.view(-1, 1, 1)

    def model_input(self, x_uint8: torch.Tensor) -> torch.Tensor:
        """uint8 (B, C, H, W) at the model size -> the normalised float32 batch the model takes."""
        return self.normalize(self.to_float(x_uint8))

    # ---- saved with the model
    def to_info(self) -> dict:
        """The JSON-safe form stored in a saved model's info.json under ``"preparation"``."""
        return {"resize": list(self.resize.size), "keep_aspect": self.resize.keep_aspect,
                "crop": list(self.crop), "channels": self.channels,
                "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_info(cls, info: Mapping, where: str = "the saved model") -> "ImagePreparation":
        """The preparation of a saved model's info. A model saved before the field existed (no
        ``"preparation"``) gets that time's rule for files: resize to cover ``image_size`` keeping
        the aspect ratio, centre crop, its ``in_channels``, ``mean`` and ``std``."""
        saved = info.get(INFO_KEY)
        try:
            if saved is None:
                if "mean" not in info or "std" not in info:
                    raise UserError(f"{where}: its info.json lacks mean and std; it was saved without "
                                    f"its normalisation")
                size = tuple(info["image_size"])
                return cls(Resize(size, keep_aspect=True), size, int(info["in_channels"]),
                           tuple(info["mean"]), tuple(info["std"]))
            return cls(Resize(tuple(saved["resize"]), keep_aspect=bool(saved["keep_aspect"])),
                       tuple(saved["crop"]), int(saved["channels"]), tuple(saved["mean"]), tuple(saved["std"]))
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise UserError(f"{where}: its info.json has no valid {INFO_KEY!r} ({type(error).__name__}: "
                            f"{error}); save the model again") from None
