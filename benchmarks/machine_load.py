"""The machine's load average, printed by the timing benchmarks: other processes on the CPUs slow
multi-threaded torch a lot, so a timing is only worth reading next to it."""

from __future__ import annotations

import os


def load() -> str:
    """'0.12 0.30 0.25' (1, 5, 15 minutes), or 'n/a' where the OS does not report it."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"
