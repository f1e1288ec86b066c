"""Resume: a rerun skips runs FINISHED in MLflow with the same config_hash, redoes FAILED/KILLED ones."""
import io
import json

from mlflow.tracking import MlflowClient

from parametricSN.experiments import Sweep, run_sweep
from parametricSN.experiments.resume import finished_run_ids, prior_runs

import experiment_fakes as fakes

SWEEP = Sweep("resume", {"dataset": {"name": "digits", "train_sample_num": 50}, "model": {"epoch": 3}},
              seeds=(1, 2, 3), variants=())


def sweep(argv, store):
    out = io.StringIO()
    code = run_sweep(SWEEP, list(argv) + ["--tracking-uri", store], train_fn=fakes.mlflow_train, out=out)
    return code, out.getvalue().splitlines()


def executed_seeds(log):
    seeds = sorted(json.loads(p.read_text())["cfg"]["general"]["seed"] for p in log.glob("*.json"))
    for p in log.glob("*.json"):
        p.unlink()
    return seeds


def test_rerun_skips_finished_and_redoes_failed_and_killed(fake_env, store, monkeypatch):
    monkeypatch.setenv("PSN_FAKE_STATUS", json.dumps({"2": "FAILED", "3": "KILLED"}))
    code, lines = sweep([], store)
    assert code == 1 and lines[-1] == "summary: 1 finished, 2 failed, 0 skipped (3 runs)"
    assert executed_seeds(fake_env) == [1, 2, 3]

    monkeypatch.setenv("PSN_FAKE_STATUS", "{}")
    code, lines = sweep([], store)
    assert code == 0
    assert executed_seeds(fake_env) == [2, 3]  # seed 1 was FINISHED: skipped
    assert any("SKIPPED" in line and "seed=1" in line for line in lines)
    assert any("rerun" in line and "seed=2" in line and "FAILED" in line for line in lines)
    assert any("rerun" in line and "seed=3" in line and "KILLED" in line for line in lines)
    assert lines[-1] == "summary: 2 finished, 0 failed, 1 skipped (3 runs)"

    code, lines = sweep([], store)
    assert executed_seeds(fake_env) == []
    assert lines[-1] == "summary: 0 finished, 0 failed, 3 skipped (3 runs)"

    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("resume")
    statuses = sorted(r.info.status for r in client.search_runs([experiment.experiment_id]))
    assert statuses == ["FAILED", "FINISHED", "FINISHED", "FINISHED", "KILLED"]


def test_a_changed_config_or_experiment_or_no_resume_runs_again(fake_env, store):
    sweep(["--num-seeds", "1"], store)
    assert executed_seeds(fake_env) == [1]
    sweep(["--num-seeds", "1", "--epochs", "4"], store)           # different config hash
    assert executed_seeds(fake_env) == [1]
    sweep(["--num-seeds", "1", "--experiment-name", "other"], store)  # other experiment
    assert executed_seeds(fake_env) == [1]
    sweep(["--num-seeds", "1", "--no-resume"], store)
    assert executed_seeds(fake_env) == [1]
    sweep(["--num-seeds", "1", "--data-root", "/moved"], store)   # bookkeeping keys do not count
    assert executed_seeds(fake_env) == []


def test_prior_runs_on_a_missing_store_is_empty_and_creates_nothing(tmp_path):
    uri = f"sqlite:///{tmp_path}/none.db"
    assert prior_runs(uri, "x", ["abc"]) == {}
    assert finished_run_ids(uri, "x", ["abc"]) == {}
    assert not (tmp_path / "none.db").exists()
