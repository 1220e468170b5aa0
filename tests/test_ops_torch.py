"""Every primitive, and a small network, against PyTorch float64: values, gradients, Hessians.

Skipped with a reason when PyTorch is not installed (`make torch` installs it; CI does).
"""

import pytest

import autograd_lite as al
from autograd_lite import Value, grad
from cases import BINARY, BINARY_CASES, UNARY, UNARY_CASES

torch = pytest.importorskip("torch", reason="PyTorch not installed: `make torch` enables these cross-checks")
torch.set_default_dtype(torch.float64)

TORCH_UNARY = {
    "neg": lambda t: -t, "abs": torch.abs, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.1),
    "softplus": torch.nn.functional.softplus, "sin": torch.sin, "cos": torch.cos,
    "pow_const": lambda t: t ** 3, "pow_frac": lambda t: t ** 2.5, "pow_neg": lambda t: t ** -2,
    "rpow": lambda t: 2.0 ** t, "add_const": lambda t: t + 2.5, "radd_const": lambda t: 2.5 + t,
    "sub_const": lambda t: t - 2.5, "rsub_const": lambda t: 2.5 - t, "mul_const": lambda t: t * 2.5,
    "rmul_const": lambda t: 2.5 * t, "div_const": lambda t: t / 2.5, "rdiv_const": lambda t: 2.5 / t,
}


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


@pytest.mark.parametrize("name,x", UNARY_CASES)
def test_unary_matches_pytorch_float64(name, x):
    value, (d1,), [[d2]] = torch_derivatives(TORCH_UNARY[name], x)
    op = UNARY[name][0]
    assert op(Value(x)).data == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert grad(op)(x) == pytest.approx(d1, rel=1e-13, abs=1e-300)
    if name not in ("abs", "relu", "leaky_relu"):
        assert grad(grad(op))(x) == pytest.approx(d2, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name,xy", BINARY_CASES)
def test_binary_matches_pytorch_float64(name, xy):
    op, _ = BINARY[name]
    value, firsts, hess = torch_derivatives(op, *xy)
    assert op(Value(xy[0]), Value(xy[1])).data == pytest.approx(value, rel=1e-15)
    assert list(grad(op, (0, 1))(*xy)) == pytest.approx(firsts, rel=1e-13)
    ours = al.hessian(op)(*xy)
    for i in range(2):
        assert ours[i] == pytest.approx(hess[i], rel=1e-12, abs=1e-300)


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
        assert ours[i] == pytest.approx(hess[i], rel=1e-11, abs=1e-14)
