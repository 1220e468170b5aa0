"""``format_graph``: the graph as text, one line per op (in the spirit of a jaxpr)."""

from __future__ import annotations

from typing import Any

from autograd_lite.engine import Value, node_info
from autograd_lite.viz.dot import format_number, number_operand, parameter_names, printable_label, topological_order

__all__ = ["format_graph"]


def format_graph(root: Value, *, grads: bool = True, params: Any = None) -> str:
    """The graph of ``root`` as text: inputs first, then one line per op, then the root.

    Names ``v0, v1, ...`` follow the topological order, the same ids ``to_dot``
    uses, so the text and the drawing can be read side by side.  Constant
    operands are written inline; an equation too long for one line (a neuron's
    ``dot`` over many inputs) continues on the next ones.  ``params``: a model
    with ``named_parameters()``, whose names then annotate its parameters.
    Deterministic: good for terminals, doctests and diffs.

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b + 1; c.backward()
    >>> print(format_graph(c))
    in  v0           data=2   grad=-3  # a
    in  v1           data=-3  grad=2   # b
    v2 = mul v0 v1   data=-6  grad=1
    v3 = add v2 1    data=-5  grad=1
    out v3
    """
    order = topological_order(root)
    ids = {node: i for i, node in enumerate(order)}
    names = parameter_names(params)
    rows: list[tuple[str, ...]] = []  # (equation, data, grad, comment); a wrapped equation's rest has only the first
    for i, node in enumerate(order):
        grad = f"grad={format_number(node.grad)}" if grads else ""
        name = printable_label(node.label or names.get(node, ""), newlines=False)  # one line per op
        note = f"# {name}" if name else ""
        if not node.op:
            rows.append((f"in  v{i}", f"data={format_number(node.data)}", grad, note))
            continue
        first, *rest = _wrap(equation(node, ids))
        rows.append((first, f"data={format_number(node.data)}", grad, note))
        rows.extend((line, "", "", "") for line in rest)
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    lines = [f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
             for r in rows]
    lines.append(f"out v{ids[root]}")
    return "\n".join(lines)


_WIDTH = 60  # an equation longer than this (a neuron's dot over many inputs) continues on the next lines


def _wrap(equation: str) -> list[str]:
    """``v9 = dot v0 v1 ...`` in lines of at most _WIDTH characters, operands aligned after the op."""
    if len(equation) <= _WIDTH:
        return [equation]
    head, op, *args = equation.split(" = ", 1)[0], *equation.split(" = ", 1)[1].split(" ")
    indent = " " * (len(head) + 3 + len(op) + 1)
    lines = [f"{head} = {op}"]
    for arg in args:
        if len(lines[-1]) + 1 + len(arg) > _WIDTH and lines[-1].strip() != op:
            lines.append(indent + arg)
        else:
            lines[-1] += " " + arg
    return lines


def equation(node: Value, ids: dict[Value, int]) -> str:
    """An op node as text, ``v3 = add v2 1``: its operands by id, a constant operand inline."""
    op = node.op
    if number_operand(node) is None:
        args = [f"v{ids[p]}" for p in node.parents]
    else:
        # in the order of the math: c - x is written "sub c x" (so are c / x and c ** x)
        args = [f"v{ids[o]}" if type(o) is Value else format_number(o) for o in node_info(node).operands]
        op = op[1:] if op in ("rsub", "rdiv", "rpow") else op
    return f"v{ids[node]} = {op} {' '.join(args)}"
