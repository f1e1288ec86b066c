"""Helpers of the checkpoint / resume tests: a run config whose every random state matters, and
the numbers two runs are compared by."""

import time
from pathlib import Path
from typing import Callable

import torch
from mlflow.tracking import MlflowClient

from parametricSN.training import checkpoint as checkpoint_module
from parametricSN.training.checkpoint import checkpoint_files

#: the section times and bookkeeping counts: they differ between any two runs
TIME_METRICS = {"setup_s", "train_s", "test_s", "duration_s", "artifacts_s", "checkpoint_s", "resumes"}


def resumable_cfg(store_uri: str, epochs: int = 6, **general) -> dict:
    """A digits run that draws from every random state a run has: augmentation (torch's global
    RNG), the batch order (its generator), SGD momentum, the OneCycle schedule and learnable
    filters; one thread, so that separate processes compute alike; a checkpoint after every
    epoch, kept after the run so that the final weights can be compared."""
    return {
        "general": {"seed": 3, "device": "cpu", "cores": 1, "checkpoint_minutes": 0, "keep_checkpoints": True,
                    **general},
        "mlflow": {"tracking_uri": store_uri, "experiment_name": "resume"},
        "dataset": {"name": "digits", "train_sample_num": 40, "test_sample_num": 40, "train_batch_size": 10,
                    "test_batch_size": 40, "augment": "original-cifar"},
        "scattering": {"J": 1, "L": 2},
        "model": {"name": "linear_layer", "epoch": epochs, "step_test": 2},
    }


def metric_histories(store_uri: str, run_id: str) -> dict[str, list[tuple[int, float]]]:
    """Every metric of the run but the times: name → [(step, value)] in step order."""
    client = MlflowClient(tracking_uri=store_uri)
    names = [name for name in client.get_run(run_id).data.metrics if name not in TIME_METRICS]
    return {name: sorted((m.step, m.value) for m in client.get_metric_history(run_id, name)) for name in names}


def final_weights(folder) -> dict[str, torch.Tensor]:
    """The model state of the newest checkpoint in ``folder``."""
    return torch.load(checkpoint_files(folder)[0], weights_only=True)["model"]


def assert_same_run(store_uri: str, reference_id: str, resumed_id: str, folder_of) -> None:
    """The resumed run logged exactly the reference's metrics, each step once, and ended with
    bit-identical weights."""
    reference, resumed = metric_histories(store_uri, reference_id), metric_histories(store_uri, resumed_id)
    assert set(resumed) == set(reference)
    for name, values in reference.items():
        steps = [step for step, _ in resumed[name]]
        assert len(steps) == len(set(steps)), f"{name}: a step logged twice: {steps}"
        assert resumed[name] == values, name
    a, b = final_weights(folder_of(reference_id)), final_weights(folder_of(resumed_id))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def wait_for_checkpoint(root: Path, epoch: int, alive: Callable[[], bool], timeout_s: float = 120) -> str:
    """The run id whose checkpoint folder under ``root`` first holds epoch ``epoch`` or later;
    AssertionError when ``alive()`` turns false (the training process ended) or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for folder in root.glob("*"):
            files = checkpoint_files(folder)
            if files and int(files[0].stem.split("-")[1]) >= epoch:
                return folder.name
        assert alive(), "the training process ended before the checkpoint appeared"
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint of epoch {epoch} appeared in {root}")


def after_epoch(monkeypatch, epoch: int, action: Callable[[], None]) -> None:
    """Call ``action()`` right after epoch ``epoch`` has been captured by the run's checkpointer
    (e.g. raise KeyboardInterrupt, as Ctrl-C between two epochs)."""
    original = checkpoint_module.Checkpointer.epoch_end

    def epoch_end(self, loop):
        original(self, loop)
        if loop.epoch == epoch:
            action()

    monkeypatch.setattr(checkpoint_module.Checkpointer, "epoch_end", epoch_end)


def raise_(error: type[BaseException]) -> Callable[[], None]:
    def action() -> None:
        raise error()

    return action
