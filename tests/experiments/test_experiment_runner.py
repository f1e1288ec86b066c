"""The shared runner: dry runs, command-line overrides, failure isolation, executors, plug-ins."""
import io
import json
import os

import pytest

from parametricSN.errors import UserError
from parametricSN.experiments import Sweep, Variant, main, run_sweep
from parametricSN.threads import allotted_cores

import experiment_fakes as fakes

SEEDS = (1, 2, 3, 4)


def small_sweep(variants=(), **base):
    settings = {"dataset": {"name": "digits", "train_sample_num": 50}, "model": {"epoch": 5}}
    settings.update(base)
    return Sweep("unit", settings, seeds=SEEDS, variants=variants)


def must_not_run(cfg):
    raise AssertionError("a dry run executed a run")


def run(sweep, argv, train_fn=fakes.fake_train, **kwargs):
    out = io.StringIO()
    code = run_sweep(sweep, argv, train_fn=train_fn, out=out, **kwargs)
    return code, out.getvalue().splitlines()


def executed(log):
    return [json.loads(p.read_text()) for p in sorted(log.glob("*.json"))]


def test_dry_run_lists_every_run_and_executes_nothing(fake_env, tmp_path, store):
    sweep = small_sweep(variants=(Variant("tight-frame", True), Variant("random", False)))
    code, lines = run(sweep, ["--dry-run", "--tracking-uri", store], train_fn=must_not_run)
    assert code == 0
    runs = [line for line in lines if line.startswith("[")]
    assert len(runs) == 8
    for seed, line in zip([s for s in SEEDS for _ in range(2)], runs):
        assert f"seed={seed} " in line and "epochs=5" in line and "dataset=digits" in line
    assert "TF LS+LL" in runs[0] and "Rand S+LL" in runs[1]
    assert lines[-1].startswith("dry run: 8 runs listed, nothing executed")
    assert executed(fake_env) == []
    assert not (tmp_path / "store.db").exists()  # MLflow not even touched


def test_seed_epoch_and_set_overrides_reach_the_configs(fake_env, store):
    code, lines = run(small_sweep(), ["--seeds", "7,8", "--epochs", "2", "--set", "optim.max_lr=0.5",
                                      "--set", "model.name=mlp", "--data-root", "/elsewhere",
                                      "--tracking-uri", store, "--experiment-name", "mine"])
    assert code == 0
    cfgs = [record["cfg"] for record in executed(fake_env)]
    assert sorted(c["general"]["seed"] for c in cfgs) == [7, 8]
    for cfg in cfgs:
        assert cfg["model"]["epoch"] == 2 and cfg["optim"]["max_lr"] == 0.5 and cfg["model"]["name"] == "mlp"
        assert cfg["dataset"]["data_root"] == "/elsewhere"
        assert cfg["mlflow"]["tracking_uri"] == store and cfg["mlflow"]["experiment_name"] == "mine"
        assert cfg["mlflow"]["run_name"] == f"TF LS+MLP seed={cfg['general']['seed']} n=50"
    assert lines[-1] == "summary: 2 finished, 0 failed, 0 skipped (2 runs)"


def test_runs_made_identical_by_the_settings_run_once_with_one_note(fake_env):
    variants = (Variant("tight-frame", True), Variant("random", True), Variant("tight-frame", False))
    code, lines = run(small_sweep(variants=variants), ["--dry-run", "--seeds", "1,2", "--set",
                                                       "scattering.init_params=tight-frame"], train_fn=must_not_run)
    assert code == 0
    assert len([line for line in lines if line.startswith("[")]) == 4  # TF LS and TF S per seed
    notes = [line for line in lines if line.startswith("note:")]
    assert notes == ["note: run 1 'TF LS+LL seed=1 n=50' is also given by 1 other run of the sweep after "
                     "the settings; kept once",
                     "note: run 3 'TF LS+LL seed=2 n=50' is also given by 1 other run of the sweep after "
                     "the settings; kept once"]


def test_num_seeds_keeps_the_first_seeds(fake_env):
    code, lines = run(small_sweep(), ["--dry-run", "--num-seeds", "2"], train_fn=must_not_run)
    assert [line.split("seed=")[1].split()[0] for line in lines if line.startswith("[")] == ["1", "2"]


def test_a_failed_run_does_not_stop_the_others(fake_env, store, capsys):
    code, lines = run(small_sweep(), ["--tracking-uri", store], train_fn=fakes.failing_train)
    assert code == 1
    assert len(executed(fake_env)) == 4  # seeds 3 and 4 ran after seed 2 raised
    assert any("FAILED" in line and "seed=2" in line and "boom on seed 2" in line for line in lines)
    assert any("FAILED" in line and "seed=3" in line and "NaN loss" in line for line in lines)
    assert lines[-1] == "summary: 2 finished, 2 failed, 0 skipped (4 runs)"


def test_bad_input_is_one_line_and_exit_2(capsys):
    assert main(small_sweep(), ["--dry-run", "--set", "optim.nonsense=1"], train_fn=must_not_run) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: optim.nonsense")


def test_recipe_edits_every_config(fake_env):
    code, lines = run(small_sweep(), ["--dry-run", "--epochs", "3", "--recipe", "experiment_fakes:double_epochs"],
                      train_fn=must_not_run)
    assert code == 0 and all("epochs=6" in line for line in lines if line.startswith("["))
    code, lines = run(small_sweep(), ["--dry-run", "--epochs", "3"], train_fn=must_not_run,
                      recipes=[fakes.double_epochs, fakes.double_epochs])
    assert all("epochs=12" in line for line in lines if line.startswith("["))


