"""A trained model ready to classify image files: loading (``--run``/``--model``), the same
decoding and normalisation as training (data.folder_files), batched class probabilities."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from parametricSN.config import section
from parametricSN.data.folder_files import stack_channels
from parametricSN.data.transforms import normalise


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--run / --model (one of them), --tracking-uri, --device, --batch-size."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="RUN_ID", help="MLflow run id of a training run with model.save=true")
    which.add_argument("--model", metavar="PATH", help="a saved-model folder (model_state.pt, config.yaml, "
                                                        "info.json), e.g. a run's downloaded model/ artifact")
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="MLflow store of the run (default: $MLFLOW_TRACKING_URI or sqlite:///mlruns/store.db)")
    parser.add_argument("--device", metavar="DEVICE", help="cpu, cuda, cuda:N (default: the run's general.device)")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N", help="images per batch (default 64)")


@dataclass
class Predictor:
    """model (eval mode, on ``device``); info: in_channels, image_size, mean, std, class_names;
    run_id: the training run (None for a folder without one); tracking_uri: the store used."""

    model: torch.nn.Module
    info: dict
    device: torch.device
    run_id: str | None
    tracking_uri: str
    spec: str
    batch_size: int = 64

    @property
    def class_names(self) -> list[str]:
        names = self.info.get("class_names")
        return [str(n) for n in names] if names else [str(i) for i in range(int(self.info["num_classes"]))]

    @property
    def image_size(self) -> tuple[int, int]:
        return tuple(int(v) for v in self.info["image_size"])  # type: ignore[return-value]

    @property
    def channels(self) -> int:
        return int(self.info["in_channels"])

    def stack(self, images: Sequence[torch.Tensor]) -> torch.Tensor:
        """Decoded images uint8 (1 | 3, H, W) -> uint8 (N, C, H, W) with the model's channel count."""
        return stack_channels(images, self.channels)

    @torch.no_grad()
    def probabilities(self, images_u8: torch.Tensor) -> torch.Tensor:
        """uint8 (N, C, H, W) -> float32 (N, classes) softmax probabilities on the CPU, in
        batches of ``batch_size``."""
        out = []
        for first in range(0, len(images_u8), self.batch_size):
            x = images_u8[first:first + self.batch_size].to(self.device).to(torch.float32) / 255.0
            logits = self.model(normalise(x, self.info["mean"], self.info["std"]))
            out.append(torch.softmax(logits.float(), dim=1).cpu())
        return torch.cat(out) if out else torch.zeros((0, len(self.class_names)))


def load_predictor(args: argparse.Namespace) -> Predictor:
    """The model named by --run / --model, on --device (default: the run's general.device)."""
    from parametricSN.analysis.model_source import default_tracking_uri, resolve_model
    from parametricSN.errors import UserError
    from parametricSN.runtime import resolve_device
    from parametricSN.tracking.mlflow_run import absolute_tracking_uri

    if args.batch_size < 1:
        raise UserError(f"--batch-size must be >= 1, got {args.batch_size}")
    tracking_uri = absolute_tracking_uri(args.tracking_uri or default_tracking_uri())
    if args.model is not None and not Path(args.model).expanduser().is_dir():
        raise UserError(f"--model {args.model}: no such folder; give the saved-model folder (model_state.pt, "
                        f"config.yaml, info.json) or use --run RUN_ID")
    if args.run is not None and not re.fullmatch(r"[0-9a-f]{32}", args.run):
        raise UserError(f"--run {args.run!r} is not an MLflow run id (32 hex digits, printed by train); "
                        f"for a saved-model folder use --model")
    loaded = resolve_model(args.run or args.model, tracking_uri)
    for key in ("mean", "std"):
        if key not in loaded.info:
            raise UserError(f"{loaded.spec}: its info.json lacks {key}; it was saved without its normalisation")
    device = resolve_device(args.device or section(loaded.cfg, "general").device)
    run_id = loaded.run_id or loaded.info.get("run_id")
    return Predictor(loaded.model.to(device).eval(), loaded.info, device, run_id, tracking_uri,
                     str(args.run or args.model), batch_size=args.batch_size)
