"""autograd_lite.compile: compiled values and gradients against eager mode (the oracle), both backends.

Random programs over every op come from autograd_lite.testing.programs(); the
CI profile runs a moderate number, HYPOTHESIS_PROFILE=thorough thousands.
"""

import math
import os
import random
import subprocess
import sys
import warnings

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.testing import programs

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
MANY = 3000 if THOROUGH else 150   # random programs per backend
SOME = 1000 if THOROUGH else 60    # random batches per backend

try:
    import numpy  # noqa: F401
    BACKENDS = ["python", "numpy"]
except ImportError:  # pragma: no cover - the test extra has numpy
    BACKENDS = ["python"]


def close(a, b, tol=1e-12):
    # relative to the larger magnitude; absolute near 0 (the programs keep every value below 1e3)
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def split(p, k):
    """Program p as fn(*args) over its last inputs, closing over its first k inputs as parameters."""
    params = [Value(x, label=f"w{i}") for i, x in enumerate(p.inputs[:k])]
    return params, (lambda *xs: p(*params, *xs))


def eager_grads(p, k, args_list, reduce=None):
    """Eager values and parameter gradients: one call, or the batch's mean/sum as al.sum(...) * (1/n)."""
    params = [Value(x) for x in p.inputs[:k]]
    outs = [p(*params, *args) for args in args_list]
    if reduce is None:
        out = outs[0]
    else:
        out = al.sum(outs)
        if reduce == "mean":
            out = out * (1.0 / len(outs))
    if type(out) is not Value:  # no parameters: the program ran on floats
        return out, []
    out.backward()
    return out.data, [w.grad for w in params]


