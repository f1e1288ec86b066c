"""Sweep grids, variant labels, the CLI parsers and the pure device/thread assignment."""
import pytest

from parametricSN.errors import UserError
from parametricSN.experiments import KTH_SAMPLES, KTH_SEEDS, Sweep, variant_label
from parametricSN.experiments.executors import assign_device, threads_per_worker
from parametricSN.experiments.runner import parse_override, parse_seeds
from parametricSN.plugins import head_plugin


def test_expand_is_seed_major_with_every_variant():
    sweep = Sweep("x", {"dataset": {"name": "cifar"}}, seeds=(5, 6))
    runs = sweep.expand()
    assert len(runs) == len(sweep) == 8
    assert [r["general"]["seed"] for r in runs] == [5] * 4 + [6] * 4
    assert [(r["scattering"]["init_params"], r["scattering"]["learnable"]) for r in runs[:4]] == [
        ("tight-frame", True), ("tight-frame", False), ("random", True), ("random", False)]
    assert runs[0]["dataset"] == {"name": "cifar"}  # base kept, not shared between runs
    runs[0]["dataset"]["name"] = "changed"
    assert sweep.base["dataset"]["name"] == "cifar"


def test_expand_axes_and_seed_replacement():
    sweep = Sweep("kth", {"dataset": {"name": "kth"}}, seeds=KTH_SEEDS, variants=(),
                  axes={"dataset.sample": KTH_SAMPLES})
    runs = sweep.expand()
    assert len(runs) == len(sweep) == 16
    assert [r["dataset"]["sample"] for r in runs[:4]] == ["d", "c", "b", "a"]
    assert "scattering" not in runs[0]  # baselines: the seeds alone, no variant settings
    assert [r["general"]["seed"] for r in sweep.expand(seeds=[7])] == [7] * 4


@pytest.mark.parametrize("flat, label", [
    ({"model.name": "linear_layer", "scattering.init_params": "tight-frame", "scattering.learnable": "True"},
     "TF LS+LL"),
    ({"model.name": "cnn", "scattering.init_params": "random", "scattering.learnable": "False"}, "Rand S+WRN"),
    ({"model.name": "cnn", "scattering.architecture": "identity"}, "WRN only"),
    ({"model.name": "cnn", "scattering.init_params": "tight-frame", "scattering.learnable": True,
      "scattering.parameterization": "equivariant"}, "TF LS+WRN [equivariant]"),
])
def test_variant_label(flat, label):
    assert variant_label(flat) == label


def test_assign_device_round_robin_over_gpus():
    assert [assign_device("auto", w, 2) for w in range(4)] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert assign_device("cuda", 2, 3) == "cuda:2"
    assert assign_device("cpu", 1, 4) == "cpu"          # explicit choices are respected
    assert assign_device("cuda:3", 0, 4) == "cuda:3"
    assert assign_device("auto", 5, 1) == "auto"        # one GPU or none: unchanged
    assert assign_device("auto", 5, 0) == "auto"


def test_threads_per_worker():
    assert threads_per_worker(16, 4) == 4
    assert threads_per_worker(2, 2) == 1
    assert threads_per_worker(2, 8) == 1


def test_parsers():
    assert parse_seeds(["1,2", "3"]) == [1, 2, 3]
    assert parse_seeds(None) is None
    with pytest.raises(UserError, match="--seeds"):
        parse_seeds(["x"])
    assert parse_override("optim.max_lr=0.5") == {"optim": {"max_lr": 0.5}}
    assert parse_override("model.mlp_hidden=[64, 32]") == {"model": {"mlp_hidden": [64, 32]}}
    with pytest.raises(UserError, match="SECTION.KEY=VALUE"):
        parse_override("max_lr=0.5")
    assert head_plugin("pkg.mod:my_head") == "my_head=pkg.mod:my_head"
    assert head_plugin("Big=pkg.mod:fn") == "big=pkg.mod:fn"
    with pytest.raises(UserError, match="--head"):
        head_plugin("pkg.mod")
