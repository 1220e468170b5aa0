"""The engine: ``Value``, its primitive ops, and reverse-mode ``backward``.

Each primitive computes its output and, in the same few lines, the local
derivative of the output toward each parent, as a float.  ``backward()``
orders the graph topologically and runs the chain rule in reverse with those
floats; it never mentions a specific op.

For higher-order gradients every primitive also registers, on the line after
it, its local derivative written in Value ops (``_DERIVATIVES``).  Only the
functional API uses those rules, and only when it differentiates a derivative
(``grad(grad(f))``), so the first-order path pays nothing for them.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import ContextDecorator
from types import FrameType
from typing import Any, NamedTuple, final

__all__ = [
    "Value", "no_grad", "detect_anomaly", "is_grad_enabled",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus",
    "sin", "cos", "sum", "dot",
    "NodeInfo", "node_info",
]

_new = object.__new__
_isfinite = math.isfinite
_inf = math.inf

# Modes are per thread, as PyTorch's grad mode is: one thread inside no_grad must
# not stop another from recording.  `_fast` is the one flag the hot path reads: a
# module global (a thread-local read would cost every op), True while no thread
# has grad mode off or anomaly mode on.  When it is False, _node reads the
# calling thread's own modes.


class _Modes(threading.local):
    grad_enabled = True  # class attributes: every thread starts with the defaults
    anomaly_sites: dict | None = None  # node -> where it was created, while detect_anomaly is on
    anomaly_pruned_at = 0  # len(anomaly_sites) after its last pruning (see _prune_sites)

    def __init__(self) -> None:
        # (context manager, what its __enter__ replaced): exits must mirror enters
        self.stack: list[tuple[object, object]] = []


_modes = _Modes()
_unusual_threads = 0  # threads whose modes are not the defaults
_modes_lock = threading.Lock()
_fast = True

# op name -> rule(node) giving the local derivatives toward node.parents as
# Values (or floats, where the derivative is a constant).  Used for higher order.
_DERIVATIVES: dict[str, Callable[[Value], tuple]] = {}


@final  # subclassing is refused at run time too (see __init_subclass__)
class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    ``data`` is the float value, ``grad`` the derivative of the last
    ``backward()`` root with respect to this value (0.0 until a backward reaches
    it), ``label`` a name for drawings, ``op`` the op that made it ("" for a
    leaf) and ``parents`` the Values it was computed from (duplicates kept:
    ``a * a`` has two).

    >>> a = Value(2.0, label="a")
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)
    """

    # Edges are stored inline, not in tuples: all ops but the n-ary ones have
    # one or two parents, and skipping the tuples is what keeps a node at
    # 120 bytes instead of ~200.
    #   _a, _da   first parent, and d(self)/d(_a) as a float      (None: a leaf)
    #   _b, _db   second parent and its local derivative (_b None: one parent;
    #             then _db keeps the op's number operand, if any: the exponent
    #             of x ** 3, the c of c - x ("rsub"), leaky_relu's slope)
    #   n-ary ops (sum, dot, custom): _a is the tuple of parents and _da the
    #             tuple of local derivatives; _b and _db hold what node_info
    #             and the higher-order rule need (see sum, dot, custom.primitive).
    # Only this module reads these slots; every other module calls node_info().
    __slots__ = ("data", "grad", "label", "op", "_a", "_da", "_b", "_db")
    # What each slot holds depends on the op (the legend above): typed Any for that reason.
    _a: Any
    _da: Any
    _b: Any
    _db: Any

    # numpy scalars on the left (np.float64(2) * v) defer to our reflected ops.
    __array_ufunc__ = None

    def __init_subclass__(cls, **kwargs):
        # The hot paths test `type(x) is Value`; a subclass would silently take the
        # slow, constant-operand path.  Compose (hold a Value) instead.
        raise TypeError("Value is not designed to be subclassed; wrap a Value in your own class instead")

    def __init__(self, data: float, label: str = "") -> None:
        self.data: float = data if type(data) is float else _to_float(data, "Value()")
        if type(label) is not str:
            raise TypeError(f"Value() label must be a str, got {type(label).__name__}")
        self.grad: float = 0.0
        self.label: str = label
        self.op: str = ""
        self._a = self._da = self._b = self._db = None

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in operand order (a tuple)."""
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return a
        return (a,) if self._b is None else (a, self._b)

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        extra += f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    # -- arithmetic: + - * / ** and unary -, abs -------------------------------
    # Plain numbers are accepted on either side; they become constants, not nodes.

    def __add__(self, other) -> Value:
        if type(other) is Value:
            return _node(self.data + other.data, "add", self, 1.0, other, 1.0)
        c = other if type(other) is float else _constant(other, "+")
        if c is None:
            return NotImplemented
        return _node(self.data + c, "add", self, 1.0, None, c)

    def __radd__(self, other) -> Value:  # other + self
        c = other if type(other) is float else _constant(other, "+")
        if c is None:
            return NotImplemented
        return _node(c + self.data, "add", self, 1.0, None, c)

    def __sub__(self, other) -> Value:
        # A fused primitive rather than self + (-other): one node instead of two,
        # and the same bits (a - b == a + (-b) exactly in IEEE arithmetic).
        if type(other) is Value:
            return _node(self.data - other.data, "sub", self, 1.0, other, -1.0)
        c = other if type(other) is float else _constant(other, "-")
        if c is None:
            return NotImplemented
        return _node(self.data - c, "sub", self, 1.0, None, c)

    def __rsub__(self, other) -> Value:  # other - self
        c = other if type(other) is float else _constant(other, "-")
        if c is None:
            return NotImplemented
        return _node(c - self.data, "rsub", self, -1.0, None, c)

    def __mul__(self, other) -> Value:
        if type(other) is Value:
            return _node(self.data * other.data, "mul", self, other.data, other, self.data)
        c = other if type(other) is float else _constant(other, "*")
        if c is None:
            return NotImplemented
        return _node(self.data * c, "mul", self, c, None, c)

    def __rmul__(self, other) -> Value:  # other * self
        c = other if type(other) is float else _constant(other, "*")
        if c is None:
            return NotImplemented
        return _node(c * self.data, "mul", self, c, None, c)

    _DERIVATIVES["add"] = _DERIVATIVES["sub"] = _DERIVATIVES["rsub"] = lambda n: _stored_locals(n)
    # d(a*b)/da = b and d(a*b)/db = a; times a constant c, it is c.
    _DERIVATIVES["mul"] = lambda n: (n._b, n._a) if n._b is not None else (n._db,)

    def __truediv__(self, other) -> Value:
        if type(other) is Value:
            a, b = self.data, other.data
            out = _div(a, b)
            # d(a/b)/da = 1/b; d(a/b)/db = -a/b**2, written -out/b (no b*b overflow)
            return _node(out, "div", self, 1.0 / b, other, -out / b)
        c = other if type(other) is float else _constant(other, "/")
        if c is None:
            return NotImplemented
        return _node(_div(self.data, c), "div", self, 1.0 / c, None, c)

    _DERIVATIVES["div"] = lambda n: (1.0 / n._b, -n / n._b) if n._b is not None else (n._da,)

    def __rtruediv__(self, other) -> Value:  # other / self
        c = other if type(other) is float else _constant(other, "/")
        if c is None:
            return NotImplemented
        b = self.data
        out = _div(c, b)
        return _node(out, "rdiv", self, -out / b, None, c)

    _DERIVATIVES["rdiv"] = lambda n: (-n / n._a,)  # d(c/b)/db = -c/b**2 = -out/b

    def __pow__(self, other, modulo=None) -> Value:
        if modulo is not None:
            raise TypeError("pow() with a modulus is not supported for Value")
        if type(other) is Value:
            x, y = self.data, other.data
            out = _pow(x, y)
            return _node(out, "pow", self, _dpow_base(x, y), other, _dpow_exponent(x, out))
        c = other if type(other) is float else _constant(other, "**")
        if c is None:
            return NotImplemented
        x = self.data
        return _node(_pow(x, c), "pow", self, _dpow_base(x, c), None, c)

    def _pow_rule(n: Value) -> tuple:
        # x ** y: d/dx = y * x**(y-1); d/dy = out * log(x) (a constant where x <= 0)
        if n._b is None:
            c = n._db
            return (0.0,) if c == 0.0 else (c * n._a ** (c - 1.0),)
        x, y = n._a, n._b
        dy = n * log(x) if x.data > 0.0 else _dpow_exponent(x.data, n.data)
        return (y * x ** (y - 1.0), dy)

    _DERIVATIVES["pow"] = _pow_rule

    def __rpow__(self, other) -> Value:  # other ** self
        c = other if type(other) is float else _constant(other, "**")
        if c is None:
            return NotImplemented
        out = _pow(c, self.data)
        return _node(out, "rpow", self, _dpow_exponent(c, out), None, c)

    _DERIVATIVES["rpow"] = lambda n: (n * _dpow_exponent(n._db, 1.0),)  # d(c**y)/dy = out * log(c)

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", self, -1.0)

    _DERIVATIVES["neg"] = lambda n: (-1.0,)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        x = self.data
        # abs'(0) = 0, as in PyTorch (the subgradient in the middle of [-1, 1])
        return _node(math.fabs(x), "abs", self, 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0))

    _DERIVATIVES["abs"] = lambda n: _stored_locals(n)  # piecewise constant

    # -- comparisons: by value, returning bool.  == and hash stay by identity, --
    # -- so Values can be kept in sets and dicts (as PyTorch tensors can).      --

    def __lt__(self, other) -> bool:
        o = _compare_operand(other)
        return NotImplemented if o is None else self.data < o

    def __le__(self, other) -> bool:
        o = _compare_operand(other)
        return NotImplemented if o is None else self.data <= o

    def __gt__(self, other) -> bool:
        o = _compare_operand(other)
        return NotImplemented if o is None else self.data > o

    def __ge__(self, other) -> bool:
        o = _compare_operand(other)
        return NotImplemented if o is None else self.data >= o

    __hash__ = object.__hash__

    # -- elementwise functions ---------------------------------------------------

    def exp(self) -> Value:
        """e ** x.  Raises OverflowError above x ~ 709.78."""
        out = _exp(self.data)
        return _node(out, "exp", self, out)

    _DERIVATIVES["exp"] = lambda n: (n,)

    def log(self) -> Value:
        """Natural logarithm; ValueError for x <= 0."""
        x = self.data
        return _node(_log(x), "log", self, 1.0 / x)

    _DERIVATIVES["log"] = lambda n: (1.0 / n._a,)

    def sqrt(self) -> Value:
        """Square root; ValueError for x < 0.  sqrt'(0) is inf, as in PyTorch."""
        out = _sqrt(self.data)
        return _node(out, "sqrt", self, 0.5 / out if out else _inf)

    _DERIVATIVES["sqrt"] = lambda n: (0.5 / n,)

    def tanh(self) -> Value:
        """Hyperbolic tangent (stable for any finite x)."""
        t = math.tanh(self.data)
        return _node(t, "tanh", self, 1.0 - t * t)

    _DERIVATIVES["tanh"] = lambda n: (1.0 - n * n,)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), computed without overflow at any x."""
        s = _sigmoid(self.data)
        return _node(s, "sigmoid", self, s * (1.0 - s))

    _DERIVATIVES["sigmoid"] = lambda n: (n * (1.0 - n),)

    def relu(self) -> Value:
        """max(x, 0), NaN for NaN.  relu'(0) = 0, as in PyTorch.

        Where x <= 0 the gradient stops here, whatever comes from above (an
        infinite derivative of sqrt at 0, say), as in PyTorch: the parent gets
        0, not 0 * inf = NaN.
        """
        x = self.data
        if x <= 0.0:
            # The edge is recorded with no local derivative (a one-parent n-ary
            # node): backward's loop adds nothing along it, at no cost to other
            # nodes, and traversals still see the parent.
            return _node(0.0, "relu", (self,), ())
        return _node(x, "relu", self, 1.0)  # NaN included: it propagates, as in PyTorch

    _DERIVATIVES["relu"] = lambda n: _stored_locals(n)  # piecewise constant

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x.  The derivative at 0 is slope, as in PyTorch."""
        x = self.data
        slope = slope if type(slope) is float else _to_float(slope, "leaky_relu slope")
        # the slope is kept (in _db) on both branches: node_info reports it
        if x > 0.0:
            return _node(x, "leaky_relu", self, 1.0, None, slope)
        return _node(slope * x, "leaky_relu", self, slope, None, slope)

    _DERIVATIVES["leaky_relu"] = lambda n: _stored_locals(n)  # piecewise constant

    def softplus(self) -> Value:
        """log(1 + e**x), computed without overflow at any x."""
        x = self.data
        return _node(_softplus(x), "softplus", self, _sigmoid(x))

    _DERIVATIVES["softplus"] = lambda n: (n._a.sigmoid(),)

    def sin(self) -> Value:
        """Sine (x in radians)."""
        x = self.data
        return _node(_trig(math.sin, "sin", x), "sin", self, math.cos(x))

    _DERIVATIVES["sin"] = lambda n: (n._a.cos(),)

    def cos(self) -> Value:
        """Cosine (x in radians)."""
        x = self.data
        return _node(_trig(math.cos, "cos", x), "cos", self, -math.sin(x))

    _DERIVATIVES["cos"] = lambda n: (-n._a.sin(),)

    # -- the backward pass -------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) * grad to ``node.grad`` for every node self depends on.

        Like PyTorch, gradients accumulate: a second call adds the same amount
        again, so call ``zero_grad()`` (or ``optimizer.zero_grad()``) between
        steps.  Iterative, so any depth works; the order is fixed by the graph,
        so results are identical in every run and process.

        >>> x = Value(3.0); y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad   # accumulated
        12.0
        """
        seed = grad if type(grad) is float else _to_float(grad, "backward(grad=...)")
        order = _reverse_topological(self)
        if _modes.anomaly_sites is not None:
            if not _isfinite(seed):
                raise FloatingPointError(f"detect_anomaly: backward() was given grad={seed!r} "
                                         f"(at {_creation_site()})")
            for node, g in _vjp(order, seed, _stored_locals).items():
                node.grad += g  # one node at a time: an interrupt leaves each old or complete
            return
        # Gradients accumulate across calls, but this call must propagate only its
        # own contribution: set earlier grads aside and add them back at the end.
        # An exception (Ctrl-C, say) may arrive anywhere; `phase` says how to
        # leave every .grad either as it was or as this call completes it.
        saved = []
        phase = 0  # setting aside
        try:
            for node in order:
                if node.grad:
                    saved.append((node, node.grad))
                    node.grad = 0.0
            phase = 1  # propagating
            self.grad = seed
            for node in order:
                a = node._a
                if a is None:
                    continue
                g = node.grad
                if type(a) is tuple:  # n-ary: parents and local derivatives side by side
                    for p, d in zip(a, node._da):
                        p.grad += g * d
                    continue
                a.grad += g * node._da
                b = node._b
                if b is not None:
                    b.grad += g * node._db
            # Final values first, then plain stores: storing twice is harmless.
            totals = [(node, node.grad + g) for node, g in saved]
            phase = 2  # storing
            for node, total in totals:
                node.grad = total
        except BaseException:
            _finish_interrupted_backward(phase, order, saved, totals if phase == 2 else [])
            raise

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and every Value it depends on."""
        for node in _reverse_topological(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients stop here."""
        return Value(self.data, self.label)

    # -- PyTorch's scalar idioms -------------------------------------------------

    def item(self) -> float:
        """The value as a plain float, as ``tensor.item()`` (the same as ``data``)."""
        return self.data

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats ``data``; an empty spec gives the repr, as ``str(v)``."""
        return format(self.data, spec) if spec else repr(self)

    def __float__(self) -> float:
        # float(v) and math.exp(v) would hand back a plain number and silently drop the
        # gradient, so they stay errors; this one says why and what to write instead.
        raise TypeError(
            "a Value cannot become a plain float here: float() and the math module would drop its "
            "gradient without a word. Use the Value's own op (v.exp(), v.tanh(), or autograd_lite.exp(v)) "
            "to stay in the graph, and v.item() or v.data when you want the number itself")

    # -- micrograd's names: code written for micrograd and its lecture runs as is --

    @property
    def _prev(self) -> set[Value]:
        """micrograd's parents: a set (``a * a`` has one; ``parents`` keeps both, in order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op as micrograd draws it: "+", "*", "**2", "ReLU", "tanh"...; "" for a leaf."""
        op = self.op
        if op == "pow" and self._b is None:  # a number exponent is part of the symbol
            c = self._db
            return f"**{int(c) if c.is_integer() else c}"
        return _MICROGRAD_OPS.get(op, op)

    def _backward(self) -> None:
        """One node's step of the chain rule: add ``grad * local derivative`` to each parent's ``grad``.

        micrograd's lecture runs these by hand, root first; in reverse topological
        order they add exactly what ``backward()`` adds.  A leaf does nothing.
        """
        if _blocks(self):  # a dead relu passes nothing on, as in backward()
            return
        g = self.grad
        for p, d in zip(self.parents, _stored_locals(self)):
            p.grad += g * d

    # -- copy, deepcopy and pickle at any depth -----------------------------------
    # By default pickle and deepcopy recurse into a node's parents, so a chain a
    # few hundred ops deep overflows the stack.  Instead, a node hands over, ahead
    # of itself, every node it depends on, parents first: each of those finds its
    # own parents already copied and needs no recursion.

    def __reduce_ex__(self, protocol):
        state = tuple(getattr(self, name) for name in _SLOTS)
        pending = _copying.pending
        if id(self) in pending:  # in an ancestor list being copied: parents come earlier in it
            pending.discard(id(self))
            return (_new_value, (), state)
        ancestors = _reverse_topological(self)
        ancestors.reverse()
        ancestors.pop()  # self
        # ids, not nodes: an abandoned copy must not keep a graph alive, and a
        # stale id can at worst make a node take the recursive path.
        _copying.pending = {id(node) for node in ancestors}
        return (_new_value, (ancestors,), state)

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(_SLOTS, state, strict=True):
            setattr(self, name, value)

    def __copy__(self) -> Value:
        """A node with the same data, grad, label and parents (the parents are shared)."""
        out = _new(Value)
        out.__setstate__(tuple(getattr(self, name) for name in _SLOTS))
        return out



# micrograd's symbols for the ops it has; the rest keep their names (div and sub are
# single nodes here, where micrograd builds them from * and **-1, or + and neg).
_MICROGRAD_OPS = {"add": "+", "sub": "-", "rsub": "-", "mul": "*", "div": "/", "rdiv": "/", "pow": "**", "rpow": "**",
                  "neg": "-", "relu": "ReLU"}


def _finish_interrupted_backward(phase: int, order: list[Value], saved: list, totals: list) -> None:
    """After an exception inside backward(), leave each .grad as it was or as completed.

    Before the stores (phase 0 and 1) the call is undone: every node in the
    graph goes back to its earlier grad (0.0 unless set aside).  During the
    stores (phase 2) it is completed: the stores are repeated.
    """
    if phase == 1:
        for node in order:
            node.grad = 0.0
    if phase < 2:
        for node, g in saved:
            node.grad = g
    else:
        for node, total in totals:
            node.grad = total


_SLOTS = Value.__slots__


class _Copying(threading.local):
    def __init__(self) -> None:
        self.pending: set[int] = set()  # ids of the nodes a copy in progress hands over ahead of a node


_copying = _Copying()


def _new_value(ancestors: list | None = None) -> Value:
    """pickle's and deepcopy's constructor (the ancestors are already rebuilt by then)."""
    return _new(Value)


# -- n-ary primitives: one node however many inputs -------------------------------

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
        return _node(total, "sum", tuple(parents), (1.0,) * len(parents))
    # A number among the items: keep every item, in order, in _b for node_info.
    operands: list = list(parents)
    for item in (v, *items):
        if type(item) is Value:
            parents.append(item)
            operands.append(item)
            total += item.data
        else:
            c = _to_float(item, "sum()")
            operands.append(c)
            total += c
    return _node(total, "sum", tuple(parents), (1.0,) * len(parents), tuple(operands))


_DERIVATIVES["sum"] = lambda n: _stored_locals(n)


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
    # number), then the bias.  _b keeps the number of pairs: with it the
    # higher-order rule finds each parent's partner.  _db keeps the bias (a Value
    # or a float) on the two fast paths, and every operand, in order, on the mixed
    # one: what node_info needs to give the operands in mathematical order.
    if type(bias) is Value:
        acc = bias.data
    else:
        bias = acc = _to_float(bias, "dot() bias")
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
            return _node(acc, "dot", (*ws, *xs, bias), (*x_data, *w_data, 1.0), len(w_data), bias)
        return _node(acc, "dot", (*ws, *xs), (*x_data, *w_data), len(w_data), bias)
    if w_data:
        return _dot_mixed(ws, xs, bias)
    for w, x in zip(ws, xs):  # Values times floats: each float is its Value's local derivative
        if type(w) is not Value or type(x) is not float:
            return _dot_mixed(ws, xs, bias)
        acc += w.data * x
    if type(bias) is Value:
        return _node(acc, "dot", (*ws, bias), (*xs, 1.0), 0, bias)
    return _node(acc, "dot", tuple(ws), tuple(xs), 0, bias)


def _dot_mixed(ws: Sequence[Value | float], xs: Sequence[Value | float], bias: Value | float) -> Value:
    """dot when some factors are numbers (a first layer's inputs, say); the same runs of parents."""
    acc = bias.data if type(bias) is Value else bias  # dot() made a number bias a float
    operands: list = [bias]  # bias, w0, x0, w1, x1, ...: the order of the sum
    pair_w: list = []
    pair_x: list = []
    w_data: list = []
    x_data: list = []
    single: list = []  # a Value times a number
    single_data: list = []  # that number
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
                xd = x if type(x) is float else _to_float(x, "dot()")
                single.append(w)
                single_data.append(xd)
        else:
            wd = w if type(w) is float else _to_float(w, "dot()")
            if type(x) is Value:
                xd = x.data
                single.append(x)
                single_data.append(wd)
            else:
                xd = x if type(x) is float else _to_float(x, "dot()")
        operands.append(w if type(w) is Value else wd)
        operands.append(x if type(x) is Value else xd)
        acc += wd * xd
    parents = pair_w + pair_x + single
    locals_ = x_data + w_data + single_data
    if type(bias) is Value:
        parents.append(bias)
        locals_.append(1.0)
    return _node(acc, "dot", tuple(parents), tuple(locals_), len(pair_w), tuple(operands))


def _dot_partners(node: Value) -> tuple:
    """Each parent's partner in a dot node: the other Value of its pair, else its number."""
    k = node._b
    parents = node._a
    return parents[k:2 * k] + parents[:k] + node._da[2 * k:]


_DERIVATIVES["dot"] = _dot_partners  # d(w·x)/dw_i = x_i and d/dx_i = w_i


def _identity(x: Value) -> Value:
    """A new node equal to x with x as its parent: the functional API's argument slot."""
    return _node(x.data, "id", x, 1.0)


_DERIVATIVES["id"] = lambda n: (1.0,)


# -- module-level functions: work on Values and on plain numbers -------------------

def _elementwise(name: str, kernel: Callable[[float], float]) -> Callable:
    method = getattr(Value, name)

    def function(x):
        if type(x) is Value:
            return method(x)
        return kernel(_to_float(x, f"{name}()"))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"{name}(x): ``x.{name}()`` for a Value (recorded in the graph); "
                        f"a float for a plain number.\n\n{method.__doc__}")
    return function


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # NaN stays NaN


