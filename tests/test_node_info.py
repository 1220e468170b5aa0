"""node_info, the engine's one accessor for what a node records: every op of the op table, and a replay.

The replay recomputes each node's value from its reported operands with plain
float arithmetic, in the documented order, and must give ``node.data`` to the
bit: that is what a tracer (autograd_lite.compile) relies on.
"""

import math
from collections import Counter

import pytest

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.engine import NodeInfo, node_info
from autograd_lite.op_table import OPS

from cases import CASES


def _fold_dot(b, *pairs):
    acc = b
    for i in range(0, len(pairs), 2):
        acc += pairs[i] * pairs[i + 1]
    return acc


def _fold_sum(*items):
    acc = 0.0
    for x in items:
        acc += x
    return acc


# op -> the forward on plain floats, taking the operands in node_info's order.  The binary
# ops are Python's own float arithmetic; the elementwise ones are the engine's float
# kernels (al.exp(2.0) is a float), which this also checks against the Value ops.
REPLAY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "rdiv": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "rpow": lambda a, b: a ** b,
    "neg": lambda a: -a,
    "abs": abs,
    "exp": al.exp, "log": al.log, "sqrt": al.sqrt, "tanh": al.tanh, "sigmoid": al.sigmoid,
    "softplus": al.softplus, "sin": al.sin, "cos": al.cos, "relu": al.relu,
    "leaky_relu": lambda x, s: x if x > 0.0 else s * x,
    "sum": _fold_sum,
    "dot": _fold_dot,
    "id": lambda a: a,
    "mask": lambda a: 0.0,
}


def replay(root: Value) -> dict:
    """Every node's value recomputed from node_info alone, leaves first."""
    values: dict = {}
    stack = [root]
    order = []
    seen = set()
    while stack:  # iterative post-order
        node = stack.pop()
        if node in seen:
            order.append(node)
            continue
        seen.add(node)
        stack.append(node)
        stack.extend(p for p in node_info(node).parents if p not in seen)
    for node in order:
        if node in values:
            continue
        info = node_info(node)
        if not info.op:
            values[node] = node.data
            continue
        args = [values[o] if type(o) is Value else o for o in info.operands]
        values[node] = REPLAY[info.op](*args)
    return values


def assert_bits(a: float, b: float) -> None:
    assert math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b)), (a, b)


def check_node(node: Value) -> NodeInfo:
    info = node_info(node)
    assert info.op == node.op
    assert info.parents == node.parents  # backward's order, duplicates kept
    assert len(info.local_grads) == len(info.parents)
    assert all(type(d) is float for d in info.local_grads)
    # the Value operands are the parents, each as often (only the order may differ: dot's runs)
    assert Counter(id(o) for o in info.operands if type(o) is Value) == Counter(id(p) for p in info.parents)
    assert all(type(o) is Value or type(o) is float for o in info.operands)
    assert_bits(replay(node)[node], node.data)
    return info


@pytest.mark.parametrize("name,xs", CASES)
def test_every_op_table_row_reports_its_node_and_replays_to_the_bit(name, xs):
    row = OPS[name]
    vs = [Value(x) for x in xs]
    out = row.fn(*vs)
    info = check_node(out)
    assert info.op == row.op
    assert {id(p) for p in info.parents} <= {id(v) for v in vs}
    # the local derivatives are the ones backward uses: one step of the chain rule
    out.backward()
    expected = {}
    for p, d in zip(info.parents, info.local_grads):
        expected[p] = expected.get(p, 0.0) + d
    for v in vs:
        assert v.grad == expected.get(v, 0.0)


@pytest.mark.parametrize("name,xs", CASES)
def test_replay_of_the_row_nested_in_a_graph(name, xs):
    # the row's op on computed inputs, its result used again: every node replays
    row = OPS[name]
    leaves = [Value(x) for x in xs]
    ins = [v * 1.0 for v in leaves]
    out = row.fn(*ins)
    root = out * ins[0] + out
    values = replay(root)
    for node, v in values.items():
        assert_bits(v, node.data)


