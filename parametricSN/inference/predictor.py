"""A trained model ready to classify image files: loading (``--run``/``--model``), the image
preparation saved with it (data.preparation: the same decoding, size, channels and normalisation as
the run's own test images), and the run's own evaluation pass (training.fit.make_evaluator)."""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from parametricSN.config import section
from parametricSN.data.preparation import ImagePreparation
from parametricSN.training.losses import LossFn, build_loss
from parametricSN.training.precision import Precision


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--run / --model (one of them), --tracking-uri, --device, --batch-size."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="RUN_ID", help="MLflow run id of a training run with model.save=true")
    which.add_argument("--model", metavar="PATH", help="a saved-model folder (model_state.pt, config.yaml, "
                                                        "info.json), e.g. a run's downloaded model/ artifact")
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="MLflow store of the run (default: $MLFLOW_TRACKING_URI or sqlite:///mlruns/store.db)")
    parser.add_argument("--device", metavar="DEVICE", help="cpu, cuda, cuda:N (default: the run's general.device)")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="images per batch (default: the run's dataset.test_batch_size)")


class _KeepLogits:
    """The run's loss function, keeping each batch's logits on the way: make_evaluator hands back
    only (loss, accuracy), evaluate and predict need the scores of every image."""

    def __init__(self, loss_fn: LossFn):
        self.loss_fn, self.batches = loss_fn, []

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        self.batches.append(logits.detach().float().cpu())
        return self.loss_fn(logits, targets)


@dataclass
class Scores:
    """What a pass over N images gives: loss and accuracy (percent) as the run computes its test
    metrics (NaN without labels), and the logits float32 (N, classes) on the CPU."""

    loss: float
    accuracy: float
    logits: torch.Tensor

    @property
    def probabilities(self) -> torch.Tensor:
        """Softmax of the logits, float32 (N, classes)."""
        return torch.softmax(self.logits, dim=1)


@dataclass
class Predictor:
    """model (eval mode, on ``device``) with its config ``cfg``, ``info`` and ``preparation``;
    run_id: the training run (None for a folder without one); tracking_uri: the store used;
    batch_size: images per batch; precision, loss_fn: the run's (general.precision, model.loss)."""

    model: torch.nn.Module
    cfg: dict
    info: dict
    preparation: ImagePreparation
    device: torch.device
    run_id: str | None
    tracking_uri: str
    spec: str
    batch_size: int
    precision: Precision
    loss_fn: LossFn

    @property
    def class_names(self) -> list[str]:
        names = self.info.get("class_names")
        return [str(n) for n in names] if names else [str(i) for i in range(int(self.info["num_classes"]))]

    def decode(self, paths: Sequence[Path], desc: str = "decoding images",
               progress: bool = True) -> list[torch.Tensor | str]:
        """Per file uint8 (C, H, W) prepared as the run's test images, or why it could not be read."""
        return self.preparation.decode(paths, desc=desc, progress=progress)

    def scores(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> Scores:
        """The run's own test pass over uint8 images (N, C, H, W) at the model size, labels int64
        (N,) or None: training.fit.make_evaluator, so the same batches, precision and, with a
        fixed bank, the features of all images first, then the head."""
        from parametricSN.training.fit import make_evaluator

        kept = _KeepLogits(self.loss_fn)
        targets = labels if labels is not None else torch.zeros(len(images), dtype=torch.int64)
        evaluator = make_evaluator(self.model, self.preparation, images.to(self.device), targets.to(self.device),
                                   self.preparation.model_input, kept, batch_size=self.batch_size,
                                   precision=self.precision)
        loss, accuracy = evaluator()
        logits = torch.cat(kept.batches) if kept.batches else torch.zeros((0, len(self.class_names)))
        if labels is None:
            loss = accuracy = math.nan
        return Scores(loss, accuracy, logits)


def load_predictor(args: argparse.Namespace) -> Predictor:
    """The model named by --run / --model, on --device (default: the run's general.device), in
    batches of --batch-size (default: the run's dataset.test_batch_size)."""
    from parametricSN.analysis.model_source import resolve_model
    from parametricSN.errors import UserError
    from parametricSN.runtime import resolve_device
    from parametricSN.tracking.mlflow_run import absolute_tracking_uri
    from parametricSN.tracking.store import default_tracking_uri

    if args.batch_size is not None and args.batch_size < 1:
        raise UserError(f"--batch-size must be >= 1, got {args.batch_size}")
    tracking_uri = absolute_tracking_uri(args.tracking_uri or default_tracking_uri())
    if args.model is not None and not Path(args.model).expanduser().is_dir():
        raise UserError(f"--model {args.model}: no such folder; give the saved-model folder (model_state.pt, "
                        f"config.yaml, info.json) or use --run RUN_ID")
    if args.run is not None and not re.fullmatch(r"[0-9a-f]{32}", args.run):
        raise UserError(f"--run {args.run!r} is not an MLflow run id (32 hex digits, printed by train); "
                        f"for a saved-model folder use --model")
    loaded = resolve_model(args.run or args.model, tracking_uri)
    preparation = ImagePreparation.from_info(loaded.info, loaded.spec)
    device = resolve_device(args.device or section(loaded.cfg, "general").device)
    run_id = loaded.run_id or loaded.info.get("run_id")
    return Predictor(loaded.model.to(device).eval(), loaded.cfg, loaded.info, preparation, device, run_id,
                     tracking_uri, str(args.run or args.model),
                     batch_size=args.batch_size or int(section(loaded.cfg, "dataset").test_batch_size),
                     precision=Precision.build(section(loaded.cfg, "general").precision, device),
                     loss_fn=build_loss(section(loaded.cfg, "model").loss))