def _tanh(x: float) -> float:
    return math.tanh(x)


exp = _elementwise("exp", lambda x: _exp(x))
log = _elementwise("log", lambda x: _log(x))
sqrt = _elementwise("sqrt", lambda x: _sqrt(x))
tanh = _elementwise("tanh", _tanh)
sigmoid = _elementwise("sigmoid", lambda x: _sigmoid(x))
relu = _elementwise("relu", _relu)
softplus = _elementwise("softplus", lambda x: _softplus(x))
sin = _elementwise("sin", lambda x: _trig(math.sin, "sin", x))
cos = _elementwise("cos", lambda x: _trig(math.cos, "cos", x))


def abs(x):  # shadows the builtin on purpose: autograd_lite.abs, like torch.abs (the engine uses math.fabs)
    """abs(x): ``abs(v)`` for a Value (recorded in the graph; abs'(0) = 0); a float for a plain number."""
    if type(x) is Value:
        return x.__abs__()
    return math.fabs(_to_float(x, "abs()"))


def leaky_relu(x, slope: float = 0.01):
    """leaky_relu(x, slope): ``x.leaky_relu(slope)`` for a Value; a float for a number."""
    if type(x) is Value:
        return x.leaky_relu(slope)
    x = _to_float(x, "leaky_relu()")
    return x if x > 0.0 else _to_float(slope, "leaky_relu slope") * x


