"""Every shipped script: --dry-run lists the expected runs with the published seeds and settings."""
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parametricSN.config import validate_config
from parametricSN.experiments import CIFAR_SEEDS, KTH_SEEDS, XRAY_SEEDS, run_sweep

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.relative_to(REPO).as_posix() for p in
                 list((REPO / "experiments").rglob("*.py")) + list((REPO / "competition").glob("*.py")))


def expected_runs(path: str) -> tuple[int, tuple]:
    """(number of runs, seeds) the published grid of a script has."""
    if path.startswith("competition/"):
        return 10, CIFAR_SEEDS
    if "/digits/" in path:
        return 32, (0, 1, 2, 3)
    baseline = "onlycnn" in path
    if "/kth/" in path:
        return (16 if baseline else 64), KTH_SEEDS
    return (10 if baseline else 40), (XRAY_SEEDS if "/xray/" in path else CIFAR_SEEDS)


def load(path: str):
    spec = importlib.util.spec_from_file_location(f"psn_script_{abs(hash(path))}", REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dry_run(path: str, *argv):
    module = load(path)
    out = io.StringIO()

    def must_not_run(cfg):
        raise AssertionError("dry run executed a run")

    assert run_sweep(module.SWEEP, ["--dry-run", *argv], train_fn=must_not_run, out=out) == 0
    return module, [line for line in out.getvalue().splitlines() if line.startswith("[")]


def test_the_published_script_tree_is_there():
    names = set(SCRIPTS)
    for head in ("ll", "cnn", "onlycnn"):
        for size in ("100sample", "500sample", "1000sample", "alldata"):
            assert f"experiments/cifar/{head}/{head}_{size}_cifar10_experiment.py" in names
        for size in ("100", "500", "1000"):
            assert f"experiments/xray/{head}/{head}_{size}sample_xray_experiment.py" in names
        assert f"experiments/kth/{head}_kth_sample-experiment.py" in names
    assert "competition/cifar-10_100sample.py" in names
    assert any(name.startswith("experiments/digits/") for name in names)


@pytest.mark.parametrize("path", SCRIPTS)
def test_dry_run_lists_the_published_grid(path):
    count, seeds = expected_runs(path)
    module, lines = dry_run(path)
    assert len(lines) == count
    listed = {int(line.split("seed=")[1].split()[0]) for line in lines}
    assert listed == set(seeds)
    assert module.__doc__ and len(module.__doc__.strip().splitlines()) >= 3  # settings documented
    if "onlycnn" in path:
        assert all("WRN only" in line for line in lines)
    elif "/digits/" not in path and "competition" not in path:
        labels = {line.split("]")[1].split()[0] + " " + line.split("]")[1].split()[1] for line in lines}
        assert len(labels) == 4  # TF/Rand × LS/S


@pytest.mark.parametrize("path, epochs, max_lr, batch, filter_lr", [
    ("experiments/cifar/ll/ll_100sample_cifar10_experiment.py", 200, 0.06, 128, 0.1),
    ("experiments/cifar/ll/ll_500sample_cifar10_experiment.py", 1000, 0.13, 500, 0.1),
    ("experiments/cifar/ll/ll_1000sample_cifar10_experiment.py", 500, 0.2, 1000, 0.1),
    ("experiments/cifar/cnn/cnn_100sample_cifar10_experiment.py", 3000, 0.1, 128, 0.2),
    ("experiments/cifar/cnn/cnn_500sample_cifar10_experiment.py", 2000, 0.1, 128, 0.2),
    ("experiments/cifar/cnn/cnn_1000sample_cifar10_experiment.py", 1000, 0.1, 128, 0.2),
])
def test_cifar_scripts_use_the_published_settings(path, epochs, max_lr, batch, filter_lr):
    for run in load(path).SWEEP.expand():
        cfg = validate_config(run)
        assert cfg["model"]["epoch"] == epochs and cfg["optim"]["max_lr"] == max_lr
        assert cfg["dataset"]["train_batch_size"] == batch
        assert cfg["scattering"]["lr_scattering"] == cfg["scattering"]["lr_orientation"] == filter_lr
        assert cfg["optim"]["scheduler"] == "onecycle" and cfg["optim"]["div_factor"] == 25
        assert cfg["optim"]["momentum"] == 0.9 and cfg["scattering"]["J"] == 2
        if cfg["model"]["name"] == "cnn":
            assert cfg["model"]["width"] == 8


def test_competition_is_the_published_configuration():
    module = load("competition/cifar-10_100sample.py")
    cfgs = [validate_config(run) for run in module.SWEEP.expand()]
    assert [c["general"]["seed"] for c in cfgs] == list(CIFAR_SEEDS)
    for cfg in cfgs:
        assert cfg["scattering"]["init_params"] == "tight-frame" and cfg["scattering"]["learnable"] is True
        assert cfg["scattering"]["J"] == 2 and cfg["scattering"]["architecture"] == "scattering"
        assert cfg["model"]["name"] == "cnn" and cfg["model"]["width"] == 8 and cfg["model"]["epoch"] == 3000
        assert cfg["dataset"]["name"] == "cifar" and cfg["dataset"]["train_sample_num"] == 100
        assert cfg["dataset"]["train_batch_size"] == 128 and cfg["dataset"]["augment"] == "autoaugment"
        assert cfg["optim"]["name"] == "sgd" and cfg["optim"]["lr"] == 0.1 and cfg["optim"]["max_lr"] == 0.1
        assert cfg["optim"]["scheduler"] == "onecycle"


def test_competition_runs_are_the_grid_cells_tight_frame_learnable_runs():
    # The competition is derived from the grid's cell, so the two cannot drift apart: same runs,
    # same config hashes (resume finds a grid run's result as the competition's and back).
    from parametricSN.config import config_hash
    from parametricSN.experiments.grid import sweep

    competition = [validate_config(run) for run in load("competition/cifar-10_100sample.py").SWEEP.expand()]
    cell = [cfg for cfg in map(validate_config, sweep("cifar", "cnn", "100").expand())
            if cfg.scattering.init_params == "tight-frame" and cfg.scattering.learnable]
    assert len(competition) == len(cell) == len(CIFAR_SEEDS)
    assert [config_hash(cfg) for cfg in competition] == [config_hash(cfg) for cfg in cell]


def test_competition_accepts_a_researchers_head_without_editing_the_runner(fake_env, store):
    module = load("competition/cifar-10_100sample.py")
    out = io.StringIO()
    import experiment_fakes as fakes

    code = run_sweep(module.SWEEP, ["--head", "mine=experiment_fakes:tiny_head", "--num-seeds", "1",
                                    "--tracking-uri", store], train_fn=fakes.head_checking_train, out=out,
                     recipes=module.RECIPES + [fakes.double_epochs])
    assert code == 0, out.getvalue()
    (record,) = [__import__("json").loads(p.read_text()) for p in fake_env.glob("*.json")]
    assert record["cfg"]["model"]["name"] == "mine" and "mine" in record["heads"]
    assert record["cfg"]["model"]["epoch"] == 6000  # the recipe ran too


def test_a_script_runs_from_the_repo_root_without_installation():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "experiments/cifar/ll/ll_100sample_cifar10_experiment.py", "--dry-run", "--num-seeds", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 4 and all("seed=207715039" in line for line in lines)


def test_competition_help_states_the_run_time():
    result = subprocess.run([sys.executable, "competition/cifar-10_100sample.py", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0
    assert "CPU:" in result.stdout and "GPU:" in result.stdout and "--head" in result.stdout
