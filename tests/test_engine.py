"""The engine's behaviour: construction, accumulation, depth, determinism, memory, modes, errors."""

import gc
import math
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from fractions import Fraction

import pytest

import autograd_lite as al
from autograd_lite import Value, detect_anomaly, no_grad

# -- construction ------------------------------------------------------------------


@pytest.mark.parametrize("x,expected", [(2, 2.0), (2.5, 2.5), (True, 1.0), (Fraction(1, 4), 0.25),
                                        (Decimal("1.5"), 1.5)])
def test_value_accepts_real_numbers(x, expected):
    v = Value(x, label="v")
    assert type(v.data) is float and v.data == expected
    assert (v.grad, v.label, v.op, v.parents) == (0.0, "v", "", ())


def test_value_accepts_numpy_scalars():
    np = pytest.importorskip("numpy")
    assert Value(np.float32(1.5)).data == 1.5
    assert Value(np.int64(3)).data == 3.0
    assert type(Value(np.float64(2.0)).data) is float


@pytest.mark.parametrize("bad,name", [("1.0", "str"), (None, "NoneType"), (1j, "complex"),
                                      ([1.0], "list"), (Value(1.0), "Value")])
def test_value_rejects_non_real_input_naming_its_type(bad, name):
    with pytest.raises(TypeError, match=f"got {name}"):
        Value(bad)


def test_value_rejects_numpy_complex_instead_of_dropping_the_imaginary_part():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="complex"):
        Value(np.complex128(1 + 2j))


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


@pytest.mark.parametrize("bad", ["x", None, 1j, [1.0]])
def test_ops_with_non_numbers_raise_type_error_naming_the_type(bad):
    v = Value(1.0)
    for op in (lambda: v + bad, lambda: bad + v, lambda: v * bad, lambda: v / bad,
               lambda: bad - v, lambda: v ** bad):
        with pytest.raises(TypeError, match=type(bad).__name__):
            op()


def test_numbers_on_either_side_are_constants_not_nodes():
    x = Value(3.0)
    for y in (x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, x ** 2, 2 ** x):
        assert y.parents == (x,)


def test_numpy_scalar_on_the_left_defers_to_value():
    np = pytest.importorskip("numpy")
    y = np.float64(2.0) * Value(3.0)
    assert type(y) is Value and y.data == 6.0


def test_subclassing_is_refused_with_advice():
    with pytest.raises(TypeError, match="not designed to be subclassed"):
        class Param(Value):
            pass


def test_comparisons_are_by_value_but_equality_and_hash_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b and not a < b and a < 2 and 0 < a and b > 0.5
    assert a != b and a == a
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# -- accumulation: the bugs micrograd's users hit --------------------------------------

def test_a_plus_a_accumulates():
    a = Value(3.0)
    b = a + a
    assert b.parents == (a, a)
    b.backward()
    assert a.grad == 2.0


def test_a_times_a_keeps_both_edges():
    a = Value(3.0)
    b = a * a
    assert b.parents == (a, a)
    b.backward()
    assert a.grad == 6.0


def test_reused_non_leaf_node():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (b.grad, a.grad) == (2.0, 4.0)


def test_backward_twice_adds_the_same_amount_again_everywhere():
    a = Value(3.0)
    b = a * a
    c = b * a          # a**3: dc/da = 27, dc/db = 3
    c.backward()
    assert (a.grad, b.grad, c.grad) == (27.0, 3.0, 1.0)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (54.0, 6.0, 2.0)


def test_backward_seed_scales_the_gradient():
    a = Value(2.0)
    (a * a).backward(0.5)
    assert a.grad == 2.0


def test_zero_grad_resets_every_reachable_node():
    a, b = Value(2.0), Value(-1.0)
    c = (a * b).tanh() + a
    c.backward()
    assert a.grad != 0.0
    c.zero_grad()
    assert all(n.grad == 0.0 for n in (a, b, c, *c.parents))
    c.backward()
    fresh_a = Value(2.0)
    fresh = (fresh_a * Value(-1.0)).tanh() + fresh_a
    fresh.backward()
    assert a.grad == fresh_a.grad


def test_gradient_of_a_node_not_on_any_path_stays_zero():
    a, unused = Value(2.0), Value(5.0)
    _ = unused * 3
    (a * a).backward()
    assert unused.grad == 0.0