# -- modes: no_grad and detect_anomaly ----------------------------------------------

def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return _modes.grad_enabled


def _set_modes(grad_enabled: bool, anomaly_sites: dict | None) -> None:
    """Set this thread's modes, and keep `_fast` true only while every thread has the defaults."""
    global _unusual_threads, _fast
    m = _modes
    was_unusual = not m.grad_enabled or m.anomaly_sites is not None
    is_unusual = not grad_enabled or anomaly_sites is not None
    with _modes_lock:
        m.grad_enabled = grad_enabled
        m.anomaly_sites = anomaly_sites
        _unusual_threads += is_unusual - was_unusual
        _fast = _unusual_threads == 0


def _push_mode(cm: object, saved: object) -> None:
    _modes.stack.append((cm, saved))


def _pop_mode(cm: object) -> object:
    """What cm's __enter__ saved; RuntimeError if cm is not the innermost mode entered in this thread."""
    stack = _modes.stack
    if not stack or stack[-1][0] is not cm:
        name = type(cm).__name__
        raise RuntimeError(f"{name}.__exit__() without a matching {name}.__enter__() in this thread: "
                           f"use `with {name}():`, and exit modes in the reverse order of entering them")
    return stack.pop()[1]


class no_grad(ContextDecorator):
    """Context manager and decorator: ops inside record no parents.

    Results are leaves, so nothing is kept for backward; use it for
    evaluation and for parameter updates.  The switch is per thread, as in
    PyTorch: other threads keep recording.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """

    def __new__(cls, func: Callable | None = None):
        self = super().__new__(cls)
        return self(func) if func is not None else self  # bare @no_grad works too

    def __init__(self, func: Callable | None = None) -> None:
        pass

    def _recreate_cm(self) -> no_grad:
        # A decorated function may run in several threads at once: a fresh
        # context manager per call keeps their enters and exits apart.
        return type(self)()

    def __enter__(self) -> no_grad:
        _push_mode(self, _modes.grad_enabled)
        _set_modes(False, _modes.anomaly_sites)
        return self

    def __exit__(self, *exc) -> None:
        _set_modes(bool(_pop_mode(self)), _modes.anomaly_sites)


