"""Mixed precision of the head (``general.precision: fp32 | bf16 | fp16``).

``bf16`` / ``fp16`` run the head under ``torch.autocast``; the scattering always runs in float32
(``HybridModel.features`` leaves autocast), because its FFTs and moduli need float32's accuracy to
stay within 1e-5 of kymatio. ``fp16`` also scales the loss (``torch.amp.GradScaler``) so that small
gradients do not underflow; ``bf16`` has float32's exponent range and needs no scaling. ``fp32``
(the default) changes nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from parametricSN.config import normalise

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
PRECISIONS = ("fp32", *DTYPES)


@dataclass
class Precision:
    """How the training loop runs the model: ``autocast()`` around forward passes, and the loss
    ``scaler`` (fp16 only, else None)."""

    name: str
    device_type: str
    scaler: torch.amp.GradScaler | None = None

    @classmethod
    def build(cls, name: str, device: torch.device) -> "Precision":
        name = normalise("general", "precision", name)
        scaler = torch.amp.GradScaler(device.type) if name == "fp16" else None
        return cls(name, device.type, scaler)

    def autocast(self):
        """The context for a forward pass: autocast to bf16/fp16, or nothing for fp32."""
        if self.name == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=DTYPES[self.name])

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """optimizer.step(), through the scaler for fp16 (it skips steps with inf/NaN gradients)."""
        if self.scaler is None:
            optimizer.step()
            return
        self.scaler.step(optimizer)
        self.scaler.update()


FP32 = Precision("fp32", "cpu")
