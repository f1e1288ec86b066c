#!/usr/bin/env bash
# The GPU check (issue 10): correctness and speed on one CUDA device, one table; exit 1 if a check fails.
# Run from anywhere on a GPU machine with the project's environment active:  bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
exec timeout 480 python benchmarks/gpu_check.py "$@"