class detect_anomaly(ContextDecorator):
    """Context manager and decorator: stop at the first NaN or inf.

    Inside it, the first op whose forward value, or whose backward gradient
    contribution, is NaN or inf raises FloatingPointError naming the op and
    the file and line where that node was created; so does ``backward(grad=)``
    with a NaN or inf seed.  It records a creation site per live node (the
    record goes when the node does), so it is slower: use it to debug.  Like
    ``no_grad`` it applies to the thread that enters it.

    >>> with detect_anomaly():
    ...     Value(1e308) * 10
    Traceback (most recent call last):
    FloatingPointError: detect_anomaly: mul produced inf in its forward pass ...
    """

    def _recreate_cm(self) -> detect_anomaly:
        return type(self)()  # one per call, as no_grad

    def __enter__(self) -> detect_anomaly:
        sites = _modes.anomaly_sites
        _push_mode(self, sites)
        if sites is None:
            _modes.anomaly_pruned_at = 0
            _set_modes(_modes.grad_enabled, {})
        return self

    def __exit__(self, *exc) -> None:
        saved = _pop_mode(self)
        _set_modes(_modes.grad_enabled, saved if type(saved) is dict else None)


def _prune_sites(sites: dict) -> None:
    """Drop the creation sites of nodes that nothing but `sites` holds, so that they are freed.

    A node has no room for its own site, so detect_anomaly keeps them in a
    dict; without pruning, that dict would keep every node made inside the
    block alive.  Popping newest first frees a node before its parents, so a
    whole dead graph goes in one pass; called when the dict has doubled since
    the last pass, the cost per node is constant.
    """
    kept = []
    getrefcount = sys.getrefcount
    while sites:
        node, site = sites.popitem()
        # references: `node` here and getrefcount's argument; more means someone else holds it
        if getrefcount(node) > 2:
            kept.append((node, site))
        del node
    for node, site in reversed(kept):
        sites[node] = site
    _modes.anomaly_pruned_at = len(sites)