def test_named_recipe_sets_the_learnable_banks_only(fake_env):
    from parametricSN.experiments.recipes import recipe_of

    variants = (Variant("tight-frame", True), Variant("tight-frame", False))
    code, published = run(small_sweep(variants), ["--dry-run", "--num-seeds", "1"], train_fn=must_not_run)
    code_b, bounded = run(small_sweep(variants), ["--dry-run", "--num-seeds", "1", "--recipe", "bounded"],
                          train_fn=must_not_run)
    published = [line for line in published if line.startswith("[")]
    bounded = [line for line in bounded if line.startswith("[")]
    assert code == code_b == 0 and len(published) == len(bounded) == 2
    assert "recipe=bounded" in bounded[0] and "recipe=" not in published[0]
    assert bounded[0].split("hash=")[1] != published[0].split("hash=")[1]
    assert bounded[1] == published[1]          # the fixed bank's run is shared by both recipes
    assert recipe_of({"scattering.learnable": "True", "scattering.bounded": "True"}) == "bounded"
    assert recipe_of({"scattering.learnable": "True"}) == "published"
    assert recipe_of({"scattering.learnable": "False", "scattering.bounded": "True"}) is None
    # settings of no named recipe are named by what differs from the published ones
    assert recipe_of({"scattering.learnable": "True", "scattering.lp_pull": "1.0"}) == "lp_pull=1.0"
    assert recipe_of({"scattering.bounded": "True", "scattering.filter_warmup": 0.3}) == \
        "bounded=True, filter_warmup=0.3"
    assert recipe_of({"scattering.filter_warmup": "0.3"}) == "warmup"
    assert recipe_of({"scattering.filter_warmup": "0.3", "scattering.lp_pull": "1.0"}) == "warmup-lp"


def test_unknown_named_recipe_is_one_line(fake_env):
    with pytest.raises(UserError, match="not a named recipe .*published, bounded, warmup"):
        run(small_sweep(), ["--dry-run", "--recipe", "nope"], train_fn=must_not_run)


def test_local_pool_runs_in_workers_with_own_head_and_threads(fake_env, store):
    """--workers 2: spawned workers (not this process) run the jobs, each with cores//2 threads,
    and the --head builder is registered in every worker."""
    code, lines = run(small_sweep(), ["--workers", "2", "--num-seeds", "3", "--tracking-uri", store,
                                      "--head", "experiment_fakes:tiny_head"],
                      train_fn=fakes.head_checking_train)
    assert code == 0, lines
    records = executed(fake_env)
    assert len(records) == 3
    assert all(r["pid"] != os.getpid() for r in records)
    assert all(r["cfg"]["model"]["name"] == "tiny_head" and "tiny_head" in r["heads"] for r in records)
    assert {r["threads"] for r in records} == {max(1, allotted_cores()[0] // 2)}
    assert lines[-1] == "summary: 3 finished, 0 failed, 0 skipped (3 runs)"


def test_submitit_local_executor_runs_fake_jobs(fake_env, store, tmp_path):
    code, lines = run(small_sweep(), ["--executor", "submitit-local", "--num-seeds", "2", "--cpus-per-run", "1",
                                      "--submitit-folder", str(tmp_path / "submitit" / "%j"),
                                      "--tracking-uri", store], train_fn=fakes.failing_train)
    assert code == 1  # seed 2 fails inside its job; seed 1 still finishes
    records = executed(fake_env)
    assert sorted(r["cfg"]["general"]["seed"] for r in records) == [1, 2]
    assert all(r["pid"] != os.getpid() for r in records)
    assert any("FINISHED" in line and "seed=1" in line and "11.00%" in line for line in lines)
    assert lines[-1] == "summary: 1 finished, 1 failed, 0 skipped (2 runs)"
    assert list((tmp_path / "submitit").iterdir())  # submitit wrote its job folders there


def test_slurm_options_become_submitit_parameters():
    from parametricSN.experiments.executors import SubmititExecutor

    slurm = SubmititExecutor(cluster="slurm", partition="gpu", timeout_min=90, gpus_per_run=2, cpus_per_run=6,
                             mem_gb=32)
    assert slurm.parameters() == {"timeout_min": 90, "name": "parametricSN", "cpus_per_task": 6,
                                  "gpus_per_node": 2, "slurm_partition": "gpu", "mem_gb": 32,
                                  "slurm_signal_delay_s": 120}
    assert "slurm_partition" not in SubmititExecutor(cluster="local", partition="gpu").parameters()


def test_slurm_without_a_cluster_is_a_one_line_error(fake_env, store, capsys, tmp_path):
    import shutil

    if shutil.which("srun"):
        pytest.skip("this machine has SLURM")
    code = main(small_sweep(), ["--executor", "slurm", "--num-seeds", "1", "--tracking-uri", store,
                                "--submitit-folder", str(tmp_path / "sub" / "%j")], train_fn=fakes.fake_train)
    assert code == 2
    assert "--executor slurm" in capsys.readouterr().err
    assert executed(fake_env) == []
    assert not (tmp_path / "store.db").exists()  # failed before touching MLflow