# -- kinks and stability ------------------------------------------------------------------

@pytest.mark.parametrize("op,expected", [(lambda v: v.relu(), 0.0), (abs, 0.0),
                                          (lambda v: v.leaky_relu(0.2), 0.2)])
def test_kinks_follow_pytorch(op, expected):
    x = Value(0.0)
    op(x).backward()
    assert x.grad == expected


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "tanh"])
@pytest.mark.parametrize("x", [-1000.0, 1000.0])
def test_saturating_functions_are_finite_at_extremes(name, x):
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert math.isfinite(al.grad(al.grad(getattr(al, name)))(x))


def test_stable_values_at_extremes():
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).softplus().data == 1000.0 and Value(-1000.0).softplus().data == 0.0
    assert Value(-40.0).softplus().data == pytest.approx(math.exp(-40.0), rel=1e-15)


def test_sqrt_derivative_at_zero_is_inf_like_pytorch():
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


# -- domain errors: what Python's math raises, naming the op and the value --------------

@pytest.mark.parametrize("make,error,words", [
    (lambda: Value(0.0).log(), ValueError, "log.*x=0.0"),
    (lambda: Value(-2.0).log(), ValueError, "log.*x=-2.0"),
    (lambda: Value(-1.0).sqrt(), ValueError, "sqrt.*x=-1.0"),
    (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow.*-8.0 \*\* 0.333"),
    (lambda: Value(-8.0) ** Value(0.5), ValueError, r"pow.*-8.0 \*\* 0.5"),
    (lambda: (-8.0) ** Value(0.5), ValueError, r"pow.*-8.0 \*\* 0.5"),
    (lambda: Value(1.0) / 0, ZeroDivisionError, r"div.*1.0 / 0.0"),
    (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"div.*1.0 / 0.0"),
    (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"div.*1.0 / 0.0"),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow.*negative power"),
    (lambda: 0.0 ** Value(-2.0), ZeroDivisionError, r"pow.*negative power"),
    (lambda: Value(1000.0).exp(), OverflowError, "exp.*x=1000.0"),
    (lambda: Value(10.0) ** 400, OverflowError, r"pow.*10.0 \*\* 400"),
    (lambda: Value(math.inf).sin(), ValueError, "sin.*inf"),
])
def test_domain_errors(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_negative_base_to_an_integer_power_is_fine():
    x = Value(-2.0)
    y = x ** 3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


def test_module_functions_work_on_plain_numbers_with_the_same_errors():
    assert al.exp(0.0) == 1.0 and al.tanh(0.5) == math.tanh(0.5) and al.relu(-1) == 0.0
    assert al.leaky_relu(-2.0, 0.5) == -1.0
    with pytest.raises(ValueError, match="log"):
        al.log(-1.0)
    with pytest.raises(TypeError, match="str"):
        al.exp("1")


def test_leaky_relu_checks_its_slope_on_either_side_of_zero_for_numbers_as_for_values():
    for x in (-1.0, 1.0):
        with pytest.raises(TypeError, match="leaky_relu slope"):
            al.leaky_relu(x, "0.1")
        with pytest.raises(TypeError, match="leaky_relu slope"):
            Value(x).leaky_relu("0.1")


# -- depth, determinism, memory --------------------------------------------------------

def test_a_100k_deep_chain_under_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x0 = Value(0.3)
    x = x0
    for _ in range(100_000):
        x = x * 1.0000001 + 0.5
    x.backward()
    # the exact gradient: the same product of the same floats, in the same order
    expected = 1.0
    for _ in range(100_000):
        expected *= 1.0000001
    assert x0.grad == expected


def test_zero_grad_and_parents_work_at_depth():
    x0 = Value(1.0)
    x = x0
    for _ in range(50_000):
        x = x + x0
    x.backward()
    assert x0.grad == 50_001.0
    x.zero_grad()
    assert x0.grad == 0.0


_DETERMINISM_SCRIPT = textwrap.dedent("""
    import autograd_lite as al
    from autograd_lite import Value
    from autograd_lite.engine import reverse_topological
    xs = [Value(0.1 * i, label=f"x{i}") for i in range(8)]
    h = [al.dot(xs, [x.tanh() for x in reversed(xs)], xs[0]) for _ in range(3)]
    loss = al.sum([(a * b).sigmoid() for a in h for b in h]) + {v: 1 for v in xs}.__len__()
    loss.backward()
    print([n.op for n in reverse_topological(loss)])
    print([repr(x.grad) for x in xs])
""")


def test_same_graph_gives_same_order_and_bits_in_every_process():
    outs = []
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.append(subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT], env=env,
                                   capture_output=True, text=True, check=True).stdout)
    assert outs[0] == outs[1] == outs[2]
    assert "dot" in outs[0]


