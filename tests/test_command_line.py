"""Options and ``section.key=value`` overrides in any order: ``train`` and the experiment scripts
(``predict``'s paths between options: tests/folder/test_folder_commands.py)."""

import io

import pytest
import yaml

import parametricSN.run as run_module
from parametricSN.errors import UserError
from parametricSN.experiments import Sweep, Variant, run_sweep


def test_train_takes_overrides_before_between_and_after_options(tmp_path, monkeypatch):
    seen = {}

    def record(cfg, **kwargs):
        seen.update(cfg=cfg, **kwargs)
        raise KeyboardInterrupt  # main returns 130 without needing a run

    monkeypatch.setattr(run_module, "run_training", record)
    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump({"dataset": {"name": "digits"}, "model": {"epoch": 5}}))
    argv = ["general.seed=3", "--config", str(path), "model.epoch=2", "--no-progress", "optim.max_lr=0.5",
            "--no-figures", "general.seed=4"]
    assert run_module.main(argv) == 130
    cfg = seen["cfg"]
    assert (cfg.general.seed, cfg.model.epoch, cfg.optim.max_lr) == (4, 2, 0.5)  # the later seed wins
    assert seen["progress"] is False and seen["figures"] is False


def dry_run(argv):
    out = io.StringIO()
    sweep = Sweep("unit", {"dataset": {"name": "digits", "train_sample_num": 50}, "model": {"epoch": 5}},
                  seeds=(1, 2, 3), variants=(Variant("tight-frame", True),))
    code = run_sweep(sweep, ["--dry-run", *argv], out=out)
    return code, [line for line in out.getvalue().splitlines() if line.startswith("[")]


def test_experiment_scripts_take_bare_settings_anywhere_and_set_anywhere():
    code, lines = dry_run(["optim.max_lr=0.5", "--seeds", "7", "8", "model.epoch=2", "--set", "optim.lr=0.2",
                           "--num-seeds", "2", "dataset.train_batch_size=32"])
    assert code == 0 and len(lines) == 2
    assert [line.split("seed=")[1].split()[0] for line in lines] == ["7", "8"]
    for line in lines:
        assert all(part in line.split() for part in ("epochs=2", "max_lr=0.5", "lr=0.2", "batch=32"))


def test_experiment_scripts_refuse_a_word_that_is_not_a_setting():
    with pytest.raises(UserError, match=r"'epochs2': expected SECTION.KEY=VALUE"):
        dry_run(["epochs2"])
    with pytest.raises(UserError, match="--seeds: no seed given"):
        dry_run(["--seeds", "model.epoch=2"])


def test_a_command_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """``python -m parametricSN runs | head -1``: the closed pipe is no error and no traceback."""
    import os
    import subprocess
    import sys

    (tmp_path / "long_output.py").write_text("def main(argv):\n    for i in range(100000):\n"
                                             "        print('line', i)\n    return 0\n")
    code = ("import sys, parametricSN.__main__ as cli; cli.COMMANDS['long'] = ('long_output', '');"
            "sys.exit(cli.main(['long']))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])}
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env)
    assert writer.stdout.readline() == b"line 0\n"
    writer.stdout.close()  # the reader stops, as `head -1` does
    assert writer.wait(timeout=60) == 0
    assert writer.stderr.read() == b""
