"""Speed and memory of ParametricScattering2D against kymatio's Scattering2D.

    python benchmarks/scattering_speed.py [--threads 2] [--repeats 7] [--device cpu|cuda] [--no-memory]

Timing: for each case, every variant is warmed up once, then the variants run one after the
other ("interleaved"), ``--repeats`` times; the table reports medians of wall-clock time and
ratios kymatio / ours, so slow-downs caused by other processes hit both sides alike.

- fixed forward: ours with learnable=False vs kymatio's forward (no gradient anywhere);
- learnable step: ours forward + backward with gradients to the filter parameters (input
  without gradient) vs kymatio's forward + backward with respect to the input;
- filter rebuild share: building the learnable bank (all levels) forward + backward, as a share
  of our learnable step;
- GFLOP/s: the algorithm's floating-point operations (``algorithm_flops``: FFTs counted as
  5·N·log2 N for complex and 2.5·N·log2 N for real transforms, plus the products, moduli and
  low-pass matrix products) divided by our median time.

Peak memory (CPU): each variant runs once, alone, in a fresh subprocess (models and inputs
built, nothing run yet). Just before the call the kernel's peak-RSS mark is reset to the
current RSS (``echo 5 > /proc/self/clear_refs``); the table reports VmHWM after the call minus
VmRSS before it, i.e. the extra peak resident memory the call needed. (``ru_maxrss`` cannot be
used: Linux carries it over from the parent across fork/exec.) On CUDA,
``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``, minus the memory in use
before the call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import math

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from parametricSN.scattering import ParametricScattering2D  # noqa: E402
from parametricSN.scattering.transform import output_shape, padded_shape  # noqa: E402

CASES = {
    "cifar J=2": dict(batch=128, channels=3, size=32, J=2, L=8),
    "J=4 128px": dict(batch=32, channels=1, size=128, J=4, L=8),
}


def _fft_flops(m: int, n: int, real: bool = False) -> float:
    points = m * n
    return (2.5 if real else 5.0) * points * math.log2(points)


def algorithm_flops(case: dict) -> tuple[float, float]:
    """(forward, learnable step) floating-point operations of the algorithm for the whole batch.

    Per channel-image: rfft2 of the padded image; per order-1 scale j1 at resolution (m, n):
    the alias-tile products with the L filters (4 flops per complex × real multiply-add over
    the padded grid), L inverse FFTs, moduli (4 flops per point), the two low-pass matrix
    products, then (order 2) L real FFTs of U1 and, per j2 > j1, the same for L² paths. The
    learnable step adds the backward to the filters: the same transforms, products, moduli
    and low-pass products again, the filter-gradient reductions (one product-sized term) and
    for order 2 the gradient to U1 (another), with the adjoint of each real FFT done as a
    complex one.
    """
    J, L = case["J"], case["L"]
    M, N = padded_shape((case["size"], case["size"]), J)
    h, w = output_shape((case["size"], case["size"]), J)

    def lowpass(m, n):
        return 2 * h * m * n + 2 * h * n * w

    fwd = _fft_flops(M, N, real=True) + lowpass(M, N)
    bwd = 0.0
    for j1 in range(J):
        m, n = M >> j1, N >> j1
        step = 4 * L * M * N + L * (_fft_flops(m, n) + 4 * m * n + lowpass(m, n))
        fwd, bwd = fwd + step, bwd + step + 4 * L * M * N
        if j1 == J - 1:
            continue
        fwd += L * _fft_flops(m, n, real=True)
        bwd += L * _fft_flops(m, n)
        for j2 in range(j1 + 1, J):
            p, q = M >> j2, N >> j2
            step = 4 * L * L * m * n + L * L * (_fft_flops(p, q) + 4 * p * q + lowpass(p, q))
            fwd, bwd = fwd + step, bwd + step + 2 * 4 * L * L * m * n
    images = case["batch"] * case["channels"]
    return images * fwd, images * (fwd + bwd)


def kymatio_class():
    """kymatio's torch 2D frontend, imported directly (``kymatio.torch`` needs SciPy < 1.17)."""
    try:
        from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D
    except ImportError:
        return None
    return ScatteringTorch2D


