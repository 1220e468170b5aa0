"""autograd_lite.check and autograd_lite.testing: they pass correct derivatives and name wrong ones."""

import subprocess
import sys

import pytest

import autograd_lite as al
from autograd_lite import GradcheckError, Value
from autograd_lite.check import complex_step_check, complex_step_grad, gradcheck, gradgradcheck, numerical_grad

# a deliberately wrong op: right value, derivative off by a factor 2 in its first argument
_wrong = al.primitive(lambda x, y: x * y, lambda x, y: 2.0 * y, lambda x, y: x, name="wrong_mul")
# right first derivative as floats, wrong as Values: only second order can see it
_wrong2 = al.primitive(lambda x: x ** 3, lambda x: 3.0 * x * x if type(x) is float else 3.0 * x,
                       name="wrong_cube_second")


def test_gradcheck_passes_and_names_each_failing_input():
    assert gradcheck(lambda x, y: x * y + y.exp(), [0.5, -1.0])
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda x, y: _wrong(x, y), [0.5, 3.0])
    msg = str(e.value)
    assert isinstance(e.value, AssertionError)
    assert "input 0: analytic 6.0, numeric 2.99999" in msg and "error 3" in msg
    assert "input 1" not in msg  # the correct partial is not reported


def test_gradcheck_can_return_false():
    assert gradcheck(lambda x, y: _wrong(x, y), [0.5, 3.0], raise_exception=False) is False


def test_gradcheck_fails_on_nan():
    assert not gradcheck(lambda x: x * float("nan"), [1.0], raise_exception=False)


def test_gradgradcheck_sees_a_wrong_higher_order_rule():
    assert gradcheck(_wrong2, [1.5])
    assert gradgradcheck(lambda x, y: (x * y).tanh() * x, [0.3, 0.8])
    with pytest.raises(GradcheckError, match=r"d2f/dx0dx0: analytic 3.0, numeric 8.9999"):
        gradgradcheck(_wrong2, [1.5])


def test_numerical_grad_and_complex_step():
    assert numerical_grad(lambda x: x * x, [3.0]) == pytest.approx([6.0], rel=1e-9)
    assert complex_step_grad(lambda x: x.tanh(), [0.5]) == pytest.approx([1.0 - __import__("math").tanh(0.5) ** 2],
                                                                          rel=1e-15)
    assert complex_step_grad(lambda x: Value(2.0), [0.5]) == [0.0]
    assert complex_step_check(lambda x, y: (x / y).log() + y.sqrt() + (x ** y), [2.0, 3.0])
    assert not complex_step_check(lambda x, y: _wrong(x, y), [0.5, 3.0], raise_exception=False)


def test_importing_autograd_lite_does_not_import_hypothesis_or_torch():
    code = "import sys, autograd_lite, autograd_lite.check, autograd_lite.op_table; " \
           "print('hypothesis' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_assert_gradients_match_in_two_lines():
    from hypothesis import given

    from autograd_lite.testing import assert_gradients_match, values

    @given(values(), values("log"))
    def test_mine(x, y): assert_gradients_match(lambda a, b: a * b.log(), [x, y], order=2)

    test_mine()
    with pytest.raises(AssertionError):
        assert_gradients_match(lambda a, b: _wrong(a, b), [1.0, 2.0])
    with pytest.raises(AssertionError):  # the engine against the user's own float formula
        assert_gradients_match(lambda a: a * a, [1.0], reference=lambda a: a * a * a)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck, numerical_grad, complex_step_grad, complex_step_check])
def test_a_bad_input_is_named_by_the_check_and_its_index(check):
    name = check.__name__
    # a str is a wrong type: TypeError (a ValueError before the one validation policy of issue #11)
    with pytest.raises(TypeError, match=f"^{name}: input 1 must be a real number, got 'a'$"):
        check(lambda x, y: x * y, [1.0, "a"])
    with pytest.raises(TypeError, match=f"^{name}: input 0 must be a real number, got None$"):
        check(lambda x: x, [None])
    with pytest.raises(TypeError, match=f"^{name}: inputs must be a sequence of numbers, got float$"):
        check(lambda x: x, 1.0)
