"""Many inputs, one node: ``sum`` and ``dot``.

A neuron's ``w·x + b`` built from ``*`` and ``+`` makes 2n nodes; ``dot``
makes one, with 2n + 1 parents, and ``sum`` one for any number of terms.
That is most of what makes a training step fast here.  Each records its node
with ``engine.record`` (parents and local derivatives as tuples, which is all
``backward()`` reads) and tells the engine, through ``engine.register_nary``,
how to read back the operands and each parent's derivative as Values (for
``node_info`` and higher orders) from what it kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autograd_lite._validate import to_float
from autograd_lite.engine import Value, record, register_nary

__all__ = ["sum", "dot"]


def sum(values: Iterable[Value | float]) -> Value:  # shadows the builtin on purpose: autograd_lite.sum, like torch.sum
    """The sum of many Values and numbers, as one node (not a chain of adds).

    >>> xs = [Value(1.0), Value(2.0), 3.0]
    >>> s = sum(xs); s.data, len(s.parents)
    (6.0, 2)
    """
    parents = []
    total = 0.0
    try:
        items = iter(values)
    except TypeError:  # Python's message would not say which call
        raise TypeError(f"sum() expects an iterable of Values and numbers, got {type(values).__name__}") from None
    for v in items:
        if type(v) is not Value:
            break
        parents.append(v)
        total += v.data
    else:  # Values only: the operands are the parents
        return record(total, "sum", tuple(parents), (1.0,) * len(parents))
    # A number among the items: keep every item, in order, for node_info.
    operands: list[Value | float] = list(parents)
    for item in (v, *items):
        if type(item) is Value:
            parents.append(item)
            operands.append(item)
            total += item.data
        else:
            c = to_float(item, "sum()")
            operands.append(c)
            total += c
    return record(total, "sum", tuple(parents), (1.0,) * len(parents), tuple(operands))


def _sum_operands(parents: tuple[Value, ...], local_grads: tuple[float, ...], kept: Any, more: Any) -> tuple[Any, ...]:
    return parents if kept is None else kept  # kept: every item, numbers included, when there were numbers


def _sum_partials(parents: tuple[Value, ...], local_grads: tuple[float, ...], kept: Any, more: Any) -> tuple[Any, ...]:
    return (1.0,) * len(parents)  # d(sum)/d(item) is 1 at every order


register_nary("sum", _sum_operands, _sum_partials)


def dot(ws: Sequence[Value | float], xs: Sequence[Value | float], bias: Value | float = 0.0) -> Value:
    """bias + sum(w * x for w, x in zip(ws, xs)), as one node: a neuron's w·x + b.

    Either side may mix Values and plain numbers.  The sum runs in that order
    (bias first), as micrograd's neuron computes it, so the bits match.

    >>> w = [Value(1.0), Value(2.0)]
    >>> n = dot(w, [3.0, 4.0], bias=0.5); n.data
    11.5
    >>> n.backward(); [wi.grad for wi in w]
    [3.0, 4.0]
    """
    try:
        unequal = len(ws) != len(xs)
    except TypeError:  # Python's message would not say which call, nor which argument
        raise TypeError(f"dot() expects two sequences ws and xs, got {type(ws).__name__} and "
                        f"{type(xs).__name__}") from None
    if unequal:
        raise ValueError(f"dot: expected sequences of equal length, got {len(ws)} and {len(xs)}")
    # Parents are recorded in runs: the w's of the pairs in which both factors are
    # Values, then those pairs' x's (each pair's two factors are each other's local
    # derivative), then the Values times a number (whose local derivative is that
    # number), then the bias.  The node keeps the number of pairs (with it
    # _dot_partials finds each parent's partner) and the bias (a Value or a float)
    # on the two fast paths, every operand in order on the mixed one: what
    # _dot_operands needs to give the operands in mathematical order.
    if type(bias) is Value:
        acc = bias.data
    else:
        bias = acc = to_float(bias, "dot() bias")
    # Two shapes cover a network's neurons, each with a tight loop of its own: a
    # hidden neuron's factors are all Values, a first layer's inputs plain floats.
    # Anything else takes the general loop in _dot_mixed.
    w_data: list[float] = []
    x_data: list[float] = []
    for w, x in zip(ws, xs):
        if type(w) is not Value or type(x) is not Value:
            break
        wd = w.data
        xd = x.data
        w_data.append(wd)
        x_data.append(xd)
        acc += wd * xd
    else:
        if type(bias) is Value:
            return record(acc, "dot", (*ws, *xs, bias), (*x_data, *w_data, 1.0), len(w_data), bias)
        return record(acc, "dot", (*ws, *xs), (*x_data, *w_data), len(w_data), bias)
    if w_data:
        return _dot_mixed(ws, xs, bias)
    for w, x in zip(ws, xs):  # Values times floats: each float is its Value's local derivative
        if type(w) is not Value or type(x) is not float:
            return _dot_mixed(ws, xs, bias)
        acc += w.data * x
    if type(bias) is Value:
        return record(acc, "dot", (*ws, bias), (*xs, 1.0), 0, bias)
    return record(acc, "dot", tuple(ws), tuple(xs), 0, bias)


def _dot_mixed(ws: Sequence[Value | float], xs: Sequence[Value | float], bias: Value | float) -> Value:
    """dot when some factors are numbers (a first layer's inputs, say); the same runs of parents."""
    acc = bias.data if isinstance(bias, Value) else bias  # dot() made a number bias a float
    operands: list[Value | float] = [bias]  # bias, w0, x0, w1, x1, ...: the order of the sum
    pair_w: list[Value] = []
    pair_x: list[Value] = []
    w_data: list[float] = []
    x_data: list[float] = []
    single: list[Value] = []  # a Value times a number
    single_data: list[float] = []  # that number
    for w, x in zip(ws, xs):
        if type(w) is Value:
            wd = w.data
            if type(x) is Value:
                xd = x.data
                pair_w.append(w)
                pair_x.append(x)
                w_data.append(wd)
                x_data.append(xd)
            else:  # plain floats are the common constant: skip the checks
                xd = x if type(x) is float else to_float(x, "dot()")
                single.append(w)
                single_data.append(xd)
        else:
            wd = w if type(w) is float else to_float(w, "dot()")
            if type(x) is Value:
                xd = x.data
                single.append(x)
                single_data.append(wd)
            else:
                xd = x if type(x) is float else to_float(x, "dot()")
        operands.append(w if type(w) is Value else wd)
        operands.append(x if type(x) is Value else xd)
        acc += wd * xd
    parents = pair_w + pair_x + single
    locals_ = x_data + w_data + single_data
    if type(bias) is Value:
        parents.append(bias)
        locals_.append(1.0)
    return record(acc, "dot", tuple(parents), tuple(locals_), len(pair_w), tuple(operands))


def _dot_operands(parents: tuple[Value, ...], local_grads: tuple[float, ...], k: int,
                  kept: Any) -> tuple[Value | float, ...]:
    """A dot node's operands (bias, w0, x0, w1, x1, ...), from how dot() recorded them."""
    if type(kept) is tuple:  # the mixed path kept every operand
        return kept
    xs: tuple[Value | float, ...]
    if k:  # every factor a Value: the w's, then the x's (then the bias)
        ws, xs = parents[:k], parents[k:2 * k]
    else:  # Values times floats: each float is its Value's local derivative
        n = len(parents) - (type(kept) is Value)
        ws, xs = parents[:n], local_grads[:n]
    out = [kept]
    for w, x in zip(ws, xs):
        out.append(w)
        out.append(x)
    return tuple(out)


def _dot_partials(parents: tuple[Value, ...], local_grads: tuple[float, ...], k: int, kept: Any) -> tuple[Any, ...]:
    """Each parent's derivative as its partner: the other Value of its pair, else its number (1.0 for a bias)."""
    return parents[k:2 * k] + parents[:k] + local_grads[2 * k:]


register_nary("dot", _dot_operands, _dot_partials)
