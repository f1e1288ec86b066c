"""The GPU check: correctness and speed of parametricSN on one CUDA device, in one table.

    bash benchmarks/gpu_check.sh                        # on a GPU machine (≈ 4–8 minutes)
    python benchmarks/gpu_check.py --device cpu --quick # the same steps, tiny, on a CPU (a smoke test)

Steps (each a row of the table; any failed check makes the exit status 1):
1. the test suite's CUDA tests (``pytest -m cuda``): they must run, not skip, and pass;
2. equality with kymatio on the device (tight-frame bank, fixed and learnable; relative L2 < 1e-5)
   and a float64 gradient check of the four filter parameters on the device;
3. speed of the engine against kymatio on the device, interleaved (benchmarks/scattering_speed.py);
4. one LS+LL 100-sample run of the published protocol (200 epochs, a 10,000-image test every 25
   epochs, every figure), on random CIFAR-shaped images (this machine may have no dataset);
5. 100 epochs of the competition configuration (TF LS + WRN k=8, autoaugment, batch 128) in fp32,
   bf16, fp16 and fp32 + torch.compile of the head, each tested once at the end, projected to the
   full 3000-epoch seed (testing only at the end, and every 25 epochs as the script does) and to the
   10-seed competition on this many GPUs.
"""

from __future__ import annotations

import argparse
import math
import pickle
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from parametricSN.config import validate_config  # noqa: E402
from parametricSN.scattering import ParametricScattering2D  # noqa: E402

COMPETITION_EPOCHS = 3000
GOAL_SEED_S, GOAL_TOTAL_S = 5 * 60, 60 * 60


class Table:
    """Rows of (step, result, verdict); ``failed`` once any verdict is FAIL."""

    def __init__(self):
        self.rows: list[tuple[str, str, str]] = []

    def add(self, step: str, result: str, ok: bool | None = None) -> None:
        self.rows.append((step, result, "" if ok is None else ("ok" if ok else "FAIL")))
        print(f"[{self.rows[-1][2] or '--'}] {step}: {result}", flush=True)

    @property
    def failed(self) -> bool:
        return any(verdict == "FAIL" for _, _, verdict in self.rows)

    def markdown(self) -> str:
        lines = ["| step | result | check |", "|---|---|---|"]
        lines += [f"| {step} | {result} | {verdict} |" for step, result, verdict in self.rows]
        return "\n".join(lines)


def guarded(table: Table, step: str, work) -> None:
    """Run one step; an exception is a FAIL row (with the traceback on stderr), never the end."""
    try:
        work()
    except Exception as error:  # noqa: BLE001 — every step reports, whatever breaks
        traceback.print_exc()
        table.add(step, f"{type(error).__name__}: {' '.join(str(error).split())[:200]}", False)


def cuda_tests(table: Table) -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "cuda", "tests"],
                            cwd=REPO, capture_output=True, text=True)
    last = (result.stdout.strip().splitlines() or ["no output"])[-1]
    passed = int(re.search(r"(\d+) passed", last).group(1)) if "passed" in last else 0
    table.add("CUDA tests (pytest -m cuda)", last, result.returncode == 0 and passed > 0 and "skipped" not in last)


def kymatio_equality(table: Table, device: str) -> None:
    from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D

    worst = 0.0
    for batch, channels, size, J in ((16, 3, 32, 2), (4, 1, 128, 4)):
        x = torch.randn(batch, channels, size, size, generator=torch.Generator().manual_seed(0)).to(device)
        reference = ScatteringTorch2D(J=J, shape=(size, size), L=8).to(device)(x)
        for learnable in (False, True):
            ours = ParametricScattering2D(J, (size, size), L=8, learnable=learnable).to(device)
            with torch.no_grad():
                got = ours(x)
            worst = max(worst, float((got - reference).norm() / reference.norm()))
    table.add("equal to kymatio on the device (J=2 32px, J=4 128px; fixed, learnable)",
              f"max relative L2 error {worst:.1e}", worst < 1e-5)


def gradient_check(table: Table, device: str) -> None:
    layer = ParametricScattering2D(2, (8, 6), L=2, learnable=True).to(device).double()
    x = torch.randn(1, 1, 8, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).to(device)
    paths = [f"bank.{name}" for name in layer.filter_parameters()]

    def of(*values):
        return torch.func.functional_call(layer, dict(zip(paths, values)), (x,))

    params = [p.detach().clone().requires_grad_(True) for p in layer.filter_parameters().values()]
    ok = torch.autograd.gradcheck(of, params, eps=1e-6, atol=1e-6, rtol=1e-4)
    table.add("float64 gradcheck of θ, ξ, σ, γ on the device", "passed" if ok else "failed", ok)


def engine_speed(table: Table, device: str, repeats: int, quick: bool) -> None:
    import scattering_speed as speed

    for name, case in list(speed.CASES.items())[: 1 if quick else None]:
        medians = speed.time_interleaved(speed.make_variants(case, device), repeats, device)
        fixed, step = medians["ours fixed fwd"], medians["ours learnable fwd+bwd"]
        text = f"fixed fwd {fixed * 1e3:.2f} ms, learnable fwd+bwd {step * 1e3:.2f} ms"
        if "kymatio fwd" in medians:
            text += (f"; kymatio {medians['kymatio fwd'] * 1e3:.2f} / {medians['kymatio fwd+bwd (input)'] * 1e3:.2f} ms"
                     f" = {medians['kymatio fwd'] / fixed:.2f}× / {medians['kymatio fwd+bwd (input)'] / step:.2f}×")
        table.add(f"engine speed, {name}", text)


