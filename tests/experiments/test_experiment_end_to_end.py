"""One real sweep: the digits script's grid, cut to 1 seed × 1 variant × 1 epoch, through
run_training into a tmp MLflow store; a rerun resumes; summarize reads the result."""
import importlib.util
import io
from pathlib import Path

from mlflow.tracking import MlflowClient

from parametricSN.analysis import summarize
from parametricSN.experiments import Sweep, Variant, run_sweep

REPO = Path(__file__).resolve().parents[2]


def digits_sweep() -> Sweep:
    spec = importlib.util.spec_from_file_location("psn_digits_sweep", REPO / "experiments/digits/digits_ll_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sweep = module.SWEEP
    return Sweep(sweep.experiment, sweep.base, sweep.seeds,
                 variants=(Variant("random", False),), axes={})


def test_digits_sweep_trains_tracks_resumes_and_summarizes(tmp_path):
    store = f"sqlite:///{tmp_path}/store.db"
    argv = ["--num-seeds", "1", "--epochs", "1", "--tracking-uri", store, "--set", "dataset.train_sample_num=50",
            "--set", "dataset.test_sample_num=50", "--set", "scattering.param_distance=false"]
    out = io.StringIO()
    assert run_sweep(digits_sweep(), argv, out=out) == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1] == "summary: 1 finished, 0 failed, 0 skipped (1 run)"

    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("digits")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.info.status for r in runs) == ["FINISHED"]
    assert all(0.0 <= r.data.metrics["final_test_acc"] <= 100.0 for r in runs)

    out = io.StringIO()
    assert run_sweep(digits_sweep(), argv, out=out) == 0
    assert out.getvalue().splitlines()[-1] == "summary: 0 finished, 0 failed, 1 skipped (1 run)"

    assert summarize.main(["--experiment", "digits", "--tracking-uri", store, "--out", str(tmp_path / "s")]) == 0
    markdown = (tmp_path / "s" / "digits.md").read_text()
    assert "| Rand S+LL |" in markdown and "(n=1)" in markdown


def test_a_seed_major_sweep_computes_the_tight_frame_features_once_for_all_seeds(tmp_path, monkeypatch):
    """TF S and Rand S alternate seed by seed, as in the published scripts; with room for one bank's
    features, the tight-frame bank stays and only each seed's new random bank is computed."""
    import parametricSN.training.features as features

    one_bank = 360 * 81 * 8 * 8 * 4           # the 360 test digits × K = 81 (J=2, L=8) × 8×8 × float32
    monkeypatch.setattr(features, "FEATURE_CACHE", features.FeatureCache(budget_bytes=int(1.5 * one_bank)))
    published = digits_sweep()
    sweep = Sweep(published.experiment, published.base, (0, 1),
                  variants=(Variant("tight-frame", False), Variant("random", False)), axes={})
    argv = ["--epochs", "1", "--tracking-uri", f"sqlite:///{tmp_path}/store.db",
            "--set", "dataset.train_sample_num=50", "--set", "dataset.test_sample_num=360"]
    out = io.StringIO()
    assert run_sweep(sweep, argv, out=out) == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1] == "summary: 4 finished, 0 failed, 0 skipped (4 runs)"
    assert features.FEATURE_CACHE.computed_images == 360 * (1 + 2)   # TF once, each random bank once
