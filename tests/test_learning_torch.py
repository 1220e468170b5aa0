"""Optimizers, schedules and losses against PyTorch float64 (torch.optim, torch.nn.functional).

Skipped with a reason when PyTorch is not installed (`make torch` installs it).
"""

import random

import pytest

import autograd_lite as al
from autograd_lite import Value, losses, optim

torch = pytest.importorskip("torch", reason="PyTorch not installed: `make torch` enables these cross-checks")
F = torch.nn.functional

# A small non-quadratic objective, so every moment buffer and every coefficient matters.
START = [0.7, -1.3, 2.1, 0.05, -0.4]


def objective(ps, lib):
    a, b, c, d, e = ps
    if lib is torch:
        return (a * b - 1) ** 2 + torch.sin(c) * d + (e - 0.5) ** 2 * 3 + 0.1 * a ** 4 + torch.tanh(b + c)
    return (a * b - 1) ** 2 + c.sin() * d + (e - 0.5) ** 2 * 3 + 0.1 * a ** 4 + (b + c).tanh()


def ours(opt_name, kwargs, steps=30):
    ps = [Value(x) for x in START]
    opt = getattr(optim, opt_name)(ps, **kwargs)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        objective(ps, al).backward()
        opt.step()
        traj.append([p.data for p in ps])
    return traj


def theirs(opt_name, kwargs, steps=30):
    ps = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt = getattr(torch.optim, opt_name)(ps, **kwargs)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        objective(ps, torch).backward()
        opt.step()
        traj.append([p.item() for p in ps])
    return traj


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.01, nesterov=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True, eps=1e-6)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.05, weight_decay=0.3)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True, betas=(0.5, 0.9))),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                                                    for n, kw in CASES])
def test_optimizer_trajectory_matches_torch(name, kwargs):
    a, b = ours(name, kwargs), theirs(name, kwargs)
    moved = max(abs(x - y) for x, y in zip(a[-1], START))
    assert moved > 1e-3  # the test would be vacuous if nothing moved
    for k, (pa, pb) in enumerate(zip(a, b)):
        for x, y in zip(pa, pb):
            assert abs(x - y) <= 1e-10 * max(1.0, abs(y)), f"step {k + 1}: {pa} vs {pb}"


def test_gradient_descent_is_sgd_without_extras():
    flat = lambda traj: [x for point in traj for x in point]  # noqa: E731
    assert flat(ours("GradientDescent", dict(lr=0.05))) == pytest.approx(flat(theirs("SGD", dict(lr=0.05))),
                                                                        rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("sched,kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda k: 1.0 - 0.9 * k / 100)),
])
def test_schedules_match_torch(sched, kwargs):
    opt_a = optim.SGD([Value(1.0)], lr=0.5)
    opt_b = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    sa = getattr(optim, sched)(opt_a, **kwargs)
    sb = getattr(torch.optim.lr_scheduler, sched)(opt_b, **kwargs)
    for _ in range(20):
        assert sa.get_last_lr()[0] == pytest.approx(sb.get_last_lr()[0], rel=1e-12, abs=1e-15)
        opt_a.step()
        opt_b.step()
        sa.step()
        sb.step()


# -- losses against torch.nn.functional ----------------------------------------------

def _grads(loss_fn, xs, *args, **kwargs):
    vs = [Value(x) for x in xs]
    out = loss_fn(vs, *args, **kwargs)
    out.backward()
    return out.data, [v.grad for v in vs]


def _torch_grads(loss_fn, xs, *args, **kwargs):
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out = loss_fn(t, *args, **kwargs)
    out.backward()
    return out.item(), t.grad.tolist()


def close(a, b):
    (va, ga), (vb, gb) = a, b
    assert va == pytest.approx(vb, rel=1e-12, abs=1e-14)
    assert ga == pytest.approx(gb, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_and_bce_with_logits(reduction):
    rng = random.Random(0)
    xs = [rng.uniform(-3, 3) for _ in range(7)]
    ts = [rng.uniform(-1, 1) for _ in range(7)]
    close(_grads(losses.mse, xs, ts, reduction=reduction),
          _torch_grads(F.mse_loss, xs, torch.tensor(ts, dtype=torch.float64), reduction=reduction))
    ps = [rng.random() for _ in range(7)]
    logits = xs + [40.0, -40.0, 800.0, -800.0]
    tl = ps + [1.0, 0.0, 0.0, 1.0]
    close(_grads(losses.binary_cross_entropy_with_logits, logits, tl, reduction=reduction),
          _torch_grads(F.binary_cross_entropy_with_logits, logits, torch.tensor(tl, dtype=torch.float64),
                       reduction=reduction))


def test_binary_cross_entropy():
    rng = random.Random(1)
    ps = [rng.uniform(0.01, 0.99) for _ in range(6)]
    ts = [1.0, 0.0, 0.3, 1.0, 0.0, 0.7]
    close(_grads(losses.binary_cross_entropy, ps, ts),
          _torch_grads(F.binary_cross_entropy, ps, torch.tensor(ts, dtype=torch.float64)))
    # the clamp: log(0) counts as -100, as PyTorch
    ours_v = losses.binary_cross_entropy([Value(0.0), Value(1.0)], [1.0, 0.0]).data
    theirs_v = F.binary_cross_entropy(torch.tensor([0.0, 1.0], dtype=torch.float64),
                                      torch.tensor([1.0, 0.0], dtype=torch.float64)).item()
    assert ours_v == theirs_v == 100.0


def test_cross_entropy_and_hinge():
    rng = random.Random(2)
    batch = [[rng.uniform(-5, 5) for _ in range(4)] for _ in range(5)] + [[1000.0, -1000.0, 999.0, 0.0]]
    targets = [0, 3, 1, 2, 2, 2]
    vs = [[Value(z) for z in row] for row in batch]
    out = losses.cross_entropy(vs, targets)
    out.backward()
    t = torch.tensor(batch, dtype=torch.float64, requires_grad=True)
    ref = F.cross_entropy(t, torch.tensor(targets))
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    assert [v.grad for row in vs for v in row] == pytest.approx(t.grad.flatten().tolist(), rel=1e-10, abs=1e-15)
    # hinge: torch has no exact twin; build it from torch ops as the demo defines it
    scores = [rng.uniform(-2, 2) for _ in range(8)]
    ys = [rng.choice([-1, 1]) for _ in range(8)]
    y = torch.tensor(ys, dtype=torch.float64)
    close(_grads(losses.hinge, scores, ys), _torch_grads(lambda s: torch.relu(1 - y * s).mean(), scores))
