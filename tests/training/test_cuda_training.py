"""On a CUDA device: a whole tracked run trains with the data on the device and matches the CPU run
closely; mixed precision and the compiled head run there; the data and the augmented batches stay on
the GPU. (Marked ``cuda``: skipped with a reason on a machine without one; gpu_check runs them.)"""

import pytest
import torch

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_a_run_on_cuda_matches_the_cpu_run(tiny_cfg, client):
    from parametricSN.run import run_training

    cpu = run_training(tiny_cfg(general={"seed": 0, "device": "cpu"}), progress=False, figures=False)
    gpu = run_training(tiny_cfg(general={"seed": 0, "device": "cuda"}), progress=False, figures=False)
    assert gpu.status == "FINISHED" and client.get_run(gpu.run_id).data.tags["device"].startswith("cuda:0")
    for name in ("train_loss", "test_loss"):
        assert gpu.metrics[name] == pytest.approx(cpu.metrics[name], rel=1e-3, abs=1e-4)


@pytest.mark.parametrize("general", [{"precision": "bf16"}, {"precision": "fp16"}, {"compile": True}])
def test_mixed_precision_and_compile_train_on_cuda(tiny_cfg, general):
    from parametricSN.run import run_training

    result = run_training(tiny_cfg(general={"seed": 0, "device": "cuda", **general}), progress=False, figures=False)
    assert result.status == "FINISHED" and torch.isfinite(torch.tensor(result.metrics["train_loss"]))


def test_augmentation_and_training_batches_stay_on_the_device():
    from parametricSN.data.transforms import make_augment

    augment = make_augment("autoaugment", "cifar", (32, 32))
    x = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8, device="cuda")
    assert augment(x).device.type == "cuda"
