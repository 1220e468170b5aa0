"""Properties of random programs: the engine against oracles, and metamorphic relations.

Programs come from autograd_lite.testing.programs(): random graphs over every
op-table row, with shared subexpressions, at a point away from kinks.
"""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_lite import Value, grad, hessian, value_and_grad
from autograd_lite.check import complex_step_check, complex_step_grad, gradcheck, gradgradcheck
from autograd_lite.testing import assert_gradients_match, mlps, programs

EPS = 1e-6


def backward_grads(f, xs):
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    return [v.grad for v in leaves]


def close(a, b, tol=1e-12):
    # relative to the larger magnitude; absolute near 0
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# -- oracles ------------------------------------------------------------------------

@given(programs())
def test_programs_match_finite_differences(p):
    # every op stays in its domain and away from its kinks at x +- eps, so the difference is honest
    for i in range(p.n_inputs):
        for s in (EPS, -EPS):
            assume(p.valid_at(*[x + (s if j == i else 0.0) for j, x in enumerate(p.inputs)]))
    assert gradcheck(p, p.inputs, eps=EPS)


@given(programs())
def test_programs_match_the_complex_step_of_the_recorded_graph(p):
    assert complex_step_check(p, p.inputs, rtol=1e-12, atol=1e-12)


@given(programs())
def test_programs_match_the_complex_step_of_the_cmath_references(p):
    # a second, independent complex evaluation: the op table's cmath rows, not the recorded graph
    ours = backward_grads(p, p.inputs)
    for i in range(p.n_inputs):
        zs = [complex(x, 1e-20 if j == i else 0.0) for j, x in enumerate(p.inputs)]
        assert close(ours[i], p.complex(*zs).imag / 1e-20), (i, ours[i])


@given(programs())
def test_program_values_match_the_math_references(p):
    assert close(p(*[Value(x) for x in p.inputs]).data, p.reference(*p.inputs), 1e-13)


@given(mlps())
def test_mlps_match_finite_differences_of_their_float_reference(mlp):
    assert type(mlp).__name__ == "MLPLoss" and not hasattr(mlp, "parameters")   # a loss function, not an nn.MLP
    assert_gradients_match(mlp, mlp.params, reference=mlp.reference)
    assert complex_step_check(mlp, mlp.params)


# -- metamorphic relations -----------------------------------------------------------

@given(st.data())
def test_grad_is_linear(data):
    p = data.draw(programs(), label="p")
    q = data.draw(programs(inputs=p.inputs), label="q")
    a = data.draw(st.floats(-3.0, 3.0), label="a")
    n = p.n_inputs
    gp, gq = backward_grads(p, p.inputs), backward_grads(q, p.inputs)
    both = backward_grads(lambda *v: p(*v) + q(*v), p.inputs)
    scaled = backward_grads(lambda *v: a * p(*v), p.inputs)
    for i in range(n):
        assert close(both[i], gp[i] + gq[i]), i        # grad(f + g) = grad f + grad g
        assert close(scaled[i], a * gp[i]), i          # grad(a f) = a grad f


@given(programs())
def test_backward_is_repeatable_after_zero_grad_and_accumulates_without(p):
    leaves = [Value(x) for x in p.inputs]
    out = p(*leaves)
    out.backward()
    first = [v.grad for v in leaves]
    out.zero_grad()
    assert all(v.grad == 0.0 for v in leaves)
    out.backward()
    assert [v.grad for v in leaves] == first
    out.backward()  # no zero_grad: gradients add up
    assert all(close(v.grad, 2 * g) for v, g in zip(leaves, first))


@given(programs())
def test_an_unused_input_gets_zero(p):
    f = lambda *v: p(*v[:-1])  # noqa: E731 - ignores its last argument
    xs = list(p.inputs) + [0.5]
    assert backward_grads(f, xs)[-1] == 0.0
    assert grad(f, len(xs) - 1)(*xs) == 0.0


@given(programs())
def test_inputs_are_not_mutated_and_the_functional_api_writes_no_grad(p):
    leaves = [Value(x) for x in p.inputs]
    out = p(*leaves)
    before = [v.data for v in leaves]
    value, g = value_and_grad(p, tuple(range(p.n_inputs)))(*leaves)  # nested: Values in, Values out
    assert [v.data for v in leaves] == before and all(v.grad == 0.0 for v in leaves)
    assert value.data == out.data
    out.backward()
    assert [v.data for v in leaves] == before
    assert all(close(gi.data, v.grad) for gi, v in zip(g, leaves))


@given(programs(n_inputs=2))
def test_passing_one_value_twice_adds_the_partials(p):
    # f(x) = p(x, x): the chain rule says f'(x) = d1 p(x, x) + d2 p(x, x); only += gets this right
    x = p.inputs[0]
    assume(p.valid_at(x, x))
    d = backward_grads(p, [x, x])
    v = Value(x)
    p(v, v).backward()
    assert close(v.grad, d[0] + d[1])


@given(programs())
def test_backward_and_the_functional_grad_agree(p):
    assert list(grad(p, tuple(range(p.n_inputs)))(*p.inputs)) == backward_grads(p, p.inputs)


# -- second order ---------------------------------------------------------------------

@given(programs(max_ops=6))
def test_second_derivatives_match_finite_differences(p):
    for i in range(p.n_inputs):
        for s in (1e-5, -1e-5):
            assume(p.valid_at(*[x + (s if j == i else 0.0) for j, x in enumerate(p.inputs)]))
    assert gradgradcheck(p, p.inputs)


@given(programs(max_ops=6))
def test_hessian_matches_the_complex_step_of_the_first_derivative(p):
    n = p.n_inputs
    h = hessian(p)(*p.inputs)
    g = grad(p, tuple(range(n)))
    for i in range(n):
        cs = complex_step_grad(lambda *v, i=i: g(*v)[i], p.inputs)
        for j in range(n):
            assert close(h[i][j], cs[j], 1e-10), (i, j, h[i][j], cs[j])
            assert close(h[i][j], h[j][i], 1e-10), (i, j)  # symmetric


# -- regressions the issue names: reuse of a node --------------------------------------

@pytest.mark.parametrize("f,expected", [
    (lambda a: a + a, 2.0),
    (lambda a: a * a, 2 * 1.5),
    (lambda a: (lambda b: b * b + b)(a * 2.0), 2 * (2 * 3.0 + 1)),  # a non-leaf used twice
])
def test_reused_nodes_accumulate(f, expected):
    a = Value(1.5)
    f(a).backward()
    assert a.grad == expected
    assert math.isclose(grad(f)(1.5), expected)
