"""Random programs against PyTorch float64: first derivatives and Hessians at tight tolerance.

Skipped with a reason when PyTorch is not installed (`make torch` installs it; CI does).
"""

import pytest
from hypothesis import given

from autograd_lite import Value, hessian
from autograd_lite.testing import programs

torch = pytest.importorskip("torch", reason="PyTorch not installed: `make torch` enables these cross-checks")


def close(a, b, tol):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@given(programs())
def test_programs_match_pytorch_float64(p):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in p.inputs]
    out = p.torch(torch, *ts)
    firsts = torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)
    leaves = [Value(x) for x in p.inputs]
    ours = p(*leaves)
    ours.backward()
    assert close(ours.data, out.item(), 1e-13)
    for v, g in zip(leaves, firsts):
        assert close(v.grad, 0.0 if g is None else g.item(), 1e-12)
    h = hessian(p)(*p.inputs)
    for i, g in enumerate(firsts):
        row = [None] * len(ts) if g is None or not g.requires_grad else \
            torch.autograd.grad(g, ts, retain_graph=True, allow_unused=True)
        for j, r in enumerate(row):
            assert close(h[i][j], 0.0 if r is None else r.item(), 1e-10), (i, j)
