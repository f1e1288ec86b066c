"""How many CPU threads a run uses: the cores it is given, not every core of the machine.

The rule (first that applies):

1. ``general.cores`` from the config;
2. ``OMP_NUM_THREADS`` (the first number of a list such as ``4,2``), which the sweep runner sets
   for its workers and which any launcher can set;
3. ``SLURM_CPUS_PER_TASK`` (a SLURM job's ``--cpus-per-task``);
4. the CPUs this process may run on (its affinity mask: ``taskset``, cgroups' cpusets, a
   container's ``--cpuset-cpus``), which is every core only when nothing restricts it.

Several runs started side by side on one machine each take all of (4.) unless told otherwise, and
then compete for the same cores: give each ``general.cores`` = cores / runs (README "Many runs").
"""

from __future__ import annotations

import os
from typing import Mapping, Optional, Tuple

SOURCES = ("general.cores", "OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK", "affinity")


def _positive(text: Optional[str]) -> Optional[int]:
    """The first integer of ``text`` (``"4"``, ``"4,2"``) if it is ≥ 1, else None."""
    if not text:
        return None
    head = str(text).split(",", 1)[0].strip()
    try:
        value = int(head)
    except ValueError:
        return None
    return value if value >= 1 else None


def affinity_cores() -> int:
    """The number of CPUs this process may run on (``os.sched_getaffinity``; ``os.cpu_count``
    where the platform has no affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def allotted_cores(cores: Optional[int] = None, environ: Optional[Mapping[str, str]] = None) -> Tuple[int, str]:
    """``(threads, source)`` by the rule above; ``source`` is one of :data:`SOURCES`."""
    if cores:
        return int(cores), "general.cores"
    env = os.environ if environ is None else environ
    for name in ("OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK"):
        value = _positive(env.get(name))
        if value is not None:
            return value, name
    return affinity_cores(), "affinity"


def set_torch_threads(cores: Optional[int] = None) -> Tuple[int, str]:
    """Set torch's intra-op threads by :func:`allotted_cores`; returns ``(threads, source)``."""
    import torch

    threads, source = allotted_cores(cores)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads, source
