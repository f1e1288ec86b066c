"""The two losses: cross-entropy is torch's; cosine is 1 − cos(logits, one-hot) averaged."""

import pytest
import torch
import torch.nn.functional as F

from parametricSN.errors import UserError
from parametricSN.training import build_loss, cosine_loss, cross_entropy_loss


def test_cross_entropy_is_the_mean_softmax_cross_entropy():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    targets = torch.tensor([0, 2])
    assert cross_entropy_loss(logits, targets).item() == pytest.approx(F.cross_entropy(logits, targets).item())


def test_cosine_loss_values():
    targets = torch.tensor([1, 1, 1])
    logits = torch.tensor([[0.0, 3.0, 0.0],     # aligned with e_1: 0
                           [2.0, 0.0, 0.0],     # orthogonal: 1
                           [0.0, -5.0, 0.0]])   # opposite: 2
    per_sample = [cosine_loss(logits[i:i + 1], targets[i:i + 1]).item() for i in range(3)]
    assert per_sample == pytest.approx([0.0, 1.0, 2.0], abs=1e-6)
    assert cosine_loss(logits, targets).item() == pytest.approx(1.0, abs=1e-6)
    # scale invariant, and differentiable
    z = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    cosine_loss(z * 10, torch.tensor([2])).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    assert cosine_loss(z * 10, torch.tensor([2])).item() == pytest.approx(cosine_loss(z, torch.tensor([2])).item())


def test_build_loss_by_name():
    assert build_loss("cross-entropy") is cross_entropy_loss
    assert build_loss("cross_entropy") is cross_entropy_loss
    assert build_loss("cosine") is cosine_loss
    with pytest.raises(UserError, match="model.loss"):
        build_loss("hinge")