def make_variants(case: dict, device: str) -> dict:
    """name → zero-argument callable doing one timed operation."""
    torch.manual_seed(0)
    shape = (case["size"], case["size"])
    x = torch.randn(case["batch"], case["channels"], *shape, device=device)
    x_grad = x.clone().requires_grad_(True)
    fixed = ParametricScattering2D(case["J"], shape, L=case["L"], learnable=False).to(device)
    learn = ParametricScattering2D(case["J"], shape, L=case["L"], learnable=True).to(device)
    params = list(learn.filter_parameters().values())

    def ours_fixed():
        with torch.no_grad():
            fixed(x)

    def ours_learnable_step():
        learn(x).sum().backward()
        for p in params:
            p.grad = None

    def ours_filter_build():
        levels = learn.filter_levels()
        sum(level.sum() for level in levels.psi).backward()
        for p in params:
            p.grad = None

    variants = {"ours fixed fwd": ours_fixed, "ours learnable fwd+bwd": ours_learnable_step,
                "ours filter build fwd+bwd": ours_filter_build}
    kym = kymatio_class()
    if kym is not None:
        reference = kym(J=case["J"], shape=shape, L=case["L"]).to(device)

        def kymatio_fixed():
            with torch.no_grad():
                reference(x)

        def kymatio_step():
            reference(x_grad).sum().backward()
            x_grad.grad = None

        variants["kymatio fwd"] = kymatio_fixed
        variants["kymatio fwd+bwd (input)"] = kymatio_step
    return variants


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_interleaved(variants: dict, repeats: int, device: str) -> dict[str, float]:
    """Median seconds per variant; variants alternate within each repetition."""
    for run in variants.values():
        run()
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            synchronize(device)
            start = time.perf_counter()
            run()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def memory_probe(case_name: str, variant: str, device: str, threads: int) -> float:
    """Extra peak memory (MiB) of one call of ``variant``, measured in this (fresh) process."""
    torch.set_num_threads(threads)
    run = make_variants(CASES[case_name], device)[variant]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        run()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2 ** 20
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")      # peak RSS mark := current RSS
    run()
    return (_status_kib("VmHWM") - before) / 1024


def _status_kib(field: str) -> int:
    """A memory field of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def measure_memory(case_name: str, variant: str, device: str, threads: int) -> float | None:
    command = [sys.executable, __file__, "--probe", case_name, variant, "--device", device,
               "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["peak_mib"]


def describe_machine(device: str, threads: int) -> str:
    if device.startswith("cuda"):
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {threads} torch threads, torch {torch.__version__}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--probe", nargs=2, metavar=("CASE", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.probe:
        print(json.dumps({"peak_mib": memory_probe(*args.probe, args.device, args.threads)}))
        return 0

    torch.set_num_threads(args.threads)
    print(f"# {time.strftime('%Y-%m-%d')}  {describe_machine(args.device, args.threads)}")
    print(f"# python {' '.join(sys.argv)}   (medians of {args.repeats} interleaved repetitions)")
    if kymatio_class() is None:
        print("# kymatio is not installed: only our timings are shown")
    for case_name in args.cases:
        case = CASES[case_name]
        variants = make_variants(case, args.device)
        medians = time_interleaved(variants, args.repeats, args.device)
        memory = {}
        if not args.no_memory:
            memory = {name: measure_memory(case_name, name, args.device, args.threads) for name in variants}
        print(f"\n## {case_name}: {case['batch']}×{case['channels']}×{case['size']}×{case['size']}, "
              f"J={case['J']}, L={case['L']}")
        print("| variant | median time (s) | extra peak memory (MiB) |")
        print("|---|---|---|")
        for name, seconds in medians.items():
            mib = memory.get(name)
            print(f"| {name} | {seconds:.4f} | {'–' if mib is None else f'{mib:.0f}'} |")
        step = medians["ours learnable fwd+bwd"]
        print(f"\nfilter rebuild share of a learnable step: "
              f"{medians['ours filter build fwd+bwd'] / step:.1%}")
        flops_fwd, flops_step = algorithm_flops(case)
        print(f"algorithm: {flops_fwd / 1e9:.2f} GFLOP per fixed forward, {flops_step / 1e9:.2f} per "
              f"learnable step; achieved {flops_fwd / medians['ours fixed fwd'] / 1e9:.1f} and "
              f"{flops_step / step / 1e9:.1f} GFLOP/s")
        if "kymatio fwd" in medians:
            print(f"fixed forward speed-up (kymatio fwd / ours fixed fwd): "
                  f"{medians['kymatio fwd'] / medians['ours fixed fwd']:.2f}×")
            print(f"learnable step speed-up (kymatio fwd+bwd w.r.t. input / ours fwd+bwd w.r.t. filters): "
                  f"{medians['kymatio fwd+bwd (input)'] / step:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
