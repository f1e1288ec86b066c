"""Ctrl-C during a real sweep (two worker processes): every run it started ends KILLED in MLflow (none
stays RUNNING), the command says how to resume, and rerunning the same command continues exactly them
(from their checkpoints, in the same MLflow runs; a run stopped before its first epoch ended starts over)."""

import os
import signal
import subprocess
import sys
import time

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "experiments/digits/digits_ll_sweep.py"


def sweep_command(store, epochs):
    return [sys.executable, SCRIPT, "--seeds", "1", "--workers", "2", "--epochs", str(epochs),
            "--set", "dataset.train_sample_num=100", "--set", "scattering.J=1", "--set", "scattering.L=2",
            "--tracking-uri", store, "--experiment-name", "interrupt"]


def statuses(store):
    from parametricSN.tracking.store import open_client

    # under the store's lock: polling must not race the sweep's creation of the schema
    client = open_client(store)
    experiment = client.get_experiment_by_name("interrupt")
    if experiment is None:
        return []
    return [run.info.status for run in client.search_runs([experiment.experiment_id])]


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group")
def test_ctrl_c_marks_started_runs_killed_and_a_rerun_resumes(tmp_path):
    store = f"sqlite:///{tmp_path}/store.db"
    # a shell that started this suite in the background may have left SIGINT ignored: restore it
    process = subprocess.Popen(sweep_command(store, 400), cwd=REPO, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300  # two fresh interpreters importing torch and MLflow on a busy machine
    while statuses(store).count("RUNNING") < 2:        # both workers are inside a run
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)             # Ctrl-C reaches the whole process group
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    assert "rerun the same command to resume" in err
    after = statuses(store)
    assert after.count("KILLED") >= 2 and "RUNNING" not in after, after

    killed = after.count("KILLED")
    resumed = subprocess.run(sweep_command(store, 400), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    continued = resumed.stdout.count("from its checkpoint")
    assert continued + resumed.stdout.count("previous attempts: KILLED") == killed
    finished, failed, skipped = map(int, re.search(r"summary: (\d+) finished, (\d+) failed, (\d+) skipped",
                                                   resumed.stdout).groups())
    assert failed == 0 and finished + skipped == 4 and skipped == after.count("FINISHED")
    final = statuses(store)
    assert final.count("FINISHED") == 4 and final.count("KILLED") == killed - continued
