"""Every row of the op table, and a small network, against PyTorch float64: values, gradients, Hessians.

Skipped with a reason when PyTorch is not installed (`make torch` installs it; CI does).
"""

import pytest

import autograd_lite as al
from autograd_lite import Value, grad
from autograd_lite.op_table import OPS

from cases import CASES, KINK_CASES

torch = pytest.importorskip("torch", reason="PyTorch not installed: `make torch` enables these cross-checks")
torch.set_default_dtype(torch.float64)


def torch_derivatives(f, *xs):
    """Value, first and second derivatives (Hessian) of f at xs, by PyTorch in float64."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    firsts = torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)
    hess = []
    for g in firsts:
        if g is None or not g.requires_grad:
            hess.append([0.0] * len(ts))
            continue
        row = torch.autograd.grad(g, ts, retain_graph=True, allow_unused=True)
        hess.append([0.0 if r is None else r.item() for r in row])
    return out.item(), [g.item() for g in firsts], hess


def test_every_row_has_a_pytorch_equivalent():
    assert [name for name, row in OPS.items() if row.torch is None] == []


@pytest.mark.parametrize("name,xs", CASES)
def test_row_matches_pytorch_float64(name, xs):
    row = OPS[name]
    value, firsts, hess = torch_derivatives(lambda *ts: row.torch(torch, *ts), *xs)
    assert row.fn(*[Value(x) for x in xs]).data == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert list(grad(row.fn, tuple(range(row.arity)))(*xs)) == pytest.approx(firsts, rel=1e-13, abs=1e-300)
    if row.kinks:
        return  # piecewise linear: the second derivative is 0 away from the kink, and undefined at it
    if row.arity == 1:
        assert grad(grad(row.fn))(*xs) == pytest.approx(hess[0][0], rel=1e-12, abs=1e-300)
    ours = al.hessian(row.fn)(*xs)
    for i in range(row.arity):
        assert ours[i] == pytest.approx(hess[i], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name,kink,documented", KINK_CASES)
def test_derivative_at_a_kink_is_pytorchs(name, kink, documented):
    _, (d1,), _ = torch_derivatives(lambda t: OPS[name].torch(torch, t), kink)
    assert grad(OPS[name].fn)(kink) == d1 == documented


def test_a_small_network_matches_pytorch_float64():
    # tanh(w·x + b) fed through sigmoid, softplus, division and a power: several ops, reused inputs
    def f(w0, w1, b, x):
        h = (w0 * x + w1 * x * x + b).tanh()
        return (h.sigmoid() + (h * w0).softplus()) / (1.0 + b * b) + h ** 2 if isinstance(h, Value) \
            else (torch.sigmoid(h) + torch.nn.functional.softplus(h * w0)) / (1.0 + b * b) + h ** 2

    xs = (0.3, -0.7, 0.2, 1.4)
    value, firsts, hess = torch_derivatives(f, *xs)
    assert list(grad(f, (0, 1, 2, 3))(*xs)) == pytest.approx(firsts, rel=1e-13)
    ours = al.hessian(f)(*xs)
    for i in range(4):
        assert ours[i] == pytest.approx(hess[i], rel=1e-12, abs=1e-14)
