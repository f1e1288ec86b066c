"""Training-loop speed: epochs per second of a 100-sample CIFAR-shaped LS+LL run, and the time to
evaluate 10,000 32×32 images. No download: random uint8 images in a real DataBundle.

    python benchmarks/train_speed.py [--epochs 5] [--device auto|cpu|cuda] [--threads N]
                                     [--augment autoaugment|noaugment] [--loader-workers 2]

Also times, in the same process, a plain DataLoader epoch loop over the same model (per-sample
transform + collate + ``num_workers`` worker processes, as the predecessor did) and prints the
speed ratio. Record results in benchmarks/RESULTS-train.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_load import load  # noqa: E402

from parametricSN.config import validate_config  # noqa: E402
from parametricSN.data import DataBundle  # noqa: E402
from parametricSN.data.decoding import Resize  # noqa: E402
from parametricSN.data.preparation import ImagePreparation  # noqa: E402
from parametricSN.data.transforms import make_augment  # noqa: E402
from parametricSN.models import build_model  # noqa: E402
from parametricSN.training import build_optimizer, cross_entropy_loss, evaluate, train_epoch  # noqa: E402

CIFAR_MEAN = tuple(v / 255.0 for v in (125.3, 123.0, 113.9))
CIFAR_STD = tuple(v / 255.0 for v in (63.0, 62.1, 66.7))


def fake_cifar_bundle(n_train: int, n_test: int, augment: str, seed: int = 0) -> DataBundle:
    """Random uint8 CIFAR-shaped data: train (n_train, 3, 32, 32) balanced over 10 classes, test (n_test, …)."""
    g = torch.Generator().manual_seed(seed)
    return DataBundle(
        name="cifar-random", class_names=[str(c) for c in range(10)], num_classes=10,
        preparation=ImagePreparation(Resize((32, 32)), (32, 32), 3, CIFAR_MEAN, CIFAR_STD),
        train_images=torch.randint(0, 256, (n_train, 3, 32, 32), generator=g, dtype=torch.uint8),
        train_targets=torch.arange(n_train) % 10,
        test_images=torch.randint(0, 256, (n_test, 3, 32, 32), generator=g, dtype=torch.uint8),
        test_targets=torch.arange(n_test) % 10,
        augment=make_augment(augment, "cifar", (32, 32)),
    )


def ls_ll_config() -> dict:
    """The published LS+LL CIFAR-100 config (J=2, L=8, tight-frame, learnable, linear head)."""
    return validate_config({
        "dataset": {"name": "cifar", "train_sample_num": 100, "train_batch_size": 128, "test_batch_size": 128},
        "scattering": {"J": 2, "L": 8, "learnable": True, "init_params": "tight-frame"},
        "model": {"name": "linear_layer"},
    })


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(run, device, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``run`` (after one warm-up call)."""
    run()
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        run()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def tensor_epoch_seconds(model, data, cfg, device, epochs: int) -> list[float]:
    """The project's loop: data on the device, seeded permutation, batched augment."""
    images, targets = data.train_images.to(device), data.train_targets.to(device)
    opt = build_optimizer(model, cfg)
    prepare = lambda u8: data.normalize(data.to_float(data.augment(u8)))  # noqa: E731
    g = torch.Generator().manual_seed(0)
    run = lambda: train_epoch(model, images, targets, prepare, cross_entropy_loss, opt, None,  # noqa: E731
                              batch_size=cfg["dataset"]["train_batch_size"], generator=g)
    return timed(run, device, epochs)


class PerSampleDataset(torch.utils.data.Dataset):
    """A torchvision-style dataset: one augmented, normalised float image per __getitem__."""

    def __init__(self, data: DataBundle):
        self.data = data

    def __len__(self):
        return len(self.data.train_targets)

    def __getitem__(self, i):
        x = self.data.augment(self.data.train_images[i:i + 1])
        return self.data.normalize(self.data.to_float(x))[0], self.data.train_targets[i]


def dataloader_epoch_seconds(model, data, cfg, device, epochs: int, workers: int) -> list[float]:
    """The DataLoader baseline: same model and optimizer, batches collated from a per-sample dataset."""
    loader = torch.utils.data.DataLoader(PerSampleDataset(data), batch_size=cfg["dataset"]["train_batch_size"],
                                         shuffle=True, num_workers=workers,
                                         generator=torch.Generator().manual_seed(0))
    opt = build_optimizer(model, cfg)

    def run():
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad(set_to_none=True)
            cross_entropy_loss(model(x), y).backward()
            opt.step()

    return timed(run, device, epochs)


def evaluation_seconds(model, data, device, batch_size: int) -> float:
    images, targets = data.test_images.to(device), data.test_targets.to(device)
    prepare = lambda u8: data.normalize(data.to_float(u8))  # noqa: E731
    evaluate(model, images[:batch_size], targets[:batch_size], prepare, cross_entropy_loss, batch_size=batch_size)
    sync(device)
    start = time.perf_counter()
    evaluate(model, images, targets, prepare, cross_entropy_loss, batch_size=batch_size)
    sync(device)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--augment", default="autoaugment", choices=["autoaugment", "noaugment"])
    parser.add_argument("--loader-workers", type=int, default=2, help="DataLoader workers of the baseline")
    parser.add_argument("--eval-size", type=int, default=10000)
    parser.add_argument("--eval-batch", type=int, default=128)
    parser.add_argument("--skip-dataloader", action="store_true")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    torch.manual_seed(0)
    cfg = ls_ll_config()
    data = fake_cifar_bundle(100, args.eval_size, args.augment)
    model = build_model(cfg, 3, 10, (32, 32)).to(device)
    print(f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}), "
          f"torch threads {torch.get_num_threads()}, torch {torch.__version__}, augment {args.augment}")

    print(f"load average before: {load()}  (other processes on the CPUs slow multi-threaded torch a lot)")

    tensor = tensor_epoch_seconds(model, data, cfg, device, args.epochs)
    print(f"LS+LL, 100 CIFAR-shaped samples, batch 128, tensor loop: {rate(tensor)}")
    if not args.skip_dataloader:
        loader = dataloader_epoch_seconds(model, data, cfg, device, args.epochs, args.loader_workers)
        print(f"same with a DataLoader (per-sample transform, {args.loader_workers} workers): {rate(loader)}; "
              f"tensor loop / DataLoader speed (medians) = {statistics.median(loader) / statistics.median(tensor):.2f}x")
    secs = evaluation_seconds(model, data, device, args.eval_batch)
    print(f"evaluate {args.eval_size} images of 32x32 (batch {args.eval_batch}): {secs:.2f} s "
          f"({args.eval_size / secs:.0f} images/s)")
    print(f"load average after: {load()}")
    return 0


def rate(seconds: list[float]) -> str:
    """'median X epochs/s (best Y)' from per-epoch times."""
    return (f"median {1 / statistics.median(seconds):.2f} epochs/s ({1000 * statistics.median(seconds):.0f} ms/epoch), "
            f"best {1 / min(seconds):.2f} epochs/s over {len(seconds)} epochs")


if __name__ == "__main__":
    sys.exit(main())
