"""One derivative rule per primitive: the forward's stored derivatives are the rule's, to the bit.

add, sub, mul, relu, sum and dot write their local derivatives inline (the hot
path); every other op calls its rule with floats.  Either way, what the forward
stores must be what the rule gives, called with floats (first order) and with
Values (what nested grad differentiates), at every op-table point and edge.
"""

import math

import pytest

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.engine import local_derivatives, node_info
from autograd_lite.op_table import OPS

from cases import CASES

POINTS = CASES + [(name, xs) for name, row in OPS.items() for xs in row.edges]


def bits(x: float) -> tuple:
    return ("nan",) if math.isnan(x) else (x, math.copysign(1.0, x))


@pytest.mark.parametrize("name,xs", POINTS)
def test_stored_local_derivatives_are_the_rules(name, xs):
    node = OPS[name].fn(*[Value(x) for x in xs])
    stored = node_info(node).local_grads
    assert [bits(d) for d in local_derivatives(node)] == [bits(d) for d in stored]
    as_values = local_derivatives(node, create_graph=True)
    assert [bits(d.data if isinstance(d, Value) else d) for d in as_values] == [bits(d) for d in stored]


@pytest.mark.parametrize("xs", [(0.5, -1.5, 2.0, 0.75), (0.0, 3.0, -0.0, 1.0)])
def test_inline_fast_paths_equal_their_rules(xs):
    # the six inline ops, each on every kind of operand pair
    a, b, c, d = (Value(x) for x in xs)
    nodes = [a + b, a + 2.0, 2.0 + a, a - b, a - 2.0, 2.0 - a, a * b, a * 2.0, 2.0 * a, a.relu(), (-a).relu(),
             al.sum([a, 1.0, b, a]), al.dot([a, b], [c, d], 0.5), al.dot([a, b], [1.5, -2.0], c),
             al.dot([a, 2.0, b], [c, d, 3.0], d)]
    for node in nodes:
        assert local_derivatives(node) == node_info(node).local_grads, node.op


def test_a_wrong_inline_derivative_would_be_caught():
    # the check above compares against the rule, not against the node itself
    x = Value(3.0)
    y = x * 2.0
    assert local_derivatives(y) == (2.0,)
    assert local_derivatives(x.tanh()) == (1.0 - math.tanh(3.0) ** 2,)
