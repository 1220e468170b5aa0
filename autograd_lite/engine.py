"""The engine: ``Value``, how a node records its parents, ``backward``, then the primitives.

A Value holds a float and, when an op made it, its parents and the local
derivative toward each, computed by the forward.  ``backward()`` orders the
graph topologically and runs the chain rule in reverse; it never names an op.
Each primitive states its derivative once, as a rule written with functions
that take floats and Values alike: the forward calls it with floats (first
order), ``grad(grad(f))`` and ``hessian`` with Values (every higher order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, cast, final

from autograd_lite import _modes
from autograd_lite._modes import detect_anomaly as detect_anomaly
from autograd_lite._modes import is_anomaly_enabled as is_anomaly_enabled
from autograd_lite._modes import is_grad_enabled as is_grad_enabled
from autograd_lite._modes import no_grad as no_grad
from autograd_lite._numeric import checked_cos as _cos
from autograd_lite._numeric import checked_div as _div
from autograd_lite._numeric import checked_exp as _exp
from autograd_lite._numeric import checked_log as _log
from autograd_lite._numeric import checked_pow as _pow
from autograd_lite._numeric import checked_sin as _sin
from autograd_lite._numeric import checked_sqrt as _sqrt
from autograd_lite._numeric import ieee_div as _fdiv
from autograd_lite._numeric import ieee_log as _flog
from autograd_lite._numeric import ieee_pow as _fpow
from autograd_lite._numeric import sigmoid as _sigmoid
from autograd_lite._numeric import softplus as _softplus
from autograd_lite._protocols import ValueProtocols
from autograd_lite._validate import number_operand as _constant
from autograd_lite._validate import to_float as to_float  # also the package's validator (nn, custom)

__all__ = ["Value", "no_grad", "detect_anomaly", "is_grad_enabled", "is_anomaly_enabled", "exp", "log", "sqrt",
           "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos", "NodeInfo", "node_info"]

_new = object.__new__

# The one flag the hot path (_node) reads: True while no thread has grad mode off or
# anomaly mode on.  _modes keeps it; a thread-local read would cost every op.
_fast = True


def _set_fast(all_default: bool) -> None:
    global _fast
    _fast = all_default


_modes.on_change(_set_fast)

# op -> its derivative rule (see "the derivative rules" below)
_RULES: dict[str, tuple[Callable[..., Any] | None, ...]] = {}


# -- how a node records its parents, and the order backward walks them ----------------
# A node's edges are stored inline, not in tuples: all ops but the n-ary ones have one
# or two parents, and so a node takes 96 bytes (120 with its float) instead of ~200.
#   _a, _da   first parent, and d(node)/d(_a) as a float            (None: a leaf)
#   _b, _db   second parent and its local derivative (_b None: one parent; then
#             _db keeps the op's number operand, if any: the exponent of x ** 3,
#             the c of c - x ("rsub"), leaky_relu's slope).  With _a None, _b is
#             the parent of a relu at x <= 0: an edge backward skips (see relu).
#   n-ary     (record: nary.sum and nary.dot, custom primitives): _a is the tuple
#             of parents, _da the tuple of local derivatives; _b and _db hold what
#             the op kept.
# Only this module names these slots; others read nodes through node_info(), parents
# and reverse_topological().

def _node(data: float, op: str, a: Any, da: Any, b: Any = None, db: Any = None) -> Value:
    """Make an op's output node.  Ops call this, not Value(), to skip input checks.

    Ops made outside this module call it as ``record``, with the n-ary layout:
    ``record(data, op, parents, local_grads, kept, more)``, tuples aligned.

    >>> x = Value(2.0)
    >>> y = record(6.0, "triple", (x,), (3.0,), (x,)); y.backward(); x.grad
    3.0
    """
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
    if not is_grad_enabled():  # (some thread has a mode on) no_grad in this one: a leaf, recording nothing
        out.op = ""
        out._a = out._da = out._b = out._db = None
        return out
    out.op = op
    out._a, out._da, out._b, out._db = a, da, b, db
    _modes.watch_node(out)  # detect_anomaly: where it was made, and an error for a NaN or inf
    return out


_EMIT = object()  # stack marker for reverse_topological


def reverse_topological(root: Value, stop_at: Iterable[Value] = ()) -> list[Value]:
    """Every node root depends on, each before its parents (root first): the order backward walks.

    An iterative post-order depth-first search in operand order, reversed:
    deterministic, and 2x faster than Kahn's child counting (measured), as a
    set is its only bookkeeping.  It neither enters nor lists ``stop_at``.

    >>> x = Value(1.0); y = x * 2
    >>> [n.op for n in reverse_topological(y + x)]
    ['add', 'mul', '']
    """
    order = []
    seen = set(stop_at)
    stack: list[Any] = [root]
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
            a = node._b  # a relu's stopped edge (see relu); None for a leaf
            if a is not None and a not in seen:
                stack.append(a)
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


@final  # subclassing is refused at run time too (see __init_subclass__)
class Value(ValueProtocols):
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    ``data`` is the float value, ``grad`` the derivative of ``backward()``'s
    root with respect to this value, summed over calls (0.0 until one reaches
    it), ``label`` a name for drawings, ``op`` the op that made it ("" for a
    leaf) and ``parents`` the Values it was computed from (duplicates kept:
    ``a * a`` has two).

    >>> a = Value(2.0, label="a")
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)
    """

    __slots__ = ("data", "grad", "label", "op", "_a", "_da", "_b", "_db")  # _a.._db: see _node

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # the hot paths test `type(x) is Value`: a subclass would silently take the number path
        raise TypeError("Value is not designed to be subclassed; wrap a Value in your own class instead")

    def __init__(self, data: float, label: str = "") -> None:
        self.data: float = data if type(data) is float else to_float(data, "Value()")
        if type(label) is not str:
            raise TypeError(f"Value() label must be a str, got {type(label).__name__}")
        self.grad: float = 0.0
        self.label: str = label
        self.op: str = ""
        self._a: Any = None
        self._da: Any = None
        self._b: Any = None
        self._db: Any = None

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in operand order (a tuple)."""
        a = self._a
        if a is None:
            return () if self._b is None else (self._b,)
        if type(a) is tuple:
            return a
        return (a,) if self._b is None else (a, self._b)

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
        seed = grad if type(grad) is float else to_float(grad, "backward(grad=...)")
        if not _fast and is_anomaly_enabled():
            return _modes.checked_backward(self, seed)  # every step checked, so slower
        order = reverse_topological(self)
        # Gradients accumulate across calls, but this call must propagate only its own
        # contribution: it sets earlier grads aside and adds them back at the end.  An
        # exception (Ctrl-C, say) may come at any line: every .grad is then left as it
        # was, or, once the final stores have begun, as this call completes it.
        saved = []  # (a loop: under Python 3.11 a comprehension here measured slower)
        for node in order:
            if node.grad:
                saved.append((node, node.grad))
        totals = None
        try:
            for node, _ in saved:
                node.grad = 0.0
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
            totals = [(node, node.grad + g) for node, g in saved]
            for node, total in totals:
                node.grad = total
        except BaseException:
            if totals is None:  # undo: every grad back to its earlier value (0.0 unless set aside)
                totals = [(node, 0.0) for node in order] + saved
            for node, total in totals:  # or complete the stores (storing twice is harmless)
                node.grad = total
            raise

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and every Value it depends on."""
        for node in reverse_topological(self):
            node.grad = 0.0

    # -- arithmetic: + - * / ** and unary -, abs -------------------------------
    # Plain numbers are accepted on either side; they become operands, not nodes.
    # add, sub and mul are the hot path: their derivatives are written inline; the
    # others call the rules (_d_*) and builders (_divide, _power) after this class.

    def __add__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return _node(self.data + other.data, "add", self, 1.0, other, 1.0)
        c = other if type(other) is float else _constant(other, "+")
        if c is None:
            return NotImplemented
        return _node(self.data + c, "add", self, 1.0, None, c)

    __radd__ = __add__  # c + x: the same node, and the same bits (IEEE addition commutes)

    def __sub__(self, other: Value | float) -> Value:
        # A fused primitive rather than self + (-other): one node instead of two,
        # and the same bits (a - b == a + (-b) exactly in IEEE arithmetic).
        if type(other) is Value:
            return _node(self.data - other.data, "sub", self, 1.0, other, -1.0)
        c = other if type(other) is float else _constant(other, "-")
        if c is None:
            return NotImplemented
        return _node(self.data - c, "sub", self, 1.0, None, c)

    def __rsub__(self, other: float) -> Value:  # other - self
        c = other if type(other) is float else _constant(other, "-")
        if c is None:
            return NotImplemented
        return _node(c - self.data, "rsub", self, -1.0, None, c)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return _node(self.data * other.data, "mul", self, other.data, other, self.data)
        c = other if type(other) is float else _constant(other, "*")
        if c is None:
            return NotImplemented
        return _node(self.data * c, "mul", self, c, None, c)

    __rmul__ = __mul__  # c * x: the same node, and the same bits (IEEE multiplication commutes)

    def __truediv__(self, other: Value | float) -> Value:
        c = other.data if type(other) is Value else _constant(other, "/")
        if c is None:
            return NotImplemented
        return cast(Value, _divide(self, other if type(other) is Value else c, _div(self.data, c)))

    def __rtruediv__(self, other: float) -> Value:  # other / self
        c = other if type(other) is float else _constant(other, "/")
        if c is None:
            return NotImplemented
        return cast(Value, _divide(c, self, _div(c, self.data)))

    def __pow__(self, other: Value | float, modulo: None = None) -> Value:
        if modulo is not None:
            raise TypeError("pow() with a modulus is not supported for Value")
        c = other.data if type(other) is Value else _constant(other, "**")
        if c is None:
            return NotImplemented
        return cast(Value, _power(self, other if type(other) is Value else c, _pow(self.data, c)))

    def __rpow__(self, other: float) -> Value:  # other ** self
        c = other if type(other) is float else _constant(other, "**")
        if c is None:
            return NotImplemented
        return cast(Value, _power(c, self, _pow(c, self.data)))

    def __neg__(self) -> Value:
        out = -self.data
        return _node(out, "neg", self, _minus_one(self.data, out))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        x = self.data
        out = math.fabs(x)
        return _node(out, "abs", self, _d_abs(x, out))

    # -- elementwise functions ---------------------------------------------------
    # The table after this class makes the smooth ones (declared here for type checkers).
    if TYPE_CHECKING:
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def softplus(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...

    def relu(self) -> Value:
        """max(x, 0), NaN for NaN.  relu'(0) = 0, as in PyTorch.

        Where x <= 0 the gradient stops here, whatever comes from above (sqrt's
        infinite derivative at 0, say), as in PyTorch: 0 for the parent, not NaN.
        """
        x = self.data
        if x <= 0.0:
            # recorded with no local derivative (the parent in _b, _a None): backward
            # skips the node as it skips a leaf, and traversals still see the parent
            return _node(0.0, "relu", None, None, self)
        return _node(x, "relu", self, 1.0)  # NaN included: it propagates, as in PyTorch

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x.  The derivative at 0 is slope, as in PyTorch."""
        x = self.data
        slope = slope if type(slope) is float else to_float(slope, "leaky_relu slope")
        out = x if x > 0.0 else slope * x
        # the slope is kept (in _db) on both branches: node_info reports it
        return _node(out, "leaky_relu", self, _d_leaky_relu(x, slope, out), None, slope)


# -- the derivative rules: one per primitive, for every order ------------------------
# A rule is one partial per operand of node_info's operands (None: never a Value),
# called as partial(*operands, out) and returning d(out)/d(operand), with floats (the
# forward, first order) or Values (nested grad).  Inside a rule, /, ** and log are the
# IEEE builders below (_divide, _power, _logarithm): at a singular point a derivative
# is inf or nan, as in PyTorch, never an exception.  A kink's derivative is a number.

def _one(*_: Any) -> float:
    return 1.0


def _minus_one(*_: Any) -> float:
    return -1.0


def _data(x: Any) -> float:
    return x.data if type(x) is Value else float(x)


_RULES["add"] = (_one, _one)
_RULES["sub"] = (_one, _minus_one)
_RULES["rsub"] = (None, _minus_one)
_RULES["neg"] = (_minus_one,)
_RULES["id"] = (_one,)
_RULES["mul"] = (lambda x, y, out: y, lambda x, y, out: x)  # d(xy)/dx = y, d(xy)/dy = x


def _d_div_x(x: Any, y: Any, out: Any) -> Any:
    return _divide(1.0, y)  # d(x/y)/dx = 1/y


def _d_div_y(x: Any, y: Any, out: Any) -> Any:
    return -_divide(out, y)  # d(x/y)/dy = -x/y**2, written -out/y (no y*y overflow)


_RULES["div"] = (_d_div_x, _d_div_y)
_RULES["rdiv"] = (None, _d_div_y)


def _d_pow_x(x: Any, y: Any, out: Any) -> Any:
    # d(x**y)/dx = y * x**(y-1), and 0 where y == 0 (as PyTorch: no 0 * inf at x = 0)
    if _data(y) != 0.0:
        return y * _power(x, y - 1.0)
    return _masked(y * _power(x, y - 1.0)) if type(y) is Value else 0.0


def _d_pow_y(x: Any, y: Any, out: Any) -> Any:
    # d(x**y)/dy = out * log(x), and 0 at x = 0 for y >= 0 (as PyTorch); nan for x < 0
    if _data(x) != 0.0 or _data(y) < 0.0:
        return out * _logarithm(x)
    return _masked(out * _logarithm(x)) if type(out) is Value else 0.0


def _masked(v: Value) -> Value:
    """0, with v as its parent (local derivative 0): PyTorch's ``where(cond, 0, v)``, so a
    higher derivative at pow's singular point is 0 times v's own, nan where that is inf."""
    return _node(0.0, "mask", v, 0.0)


_RULES["pow"] = (_d_pow_x, _d_pow_y)
_RULES["rpow"] = (None, _d_pow_y)


def _d_abs(x: Any, out: Any) -> float:
    d = _data(x)  # abs'(0) = 0, as in PyTorch (the middle of the subgradient [-1, 1])
    return 1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0)


_RULES["abs"] = (_d_abs,)
_RULES["relu"] = (lambda x, out: 0.0 if _data(x) <= 0.0 else 1.0,)  # relu'(0) = 0 and NaN passes, as in PyTorch


def _d_leaky_relu(x: Any, slope: float, out: Any) -> float:
    return 1.0 if _data(x) > 0.0 else slope  # slope at 0, as in PyTorch


_RULES["leaky_relu"] = (_d_leaky_relu, None)


# -- the smooth elementwise primitives: forward and derivative, one row each -------
# A row's float kernel and rule d(out)/dx make the method x.exp() and the function exp(x).

def _elementwise(op: str, forward: Callable[[float], float], derivative: Callable[[Any, Any], Any],
                 doc: str) -> Callable[[Any], Any]:
    def method(self: Value) -> Value:
        x = self.data
        out = forward(x)
        return _node(out, op, self, derivative(x, out))

    _RULES[op] = (derivative,)
    method.__name__, method.__qualname__, method.__doc__ = op, f"Value.{op}", doc
    setattr(Value, op, method)
    return _function(op, method, forward, doc)


def _function(op: str, method: Callable[[Value], Value], kernel: Callable[[float], float],
              doc: str) -> Callable[[Any], Any]:
    """The module function of a one-operand op: the op on a Value, its float kernel on a number."""
    def function(x: Any) -> Any:
        return method(x) if type(x) is Value else kernel(to_float(x, f"{op}()"))

    function.__name__ = function.__qualname__ = op
    function.__doc__ = f"{op}(x): recorded in the graph for a Value; a float for a plain number.\n\n{doc}"
    return function


sin: Callable[[Any], Any]  # (sin's and cos's rules use each other)
cos: Callable[[Any], Any]
exp = _elementwise("exp", _exp, lambda x, out: out, "e ** x; OverflowError above x ~ 709.78.")
log = _elementwise("log", _log, lambda x, out: _divide(1.0, x), "Natural logarithm; ValueError for x <= 0.")
sqrt = _elementwise("sqrt", _sqrt, lambda x, out: _divide(0.5, out), "x ** 0.5; ValueError for x < 0; sqrt'(0) is inf.")
tanh = _elementwise("tanh", math.tanh, lambda x, out: 1.0 - out * out, "Hyperbolic tangent.")
sigmoid = _elementwise("sigmoid", _sigmoid, lambda x, out: out * (1.0 - out), "1 / (1 + e**-x), never overflows.")
softplus = _elementwise("softplus", _softplus, lambda x, out: sigmoid(x), "log(1 + e**x), never overflows.")
sin = _elementwise("sin", _sin, lambda x, out: cos(x), "Sine (x in radians).")
cos = _elementwise("cos", _cos, lambda x, out: -sin(x), "Cosine (x in radians).")


# -- the kinks as module functions: on Values and on plain numbers ------------------
relu = _function("relu", Value.relu, lambda x: 0.0 if x <= 0.0 else x, "max(x, 0); NaN stays NaN.")
abs = _function("abs", Value.__abs__, math.fabs, "abs'(0) = 0, as in PyTorch.")  # shadows the builtin, as torch.abs


def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    """leaky_relu(x, slope): ``x.leaky_relu(slope)`` for a Value; a float for a number."""
    if type(x) is Value:
        return x.leaky_relu(slope)
    x, slope = to_float(x, "leaky_relu()"), to_float(slope, "leaky_relu slope")  # both checked, as for a Value
    return x if x > 0.0 else slope * x


def _divide(a: Any, b: Any, out: float | None = None) -> Any:
    """a / b: a node when either is a Value, else a float.  IEEE (x / 0 is inf or nan)
    unless the caller passes ``out`` from the checked kernel, as the ``/`` operator does."""
    av, bv = type(a) is Value, type(b) is Value
    if not av and not bv:
        return _fdiv(a, b)
    x, y = (a.data if av else a), (b.data if bv else b)
    if out is None:
        out = _fdiv(x, y)
    if not bv:
        return _node(out, "div", a, _d_div_x(x, y, out), None, b)
    dy = _d_div_y(x, y, out)
    return _node(out, "div", a, _d_div_x(x, y, out), b, dy) if av else _node(out, "rdiv", b, dy, None, a)


def _power(x: Any, y: Any, out: float | None = None) -> Any:
    """x ** y: a node when either is a Value, else a float; IEEE unless ``out`` comes checked."""
    xv, yv = type(x) is Value, type(y) is Value
    if not xv and not yv:
        return _fpow(x, y)
    a, b = (x.data if xv else x), (y.data if yv else y)
    if out is None:
        out = _fpow(a, b)
    if not xv:
        return _node(out, "rpow", y, _d_pow_y(a, b, out), None, x)
    dx = _d_pow_x(a, b, out)
    return _node(out, "pow", x, dx, y, _d_pow_y(a, b, out)) if yv else _node(out, "pow", x, dx, None, y)


def _logarithm(x: Any) -> Any:
    """log(x), IEEE (-inf at 0, nan below): a node for a Value, else a float.  For rules only."""
    if type(x) is not Value:
        return _flog(x)
    out = _flog(x.data)
    rule = cast(Callable[[float, float], float], _RULES["log"][0])  # log's own rule, from its row
    return _node(out, "log", x, rule(x.data, out))


def register_rule(op: str, partials: tuple[Callable[..., Any] | None, ...]) -> None:
    """Register the rule of an op made outside this module (custom.primitive): one partial per
    operand, taking the operands (not the output); None for an operand that is never a Value."""
    # the engine calls partial(*operands, out); a registered partial takes the operands only
    _RULES[op] = tuple(None if p is None else (lambda *a, p=p: p(*a[:-1])) for p in partials)


def rule_ops() -> frozenset[str]:
    """The names of every op with a derivative rule: the built-in ones, the n-ary ones and registered ones."""
    return frozenset(_RULES) | frozenset(_NARY)


# Ops made outside this module (nary's sum and dot, custom primitives) record their nodes
# with record(data, op, parents, local_grads, kept, more): _node itself, as a wrapper
# would cost every neuron a call.  node_info reports `kept` as the operands (a custom
# primitive keeps every argument) unless the op said how to read kept and more with
# register_nary (sum and dot keep less, to stay fast).
record = _node


# op -> (operands, partials): how to read an n-ary op's node (see register_nary)
_NARY: dict[str, tuple[Callable[..., tuple[Any, ...]], Callable[..., tuple[Any, ...]]]] = {}


def register_nary(op: str, operands: Callable[..., tuple[Any, ...]], partials: Callable[..., tuple[Any, ...]]) -> None:
    """Tell node_info and local_derivatives how to read an n-ary op's nodes.  Both get
    ``(parents, local_grads, kept, more)`` as passed to ``record``: ``operands`` returns the
    operands in order, ``partials`` each parent's local derivative written with them."""
    _NARY[op] = (operands, partials)


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

    How other modules (checks, drawings, the compiler) read what a node records.
    Operands, by op: ``x + 3`` gives ``(x, 3.0)``; ``3 - x`` is op "rsub" with
    ``(3.0, x)`` (as are "rdiv" and "rpow"); ``x.leaky_relu(s)`` ``(x, s)``;
    ``sum(items)`` the items (``0.0 + i0 + i1 + ...``); ``dot(ws, xs, b)``
    ``(b, w0, x0, w1, x1, ...)``, summed left to right; a custom primitive its
    arguments.

    >>> x = Value(2.0)
    >>> node_info(3 - x)
    NodeInfo(op='rsub', parents=(Value(data=2.0, grad=0.0),), local_grads=(-1.0,), operands=(3.0, Value(...)))
    """
    a = v._a
    op = v.op
    if a is None:
        b = v._b  # None for a leaf; else a relu at x <= 0 (see relu): derivative 0, operand x
        return NodeInfo(op, (), (), ()) if b is None else NodeInfo(op, (b,), (0.0,), (b,))
    if type(a) is tuple:  # n-ary
        nary = _NARY.get(op)  # sum and dot say how to read what they kept; a custom primitive kept its arguments
        operands = (a if v._b is None else v._b) if nary is None else nary[0](a, v._da, v._b, v._db)
        return NodeInfo(op, a, v._da, operands)
    b = v._b
    if b is not None:
        return NodeInfo(op, (a, b), (v._da, v._db), (a, b))
    c = v._db
    if c is None:
        return NodeInfo(op, (a,), (v._da,), (a,))
    return NodeInfo(op, (a,), (v._da,), (c, a) if op in _NUMBER_FIRST else (a, c))


def local_derivatives(node: Value, *, create_graph: bool = False) -> tuple[Any, ...]:
    """The local derivatives of node toward its parents, from the op's rule: floats (what
    the forward stored, bit for bit), or Values with ``create_graph=True``, so that a
    gradient built from them can be differentiated again.

    >>> x = Value(4.0)
    >>> local_derivatives(x * x), local_derivatives(x.sqrt())
    ((4.0, 4.0), (0.25,))
    """
    info = node_info(node)
    op, operands = info.op, info.operands
    if not op:
        return ()
    if op == "mask":
        return (0.0,)
    nary = _NARY.get(op)
    if nary is not None:
        partials = nary[1](node._a, node._da, node._b, node._db)
        return partials if create_graph else tuple(_data(p) for p in partials)
    args, out = (operands, node) if create_graph else (tuple(_data(o) for o in operands), node.data)
    return tuple(p(*args, out) for p, o in zip(_RULES[op], operands) if type(o) is Value)  # type: ignore[misc]


def argument_slot(x: Value) -> Value:
    """A new node equal to x with x as its parent (op "id"): the functional API's argument slot."""
    return _node(x.data, "id", x, 1.0)
