"""Process-level helpers shared by the ``train`` command, the sweep runner and the analyses:
the torch device a config or flag names, and SIGTERM treated as Ctrl-C."""

from __future__ import annotations

import signal
import threading

import torch

from parametricSN.errors import UserError


def resolve_device(name: str, key: str = "general.device") -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` -> torch.device ("auto" = cuda if available, else
    cpu); UserError naming ``key`` (the config key or command-line flag) when CUDA is missing."""
    name = str(name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"{key}: {name!r} is not a torch device; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"{key}: {name!r} but CUDA is not available here; use auto or cpu")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise UserError(f"{key}: {name!r} but only {torch.cuda.device_count()} CUDA device(s) exist")
    return device


def sigterm_as_interrupt():
    """Treat SIGTERM (a killed job) like Ctrl-C so the run ends KILLED; returns the old handler
    (None off the main thread, where signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def restore_sigterm(previous) -> None:
    """Put back the handler :func:`sigterm_as_interrupt` returned."""
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