def _creation_site() -> str:
    """file:line of the innermost caller outside this package."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _anomaly_in_backward(node: Value, parent_index: int, value: float) -> FloatingPointError:
    sites = _modes.anomaly_sites
    site = sites.get(node, "outside detect_anomaly()") if sites is not None else "?"
    return FloatingPointError(
        f"detect_anomaly: the backward of {node.op} returned {value} for its parent #{parent_index} "
        f"(node {node!r}, created at {site})"
    )


# -- graph construction and traversal ----------------------------------------------

def _node(data: float, op: str, a, da, b=None, db=None) -> Value:
    """Make an op's output node.  Ops call this, not Value(), to skip input checks."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _fast:
        out.op = op
        out._a = a
        out._da = da
        out._b = b
        out._db = db
        return out
    modes = _modes  # this thread's: another thread's no_grad or anomaly mode is what made _fast False
    if not modes.grad_enabled:  # a leaf: record nothing
        out.op = ""
        out._a = out._da = out._b = out._db = None
        return out
    out.op = op
    out._a, out._da, out._b, out._db = a, da, b, db
    sites = modes.anomaly_sites
    if sites is None:
        return out
    site = _creation_site()
    sites[out] = site
    if len(sites) >= 2 * modes.anomaly_pruned_at + 1024:
        _prune_sites(sites)
    if not _isfinite(data):
        raise FloatingPointError(f"detect_anomaly: {op} produced {data} in its forward pass "
                                 f"(inputs {[p.data for p in out.parents]}, at {site})")
    return out


