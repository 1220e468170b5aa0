"""Every row of the op table: value, first and second derivatives, against oracles that share no code with us.

Oracles: the math module for values, central finite differences of that float
reference for derivatives, the complex step through the row's cmath reference,
and (in test_ops_torch.py) PyTorch float64.  The tests are generic: they
iterate over autograd_lite.op_table.OPS.
"""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Value, grad
from autograd_lite.check import complex_step_check, gradcheck, gradgradcheck
from autograd_lite.engine import rule_ops
from autograd_lite.op_table import OPS

from cases import CASES, KINK_CASES, SMOOTH_CASES, central_difference

H = 1e-20  # complex step


def test_every_engine_primitive_has_a_row_and_a_complex_rule():
    from autograd_lite.check import complex_ops
    from autograd_lite.custom import names

    builtin = set(rule_ops()) - set(names()) - {"id"}  # id: the functional API's argument slot
    assert builtin - {row.op for row in OPS.values()} == set(), "add a row to autograd_lite/op_table.py"
    assert builtin - set(complex_ops()) == set(), "add a complex rule to autograd_lite/check.py"


@pytest.mark.parametrize("name,xs", CASES)
def test_value_and_gradient_match_math_and_finite_differences(name, xs):
    row = OPS[name]
    vs = [Value(x) for x in xs]
    out = row.fn(*vs)
    assert out.op == row.op
    if row.value_rtol:
        assert out.data == pytest.approx(row.ref(*xs), rel=row.value_rtol, abs=1e-300)
    else:
        assert out.data == row.ref(*xs)  # float arithmetic is the reference, to the bit
    out.backward()
    for i, v in enumerate(vs):
        assert v.grad == pytest.approx(central_difference(row.ref, xs, i), rel=1e-6,
                                       abs=1e-8 if row.arity == 1 else 1e-12), i
    # the functional API agrees with backward() bit for bit
    assert list(grad(row.fn, tuple(range(row.arity)))(*xs)) == [v.grad for v in vs]


@pytest.mark.parametrize("name,xs", SMOOTH_CASES)
def test_second_derivatives_match_finite_differences_of_first(name, xs):
    row = OPS[name]
    if row.arity == 1:
        numeric = central_difference(lambda t: central_difference(row.ref, [t], 0, h=1e-5), xs, 0, h=1e-4)
        assert grad(grad(row.fn))(*xs) == pytest.approx(numeric, rel=1e-4, abs=1e-5)
    h = al.hessian(row.fn)(*xs)
    for i in range(row.arity):
        for j in range(row.arity):
            numeric = central_difference(
                lambda *t, i=i: central_difference(row.ref, list(t), i, h=1e-5), list(xs), j, h=1e-4)
            assert h[i][j] == pytest.approx(numeric, rel=1e-4, abs=1e-5), (i, j)


@pytest.mark.parametrize("name,xs", [c for c in CASES if OPS[c[0]].cref is not None])
def test_gradient_matches_complex_step_of_the_cmath_reference(name, xs):
    row = OPS[name]
    vs = [Value(x) for x in xs]
    row.fn(*vs).backward()
    for i, v in enumerate(vs):
        zs = [complex(x, H if j == i else 0.0) for j, x in enumerate(xs)]
        assert v.grad == pytest.approx(row.cref(*zs).imag / H, rel=1e-13, abs=1e-300), i


@pytest.mark.parametrize("name,xs", CASES)
def test_check_module_passes_every_row(name, xs):
    row = OPS[name]
    assert gradcheck(row.fn, xs)
    assert complex_step_check(row.fn, xs)  # the recorded-program oracle, one row at a time
    if not row.kinks:
        assert gradgradcheck(row.fn, xs)


@pytest.mark.parametrize("name,kink,documented", KINK_CASES)
def test_derivative_at_a_kink_is_the_documented_one(name, kink, documented):
    v = Value(kink)
    OPS[name].fn(v).backward()
    assert v.grad == documented
    assert grad(OPS[name].fn)(kink) == documented


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_random_points_in_the_domain_match_the_complex_step(name, data):
    row = OPS[name]
    xs = [data.draw(d.strategy(margin=1e-3), label=f"x{i}") for i, d in enumerate(row.domain)]
    assume(row.valid(xs, margin=1e-3))  # away from kinks, where no oracle agrees
    vs = [Value(x) for x in xs]
    row.fn(*vs).backward()
    for i, v in enumerate(vs):
        zs = [complex(x, H if j == i else 0.0) for j, x in enumerate(xs)]
        assert v.grad == pytest.approx(row.cref(*zs).imag / H, rel=1e-12, abs=1e-15), i
    assert gradcheck(row.fn, xs)


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


@pytest.mark.parametrize("shift", range(5))
def test_dot_mixes_every_kind_of_pair(shift):
    # Value*Value, number*Value, Value*number and number*number in one node, and a
    # number bias: f(x, y) = 0.5 + xy + 2x + 3y + 20 + y^2, checked in value, gradient
    # (by hand and against the complex step) and Hessian.  Rotating the pairs puts
    # each kind first, which is what picks dot's loop.
    def f(x, y):
        ws, xs = [x, 2.0, 3.0, 4.0, y], [y, x, y, 5.0, y]
        return al.dot(ws[shift:] + ws[:shift], xs[shift:] + xs[:shift], bias=0.5)

    x, y = 0.7, -1.3
    assert f(Value(x), Value(y)).data == pytest.approx(0.5 + x * y + 2.0 * x + 3.0 * y + 20.0 + y * y, rel=1e-15)
    assert al.grad(f, argnums=(0, 1))(x, y) == pytest.approx((y + 2.0, x + 3.0 + 2 * y), rel=1e-15)
    complex_step_check(f, [x, y])
    assert al.hessian(f)(x, y) == [[0.0, 1.0], [1.0, 2.0]]


def test_dot_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="equal length, got 2 and 3"):
        al.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
