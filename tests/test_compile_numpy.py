"""The numpy backend's vector form of a sum over many parameters (an L2 penalty's p * p), against eager mode.

compile(backend="numpy") runs ``al.sum(op(p, ...) for p in params)`` (or
Python's built-in ``sum``) as one array op and one left-to-right sum when every
term is the same exact op (add, sub, mul, neg) of parameters and numbers and
feeds only that sum.  Eager
mode is the oracle: same order of operations, so values and gradients are
equal to the bit; and where the form must not apply, the program runs as
before and still equals eager.
"""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Value

pytest.importorskip("numpy")

VECTOR = "_np.add.accumulate"  # the vector form's sum, in the generated source

# each term of the sum, from parameter i (ps wraps around; cs are per-term numbers)
TERMS = {
    "p * p": lambda ps, cs, i: ps[i] * ps[i],
    "p * q": lambda ps, cs, i: ps[i] * ps[(i + 1) % len(ps)],   # every parameter in two terms
    "c * p": lambda ps, cs, i: cs[i] * ps[i],
    "p * c": lambda ps, cs, i: ps[i] * cs[i],
    "p + q": lambda ps, cs, i: ps[i] + ps[(i + 1) % len(ps)],
    "p - c": lambda ps, cs, i: ps[i] - cs[i],
    "c - p": lambda ps, cs, i: cs[i] - ps[i],
    "p - q": lambda ps, cs, i: ps[i] - ps[(i + 1) % len(ps)],
    "-p": lambda ps, cs, i: -ps[i],
    "p * 2": lambda ps, cs, i: ps[i] * 2.0,
}


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def run(fn, data, backend="numpy"):
    """fn's value and its parameters' gradients: compiled (twice: the second call adds again) and eager."""
    ps = [Value(x) for x in data]
    fast = al.compile(lambda: fn(ps), ps, backend=backend)
    value = fast()
    grads = [p.grad for p in ps]
    again = fast()
    twice = [p.grad for p in ps]
    qs = [Value(x) for x in data]
    ref = fn(qs)
    ref.backward()
    return fast, (value, grads), (again, twice), (ref.data, [q.grad for q in qs])


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


SUMS = {"al.sum": al.sum, "built-in sum": sum}  # one n-ary node; a chain of adds, ((0 + t0) + t1) + ...


@settings(max_examples=200)
@given(st.sampled_from(sorted(TERMS)), st.sampled_from(sorted(SUMS)), st.integers(16, 80), st.data())
def test_a_sum_over_many_parameters_is_one_vector_op_and_equals_eager_to_the_bit(term, summer, n, data):
    values = data.draw(st.lists(finite, min_size=n, max_size=n), label="parameters")
    cs = data.draw(st.lists(finite, min_size=n, max_size=n), label="numbers")
    make = TERMS[term]
    total = SUMS[summer]
    fast, (value, grads), (again, twice), (ref, ref_grads) = run(
        lambda ps: 1e-4 * total(make(ps, cs, i) for i in range(len(ps))), values)
    assert VECTOR in fast.source
    # the engine's order of operations: the same bits
    assert value == ref and grads == ref_grads, (value, ref)
    assert again == value and twice == [2 * g for g in ref_grads]  # the second call accumulates


def test_every_term_of_a_models_l2_penalty_is_in_the_vector():
    model = al.nn.MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    penalty = al.compile(lambda: 1e-4 * al.sum(p * p for p in params), model, backend="numpy")
    value = penalty()
    got = [p.grad for p in params]
    model.zero_grad()
    ref = 1e-4 * al.sum(p * p for p in params)
    ref.backward()
    assert value == ref.data and got == [p.grad for p in params]
    # no line per parameter: the parameters are one slice of the vector, read once
    assert len(penalty.source.splitlines()) < 20
    assert f"_Parr[0:{len(params)}]" in penalty.source


def test_a_parameter_in_many_terms_gets_all_of_them():
    # every term reads s: its gradient adds 40 terms, in another order than eager's (to 1e-12)
    rng = random.Random(5)
    data = [rng.uniform(-2, 2) for _ in range(41)]
    fast, (value, grads), (again, twice), (ref, ref_grads) = run(
        lambda ps: al.sum(p * ps[-1] for p in ps[:-1]), data)
    assert VECTOR in fast.source
    assert value == ref
    assert all(close(a, b) for a, b in zip(grads, ref_grads)), (grads[-1], ref_grads[-1])
    assert all(close(a, 2 * b) for a, b in zip(twice, ref_grads))


def running_sum_read_midway(ps):
    """A built-in sum's chain whose 21st link is read again: the chain up to it is a vector, the rest not."""
    acc = 0
    mid = None
    for i, p in enumerate(ps):
        acc = acc + p * p
        if i == 20:
            mid = acc
    return acc + mid


def test_a_chain_of_adds_becomes_a_vector_up_to_where_it_stops_being_one():
    rng = random.Random(3)
    data = [rng.uniform(-2, 2) for _ in range(30)]
    cases = {
        "read midway": running_sum_read_midway,
        "then other terms": lambda ps: sum([p * p for p in ps] + [ps[0].tanh(), ps[1] * 3.0]),
    }
    for case, fn in cases.items():
        fast, (value, grads), _, (ref, ref_grads) = run(fn, data)
        assert VECTOR in fast.source, case
        assert fast.source.count(" + ") >= 1  # what follows the vector stays term by term
        assert value == ref and grads == ref_grads, case