def compiled(fast):
    # every op of the table compiles (custom primitives are the one op that runs eagerly)
    assert fast.eager_reason is None, fast.eager_reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_programs_compile_to_the_same_value_and_gradients(backend):
    @settings(max_examples=MANY)
    @given(programs(n_inputs=st.integers(1, 4)), st.data())
    def check(p, data):
        k = data.draw(st.integers(0, p.n_inputs), label="parameters")
        params, fn = split(p, k)
        args = p.inputs[k:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fast = al.compile(fn, params, backend=backend)
            value = fast(*args)
        compiled(fast)
        ref_value, ref_grads = eager_grads(p, k, [args])
        grads = [w.grad for w in params]
        ops = {name for name, _ in p.instructions}
        # The python backend replays the engine's own formulas in backward()'s order: exact, unless a relu's
        # skipped block moved a parameter's terms, or a dot's arguments are traced Values here and numbers in
        # the eager run (the engine orders a dot's parents by which factors are Values).  numpy's kernels and
        # matrix products differ in the last bits.
        exact = backend == "python" and not ops & {"relu", "dot", "dot_values", "dot_floats"}
        if exact:
            assert value == ref_value
            assert grads == ref_grads, (grads, ref_grads)
        else:
            assert close(value, ref_value), (value, ref_value)
            assert all(close(a, b) for a, b in zip(grads, ref_grads)), (grads, ref_grads)
        # a second call reuses the trace and adds the same gradient again (accumulation, as backward())
        again = fast(*args)
        assert again == value
        assert all(close(a, 2 * b) for a, b in zip([w.grad for w in params], ref_grads))
        assert len(fast._traces) == (1 if fast.eager_reason is None else 0)

    check()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_batch_matches_the_eager_mean_and_sum(backend, reduce):
    @settings(max_examples=SOME)
    @given(programs(n_inputs=st.integers(2, 4)), st.data())
    def check(p, data):
        k = data.draw(st.integers(0, p.n_inputs - 1), label="parameters")
        params, fn = split(p, k)
        # samples near the program's valid point, each checked valid (in every op's domain, off the kinks)
        shifts = data.draw(st.lists(st.floats(-0.01, 0.01), min_size=1, max_size=12), label="shifts")
        rows = [tuple(x + s * (j + 1) for j, x in enumerate(p.inputs[k:])) for s in shifts]
        rows = [r for r in rows if p.valid_at(*p.inputs[:k], *r)]
        assume(rows)
        columns = [list(c) for c in zip(*rows)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fast = al.compile(fn, params, backend=backend)
            value = fast.batch(*columns, reduce=reduce)
        compiled(fast)
        ref_value, ref_grads = eager_grads(p, k, rows, reduce)
        assert close(value, ref_value), (value, ref_value)
        assert all(close(a, b) for a, b in zip([w.grad for w in params], ref_grads))

    check()


# -- a network, as the demo trains it ----------------------------------------------------

def moons_setup(backend, n=40):
    from autograd_lite.data import make_moons
    X, y = make_moons(n, noise=0.1, seed=3, labels=(-1, 1))
    model = al.nn.MLP(2, [8, 8, 1], seed=1)
    return X, y, model


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_mlp_hinge_step_matches_eager_and_the_cache_survives_updates(backend):
    X, y, model = moons_setup(backend)
    params = model.parameters()
    fast = al.compile(lambda x, t: (1 + -t * model(x)).relu(), model, backend=backend)
    for _ in range(3):
        model.zero_grad()
        value = fast.batch(X, [float(t) for t in y])
        grads = [p.grad for p in params]
        model.zero_grad()
        ref = al.sum([(1 + -t * model(x)).relu() for x, t in zip(X, y)]) * (1.0 / len(X))
        ref.backward()
        assert close(value, ref.data)
        assert all(close(a, p.grad) for a, p in zip(grads, params))
        for p in params:  # an optimizer step between calls: compiled code must read the new .data
            p.data -= 0.5 * p.grad
    assert len(fast._traces) == 1 and fast.eager_reason is None


def test_int_arguments_are_static_and_select_a_trace_each():
    X, y, model = moons_setup("python")
    fast = al.compile(lambda x, t: al.losses.hinge(model(x), t), model)  # hinge wants a number target
    value = fast.batch(X, y)  # y holds ints -1 and +1
    assert len(fast._traces) == 2
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    ref = al.sum([al.losses.hinge(model(x), t) for x, t in zip(X, y)]) * (1.0 / len(X))
    ref.backward()
    assert close(value, ref.data)
    assert all(close(a, p.grad) for a, p in zip(grads, model.parameters()))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_static_argument_before_traced_ones(backend):
    # the traced columns are numbered in the order the kernel reads them, whatever sits between them
    w = Value(0.5)
    fn = lambda x, k, s: (w * x + s) * k  # noqa: E731
    fast = al.compile(fn, [w], backend=backend)
    value = fast.batch([1.0, 2.0, 3.0], [2, 2, 3], [0.25, -1.0, 4.0], reduce="sum")
    got = w.grad
    w.grad = 0.0
    ref = al.sum(fn(x, k, s) for x, k, s in ((1.0, 2, 0.25), (2.0, 2, -1.0), (3.0, 3, 4.0)))
    ref.backward()
    assert close(value, ref.data) and close(got, w.grad)


def test_a_function_of_no_arguments_an_l2_penalty():
    ws = [Value(random.Random(i).uniform(-1, 1), label=f"w{i}") for i in range(50)]
    penalty = al.compile(lambda: 1e-4 * al.sum(w * w for w in ws), ws)
    value = penalty()
    got = [w.grad for w in ws]
    for w in ws:
        w.grad = 0.0
    ref = 1e-4 * al.sum(w * w for w in ws)
    ref.backward()
    assert value == ref.data and got == [w.grad for w in ws]  # same order of operations: exact
    assert "w0 * w0" in penalty.source  # names from labels


def test_long_sums_are_split_so_the_parser_never_nests_too_deep():
    n = 5000
    fast = al.compile(lambda xs: al.sum(x * x for x in xs))
    xs = [random.Random(1).uniform(-1, 1) for _ in range(n)]
    assert fast(xs) == al.sum(Value(x) * x for x in xs).data
    assert max(line.count("+") for line in fast.source.splitlines()) <= 64


def test_param_names_come_from_named_parameters():
    model = al.nn.MLP(2, [2, 1], seed=0)
    fast = al.compile(lambda x: model(x), model)
    fast([1.0, 2.0])
    assert "layers_0_neurons_1_w_0" in fast.source


# -- guards: a Python `if` on Values ----------------------------------------------------

def branchy(w):
    def fn(x):
        h = w * x
        if h > 1.0:  # a comparison between Values (and numbers) becomes a guard
            return h.log()
        return (h - 1.0) * (h - 1.0)
    return fn


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sample_on_the_other_branch_runs_eagerly_and_equals_eager(backend):
    w = Value(0.5, label="w")
    fast = al.compile(branchy(w), [w], backend=backend)
    xs = [4.0, 1.0, 6.0, -3.0, 3.0]  # 4.0 is traced (h = 2 > 1); 1.0 and -3.0 take the other branch
    value = fast.batch(xs, reduce="sum")
    got = w.grad
    w.grad = 0.0
    ref = al.sum([branchy(w)(x) for x in xs])
    ref.backward()
    assert close(value, ref.data) and close(got, w.grad)
    assert fast.eager_reason is None  # a failed guard is per sample, not a fallback
    assert "guard" in fast.source


def test_a_guard_on_parameters_alone_sees_an_update():
    w = Value(2.0)

    def fn(x):
        return w * x if w > 0.0 else -w * x

    fast = al.compile(fn, [w])
    assert fast(3.0) == 6.0 and w.grad == 3.0
    w.data, w.grad = -2.0, 0.0
    assert fast(3.0) == 6.0 and w.grad == -3.0  # the guard failed: eager took the other branch


# -- fallbacks and errors ---------------------------------------------------------------

def test_reading_data_inside_fn_falls_back_to_eager_and_says_so_once():
    w = Value(2.0)

    def fn(x):
        return w * x if w.data > 0 else -w * x  # a decision the trace cannot see

    fast = al.compile(fn, [w])
    with pytest.warns(UserWarning, match="reads Value.data"):
        assert fast(3.0) == 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only
        w.data = -1.0
        assert fast(3.0) == 3.0
    assert "Value.data" in fast.eager_reason


def test_randomness_inside_fn_falls_back_to_eager():
    w = Value(1.0)
    fast = al.compile(lambda x: w * x * random.random(), [w])
    with pytest.warns(UserWarning, match="random"):
        fast(1.0)
    assert fast.eager_reason is not None


def test_dropout_in_training_mode_is_refused_and_eval_mode_compiles():
    model = al.nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    with pytest.raises(al.compiler.CompileError, match="Dropout in training mode"):
        al.compile(lambda x: model(x), model)
    model.eval()
    fast = al.compile(lambda x: model(x), model)
    assert fast([1.0, 2.0]) == model([1.0, 2.0]).data
    model.train()  # back to training mode after compiling: refused at the next call
    with pytest.raises(al.compiler.CompileError, match="Dropout in training mode"):
        fast([1.0, 2.0])


def test_a_private_random_generator_is_caught_by_tracing_twice():
    rng = random.Random(0)
    w = Value(1.0)
    fast = al.compile(lambda x: w * (x + rng.random()), [w])
    with pytest.warns(UserWarning, match="different graph"):
        fast(1.0)


def test_a_custom_primitive_runs_eagerly_with_a_warning_naming_it():
    cube = al.primitive(lambda x: x ** 3, lambda x: 3.0 * x ** 2, name="cube")
    w = Value(2.0)
    fast = al.compile(lambda x: cube(w * x), [w])
    with pytest.warns(UserWarning, match="cube"):
        assert fast(1.0) == 8.0
    assert w.grad == 12.0


def test_an_error_inside_compiled_code_is_the_engines_error():
    w = Value(1.0)
    fast = al.compile(lambda x: (w * x).log(), [w])
    assert fast(2.0) == math.log(2.0)
    with pytest.raises(ValueError, match="log: math domain error"):
        fast(-1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_grad_computes_the_value_and_leaves_gradients_alone(backend):
    w = Value(3.0)
    fast = al.compile(lambda x: w * x, [w], backend=backend)
    with al.no_grad():
        assert fast(2.0) == 6.0  # not traced yet: eager
    fast(2.0)
    w.grad = 0.0
    with al.no_grad():
        assert fast.batch([2.0, 4.0]) == 9.0  # compiled, forward only
    assert w.grad == 0.0


def test_detect_anomaly_keeps_its_meaning():
    w = Value(1e308)
    fast = al.compile(lambda x: w * x, [w])
    assert fast(10.0) == math.inf  # as eager, outside anomaly mode
    with al.detect_anomaly(), pytest.raises(FloatingPointError, match="mul produced inf"):
        fast(10.0)


def test_argument_shapes_get_a_trace_each():
    fast = al.compile(lambda xs: al.sum(x * x for x in xs))
    assert fast([1.0, 2.0]) == 5.0
    assert fast([1.0, 2.0, 3.0]) == 14.0
    assert len(fast._traces) == 2


def test_bad_input_is_named():
    w = Value(1.0)
    with pytest.raises(TypeError, match="fn must be callable"):
        al.compile(3.0, [w])
    with pytest.raises(ValueError, match="backend must be"):
        al.compile(lambda: w, [w], backend="cuda")
    with pytest.raises(TypeError, match=r"params\[0\] must be a Value"):
        al.compile(lambda: w, [1.0])
    with pytest.raises(TypeError, match="params must be a list"):
        al.compile(lambda: w, w)
    with pytest.raises(ValueError, match="not a leaf"):
        al.compile(lambda: w, [w * 2])
    fast = al.compile(lambda x: w * x, [w])
    with pytest.raises(RuntimeError, match="call the compiled function once"):
        _ = fast.source
    with pytest.raises(ValueError, match="reduce must be"):
        fast.batch([1.0], reduce="max")
    with pytest.raises(ValueError, match="different lengths"):
        al.compile(lambda x, y: w * x * y, [w]).batch([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="no samples"):
        fast.batch([])
    with pytest.raises(TypeError, match="one column per argument"):
        fast.batch()
    with pytest.raises(al.compiler.CompileError, match="must return a Value"):
        al.compile(lambda x: 2.0, [w])(1.0)


def test_importing_autograd_lite_does_not_import_numpy():
    code = "import sys, autograd_lite; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_autograd_lite_loads_the_compiler_on_first_use():
    code = ("import sys, autograd_lite as al; print('autograd_lite.compiler' in sys.modules); "
            "al.compile; print('autograd_lite.compiler' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_dead_relu_blocks_an_infinite_gradient_as_eager_does(backend):
    # relu(w*x - 1) = 0 feeds sqrt, whose derivative at 0 is inf: the relu passes nothing back, not 0 * inf
    w = Value(0.5)
    fn = lambda x: (w * x - 1.0).relu().sqrt() + w * x  # noqa: E731
    fast = al.compile(fn, [w], backend=backend)
    value = fast.batch([1.0, 4.0, 0.5], reduce="sum")
    got = w.grad
    w.grad = 0.0
    ref = al.sum([fn(x) for x in [1.0, 4.0, 0.5]])
    ref.backward()
    assert close(value, ref.data) and close(got, w.grad) and math.isfinite(got)


SCALE = 3.0  # read by a compiled function below, as a global


def _times_scale(w):
    return lambda x: w * x * SCALE


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_number_fn_reads_from_a_python_variable_is_guarded(backend):
    # A trace bakes such numbers in as constants; when one changes, the next call must trace again, not
    # return the old value.  (Closure cells and module globals; objects are fixed at trace time, as in jit.)
    global SCALE
    w = Value(2.0)
    k = 3.0
    by_closure = al.compile(lambda x: w * x * k, [w], backend=backend)
    by_global = al.compile(_times_scale(w), [w], backend=backend)
    try:
        assert by_closure.batch([1.0, 2.0], reduce="sum") == 2.0 * 3.0 * 3.0
        assert by_global.batch([1.0, 2.0], reduce="sum") == 2.0 * 3.0 * 3.0
        w.grad = 0.0
        k, SCALE = 5.0, 7.0
        assert by_closure.batch([1.0, 2.0], reduce="sum") == 2.0 * 3.0 * 5.0
        assert w.grad == 3.0 * 5.0  # d/dw of w * (1 + 2) * k
        assert by_global.batch([1.0, 2.0], reduce="sum") == 2.0 * 3.0 * 7.0
        assert len(by_closure._traces) == 2 and by_closure.eager_reason is None
    finally:
        SCALE = 3.0