def test_the_contracts_examples():
    x, y = Value(2.0, label="x"), Value(-0.5, label="y")
    assert node_info(x) == NodeInfo("", (), (), ())
    assert node_info(x + 3) == ("add", (x,), (1.0,), (x, 3.0))
    assert node_info(3 - x) == ("rsub", (x,), (-1.0,), (3.0, x))
    assert node_info(x - 3) == ("sub", (x,), (1.0,), (x, 3.0))
    assert node_info(x - y) == ("sub", (x, y), (1.0, -1.0), (x, y))
    assert node_info(2 ** x).op == "rpow" and node_info(2 ** x).operands == (2.0, x)
    assert node_info(2 / x).operands == (2.0, x) and node_info(x ** 3).operands == (x, 3.0)
    assert node_info(x * x) == ("mul", (x, x), (2.0, 2.0), (x, x))


def test_leaky_relu_reports_its_slope_on_both_branches():
    for x in (2.0, -2.0, 0.0):
        v = Value(x)
        info = check_node(v.leaky_relu(0.2))
        assert info.operands == (v, 0.2)
        assert info.local_grads == ((1.0,) if x > 0 else (0.2,))
    v = Value(1.0)
    assert node_info(v.leaky_relu(1)).operands == (v, 1.0)  # an int slope, as the float used


def test_sum_reports_its_numbers_in_order():
    a, b = Value(0.1), Value(0.2)
    s = al.sum([a, 1, b, 0.3, a])
    info = check_node(s)
    assert info.operands == (a, 1.0, b, 0.3, a)
    assert info.parents == (a, b, a) and info.local_grads == (1.0, 1.0, 1.0)
    s2 = al.sum([a, b])
    assert node_info(s2).operands == (a, b)
    assert node_info(al.sum([])).operands == ()
    assert node_info(al.sum([1.5, a])).operands == (1.5, a)
    assert node_info(al.sum(iter([b, 2, a]))).operands == (b, 2.0, a)  # any iterable, consumed once


@pytest.mark.parametrize("bias", [0.0, 0.25, 1, "value"])
def test_dot_reports_bias_then_each_pair_in_order(bias):
    w0, w1, x0, x1 = Value(0.5), Value(-1.5), Value(2.0), Value(0.3)
    b = Value(0.75) if bias == "value" else bias
    fb = b if bias == "value" else float(bias)
    cases = [
        (([w0, w1], [x0, x1]), (fb, w0, x0, w1, x1)),            # Values only
        (([w0, w1], [2.0, -3.0]), (fb, w0, 2.0, w1, -3.0)),      # a first layer: Values times floats
        (([w0, 2.0], [x0, w1]), (fb, w0, x0, 2.0, w1)),          # mixed: a number on the left
        (([2.0, w0, 3], [w1, x1, 4.0]), (fb, 2.0, w1, w0, x1, 3.0, 4.0)),  # and a number times a number
        (([w0, w1], [1.0, 1.0]), (fb, w0, 1.0, w1, 1.0)),        # floats equal to a bias's local derivative
        (([], []), (fb,)),
    ]
    for (ws, xs), expected in cases:
        n = al.dot(ws, xs, b)
        info = check_node(n)
        assert info.operands == expected
        assert all(type(o) is float for o in info.operands if type(o) is not Value)


def test_custom_primitive_reports_its_arguments():
    scale = al.primitive(lambda x, c: x * c, lambda x, c: c, None, name="scale_by")
    x = Value(1.5)
    n = scale(x, 2)
    info = node_info(n)
    assert info == ("scale_by", (x,), (2.0,), (x, 2.0))
    assert scale.forward(*[o.data if type(o) is Value else o for o in info.operands]) == n.data


def test_functional_slot_and_no_grad():
    seen = []
    al.grad(lambda v: seen.append(node_info(v)) or v * 2)(3.0)
    assert seen[0].op == "" and seen[0].parents == ()  # a fresh leaf for float arguments
    outer = Value(3.0)
    al.grad(lambda v: seen.append(node_info(v)) or v * 2)(outer)
    assert seen[1].op == "id" and seen[1].parents == (outer,) and seen[1].operands == (outer,)
    with al.no_grad():
        y = outer * 2
    assert node_info(y) == NodeInfo("", (), (), ())


def test_a_recorded_node_that_kept_nothing_reports_its_parents_as_operands():
    x, y = Value(2.0), Value(3.0)
    out = al.engine.record(5.0, "my_add", (x, y), (1.0, 1.0))
    info = node_info(out)
    assert info.operands == (x, y) and info.parents == (x, y) and info.local_grads == (1.0, 1.0)