# where the vector form must not apply: the program runs term by term and still equals eager
NOT_VECTOR = {
    "a term read twice": lambda ps: (lambda sq: al.sum(sq) + sq[0])([p * p for p in ps]),
    "a term twice in the sum": lambda ps: (lambda sq: al.sum(sq + [sq[3]]))([p * p for p in ps]),
    "too few terms": lambda ps: al.sum(p * p for p in ps[:15]),
    "an op numpy rounds otherwise": lambda ps: al.sum(p.tanh() for p in ps),
    "an op that can raise": lambda ps: al.sum(p / 2.0 for p in ps),
    "mixed ops": lambda ps: al.sum(p * p if i % 2 else -p for i, p in enumerate(ps)),
    "terms of terms": lambda ps: al.sum((p - 1.0) * (p - 1.0) for p in ps),
    "a number in the sum": lambda ps: al.sum([p * p for p in ps] + [Value(1.0) * 2.0]),
    "a chain not started from 0": lambda ps: sum((p * p for p in ps), start=1.0),
    "a chain of too few terms": lambda ps: sum(p * p for p in ps[:15]) * sum(p * p for p in ps[15:]),
    "a chain with another op first": lambda ps: sum([ps[0].tanh()] + [p * p for p in ps]),
}


@pytest.mark.parametrize("case", sorted(NOT_VECTOR))
def test_where_the_vector_form_does_not_apply_the_program_still_equals_eager(case):
    rng = random.Random(7)
    data = [rng.uniform(0.5, 2.0) for _ in range(30)]
    fast, (value, grads), _, (ref, ref_grads) = run(NOT_VECTOR[case], data)
    assert VECTOR not in fast.source
    # parameters only and no vector: the python kernel, which replays backward()'s order exactly
    assert value == ref and grads == ref_grads


@pytest.mark.parametrize("case", ["vector", "term read twice"])
def test_a_batched_step_with_an_l2_penalty_matches_the_eager_mean(case):
    from autograd_lite.data import make_moons

    X, y = make_moons(30, noise=0.1, seed=3, labels=(-1, 1))
    y = [float(t) for t in y]
    model = al.nn.MLP(2, [8, 8, 1], seed=1)
    params = model.parameters()

    def penalty():
        sq = [p * p for p in params]
        return 1e-4 * (al.sum(sq) if case == "vector" else al.sum(sq) + sq[0])

    fast = al.compile(lambda x, t: (1 + -t * model(x)).relu() + penalty(), model, backend="numpy")
    for _ in range(3):
        model.zero_grad()
        value = fast.batch(X, y)
        got = [p.grad for p in params]
        model.zero_grad()
        ref = al.sum([(1 + -t * model(x)).relu() + penalty() for x, t in zip(X, y)]) * (1.0 / len(X))
        ref.backward()
        assert close(value, ref.data)
        assert all(close(a, p.grad) for a, p in zip(got, params))
        for p in params:  # an update between calls: the vector reads the new values
            p.data -= 0.5 * p.grad
    assert (VECTOR in fast.source) == (case == "vector")
    assert "out=_GL" in fast.source  # each layer's first terms written in place
    assert fast.eager_reason is None and len(fast._traces) == 1


def test_no_grad_gives_the_value_of_the_vector_form_and_no_gradients():
    ps = [Value(0.1 * i) for i in range(20)]
    fast = al.compile(lambda: al.sum(p * p for p in ps), ps, backend="numpy")
    fast()
    for p in ps:
        p.grad = 0.0
    with al.no_grad():
        value = fast()
    assert value == al.sum(p * p for p in ps).data
    assert all(p.grad == 0.0 for p in ps)


def test_numpy_maximum_is_the_engines_relu_to_the_bit():
    # the backend's relu is np.maximum(x, 0.0): it must give 0.0 (not -0.0) for -0.0 and keep NaN, on short
    # arrays and long ones (numpy's vector loops), as `0.0 if x <= 0.0 else x` does
    import numpy as np

    special = [-0.0, 0.0, math.nan, -math.inf, math.inf, -1.5, 2.5, 5e-324, -5e-324]
    for size in (1, 3, 8, 17, 64, 1000):
        x = np.array((special * (size // len(special) + 1))[:size])
        got = np.maximum(x, 0.0)
        want = [0.0 if v <= 0.0 else v for v in x.tolist()]
        assert [(g.hex(), math.copysign(1.0, g)) for g in got.tolist()] == \
            [(w.hex(), math.copysign(1.0, w)) for w in want]
    assert al.Value(-0.0).relu().data.hex() == "0x0.0p+0"  # the engine's rule


def test_a_layer_applied_twice_adds_both_uses_into_its_gradients():
    # backward meets the second use first: the first use's terms must add to those, not overwrite them
    layer = al.nn.Layer(4, 4, seed=2)
    params = layer.parameters()

    def fn(x):
        return al.sum(layer(layer(x))) + 1e-3 * al.sum(p * p for p in params)

    rows = [[0.3 * i, -0.2 * i + 1.0, 0.5, 0.1 - 0.05 * i] for i in range(12)]
    fast = al.compile(fn, layer, backend="numpy")
    value = fast.batch(rows, reduce="sum")
    got = [p.grad for p in params]
    assert "out=" not in fast.source and "_GL[:, :4] += " in fast.source and VECTOR in fast.source
    layer.zero_grad()
    ref = al.sum([fn(x) for x in rows])
    ref.backward()
    assert close(value, ref.data)
    assert all(close(a, p.grad) for a, p in zip(got, params)), (got, [p.grad for p in params])
