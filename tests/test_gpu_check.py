"""benchmarks/gpu_check.py, the one prepared GPU check, does not go stale: its CPU smoke mode runs every
step (kymatio equality, gradcheck, engine speed, a protocol run, competition epochs) and passes them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_every_step_on_cpu():
    done = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--quick"],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout.split("## gpu_check")[-1]
    for step in ("equal to kymatio", "gradcheck", "engine speed", "LS+LL 100-sample run",
                 "competition fp32", "competition bf16"):
        assert step in table, table
    assert "FAIL" not in table


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_gpu_check_refuses_cuda_without_a_device():
    done = subprocess.run([sys.executable, "benchmarks/gpu_check.py"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "no CUDA device here" in done.stderr
