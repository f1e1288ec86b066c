"""run_training end to end on tiny digits runs: what MLflow holds afterwards (params, tags, metric
names, figures, trajectory, GIFs, the saved model), determinism on CPU, and how a run ends:
NaN loss → FAILED, Ctrl-C → KILLED, exception → FAILED, bad config → UserError before any run."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import parametricSN.run as run_module
import parametricSN.training.fit as fit_module
from parametricSN.config import config_hash, validate_config
from parametricSN.errors import UserError
from parametricSN.run import run_training

REPO = Path(__file__).resolve().parents[2]


def artifact_dir(client, run_id) -> Path:
    uri = client.get_run(run_id).info.artifact_uri
    assert uri.startswith("file://")
    return Path(uri[len("file://"):])


def only_run(client, experiment):
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id]) if exp else []
    assert len(runs) == 1, f"expected one run in {experiment!r}, found {len(runs)}"
    return runs[0]


def history(client, run_id, name):
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, name), key=lambda m: m.step)]


@pytest.fixture(scope="module")
def learned(tiny_cfg):
    cfg = tiny_cfg(mlflow={"experiment_name": "learned"}, scattering={"filter_video": True},
                   model={"save": True})
    return cfg, run_training(cfg, progress=False)


def test_finished_run_status_params_and_tags(learned, client):
    cfg, result = learned
    run = client.get_run(result.run_id)
    assert result.status == run.info.status == "FINISHED"
    params, tags = run.data.params, run.data.tags
    assert params["dataset.train_sample_num"] == "20" and params["scattering.L"] == "2"
    assert params["derived.K"] == "3"  # 1 + J·L for J=1, L=2
    assert int(params["derived.num_filter_parameters"]) == 4 * 2
    assert tags["config_hash"] == config_hash(validate_config(cfg))
    assert (tags["dataset"], tags["seed"], tags["model"]) == ("digits", "0", "linear_layer")
    assert tags["evaluation_split"] == "test"


def test_metrics_per_epoch_and_final(learned, client):
    _, result = learned
    run = client.get_run(result.run_id)
    expected = {"train_loss", "train_acc", "test_loss", "test_acc", "lr_head", "lr_orientation",
                "lr_scattering", "param_distance", "param_distance_tight_frame", "final_test_acc", "duration_s"}
    assert expected <= set(run.data.metrics)
    assert [s for s, _ in history(client, result.run_id, "train_loss")] == [1, 2]
    assert [s for s, _ in history(client, result.run_id, "param_distance")] == [0, 1, 2]
    assert history(client, result.run_id, "param_distance")[0][1] == 0.0
    test_acc = history(client, result.run_id, "test_acc")
    assert [s for s, _ in test_acc] == [1, 2]
    assert result.final_test_acc == test_acc[-1][1] == run.data.metrics["final_test_acc"]
    assert 0.0 <= result.final_test_acc <= 100.0
    # OneCycle reached its final LR at the last optimizer step: max_lr / div_factor / 1e4
    assert run.data.metrics["lr_head"] == pytest.approx(0.06 / 25 / 1e4)


def test_figures_trajectory_and_videos_are_logged(learned, client):
    _, result = learned
    root = artifact_dir(client, result.run_id)
    for name in ("learning_curves", "parameter_trajectories", "parameter_distance"):
        assert (root / "figures" / f"{name}.png").stat().st_size > 1000, name
    for when in ("before", "after"):
        for kind in ("fourier", "real", "imag"):
            assert (root / "filters" / f"filters_{when}_{kind}.png").is_file()
        assert (root / "filters" / f"littlewood_paley_{when}.png").is_file()
    for kind in ("fourier", "real", "imag"):
        assert (root / "videos" / f"filters_{kind}.gif").read_bytes()[:3] == b"GIF"
    traj = np.load(root / "trajectory" / "trajectory.npz")
    assert traj["epochs"].tolist() == [0, 1, 2] and traj["steps"].tolist() == [0, 2, 4]
    assert traj["theta"].shape == traj["xi"].shape == (3, 2)
    assert not np.array_equal(traj["xi"][0], traj["xi"][-1])  # the filters did learn
    assert "figure_errors" not in client.get_run(result.run_id).data.tags


def test_saved_model_loads_and_reproduces_the_final_accuracy(learned, client):
    from parametricSN.data import build_data
    from parametricSN.models import load_model
    from parametricSN.training import cross_entropy_loss, evaluate

    cfg, result = learned
    model, saved_cfg, info = load_model(artifact_dir(client, result.run_id) / "model")
    assert info["dataset"] == "digits" and info["num_classes"] == 10 and info["run_id"] == result.run_id
    data = build_data(validate_config(saved_cfg))
    _, acc = evaluate(model, data.test_images, data.test_targets, lambda u8: data.normalize(data.to_float(u8)),
                      cross_entropy_loss, batch_size=7)
    assert acc == pytest.approx(result.final_test_acc)


def test_same_seed_and_config_give_identical_metrics(learned, tiny_cfg, client):
    cfg, first = learned
    again = run_training(cfg, progress=False, figures=False)
    assert again.run_id != first.run_id
    for name in ("train_loss", "train_acc", "test_loss", "test_acc", "param_distance"):
        assert history(client, again.run_id, name) == history(client, first.run_id, name), name
    assert again.final_test_acc == first.final_test_acc


def test_a_different_seed_gives_different_numbers(tiny_cfg):
    cfg = tiny_cfg(mlflow={"experiment_name": "seeds"}, model={"epoch": 1})
    a = run_training(cfg, progress=False, figures=False)
    b = run_training({**cfg, "general": {**cfg["general"], "seed": 1}}, progress=False, figures=False)
    assert a.metrics["train_loss"] != b.metrics["train_loss"]


def test_nan_loss_ends_the_run_failed_with_a_one_line_message(tiny_cfg, client, monkeypatch):
    monkeypatch.setattr(run_module, "build_loss", lambda name: lambda logits, y: logits.sum() * float("nan"))
    result = run_training(tiny_cfg(mlflow={"experiment_name": "nan"}), progress=False, figures=False)
    assert result.status == "FAILED" and "\n" not in result.message
    assert "training loss is nan at epoch 1" in result.message
    run = only_run(client, "nan")
    assert run.info.status == "FAILED" and run.data.tags["failure"] == result.message
    assert "final_test_acc" not in run.data.metrics


def test_a_real_divergence_ends_failed_instead_of_crashing(tiny_cfg, client):
    cfg = tiny_cfg(mlflow={"experiment_name": "diverge"}, optim={"max_lr": 1e6},
                   scattering={"lr_scattering": 1e6, "lr_orientation": 1e6}, model={"epoch": 3})
    result = run_training(cfg, progress=False, figures=False)
    assert result.status == "FAILED" and "lower the learning rates" in result.message
    assert "\n" not in result.message
    assert only_run(client, "diverge").info.status == "FAILED"


@pytest.mark.parametrize("error, status", [(KeyboardInterrupt, "KILLED"), (RuntimeError, "FAILED")])
def test_interrupt_and_exception_end_the_run(tiny_cfg, client, monkeypatch, error, status):
    calls = []

    def failing_epoch(*args, **kwargs):
        calls.append(kwargs["epoch"])
        if len(calls) == 2:
            raise error("stop")
        return real_epoch(*args, **kwargs)

    real_epoch = fit_module.train_epoch
    monkeypatch.setattr(fit_module, "train_epoch", failing_epoch)
    experiment = f"ends-{status}"
    with pytest.raises(error):
        run_training(tiny_cfg(mlflow={"experiment_name": experiment}), progress=False)
    run = only_run(client, experiment)
    assert run.info.status == status and run.info.end_time is not None
    assert [s for s, _ in history(client, run.info.run_id, "train_loss")] == [1]  # epoch 1 was flushed


def test_config_and_data_errors_raise_before_any_run(tiny_cfg, client, tmp_path):
    with pytest.raises(UserError, match="train_sample_num"):
        run_training(tiny_cfg(mlflow={"experiment_name": "never"}, dataset={"train_sample_num": 15}))
    with pytest.raises(UserError):
        run_training(tiny_cfg(mlflow={"experiment_name": "never"},
                              dataset={"name": "cifar", "data_root": str(tmp_path), "train_sample_num": 10,
                                       "test_sample_num": None}))
    exp = client.get_experiment_by_name("never")
    assert exp is None or client.search_runs([exp.experiment_id]) == []


def test_pixel_baseline_logs_only_what_exists(tiny_cfg, client):
    cfg = tiny_cfg(mlflow={"experiment_name": "identity"}, scattering={"architecture": "identity"},
                   dataset={"accum_step_multiple": 2}, model={"epoch": 1})
    result = run_training(cfg, progress=False)
    run = client.get_run(result.run_id)
    assert result.status == "FINISHED"
    assert run.data.params["derived.total_steps"] == "1"  # 2 micro-batches, accumulated into 1 step
    assert "lr_orientation" not in run.data.metrics and "param_distance" not in run.data.metrics
    root = artifact_dir(client, result.run_id)
    assert (root / "figures" / "learning_curves.png").is_file()
    assert not (root / "filters").exists() and not (root / "trajectory").exists()


def test_cli_trains_and_prints_how_to_view_it(tiny_cfg, tmp_path, capsys, client, monkeypatch):
    import sys

    from parametricSN.__main__ import main

    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump(tiny_cfg(mlflow={"experiment_name": "cli"})))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # as on a terminal
    assert main(["train", "--config", str(path), "model.epoch=1"]) == 0
    captured = capsys.readouterr()
    assert "1/1" in captured.err  # the progress bar, on stderr
    out = captured.out.strip().splitlines()
    store = tiny_cfg()["mlflow"]["tracking_uri"]  # sqlite:////tmp/…: already absolute
    run = only_run(client, "cli")
    exp, run_id = run.info.experiment_id, run.info.run_id
    assert out[-4].startswith(f"run {run_id} finished: final test accuracy")
    assert out[-3] == f"view it with: mlflow ui --backend-store-uri {store} --workers 1"
    assert out[-2] == f"then open http://127.0.0.1:5000/#/experiments/{exp}/runs/{run_id}?workflowType=machine_learning"
    assert f"http://127.0.0.1:5000/#/experiments/{exp}?workflowType=machine_learning" in out[-1]
    assert '"Model training"' in out[-1]


def test_cli_head_option_trains_a_researchers_own_head(tiny_cfg, tmp_path, client):
    from parametricSN.models import HEADS

    plugin = tmp_path / "my_heads.py"
    plugin.write_text(
        "import torch.nn as nn\n"
        "def pooled(in_channels, spatial_shape, num_classes, cfg):\n"
        "    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, num_classes))\n")
    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump(tiny_cfg(mlflow={"experiment_name": "cli-head"})))
    try:
        assert run_module.main(["--config", str(path), "--head", f"{plugin}:pooled", "--no-progress"]) == 0
    finally:
        HEADS.pop("pooled", None)
    run = only_run(client, "cli-head")
    assert run.data.params["model.name"] == "pooled"
    # the pooled head has C·K·classes + classes weights, far fewer than the linear layer's
    assert int(run.data.params["derived.num_trainable_parameters"]) < 100
    with pytest.raises(UserError, match="--head"):
        run_module.main(["--config", str(path), "--head", f"{plugin}:missing"])


def test_cli_bad_override_is_one_line_and_exit_code_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "parametricSN", "train", "--config", "conf/digits.yml", "scattering.J=abc",
         f"mlflow.tracking_uri=sqlite:///{tmp_path}/s.db"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "scattering.J" in lines[0]
    assert not (tmp_path / "s.db").exists()


def test_cli_returns_130_when_interrupted(monkeypatch, tmp_path, tiny_cfg):
    def interrupted(cfg, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "run_training", interrupted)
    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump(tiny_cfg()))
    assert run_module.main(["--config", str(path)]) == 130


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_resolution():
    assert run_module.resolve_device("auto") == torch.device("cpu")
    assert run_module.resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(UserError, match="general.device"):
        run_module.resolve_device("cuda:0")


def test_a_validation_run_is_tagged_and_never_reads_the_test_split(tiny_cfg, client, monkeypatch):
    import parametricSN.data.digits as digits

    real_split = digits.digits_split
    monkeypatch.setattr(digits, "digits_split", lambda: (real_split()[0], real_split()[1][:0]))  # no test images
    cfg = tiny_cfg(dataset={"name": "digits", "train_sample_num": 20, "train_batch_size": 10, "test_batch_size": 20,
                            "augment": "noaugment", "evaluate_on": "validation", "validation_sample_num": 30})
    result = run_module.run_training(cfg, progress=False, figures=False)
    run = client.get_run(result.run_id)
    assert run.data.tags["evaluation_split"] == "validation"
    assert run.data.params["dataset.evaluate_on"] == "validation"
    assert run.data.params["derived.test_samples"] == "30"