def fake_cifar(root: Path, n_train: int, n_test: int) -> Path:
    """Random CIFAR-shaped images in torchvision's python-batch format under root/cifar10."""
    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    per_batch = max(10, n_train // 5)
    for name, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]:
        record = {"data": rng.randint(0, 256, (n, 3072), dtype=np.uint8), "labels": list(np.arange(n) % 10)}
        with open(folder / name, "wb") as f:
            pickle.dump(record, f)
    return root


def train_once(cfg: dict) -> tuple[float, dict]:
    from parametricSN.run import run_training

    started = time.perf_counter()
    result = run_training(cfg, progress=False)
    if result.status != "FINISHED":
        raise RuntimeError(f"run {result.status}: {result.message}")
    return time.perf_counter() - started, result.metrics


def protocol_run(table: Table, device: str, root: Path, store: str, n_test: int, quick: bool) -> None:
    from real_cifar import ll_sweep

    base = ll_sweep().base
    epochs = 1 if quick else 200
    cfg = validate_config({**base, "general": {"seed": 207715039, "device": device},
                           "dataset": {**base["dataset"], "data_root": str(root), "test_sample_num": n_test},
                           "mlflow": {"tracking_uri": store, "experiment_name": "gpu-check"},
                           "model": {**base["model"], "epoch": epochs}})
    wall, m = train_once(cfg)
    table.add(f"LS+LL 100-sample run, {epochs} epochs, a test every 25 on {n_test} images",
              f"{wall:.1f} s wall (train {m['train_s']:.1f} s, test {m['test_s']:.1f} s, "
              f"figures {m.get('artifacts_s', math.nan):.1f} s)")


def competition(table: Table, device: str, root: Path, store: str, n_test: int, quick: bool, gpus: int) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("competition", REPO / "competition" / "cifar-10_100sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    base = module.SWEEP.base
    epochs = 1 if quick else 100
    variants = {"fp32": {}, "bf16": {"precision": "bf16"}, "fp16": {"precision": "fp16"},
                "fp32 + compile": {"compile": True}}
    for label, general in list(variants.items())[: 2 if quick else None]:  # quick: no compilation
        cfg = validate_config({**base, "general": {"seed": 207715039, "device": device, **general},
                               "dataset": {**base["dataset"], "data_root": str(root),
                                           "test_sample_num": n_test},
                               "scattering": {**base["scattering"], "init_params": "tight-frame", "learnable": True},
                               "mlflow": {"tracking_uri": store, "experiment_name": "gpu-check"},
                               "model": {**base["model"], "epoch": epochs, "step_test": epochs,
                                         **({"width": 1} if quick else {})}})
        wall, m = train_once(cfg)
        per_epoch, test_pass = m["train_s"] / epochs, m["test_s"]
        seed_end = COMPETITION_EPOCHS * per_epoch + test_pass
        seed_every_25 = COMPETITION_EPOCHS * per_epoch + (COMPETITION_EPOCHS // 25) * test_pass
        total = 10 * seed_end / max(gpus, 1)
        table.add(f"competition {label}: {epochs} epochs + 1 test pass",
                  f"{per_epoch * 1e3:.1f} ms/epoch, test pass {test_pass:.1f} s, final acc "
                  f"{m['final_test_acc']:.2f}% (random images) → one seed: {seed_end / 60:.1f} min "
                  f"(test at the end), {seed_every_25 / 60:.1f} min (every 25); 10 seeds on {gpus} GPU(s): "
                  f"{total / 60:.0f} min", None if quick or label != "fp32"
                  else (seed_end <= GOAL_SEED_S and total <= GOAL_TOTAL_S))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test of this script)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-tests", action="store_true", help="leave out step 1 (pytest -m cuda)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("error: no CUDA device here; run on a GPU machine (or --device cpu --quick for a smoke test)",
              file=sys.stderr)
        return 2
    gpus = torch.cuda.device_count() if args.device.startswith("cuda") else 0
    name = torch.cuda.get_device_name(args.device) if gpus else "CPU"
    print(f"# {time.strftime('%Y-%m-%d')} gpu_check on {name}, torch {torch.__version__}"
          f"{f', CUDA {torch.version.cuda}' if gpus else ''}", flush=True)
    table = Table()
    with tempfile.TemporaryDirectory() as tmp:
        n_test = 200 if args.quick else 10000
        root = fake_cifar(Path(tmp), 1000 if args.quick else 50000, n_test)
        store = f"sqlite:///{tmp}/store.db"
        if not args.skip_tests and not args.quick:
            guarded(table, "CUDA tests", lambda: cuda_tests(table))
        guarded(table, "kymatio equality", lambda: kymatio_equality(table, args.device))
        guarded(table, "gradcheck", lambda: gradient_check(table, args.device))
        guarded(table, "engine speed", lambda: engine_speed(table, args.device, 1 if args.quick else args.repeats,
                                                            args.quick))
        guarded(table, "LS+LL run", lambda: protocol_run(table, args.device, root, store, n_test, args.quick))
        guarded(table, "competition", lambda: competition(table, args.device, root, store, n_test, args.quick,
                                                          max(gpus, 1)))
    print(f"\n## gpu_check, {name}\n")
    print(table.markdown())
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