def _reverse_topological(root: Value) -> list[Value]:
    """Every node root depends on, each before its parents (root first).

    An iterative depth-first search that emits a node once all its parents are
    emitted (post-order), then reverses.  Deterministic: it follows operand
    order.  (Measured 2x faster than Kahn's child counting, which needs a dict
    of counts; the set here is the only bookkeeping.)
    """
    order = []
    seen = set()
    stack: list[Any] = [root]  # Values and the _EMIT marker
    while stack:
        node = stack.pop()
        if node is _EMIT:  # the node below the marker has all its parents emitted
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append(node)
        stack.append(_EMIT)
        a = node._a
        if a is None:
            continue
        if type(a) is tuple:
            for p in a:
                if p not in seen:
                    stack.append(p)
        else:
            if a not in seen:
                stack.append(a)
            b = node._b
            if b is not None and b not in seen:
                stack.append(b)
    order.reverse()
    return order


_EMIT = object()  # stack marker for _reverse_topological


def _blocks(node: Value) -> bool:
    """True for a kink whose zero derivative stops every gradient (relu at x <= 0; see relu)."""
    return type(node._a) is tuple and not node._da and bool(node._a)


def _stored_locals(node: Value) -> tuple:
    """The float local derivatives recorded by the forward pass, aligned with parents."""
    da = node._da
    if type(da) is tuple:
        return da if da or not node._a else (0.0,) * len(node._a)
    return (da,) if node._b is None or type(node._a) is tuple else (da, node._db)


