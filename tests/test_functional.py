"""grad, value_and_grad, hessian: JAX's names and semantics, checked against calculus done by hand."""

import math

import pytest

import autograd_lite as al
from autograd_lite import Value, grad, hessian, value_and_grad


def test_grad_returns_a_float():
    g = grad(lambda x: x * x * x)(2.0)
    assert type(g) is float and g == 12.0


def test_argnums_tuple_returns_a_tuple_in_that_order():
    f = lambda x, y, z: x * y + z ** 2  # noqa: E731
    assert grad(f, argnums=(2, 0))(2.0, 3.0, 4.0) == (8.0, 3.0)
    assert grad(f, argnums=1)(2.0, 3.0, 4.0) == 2.0


def test_value_and_grad_shapes():
    f = lambda x, y: x * y  # noqa: E731
    assert value_and_grad(f)(3.0, 4.0) == (12.0, 4.0)
    assert value_and_grad(f, (0, 1))(3.0, 4.0) == (12.0, (4.0, 3.0))


def test_same_object_twice_gives_partial_derivatives():
    # d(x*y)/dx at x = y = 3 is y = 3, not the total derivative 6
    assert grad(lambda x, y: x * y, (0, 1))(3.0, 3.0) == (3.0, 3.0)
    v = Value(3.0)
    gx, gy = grad(lambda x, y: x * y, (0, 1))(v, v)
    assert (gx.data, gy.data) == (3.0, 3.0)


def test_unused_input_gets_zero_and_constant_output_is_allowed():
    assert grad(lambda x, y: x * 2, (0, 1))(1.0, 5.0) == (2.0, 0.0)
    assert value_and_grad(lambda x: 7.0)(1.0) == (7.0, 0.0)


@pytest.mark.parametrize("f,derivs", [
    (lambda x: x ** 4, lambda x: (4 * x ** 3, 12 * x ** 2, 24 * x)),
    (lambda x: x.sin(), lambda x: (math.cos(x), -math.sin(x), -math.cos(x))),
    (lambda x: x.exp() * x, lambda x: (math.exp(x) * (x + 1), math.exp(x) * (x + 2), math.exp(x) * (x + 3))),
    (lambda x: 1 / x, lambda x: (-1 / x ** 2, 2 / x ** 3, -6 / x ** 4)),
    (lambda x: x.log() * x, lambda x: (math.log(x) + 1, 1 / x, -1 / x ** 2)),
    (lambda x: x.tanh(), lambda x: (1 - math.tanh(x) ** 2, -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
                                    (1 - math.tanh(x) ** 2) * (6 * math.tanh(x) ** 2 - 2))),
    (lambda x: x.sqrt(), lambda x: (0.5 * x ** -0.5, -0.25 * x ** -1.5, 0.375 * x ** -2.5)),
    (lambda x: x ** x, lambda x: (x ** x * (math.log(x) + 1),
                                  x ** x * ((math.log(x) + 1) ** 2 + 1 / x),
                                  x ** x * ((math.log(x) + 1) ** 3 + 3 * (math.log(x) + 1) / x - 1 / x ** 2))),
])
def test_first_second_and_third_derivatives(f, derivs):
    x = 0.7
    d1, d2, d3 = derivs(x)
    assert grad(f)(x) == pytest.approx(d1, rel=1e-13)
    assert grad(grad(f))(x) == pytest.approx(d2, rel=1e-12)
    assert grad(grad(grad(f)))(x) == pytest.approx(d3, rel=1e-11)


def test_hessian_of_a_two_variable_function():
    # f = x^2 y + sin(x y): the Hessian by hand
    f = lambda x, y: x * x * y + (x * y).sin()  # noqa: E731
    x, y = 0.4, -1.1
    s, c = math.sin(x * y), math.cos(x * y)
    expected = [[2 * y - y * y * s, 2 * x + c - x * y * s],
                [2 * x + c - x * y * s, -x * x * s]]
    h = hessian(f)(x, y)
    for row, exp_row in zip(h, expected):
        assert row == pytest.approx(exp_row, rel=1e-12)
    assert h[0][1] == h[1][0]


def test_hessian_argnums_selects_variables():
    f = lambda x, y, z: x * x * y + z  # noqa: E731
    assert hessian(f, argnums=(0, 1))(3.0, 2.0, 5.0) == [[4.0, 6.0], [6.0, 0.0]]


def test_transforms_are_pure_they_do_not_touch_grad():
    w = Value(2.0)
    f = lambda x: w * x * x  # noqa: E731  (w is a captured parameter)
    assert grad(f)(3.0) == 12.0
    assert grad(grad(f))(3.0) == 4.0
    assert w.grad == 0.0


def test_nested_grad_returns_values_connected_to_the_graph():
    x = Value(0.5)
    g = grad(lambda t: t ** 3)(x)
    assert type(g) is Value and g.data == 0.75
    g.backward()
    assert x.grad == 3.0  # d/dx 3x^2 = 6x


def test_derivative_through_a_captured_outer_value():
    # d/dy [ d/dx (x * y) ] = 1: the inner grad treats y as a constant, the outer differentiates it
    assert grad(lambda y: grad(lambda x: x * y)(2.0))(5.0) == 1.0


def test_n_ary_ops_nest():
    f = lambda x: al.dot([x, x], [x, 1.0], bias=x) + al.sum([x * x, x])  # noqa: E731  = 2x^2 + 3x
    assert grad(f)(2.0) == 11.0
    assert grad(grad(f))(2.0) == 4.0
    assert grad(grad(grad(f)))(2.0) == 0.0


# -1: a ValueError (a bad value of the right type) since issue #11's one validation policy; a TypeError before
@pytest.mark.parametrize("argnums,error", [(1.5, TypeError), (True, TypeError), ((0, 0), ValueError),
                                           (-1, ValueError), ("0", TypeError)])
def test_bad_argnums(argnums, error):
    with pytest.raises(error, match="argnums"):
        grad(lambda x: x, argnums=argnums)


def test_argnums_out_of_range_names_the_position():
    with pytest.raises(TypeError, match="argument 2"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_f_must_return_a_scalar():
    with pytest.raises(TypeError, match="must return a scalar Value, got list"):
        grad(lambda x: [x, x])(1.0)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="got str"):
        grad(lambda x: x)("1.0")


def test_wrapped_names():
    def loss(x):
        return x
    assert grad(loss).__name__ == "grad(loss)"
