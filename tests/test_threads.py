"""The CPU allocation rule: general.cores, else OMP_NUM_THREADS, SLURM_CPUS_PER_TASK, the affinity
mask; and a sweep worker's share stated to its run as OMP_NUM_THREADS."""

import os

import pytest
import torch

from parametricSN import threads
from parametricSN.experiments.executors import FINISHED, Job, execute


@pytest.fixture
def three_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)


def test_rule_order(three_cpus):
    env = {"OMP_NUM_THREADS": "4", "SLURM_CPUS_PER_TASK": "8"}
    assert threads.allotted_cores(2, env) == (2, "general.cores")
    assert threads.allotted_cores(None, env) == (4, "OMP_NUM_THREADS")
    assert threads.allotted_cores(None, {"OMP_NUM_THREADS": "6,2"}) == (6, "OMP_NUM_THREADS")
    assert threads.allotted_cores(None, {"SLURM_CPUS_PER_TASK": "8"}) == (8, "SLURM_CPUS_PER_TASK")
    assert threads.allotted_cores(None, {}) == (3, "affinity")
    # values that state nothing are skipped, not obeyed
    assert threads.allotted_cores(None, {"OMP_NUM_THREADS": "0", "SLURM_CPUS_PER_TASK": "x"}) == (3, "affinity")


def test_set_torch_threads(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    try:
        assert threads.set_torch_threads(None) == (1, "OMP_NUM_THREADS")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def _seen(cfg):
    return {"status": FINISHED, "final_test_acc": 1.0, "run_id": os.environ.get("OMP_NUM_THREADS")}


def test_a_workers_share_is_stated_to_its_run_and_restored(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        outcome = execute(Job(0, "one", {"general": {"device": "cpu"}}, _seen, threads=1))
    finally:
        torch.set_num_threads(before)
    assert outcome.status == FINISHED and outcome.run_id == "1"
    assert "OMP_NUM_THREADS" not in os.environ
