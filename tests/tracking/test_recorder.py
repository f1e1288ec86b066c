"""History and TrajectoryRecorder: bounded, evenly spaced frames including first and last; the npz
layout of architecture §5 (one (T, …) array per filter parameter, plus steps and epochs)."""

import numpy as np
import pytest
import torch

from parametricSN.scattering import ParametricScattering2D
from parametricSN.tracking.recorder import History, TrajectoryRecorder, frame_epochs


def test_history_keeps_epoch_value_pairs():
    h = History()
    h.add(1, {"train_loss": 2.0})
    h.add(2, {"train_loss": 1.0, "test_acc": 50.0})
    assert h["train_loss"] == [(1, 2.0), (2, 1.0)]
    assert h.last("test_acc") == 50.0 and np.isnan(h.last("missing"))


@pytest.mark.parametrize("epochs", [1, 3, 199, 200, 3000])
def test_frame_epochs_are_bounded_and_include_first_and_last(epochs):
    frames = frame_epochs(epochs, 200)
    assert 0 in frames and epochs in frames
    assert len(frames) == min(epochs + 1, 200)
    gaps = np.diff(sorted(frames))
    assert gaps.max() - gaps.min() <= 1  # evenly spaced


def test_recorder_saves_parameters_and_filters(tmp_path):
    scat = ParametricScattering2D(1, shape=(8, 8), L=2, learnable=True)
    rec = TrajectoryRecorder(scat, epochs=10, max_frames=4, filters=True)
    step = 0
    for epoch in range(11):
        if epoch:
            with torch.no_grad():
                scat.filter_parameters()["xi"].add_(0.01)
            step += 3
        rec.record(epoch, step)
    assert rec.epochs == sorted(frame_epochs(10, 4)) == [0, 3, 7, 10]
    arrays = np.load(rec.save(tmp_path / "t.npz"))
    assert sorted(arrays.files) == ["epochs", "gamma", "sigma", "steps", "theta", "xi"]
    assert arrays["xi"].shape == (4, 2) and arrays["steps"].tolist() == [0, 9, 21, 30]
    assert np.allclose(arrays["xi"][-1] - arrays["xi"][0], 0.1, atol=1e-5)
    assert len(rec.filter_frames) == 4 and rec.filter_frames[0].shape == (2, *scat.padded_shape)
    assert not torch.equal(rec.filter_frames[0], rec.filter_frames[-1])
