"""Progress of a run without a terminal: one plain line every few minutes.

On a terminal :func:`parametricSN.training.fit.fit` draws a tqdm bar. A run whose stderr is a file
(a background sweep, ``nohup``, a SLURM log) would get a bar's carriage-return redraws, one endless
line; it gets instead a line every ``every_s`` seconds (default 5 minutes):

    TF LS+WRN seed=207715039 n=100: epoch 150/3000  loss 1.194  acc 64.0  test_acc nan  | 19.3 s/epoch, 15.3 h left
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

EVERY_S = 300.0


def human_duration(seconds: float) -> str:
    """``"45 s"``, ``"17 min"``, ``"15.3 h"``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


class ProgressLines:
    """``update(epoch, loss, acc, test_acc)`` after each epoch; prints when ``every_s`` seconds
    have passed since the last line (or the start). The rate counts only this process's epochs
    (a resumed run's earlier ones ran elsewhere)."""

    def __init__(self, desc: str, epochs: int, first_epoch: int, every_s: float = EVERY_S,
                 out: TextIO | None = None, clock=time.monotonic):
        self.desc, self.epochs, self.first_epoch, self.every_s = desc, epochs, first_epoch, every_s
        self.out, self.clock = out, clock
        self.started = self.last = clock()

    def update(self, epoch: int, loss: float, acc: float, test_acc: float) -> None:
        now = self.clock()
        if now - self.last < self.every_s:
            return
        self.last = now
        per_epoch = (now - self.started) / max(1, epoch - self.first_epoch)
        print(f"{self.desc}: epoch {epoch}/{self.epochs}  loss {loss:.3f}  acc {acc:.1f}  test_acc {test_acc:.1f}"
              f"  | {per_epoch:.1f} s/epoch, {human_duration(per_epoch * (self.epochs - epoch))} left",
              file=self.out or sys.stderr, flush=True)
