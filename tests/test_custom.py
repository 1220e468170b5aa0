"""Custom primitives: backward, nested grad, gradcheck, complex step, the recorded graph."""

import cmath
import math

import pytest

import autograd_lite as al
from autograd_lite import Value, grad, hessian
from autograd_lite.check import complex_step_check, gradcheck, gradgradcheck


@al.primitive
def sinc_like(x):
    return math.sin(x) * x


sinc_like.defpartials(lambda x: al.cos(x) * x + al.sin(x))

hypot = al.primitive(lambda x, y: math.hypot(x, y), lambda x, y: x / al.sqrt(x * x + y * y),
                     lambda x, y: y / al.sqrt(x * x + y * y), name="hypot",
                     complex_forward=lambda x, y: cmath.sqrt(x * x + y * y))


def test_forward_backward_and_the_recorded_node():
    x = Value(0.7)
    y = sinc_like(x) * sinc_like(x)  # used twice: gradients accumulate
    y.backward()
    d = math.cos(0.7) * 0.7 + math.sin(0.7)
    assert x.grad == pytest.approx(2 * math.sin(0.7) * 0.7 * d, rel=1e-15)
    node = y.parents[0]
    assert node.op == "sinc_like" and node.parents == (x,)
    assert sinc_like(0.7) == math.sin(0.7) * 0.7  # plain numbers in, a float out


def test_higher_order_through_nested_grad():
    d2 = grad(grad(sinc_like))(0.7)
    assert d2 == pytest.approx(2 * math.cos(0.7) - 0.7 * math.sin(0.7), rel=1e-14)
    assert gradgradcheck(sinc_like, [0.7])
    h = hessian(hypot)(3.0, 4.0)  # d2/dx2 = y^2 / r^3
    assert h[0][0] == pytest.approx(16.0 / 125.0, rel=1e-14)


def test_gradcheck_and_complex_step_with_constants_and_two_values():
    assert gradcheck(lambda x, y: hypot(x, y) * hypot(x, 2.0), [3.0, 4.0])
    assert complex_step_check(lambda x, y: hypot(x, y) * hypot(x, 2.0) + y.sin(), [3.0, 4.0])
    with pytest.raises(TypeError, match="pass complex_forward="):  # math.sin refuses complex
        complex_step_check(sinc_like, [0.5])
    g = grad(lambda y: hypot(3.0, y))(4.0)  # a plain number as one argument
    assert g == pytest.approx(0.8, rel=1e-15)


def test_under_no_grad_the_result_is_a_leaf():
    with al.no_grad():
        y = hypot(Value(3.0), Value(4.0))
    assert y.data == 5.0 and y.parents == ()


def test_errors_are_clear():
    p = al.primitive(lambda x: x, name="undiff")
    with pytest.raises(TypeError, match="has no derivatives"):
        p(Value(1.0))
    with pytest.raises(TypeError, match="takes 2 arguments"):
        hypot(Value(1.0))
    with pytest.raises(ValueError, match="built-in op"):
        al.primitive(lambda x: x, name="tanh")
    with pytest.raises(TypeError, match="pass name="):
        al.primitive(lambda x: x)
    nd = al.primitive(lambda x, n: x ** n, lambda x, n: n * x ** (n - 1), None, name="pow_int")
    assert nd(Value(2.0), 3).data == 8.0
    with pytest.raises(TypeError, match="argument 1 is not differentiable"):
        nd(Value(2.0), Value(3.0))