def test_no_reference_cycles_graph_freed_by_refcounting_alone():
    gc.collect()
    gc.disable()
    try:
        a = Value(1.5)
        x = a
        for i in range(1000):
            x = (x * a + i).tanh() + al.dot([x, a], [a, 2.0])
        x.backward()
        al.grad(lambda t: t.sin() * t)(0.3)
        al.grad(al.grad(lambda t: t.sin() * t))(0.3)
        del x, a
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0, f"the cyclic collector found {found} objects: a graph holds a reference cycle"


def test_the_cycle_check_can_fail():
    # The same check, on a structure that does hold a cycle, reports it.
    gc.collect()
    gc.disable()
    try:
        node = {"self": None}
        node["self"] = node
        del node
        found = gc.collect()
    finally:
        gc.enable()
    assert found > 0


# -- modes ------------------------------------------------------------------------------

def test_no_grad_as_context_manager_records_no_parents_and_restores():
    x = Value(2.0)
    with no_grad():
        assert not al.is_grad_enabled()
        y = x * 3 + 1
        z = x.tanh()
    assert al.is_grad_enabled()
    assert (y.parents, y.op, z.parents) == ((), "", ())
    assert y.data == 7.0
    assert (x * 3).parents == (x,)


def test_no_grad_as_decorator_with_and_without_parentheses():
    @no_grad()
    def f(v):
        return v * v

    @no_grad
    def g(v):
        return v + v

    x = Value(2.0)
    assert f(x).parents == () and g(x).parents == ()
    assert al.is_grad_enabled()


def test_no_grad_restores_on_exception_and_nests():
    with pytest.raises(RuntimeError):
        with no_grad():
            with no_grad():
                pass
            assert not al.is_grad_enabled()
            raise RuntimeError
    assert al.is_grad_enabled()


def test_detach_makes_a_leaf_that_stops_gradients():
    x = Value(2.0)
    y = x * x
    d = y.detach()
    assert (d.data, d.parents) == (4.0, ())
    (d * x).backward()
    assert x.grad == 4.0  # only the direct path; none through the detached square


def test_detect_anomaly_forward_names_the_op_and_the_line():
    x = Value(1e308)
    with detect_anomaly():
        y = x * 1.0  # finite: fine
        with pytest.raises(FloatingPointError, match=r"mul produced inf .*test_engine.py:\d+"):
            y * 10.0
    assert (x * 10.0).data == math.inf  # outside the context, IEEE rules as usual


def test_detect_anomaly_backward_names_the_op_whose_backward_produced_nan():
    with detect_anomaly():
        x = Value(0.0)
        s = x.sqrt()          # sqrt'(0) = inf
        y = s * 0.0 + 1.0     # the chain sends 0 * inf = nan into x
        with pytest.raises(FloatingPointError, match=r"backward of sqrt returned nan.*test_engine.py:\d+"):
            y.backward()


def test_detect_anomaly_gives_the_same_gradients_as_plain_backward():
    def build():
        a, b = Value(0.7), Value(-1.3)
        return a, b, ((a * b).tanh() + a ** 2 / b).exp()
    a1, b1, y1 = build()
    y1.backward()
    y1.backward()
    with detect_anomaly():
        a2, b2, y2 = build()
        y2.backward()
        y2.backward()
    assert (a1.grad, b1.grad) == (a2.grad, b2.grad)


def test_repr_shows_data_grad_label_and_op():
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(a * 2) == "Value(data=4.0, grad=0.0, op='mul')"


def test_import_is_stdlib_only():
    code = ("import sys, autograd_lite; "
            "print(sorted(m for m in ('numpy', 'torch', 'graphviz', 'pygraphviz', 'matplotlib', "
            "'tqdm', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
