"""general.precision and general.compile: mixed precision runs the head under autocast while the
scattering stays float32, fp16 scales the loss, fp32 changes nothing; compiling the head keeps the
numbers (eager backend here: inductor needs minutes on 2 cores) and the state_dict's keys."""

import pytest
import torch

from parametricSN.errors import UserError
from parametricSN.models import build_model
from parametricSN.training import cross_entropy_loss, evaluate, train_epoch
from parametricSN.training.precision import Precision


def tiny(seed=0):
    cfg = {"general": {"seed": seed}, "model": {"name": "linear_layer"}, "scattering": {"J": 1, "L": 2}}
    return build_model(cfg, 1, 3, (8, 8))


def data(n=12):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 1, 8, 8), dtype=torch.uint8, generator=g), torch.arange(n) % 3


def prepare(u8):
    return u8.float() / 255


def one_epoch(model, precision):
    x, y = data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return train_epoch(model, x, y, prepare, cross_entropy_loss, optimizer, None, batch_size=6,
                       generator=torch.Generator().manual_seed(1), precision=precision)


@pytest.mark.parametrize("name", ["bf16", "fp16"])
def test_mixed_precision_runs_the_head_in_low_precision_and_the_scattering_in_float32(name):
    model = tiny()
    precision = Precision.build(name, torch.device("cpu"))
    seen = {}
    model.head.fc.register_forward_hook(lambda mod, inp, out: seen.update(head=out.dtype))
    model.scattering.register_forward_hook(lambda mod, inp, out: seen.update(scattering=out.dtype))
    stats = one_epoch(model, precision)
    assert seen == {"head": {"bf16": torch.bfloat16, "fp16": torch.float16}[name], "scattering": torch.float32}
    assert (precision.scaler is not None) == (name == "fp16")
    assert torch.isfinite(torch.tensor(stats.loss)) and stats.steps == 2
    assert all(p.dtype == torch.float32 for p in model.parameters())          # master weights stay fp32
    x, y = data()
    loss, acc = evaluate(model, x, y, prepare, cross_entropy_loss, batch_size=5, precision=precision)
    assert torch.isfinite(torch.tensor(loss)) and 0 <= acc <= 100


def test_fp32_is_the_plain_loop():
    a, b = tiny(), tiny()
    one_epoch(a, Precision.build("fp32", torch.device("cpu")))
    x, y = data()
    optimizer = torch.optim.SGD(b.parameters(), lr=0.1)
    train_epoch(b, x, y, prepare, cross_entropy_loss, optimizer, None, batch_size=6,
                generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_unknown_precision_is_a_user_error():
    with pytest.raises(UserError, match="general.precision"):
        Precision.build("fp8", torch.device("cpu"))


def test_compiled_head_gives_the_same_run(tiny_cfg, client, monkeypatch):
    import parametricSN.run as run_module

    monkeypatch.setattr(run_module, "COMPILE_BACKEND", "eager")
    compiled_modules = []
    original = torch.nn.Module.compile

    def spy(self, *args, **kwargs):
        compiled_modules.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "compile", spy)
    plain = run_module.run_training(tiny_cfg(), progress=False, figures=False)
    compiled = run_module.run_training(tiny_cfg(general={"seed": 0, "device": "cpu", "compile": True}),
                                       progress=False, figures=False)
    assert compiled_modules == ["LinearHead"]
    for name in ("train_loss", "test_acc", "test_loss"):
        assert ([m.value for m in client.get_metric_history(plain.run_id, name)]
                == [m.value for m in client.get_metric_history(compiled.run_id, name)])


def test_compiling_in_place_keeps_the_state_dict_keys():
    model = tiny()
    keys = list(model.state_dict())
    model.head.compile(backend="eager")
    assert list(model.state_dict()) == keys
