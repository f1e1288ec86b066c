"""The tensor-based train/evaluate loop on toy models: gradient accumulation reproduces the big-batch
gradient, the schedule is stepped once per optimizer step, NaN losses are caught, evaluation uses
eval mode without gradients."""

import pytest
import torch
import torch.nn as nn

from parametricSN.training import (NonFiniteLossError, batch_bounds, build_schedule,
                                   cross_entropy_loss, evaluate, optimizer_steps_per_epoch, train_epoch)

identity = lambda x: x.float()  # noqa: E731


def toy_data(n=40, d=5, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 255, (n, d), generator=g, dtype=torch.uint8)
    y = torch.randint(0, classes, (n,), generator=g)
    return x, y


def linear(d=5, classes=3):
    torch.manual_seed(1)
    return nn.Linear(d, classes)


def test_batch_bounds_cover_everything_and_merge_a_lonely_last_sample():
    assert batch_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert batch_bounds(9, 4) == [(0, 4), (4, 9)]
    assert batch_bounds(1, 4) == [(0, 1)]
    assert optimizer_steps_per_epoch(len(batch_bounds(100, 10)), 3) == 4


@pytest.mark.parametrize("n, batch, accum", [(40, 10, 4), (38, 10, 4), (40, 5, 2)])
def test_accumulated_gradient_equals_the_big_batch_gradient(n, batch, accum):
    x, y = toy_data(n)
    small, big = linear(), linear()
    opt_small = torch.optim.SGD(small.parameters(), lr=0.1)
    opt_big = torch.optim.SGD(big.parameters(), lr=0.1)
    # the same permutation for both; the big batch = one accumulated step's worth of samples
    stats = train_epoch(small, x, y, identity, cross_entropy_loss, opt_small, None, batch_size=batch,
                        accum_steps=accum, generator=torch.Generator().manual_seed(3))
    big_stats = train_epoch(big, x, y, identity, cross_entropy_loss, opt_big, None, batch_size=batch * accum,
                            accum_steps=1, generator=torch.Generator().manual_seed(3))
    assert stats.steps == big_stats.steps == -(-n // (batch * accum))
    assert torch.allclose(small.weight, big.weight, atol=1e-6)
    assert torch.allclose(small.bias, big.bias, atol=1e-6)
    assert stats.loss == pytest.approx(big_stats.loss)


def test_schedule_steps_once_per_optimizer_step_and_ends_at_the_last_step():
    x, y = toy_data(38)
    model = linear()
    opt = torch.optim.SGD([dict(params=list(model.parameters()), name="head", lr=0.1, peak_lr=0.1)], lr=0.1)
    epochs, batch, accum = 3, 5, 3
    steps = optimizer_steps_per_epoch(len(batch_bounds(38, batch)), accum)  # 8 batches -> 3 steps
    schedule = build_schedule(opt, {"model": {"epoch": epochs}, "optim": {"scheduler": "onecycle"}}, steps)
    g = torch.Generator().manual_seed(0)
    last = None
    for epoch in range(epochs):
        last = train_epoch(model, x, y, identity, cross_entropy_loss, opt, schedule, batch_size=batch,
                           accum_steps=accum, generator=g, epoch=epoch + 1)
        schedule.after_epoch()
    assert schedule.scheduler.last_epoch == epochs * steps == schedule.total_steps
    assert last.lrs["lr_head"] == pytest.approx(0.1 / 25 / 1e4)  # the last step used the final LR


def test_training_learns_a_separable_problem():
    torch.manual_seed(0)
    y = torch.arange(60) % 3
    x = (torch.nn.functional.one_hot(y, 3) * 200 + torch.randint(0, 20, (60, 3))).to(torch.uint8)
    model = nn.Linear(3, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    first = train_epoch(model, x, y, identity, cross_entropy_loss, opt, None, batch_size=10, generator=g)
    for _ in range(20):
        stats = train_epoch(model, x, y, identity, cross_entropy_loss, opt, None, batch_size=10, generator=g)
    assert stats.loss < first.loss and stats.acc == 100.0
    loss, acc = evaluate(model, x, y, identity, cross_entropy_loss, batch_size=7)
    assert acc == 100.0 and loss < first.loss


def test_a_nan_loss_raises_with_epoch_and_batch():
    x, y = toy_data(20)
    model = linear()
    with torch.no_grad():
        model.weight[0, 0] = float("nan")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(NonFiniteLossError, match=r"epoch 7, micro-batch 1 of 2"):
        train_epoch(model, x, y, identity, cross_entropy_loss, opt, None, batch_size=10,
                    generator=torch.Generator().manual_seed(0), epoch=7)


class ModeProbe(nn.Module):
    """Linear layer that records training mode and grad mode at each call."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 3)
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled(), len(x)))
        return self.fc(x)


def test_evaluate_runs_in_eval_mode_without_grad_in_chunks_and_restores_the_mode():
    x, y = toy_data(25)
    model = ModeProbe().train()
    loss, acc = evaluate(model, x, y, identity, cross_entropy_loss, batch_size=10)
    assert model.calls == [(False, False, 10), (False, False, 10), (False, False, 5)]
    assert model.training
    with torch.no_grad():
        logits = model.fc(x.float())
    assert acc == pytest.approx(100.0 * (logits.argmax(1) == y).float().mean().item())
    assert loss == pytest.approx(cross_entropy_loss(logits, y).item(), rel=1e-5)


def test_train_epoch_uses_train_mode_and_a_seeded_permutation():
    x, y = toy_data(20)
    seen = []
    prepare = lambda u8: (seen.append(u8.clone()), u8.float())[1]  # noqa: E731
    model = ModeProbe()
    model.eval()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    for _ in range(2):
        train_epoch(model, x, y, prepare, cross_entropy_loss, opt, None, batch_size=20,
                    generator=torch.Generator().manual_seed(5))
    assert all(training for training, _, _ in model.calls)
    assert torch.equal(seen[0], seen[1])  # same seed, same order
    assert not torch.equal(seen[0], x)  # but shuffled
    assert sorted(map(tuple, seen[0].tolist())) == sorted(map(tuple, x.tolist()))
