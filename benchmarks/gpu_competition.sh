#!/usr/bin/env bash
# The 100-sample competition on a lent GPU machine (issue 23, item 6): TF LS+WRN and TF S+WRN of the
# first N published seeds, on the lossless CIFAR-10 images, evaluated on the 10,000-image validation
# split, tested at the end: the CPU table of benchmarks/RESULTS-real-cifar.md, every seed at once.
#
# Here, once (with the images and pip; writes .pack.tgz, 29 MB for 10 seeds: one file, since 50,000
# small files would cost far more than their bytes in transit, and .whl/, 35 MB; both ignored by git):
#   bash benchmarks/gpu_competition.sh prepare DIR [N]    # DIR holds cifar10/train/<class>/*.png
# There (the device tool's run, carry [".pack.tgz", ".whl"], timeout 600 s):
#   bash benchmarks/gpu_competition.sh run [N] [WORKERS] [sweep options]  # default 10 seeds, 10 runs at a time
# (sweep options go to both sweeps last, e.g. a CPU smoke test: run 1 2 --epochs 2 --set general.device=cpu)
# It prints the `runs` listing and the LS-vs-S table, writes both and the runs' data check to $OUT,
# and exits 1 when a run's data fingerprints differ from those of the whole folder (the pack's manifest.json).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
prepare)
  rm -rf /tmp/device_pack .pack.tgz
  python benchmarks/device_pack.py --data-root "$2" --out /tmp/device_pack --num-seeds "${3:-10}"
  tar czf .pack.tgz -C /tmp/device_pack . && rm -rf /tmp/device_pack
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl -r benchmarks/gpu_wheels.txt
  du -sh --apparent-size .pack.tgz .whl
  ;;
run)
  seeds=${2:-10}; workers=${3:-10}; shift $(( $# < 3 ? $# : 3 )); out=${OUT:-/tmp/gpu_competition}; store=sqlite:////tmp/gpu_competition/store.db
  rm -rf /tmp/gpu_competition; mkdir -p "$out" /tmp/gpu_competition/pack
  tar xzf .pack.tgz -C /tmp/gpu_competition/pack
  if ! python3 -c "import mlflow" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
  fi
  export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  common=(competition/cifar-10_100sample.py --num-seeds "$seeds" --workers $(( (workers + 1) / 2 ))
          --data-root /tmp/gpu_competition/pack --tracking-uri "$store" --set dataset.evaluate_on=validation
          --set model.step_test=3000 --set general.device=cuda --set general.cores=1)
  started=$(date +%s)
  python3 "${common[@]}" "$@" > "$out/ls.log" 2>&1 &
  python3 "${common[@]}" --set scattering.learnable=false "$@" > "$out/s.log" 2>&1 &
  wait || true
  echo "all runs: $(( $(date +%s) - started )) s"
  tail -n 3 "$out/ls.log" "$out/s.log"
  python3 -m parametricSN runs --tracking-uri "$store" | tee "$out/runs.txt"
  python3 benchmarks/real_runs_table.py --tracking-uri "$store" | tee "$out/table.md"
  python3 benchmarks/device_pack.py --check /tmp/gpu_competition/pack --tracking-uri "$store" | tee "$out/data_check.txt"
  ;;
*)
  echo "usage: bash benchmarks/gpu_competition.sh prepare DIR [N] | run [N] [WORKERS]" >&2; exit 2
  ;;
esac
