"""benchmarks/real_runs_table.py: LS against S per seed from a store, the paired difference over the
seeds where both finished, and where the unfinished runs stand."""

from mlflow.tracking import MlflowClient


def test_paired_differences_over_finished_seeds_and_unfinished_runs_shown(tmp_path, benchmark_script, capsys):
    uri = f"sqlite:///{tmp_path}/store.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("cifar10-competition")
    runs = [(207715039, True, 44.0, 2), (207715039, False, 43.0, 1), (491659600, True, 41.5, 0),
            (491659600, False, 42.5, 0), (737523103, True, None, 1)]
    for seed, learnable, final, resumes in runs:
        run_id = client.create_run(experiment).info.run_id
        for key, value in (("general.seed", seed), ("scattering.learnable", learnable),
                           ("scattering.init_params", "tight-frame"), ("model.epoch", 3000)):
            client.log_param(run_id, key, value)
        client.set_tag(run_id, "parametricSN.resumes", str(resumes))
        client.log_metric(run_id, "train_loss", 1.0, step=139)
        if final is not None:
            for key, value in (("final_test_acc", final), ("setup_s", 600.0), ("duration_s", 30000.0)):
                client.log_metric(run_id, key, value)
            client.set_terminated(run_id, "FINISHED")
        else:
            client.set_terminated(run_id, "KILLED")
    assert benchmark_script("real_runs_table").main(["--tracking-uri", uri]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "| 207715039 | 44.00 | 43.00 | +1.00 | 8.50 h / 2 | 8.50 h / 1 |" in out
    assert "| 491659600 | 41.50 | 42.50 | -1.00 | 8.50 h / 0 | 8.50 h / 0 |" in out
    assert "| 737523103 | epoch 139/3000, stopped | not started |  |  |  |" in out
    assert "| mean ± std | 42.75 ± 1.77 (n=2) | 42.75 ± 0.35 (n=2) | +0.00 ± 1.41 (n=2) | | |" in out
    assert "| d | not started | not started |  |  |  |" in out  # the KTH table, empty