class NodeInfo(NamedTuple):
    """What one node of the graph records, as ``node_info`` reports it.

    ``op`` is the op's name ("" for a leaf, or a custom primitive's name);
    ``parents`` the Value operands in the order backward uses (duplicates kept);
    ``local_grads`` d(node)/d(parent) as floats, aligned with ``parents``;
    ``operands`` every operand of the forward in mathematical order, numbers
    included: evaluating them in that order gives ``node.data`` to the bit.
    """

    op: str
    parents: tuple[Value, ...]
    local_grads: tuple[float, ...]
    operands: tuple[Value | float, ...]


# ops whose number operand comes first: c - x, c / x, c ** x
_NUMBER_FIRST = frozenset({"rsub", "rdiv", "rpow"})


def node_info(v: Value) -> NodeInfo:
    """What ``v`` was computed from: its op, parents, local derivatives and operands.

    The one way other modules (checks, drawings, the compiler) read a node;
    how a node stores these is this module's business.  Operands, by op:
    ``x + 3`` gives ``(x, 3.0)``; ``3 - x`` is op "rsub" with ``(3.0, x)`` (as
    are "rdiv" and "rpow"); ``x.leaky_relu(s)`` gives ``(x, s)``; ``sum(items)``
    the items in order (``0.0 + i0 + i1 + ...``); ``dot(ws, xs, b)`` gives
    ``(b, w0, x0, w1, x1, ...)``, summed left to right; a custom primitive its
    arguments.

    >>> x = Value(2.0, label="x")
    >>> info = node_info(3 - x)
    >>> info.op, info.parents, info.local_grads, info.operands
    ('rsub', (Value(data=2.0, grad=0.0, label='x'),), (-1.0,), (3.0, Value(data=2.0, grad=0.0, label='x')))
    >>> node_info(x)
    NodeInfo(op='', parents=(), local_grads=(), operands=())
    """
    a = v._a
    op = v.op
    if a is None:
        return NodeInfo(op, (), (), ())
    if type(a) is tuple:  # n-ary
        if _blocks(v):  # relu at x <= 0 (see relu): derivative 0, operand x
            return NodeInfo(op, a, (0.0,), a)
        if op == "sum":
            operands = a if v._b is None else v._b
        elif op == "dot":
            operands = _dot_operands(v)
        else:  # a custom primitive: its arguments (see custom.primitive)
            operands = v._b
        return NodeInfo(op, a, v._da, operands)
    b = v._b
    if b is not None:
        return NodeInfo(op, (a, b), (v._da, v._db), (a, b))
    c = v._db
    if c is None:
        return NodeInfo(op, (a,), (v._da,), (a,))
    return NodeInfo(op, (a,), (v._da,), (c, a) if op in _NUMBER_FIRST else (a, c))


def _dot_operands(node: Value) -> tuple:
    """A dot node's operands (bias, w0, x0, w1, x1, ...), from how dot() recorded them."""
    kept = node._db
    if type(kept) is tuple:  # the mixed path kept every operand
        return kept
    parents = node._a
    k = node._b
    if k:  # every factor a Value: the w's, then the x's (then the bias)
        ws, xs = parents[:k], parents[k:2 * k]
    else:  # Values times floats: each float is its Value's local derivative
        n = len(parents) - (type(kept) is Value)
        ws, xs = parents[:n], node._da[:n]
    out = [kept]
    for w, x in zip(ws, xs):
        out.append(w)
        out.append(x)
    return tuple(out)


def _value_locals(node: Value) -> tuple:
    """The local derivatives as Values, so that the gradient is itself differentiable."""
    return _DERIVATIVES[node.op](node)


