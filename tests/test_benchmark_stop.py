"""A real-data benchmark stopped by SIGTERM (a killed job) ends its runs KILLED, as Ctrl-C does:
``benchmarks/real_cifar.run_stoppable`` turns the signal into KeyboardInterrupt, exits 130 and puts
the previous handler back."""

import os
import signal


def test_sigterm_interrupts_the_benchmark_and_the_handler_is_restored(benchmark_script, capsys):
    run_stoppable = benchmark_script("real_cifar").run_stoppable
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def main():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass
        except KeyboardInterrupt:
            seen.append("interrupted")   # what run_training sees: it ends the MLflow run KILLED
            raise
        return 0

    assert run_stoppable(main) == 130
    assert seen == ["interrupted"]
    assert "KILLED" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_finished_benchmark_returns_its_own_status(benchmark_script):
    assert benchmark_script("real_cifar").run_stoppable(lambda: 3) == 3
