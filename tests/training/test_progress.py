"""Progress without a terminal (training.progress): one plain line every few minutes, with the epoch,
the last numbers, the time per epoch of this process and what is left; nothing more often."""
import io

from parametricSN.training import fit as fit_module
from parametricSN.training.progress import ProgressLines


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_line_every_interval_with_rate_and_time_left_of_a_resumed_run():
    clock, out = Clock(), io.StringIO()
    lines = ProgressLines("TF LS+WRN seed=1 n=100", epochs=3000, first_epoch=138, every_s=300, out=out, clock=clock)
    for epoch in range(139, 160):  # 20 s per epoch: a line after epochs 153 (300 s) and none after
        clock.now += 20.0
        lines.update(epoch, loss=1.25, acc=61.0, test_acc=float("nan"))
    printed = out.getvalue().splitlines()
    assert printed == ["TF LS+WRN seed=1 n=100: epoch 153/3000  loss 1.250  acc 61.0  test_acc nan"
                       "  | 20.0 s/epoch, 15.8 h left"]


def test_a_run_writes_lines_where_stderr_is_no_terminal_and_none_without_progress(tiny_cfg, monkeypatch, capsys):
    from parametricSN.run import run_training

    monkeypatch.setattr(fit_module, "ProgressLines",
                        lambda desc, epochs, first: ProgressLines(desc, epochs, first, every_s=0.0))
    cfg = tiny_cfg(model={"epoch": 3, "step_test": 3}, mlflow={"run_name": "unit"})
    run_training(cfg, progress=True, figures=False)  # capsys: stderr is no terminal
    printed = [line for line in capsys.readouterr().err.splitlines() if line.startswith("unit: epoch")]
    assert [line.split()[2] for line in printed] == ["1/3", "2/3", "3/3"]
    assert "test_acc nan" in printed[0] and "test_acc nan" not in printed[2] and printed[2].endswith("0 s left")
    run_training(cfg, progress=False, figures=False)
    assert "unit: epoch" not in capsys.readouterr().err
