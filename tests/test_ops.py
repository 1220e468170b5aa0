"""Every primitive's value and first and second derivatives, against oracles that share no code with us.

Oracles: the math module for values, central finite differences of that
float reference for derivatives, and PyTorch float64 when it is installed.
"""

import pytest

import autograd_lite as al
from autograd_lite import Value, grad

from cases import BINARY, BINARY_CASES, UNARY, UNARY_CASES, central_difference



@pytest.mark.parametrize("name,x", UNARY_CASES)
def test_unary_value_and_gradient_match_math_and_finite_differences(name, x):
    op, ref, _ = UNARY[name]
    v = Value(x)
    out = op(v)
    assert out.data == pytest.approx(ref(x), rel=1e-15, abs=1e-300)
    out.backward()
    assert v.grad == pytest.approx(central_difference(ref, [x], 0), rel=1e-6, abs=1e-8)
    assert al.grad(op)(x) == v.grad  # the functional API agrees bit for bit


@pytest.mark.parametrize("name,xy", BINARY_CASES)
def test_binary_value_and_gradient_match_finite_differences(name, xy):
    op, _ = BINARY[name]
    a, b = Value(xy[0]), Value(xy[1])
    out = op(a, b)
    assert out.data == op(*xy)  # float arithmetic is the reference, to the bit
    out.backward()
    assert a.grad == pytest.approx(central_difference(op, xy, 0), rel=1e-6)
    assert b.grad == pytest.approx(central_difference(op, xy, 1), rel=1e-6)


@pytest.mark.parametrize("name,x", [c for c in UNARY_CASES if c[0] not in ("abs", "relu", "leaky_relu")])
def test_unary_second_derivative_matches_finite_difference_of_first(name, x):
    op, ref, _ = UNARY[name]
    d1 = grad(op)
    second = grad(d1)(x)
    numeric = central_difference(lambda t: central_difference(ref, [t], 0, h=1e-5), [x], 0, h=1e-4)
    assert second == pytest.approx(numeric, rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("name,xy", BINARY_CASES)
def test_binary_second_derivatives_match_finite_differences(name, xy):
    op, _ = BINARY[name]
    h = al.hessian(op)(*xy)
    for i in range(2):
        for j in range(2):
            numeric = central_difference(
                lambda *t: central_difference(op, list(t), i, h=1e-5), list(xy), j, h=1e-4)
            assert h[i][j] == pytest.approx(numeric, rel=1e-4, abs=1e-5), (i, j)


def test_n_ary_sum_and_dot_match_their_definitions():
    xs = [Value(0.5), Value(-1.25), Value(2.0)]
    s = al.sum(xs + [3.0])
    assert s.data == 0.5 - 1.25 + 2.0 + 3.0
    assert len(s.parents) == 3
    s.backward()
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0]

    w = [Value(0.5), Value(-1.5), Value(2.0)]
    x = [Value(1.0), 3.0, Value(-0.25)]
    b = Value(0.75)
    n = al.dot(w, x, b)
    assert n.data == 0.75 + 0.5 * 1.0 + (-1.5) * 3.0 + 2.0 * -0.25
    assert n.op == "dot" and len(n.parents) == 6  # 3 weights, 2 Value inputs, bias: one node
    n.backward()
    assert [wi.grad for wi in w] == [1.0, 3.0, -0.25]
    assert [x[0].grad, x[2].grad, b.grad] == [0.5, 2.0, 1.0]


def test_dot_second_derivatives():
    # f(x, y) = x*y + y*y + 3x, so the Hessian is [[0, 1], [1, 2]]
    f = lambda x, y: al.dot([x, y, x], [y, y, 3.0])  # noqa: E731
    assert al.hessian(f)(0.7, -1.3) == [[0.0, 1.0], [1.0, 2.0]]


def test_dot_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="equal length, got 2 and 3"):
        al.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
