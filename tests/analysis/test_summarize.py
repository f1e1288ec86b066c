"""summarize: mean ± std (ddof=1) and n per variant × training size over FINISHED runs, CSV/MD files."""
import csv
import statistics

import pytest
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

from parametricSN.analysis import summarize
from parametricSN.errors import UserError


def log_run(client, experiment_id, status, acc, *, model="linear_layer", init="tight-frame", learnable=True,
            n=100, architecture="scattering", seed=0, dataset="cifar", extra=None):
    run = client.create_run(experiment_id)
    params = {"dataset.name": dataset, "dataset.train_sample_num": n, "model.name": model,
              "scattering.init_params": init, "scattering.learnable": learnable,
              "scattering.architecture": architecture, "scattering.parameterization": "canonical",
              "general.seed": seed, **(extra or {})}
    metrics = [Metric("final_test_acc", acc, 0, 1)] if acc is not None else []
    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in params.items()], metrics=metrics)
    client.set_terminated(run.info.run_id, status)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store for the module (creating a sqlite MLflow store takes seconds); tests only read it."""
    folder = tmp_path_factory.mktemp("summarize")
    uri = f"sqlite:///{folder}/store.db"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("cifar10", artifact_location=(folder / "artifacts").as_uri())
    for seed, acc in enumerate([40.0, 42.0, 44.0]):
        log_run(client, exp, "FINISHED", acc, seed=seed)                       # TF LS+LL, 100
    log_run(client, exp, "FAILED", 99.0, seed=9)                               # not counted
    log_run(client, exp, "KILLED", 1.0, seed=8)                                # not counted
    for seed, acc in enumerate([60.0, 62.0]):
        log_run(client, exp, "FINISHED", acc, n=50000, model="cnn", init="random", learnable=False, seed=seed)
    log_run(client, exp, "FINISHED", 38.5, model="cnn", architecture="identity")  # WRN only, n = 1
    return uri


def read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_table_numbers_and_files(store, tmp_path, capsys):
    out = tmp_path / "summaries"
    assert summarize.main(["--experiment", "cifar10", "--tracking-uri", store, "--out", str(out)]) == 0
    rows = {row["variant"]: row for row in read(out / "cifar10.csv")}
    assert list(rows) == ["TF LS+LL", "Rand S+WRN", "WRN only"]  # the paper's row order
    tf = rows["TF LS+LL"]
    assert float(tf["100 mean"]) == pytest.approx(42.0)
    assert float(tf["100 std"]) == pytest.approx(statistics.stdev([40.0, 42.0, 44.0]))  # 2.0, ddof=1
    assert tf["100 n"] == "3"                                   # FAILED and KILLED runs left out
    assert tf["all n"] == "0" and tf["all mean"] == ""
    rand = rows["Rand S+WRN"]
    assert float(rand["all mean"]) == pytest.approx(61.0) and rand["all n"] == "2"  # 50000 -> "all"
    assert rows["WRN only"]["100 std"] == "" and rows["WRN only"]["100 n"] == "1"
    markdown = (out / "cifar10.md").read_text()
    assert "| variant | 100 | all |" in markdown
    assert "| TF LS+LL | 42.00 ± 2.00 (n=3) | – |" in markdown
    printed = capsys.readouterr().out
    assert "42.00 ± 2.00 (n=3)" in printed and "6 FINISHED runs" in printed


def test_compare_published_puts_the_paper_beside_ours(store, tmp_path, capsys):
    out = tmp_path / "s"
    summarize.main(["--experiment", "cifar10", "--tracking-uri", store, "--out", str(out), "--compare-published"])
    rows = {row["variant"]: row for row in read(out / "cifar10.csv")}
    assert float(rows["TF LS+LL"]["100 published mean"]) == 37.84
    assert float(rows["TF LS+LL"]["100 published std"]) == 0.57
    assert float(rows["Rand S+WRN"]["all published mean"]) == 85.35
    assert rows["WRN only"]["all published mean"] == ""     # the paper has no number there
    assert "| TF LS+LL | 42.00 ± 2.00 (n=3) | 37.84 ± 0.57 |" in (out / "cifar10.md").read_text()


def test_cells_mixing_configurations_are_flagged(store, tmp_path, capsys):
    uri = store
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("mixed", artifact_location=(tmp_path / "a").as_uri())
    log_run(client, exp, "FINISHED", 50.0, seed=1, extra={"optim.max_lr": 0.1})
    log_run(client, exp, "FINISHED", 52.0, seed=2, extra={"optim.max_lr": 0.2})
    summarize.main(["--experiment", "mixed", "--tracking-uri", uri, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert "optim.max_lr" in err and "general.seed" not in err


def test_a_recipe_has_its_own_row_compared_with_the_paper(store, tmp_path, capsys):
    client = MlflowClient(tracking_uri=store)
    exp = client.create_experiment("recipes", artifact_location=(tmp_path / "a").as_uri())
    for seed, acc in enumerate([38.0, 40.0]):
        log_run(client, exp, "FINISHED", acc, seed=seed)                                  # published
        log_run(client, exp, "FINISHED", acc + 2, seed=seed, extra={"scattering.bounded": True})
    log_run(client, exp, "FINISHED", 36.0, learnable=False, extra={"scattering.bounded": True})  # fixed bank
    out = tmp_path / "o"
    summarize.main(["--experiment", "recipes", "--tracking-uri", store, "--out", str(out), "--compare-published"])
    rows = {row["variant"]: row for row in read(out / "recipes.csv")}
    assert list(rows) == ["TF LS+LL", "TF LS+LL [bounded]", "TF S+LL"]
    assert float(rows["TF LS+LL [bounded]"]["100 mean"]) == pytest.approx(41.0)
    assert float(rows["TF LS+LL [bounded]"]["100 published mean"]) == 37.84
    markdown = (out / "recipes.md").read_text()
    assert "filter recipes: published (the paper's), bounded" in markdown
    assert "filter recipes: published (the paper's), bounded" in capsys.readouterr().out


def test_unknown_experiment_and_missing_store_are_user_errors(store, tmp_path):
    with pytest.raises(UserError, match="'nope' not found.*cifar10"):
        summarize.main(["--experiment", "nope", "--tracking-uri", store, "--out", str(tmp_path)])
    with pytest.raises(UserError, match="no MLflow store"):
        summarize.main(["--experiment", "x", "--tracking-uri", f"sqlite:///{tmp_path}/missing.db"])


def test_column_labels_and_stats():
    assert summarize.column_label("cifar", "50000") == "all"
    assert summarize.column_label("cifar", "100") == "100"
    assert summarize.column_label("kth", "1188") == "1188"
    stats = summarize.cell_stats([1.0, 2.0, 3.0, 4.0])
    assert (stats.mean, stats.n) == (2.5, 4) and stats.std == pytest.approx(statistics.stdev([1, 2, 3, 4]))
    assert summarize.cell_stats([5.0]).std is None


def test_a_cell_mixing_runs_from_before_and_after_save_metric_went_is_not_flagged():
    # general.save_metric left the schema; runs logged before carry the param, later ones do not.
    params = {"dataset.name": "cifar", "dataset.train_sample_num": "100", "model.name": "cnn",
              "scattering.init_params": "tight-frame", "scattering.learnable": "True"}
    older = summarize.record_from_params({**params, "general.save_metric": "True"}, 40.0)
    newer = summarize.record_from_params(params, 42.0)
    assert summarize.build_table("cifar10", [older, newer]).warnings == []
    changed = summarize.record_from_params({**params, "optim.max_lr": "0.2"}, 41.0)
    assert "optim.max_lr" in summarize.build_table("cifar10", [older, changed]).warnings[0]