def _vjp(order: list[Value], seed, locals_of: Callable[[Value], tuple]) -> dict:
    """Gradients of order[0] toward every node of ``order``, in a dict (no .grad is touched).

    With float locals and a float seed this is plain backpropagation; with
    ``_value_locals`` every step is a Value op, so the result can be
    differentiated again.  Under detect_anomaly, a non-finite contribution
    from a finite gradient raises, naming the op.
    """
    grads = {order[0]: seed}
    check = _modes.anomaly_sites is not None
    for node in order:
        g = grads.get(node)
        if g is None or node._a is None or _blocks(node):
            continue
        for i, (p, d) in enumerate(zip(node.parents, locals_of(node))):
            c = g * d
            if check and not _isfinite(_data(c)) and _isfinite(_data(g)):
                raise _anomaly_in_backward(node, i, _data(c))
            grads[p] = grads[p] + c if p in grads else c
    return grads


def gradients(root: Value, seed: float | Value = 1.0, *, create_graph: bool = False,
              stop_at: Iterable[Value] = ()) -> dict[Value, float | Value]:
    """d(root)/d(node) * seed for every node root depends on, in a dict; no ``.grad`` is touched.

    With ``create_graph=True`` (and a Value seed) every step of the chain rule is
    a Value op, so the gradients can be differentiated again (nested ``grad``).
    The nodes in ``stop_at`` count as leaves: the walk does not go past them.
    Nodes the root does not depend on are absent.

    >>> x = Value(3.0); y = x * x
    >>> gradients(y)[x]
    6.0
    """
    # Cut the stop nodes' edges for the duration, so neither the walk nor the
    # chain rule leaves the part of the graph above them.
    cut = [(v, v._a) for v in stop_at]
    for v, _ in cut:
        v._a = None
    try:
        order = _reverse_topological(root)
        return _vjp(order, seed, _value_locals if create_graph else _stored_locals)
    finally:
        for v, a in cut:
            v._a = a


def _data(x) -> float:
    return x.data if type(x) is Value else x


# -- float kernels: forward values with the error messages of Python's math ---------

def _to_float(x, what: str) -> float:
    """x as a float, or TypeError naming its type (strings, complex and Values are refused)."""
    t = type(x)
    if t is float:
        return x
    if t is int or t is bool:
        return float(x)
    if isinstance(x, (str, bytes, bytearray, complex, Value)) or x is None:
        hint = "; use v.data, or v.detach() for a new leaf" if isinstance(x, Value) else ""
        raise TypeError(f"{what} expects a real number (int, float, bool or a numeric scalar), "
                        f"got {type(x).__name__}{hint}")
    if not (hasattr(x, "__float__") or hasattr(x, "__index__")) or _is_complex_scalar(x):
        raise TypeError(f"{what} expects a real number (int, float, bool or a numeric scalar), "
                        f"got {type(x).__name__}")
    return float(x)


def _is_complex_scalar(x) -> bool:
    # numpy's complex scalars define __float__ (dropping the imaginary part)
    import numbers
    return isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real)


def _constant(x, symbol: str) -> float | None:
    """A number operand as a float; None (the op returns NotImplemented) for unknown types."""
    t = type(x)
    if t is float:
        return x
    if t is int or t is bool:
        return float(x)
    if x is None or isinstance(x, _NOT_NUMBERS):
        # Python's own message for `v * "x"` would blame the sequence, not the operand.
        raise TypeError(f"unsupported operand for {symbol}: Value and {t.__name__} "
                        f"(expected a Value or a real number)")
    try:
        return _to_float(x, "")
    except TypeError:
        return None  # maybe the other type knows how to combine with a Value


_NOT_NUMBERS = (str, bytes, bytearray, complex, list, tuple, dict, set)


def _compare_operand(x) -> float | None:
    return x.data if type(x) is Value else _constant(x, "comparison")


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero ({a!r} / {b!r})")
    return a / b


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to a negative power ({y!r})")
    if x < 0.0 and _isfinite(y) and y != math.floor(y):  # inf and NaN exponents: as Python's float pow
        raise ValueError(f"pow: a negative base to a fractional power is complex ({x!r} ** {y!r})")
    try:
        return x ** y
    except OverflowError:
        raise OverflowError(f"pow: result too large for a float ({x!r} ** {y!r})") from None


def _dpow_base(x: float, y: float) -> float:
    """d(x**y)/dx = y * x**(y-1), with its limits at x = 0 (as PyTorch)."""
    if y == 0.0:
        return 0.0
    if x == 0.0 and y < 1.0:
        return _inf  # x**(y-1) blows up at 0 for 0 < y < 1
    try:
        return y * x ** (y - 1.0)
    except OverflowError:
        return math.copysign(_inf, y)


def _dpow_exponent(x: float, out: float) -> float:
    """d(x**y)/dy = out * log(x): 0 at x = 0 (as PyTorch), undefined (NaN) for x < 0."""
    if x > 0.0:
        return out * math.log(x)
    return 0.0 if x == 0.0 else math.nan


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: result too large for a float (x={x!r})") from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log: math domain error, expected x > 0, got x={x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError(f"sqrt: math domain error, expected x >= 0, got x={x!r}")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Only ever exponentiate a non-positive number, so nothing overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + e**x) = max(x, 0) + log1p(e**-|x|)
    return max(x, 0.0) + math.log1p(math.exp(-math.fabs(x)))


def _trig(f: Callable[[float], float], name: str, x: float) -> float:
    try:
        return f(x)
    except ValueError:
        raise ValueError(f"{name}: math domain error, got x={x!r}") from None
