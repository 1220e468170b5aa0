"""``compile``: trace a function's graph once, then run it as generated straight-line code.

A scalar engine spends most of its time building nodes: one Python object per
op, then a topological sort, then the chain rule through those objects.  When
a function builds the same graph every time (a training step does), all of
that can be done once.  ``compile`` runs ``fn`` on one sample, reads the graph
it built (through ``engine.node_info``), and writes Python source with one
assignment per node for the forward pass and one per gradient contribution for
the backward pass, in the order ``backward()`` uses.  That source is compiled
with Python's ``compile()`` and cached; later calls run it on plain floats.

Two backends run the same program:

- ``"python"`` (stdlib only): a loop over samples, with every parameter and
  gradient in a local variable;
- ``"numpy"``: the program on arrays with one element per sample, with each
  layer's ``dot`` nodes lifted to one matrix product (``pip install numpy``).

What a trace cannot see it refuses or hands back to eager mode, never guesses:

- a comparison between Values inside ``fn`` (a Python ``if`` on them) becomes
  a *guard*: a sample that takes the other branch is run eagerly;
- reading ``Value.data`` (or ``item()``) inside ``fn``, drawing random numbers
  (``nn.Dropout`` in training mode), a custom primitive, or a graph that is not
  the same on a second trace: a warning, once, and eager mode from then on;
- ``no_grad()`` is honoured (no gradients); under ``detect_anomaly()`` every
  call runs eagerly, so its errors are the engine's own;
- an error inside the compiled code (log of a negative number, say) re-runs
  the call eagerly, which raises the engine's error with its message.

Arguments that are Python ints (class labels, +1/-1 targets) are *static*: they
are baked into the trace as constants and select one of several cached traces.
Floats and lists of floats are traced.

>>> import autograd_lite as al
>>> w = al.Value(2.0, label="w")
>>> fast = al.compile(lambda x: (w * x - 1.0) ** 2, [w])
>>> fast(3.0), w.grad                  # (2*3 - 1)**2 and 2*(2*3 - 1)*3
(25.0, 30.0)
>>> print(fast.source.splitlines()[0])
def _kernel(_cols, _n, _P, _seed, _grad, _outs=None, _G0=None):
"""

from __future__ import annotations

import keyword
import math
import random
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from autograd_lite import engine
from autograd_lite.engine import Value, is_anomaly_enabled, is_grad_enabled, node_info, reverse_topological

__all__ = ["compile", "CompiledFunction", "CompileError"]
# The numpy backend (compiler_numpy.py) builds on Node, Program, FORWARD, PY_NAMESPACE, atom, chunked_sum,
# py_local, python_source and exec_source: an internal API, outside __all__.

_MAX_TRACES = 64      # distinct static keys / argument shapes kept per compiled function
_CHUNK = 64           # terms per line in a long sum or dot: Python's parser nests a + b + c ... one level per term


class CompileError(ValueError):
    """``fn`` cannot be compiled as written (the message says why and what to change)."""


class _Unsupported(Exception):
    """A trace found something it cannot replay; the message names it (turned into a fallback)."""


class _GuardFailed(Exception):
    pass


# -- float kernels the generated code calls (same formulas, same errors as the engine) --

def _k_pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("pow: 0.0 cannot be raised to a negative power")
    if x < 0.0 and y != math.floor(y) and math.isfinite(y):
        raise ValueError("pow: a negative base to a fractional power is complex")
    return x ** y


def _k_dpow_base(x: float, y: float) -> float:
    if y == 0.0:
        return 0.0
    if x == 0.0 and y < 1.0:
        return math.inf
    try:
        return y * x ** (y - 1.0)
    except OverflowError:
        return math.copysign(math.inf, y)


def _k_dpow_exponent(x: float, out: float) -> float:
    if x > 0.0:
        return out * math.log(x)
    return 0.0 if x == 0.0 else math.nan


def _k_sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _k_softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


PY_NAMESPACE = {
    "_exp": math.exp, "_log": math.log, "_sqrt": math.sqrt, "_tanh": math.tanh, "_sin": math.sin,
    "_cos": math.cos, "_pow": _k_pow, "_dpow_base": _k_dpow_base, "_dpow_exponent": _k_dpow_exponent,
    "_sigmoid": _k_sigmoid, "_softplus": _k_softplus, "_inf": math.inf, "_nan": math.nan,
}

# Each op: the forward as an expression of its operands' names (a, b; c for a
# number), and the local derivative toward each Value operand.  ``out`` is the
# node's own name.  These are the engine's formulas, so values match to the bit.
FORWARD = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "rsub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "rdiv": "{0} / {1}", "pow": "_pow({0}, {1})", "rpow": "_pow({0}, {1})", "neg": "-{0}", "abs": "abs({0})",
    "exp": "_exp({0})", "log": "_log({0})", "sqrt": "_sqrt({0})", "tanh": "_tanh({0})",
    "sigmoid": "_sigmoid({0})", "relu": "0.0 if {0} <= 0.0 else {0}",
    "leaky_relu": "{0} if {0} > 0.0 else {1} * {0}", "softplus": "_softplus({0})", "sin": "_sin({0})",
    "cos": "_cos({0})", "id": "{0}",
}
_UNARY = {"neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos",
          "id"}


def _py_locals(op: str, a: str, b: str | None, out: str, a_is_value: bool, b_is_value: bool) -> list:
    """The local derivative of node ``out`` toward each Value operand, as (operand index, expression)."""
    if op == "add":
        return [(i, "1.0") for i, v in ((0, a_is_value), (1, b_is_value)) if v]
    if op in ("sub", "rsub"):
        return [(i, d) for i, d, v in ((0, "1.0", a_is_value), (1, "-1.0", b_is_value)) if v]
    if op == "mul":
        return [(i, d) for i, d, v in ((0, b, a_is_value), (1, a, b_is_value)) if v]
    if op in ("div", "rdiv"):
        return [(i, d) for i, d, v in ((0, f"1.0 / {b}", a_is_value), (1, f"-{out} / {b}", b_is_value)) if v]
    if op in ("pow", "rpow"):
        return [(i, d) for i, d, v in ((0, f"_dpow_base({a}, {b})", a_is_value),
                                        (1, f"_dpow_exponent({a}, {out})", b_is_value)) if v]
    one = {
        "neg": "-1.0", "abs": f"(1.0 if {a} > 0.0 else (-1.0 if {a} < 0.0 else 0.0))", "exp": out,
        "log": f"1.0 / {a}", "sqrt": f"(0.5 / {out} if {out} else _inf)", "tanh": f"1.0 - {out} * {out}",
        "sigmoid": f"{out} * (1.0 - {out})", "relu": f"(0.0 if {a} <= 0.0 else 1.0)",
        "leaky_relu": f"(1.0 if {a} > 0.0 else {b})", "softplus": f"_sigmoid({a})", "sin": f"_cos({a})",
        "cos": f"-_sin({a})", "id": "1.0",
    }[op]
    return [(0, one)]


# -- the trace ------------------------------------------------------------------------

class Node:
    """One op of the traced program: what the code generators read."""

    __slots__ = ("name", "op", "operands", "contribs", "batched", "needs_grad", "value")

    def __init__(self, name: str, op: str, operands: tuple, batched: bool, needs_grad: bool, value: float) -> None:
        self.name = name          # the variable holding its value
        self.op = op              # engine op name; "" for an input or a parameter
        self.operands = operands  # operand Nodes or floats, in the forward's order
        self.contribs: list = []  # backward: (parent Node, local-derivative spec), in backward()'s order
        self.batched = batched    # depends on a traced argument (varies per sample)
        self.needs_grad = needs_grad  # depends on a parameter
        self.value = value        # the value seen when tracing (for constants and checks)


class _Guard(NamedTuple):
    after: int            # index in program.nodes after which both sides are known
    left: Any             # Node or float
    op: str               # "<", "<=", ">", ">="
    right: Any
    outcome: bool         # what the trace saw


class Program(NamedTuple):
    nodes: list           # Nodes in forward (topological) order, op nodes only
    inputs: list          # per argument: None (static), a Node (scalar) or a list of Nodes
    params: list          # the parameter Nodes in use, aligned with param_index
    param_index: list     # index into the compiled function's params, per params entry
    root: Any             # Node, or a float if the output does not depend on anything traced
    guards: list
    signature: tuple      # the graph's shape, constants and comparisons: for comparing two traces
    aux: list             # extra per-sample outputs (fit's model outputs): Nodes or floats


_COMPARE = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}


class _Recorder:
    """While tracing: Value comparisons are recorded, and reads of .data outside the engine reported."""

    def __init__(self) -> None:
        self.comparisons: list = []
        self.data_reads: list = []
        self.saved: dict = {}

    def __enter__(self) -> _Recorder:
        cls = Value
        for name, sym in _COMPARE.items():  # defined on Value's base (_protocols), patched on Value
            original = getattr(cls, name)
            self.saved[name] = cls.__dict__.get(name)
            setattr(cls, name, self._comparison(original, sym))
        member = cls.__dict__["data"]
        self.saved["data"] = member
        from autograd_lite import _protocols, custom, nary
        # the engine's ops (and sum and dot, and Value's comparisons) read .data to compute; a custom
        # primitive's call is refused by its op name instead
        ours = (engine.__dict__, nary.__dict__, custom.__dict__, _protocols.__dict__)
        reads = self.data_reads

        def get(v: Value) -> float:
            frame = sys._getframe(1)
            g = frame.f_globals
            if g is not ours[0] and g is not ours[1] and g is not ours[2] and g is not ours[3]:
                reads.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")
            return member.__get__(v, cls)

        cls.data = property(get, member.__set__)  # type: ignore[assignment,misc]
        self.saved["item"] = cls.__dict__.get("item")
        item = cls.item

        def item_read(v: Value) -> float:
            frame = sys._getframe(1)
            reads.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")
            return item(v)

        cls.item = item_read  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, original in self.saved.items():
            if original is None:  # inherited: remove the patch, and Value's base shows through again
                delattr(Value, name)
            else:
                setattr(Value, name, original)

    def _comparison(self, original: Callable, sym: str) -> Callable:
        comparisons = self.comparisons

        def compare(a: Value, b: Any) -> Any:
            result = original(a, b)
            if result is not NotImplemented:
                comparisons.append((a, sym, b, bool(result)))
            return result

        return compare


_NOT_WORD = re.compile(r"\W")


def _identifier(text: str, fallback: str) -> str:
    if not text:  # most nodes have no label
        return fallback
    name = _NOT_WORD.sub("_", text).strip("_")
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        return fallback
    return name


def _arg_names(fn: Callable, n: int) -> list[str]:
    import inspect  # here, not at the top: `import autograd_lite` stays quick

    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    names = [_identifier(s, "") for s in names[:n]]
    return [s or f"arg{i}" for i, s in enumerate(names + [""] * (n - len(names)))]


def _trace(fn: Callable, args: Sequence, statics: tuple, params: list, param_names: list,
           aux: bool = False, only_fingerprint: bool = False) -> Any:
    """Run fn once on fresh leaves and turn the graph it builds into a Program."""
    used: set = set()

    def fresh(base: str) -> str:
        name = base
        k = 1
        while name in used or name.startswith("_") or name in PY_NAMESPACE:
            name = f"{base}_{k}"
            k += 1
        used.add(name)
        return name

    # 1. the arguments as leaves
    arg_names = _arg_names(fn, len(args))
    leaves: dict = {}      # Value -> Node (inputs and parameters)
    call_args: list = []
    inputs: list = []
    for i, (a, static) in enumerate(zip(args, statics)):
        if static:
            call_args.append(a)
            inputs.append(None)
        elif isinstance(a, (list, tuple)):
            vs = [Value(float(x)) for x in a]
            ns = [Node(fresh(f"{arg_names[i]}_{j}"), "", (), True, False, v.data) for j, v in enumerate(vs)]
            leaves.update(zip(vs, ns))
            call_args.append(vs)
            inputs.append(ns)
        else:
            v = Value(float(a))
            n = Node(fresh(arg_names[i]), "", (), True, False, v.data)
            leaves[v] = n
            call_args.append(v)
            inputs.append(n)
    param_nodes = {}
    for k, (p, pname) in enumerate(zip(params, param_names)):
        param_nodes[p] = (k, Node(fresh(_identifier(p.label, "") or pname), "", (), False, True, p.data))

    # 2. run fn, watching comparisons, .data reads and the global random state
    state = random.getstate()
    with _Recorder() as rec:
        out = fn(*call_args)
    extra: list = []
    if aux:  # fn returns (value, [outputs...])
        out, extra = out
    if random.getstate() != state:
        raise _Unsupported("fn draws random numbers (nn.Dropout in training mode?), so its graph changes per call")
    if rec.data_reads:
        raise _Unsupported(f"fn reads Value.data or item() at {rec.data_reads[0]}; a decision on it cannot be "
                           f"replayed (compare Values instead: `if a > b` becomes a guard)")
    if type(out) is not Value:
        raise CompileError(f"compile: fn must return a Value, got {type(out).__name__}")

    # 3. the graph in backward()'s order, reversed: parents before children
    order = reverse_topological(out)
    order.reverse()
    infos = {v: node_info(v) for v in order}
    # The graph's shape, its constants and the comparisons' outcomes: two traces must agree on it.
    index = {v: i for i, v in enumerate(order)}
    fingerprint: list[Any] = []
    for v in order:
        info = infos[v]
        if not info.op:
            fingerprint.append(("in", leaves[v].name) if v in leaves else
                               ("p", param_nodes[v][0]) if v in param_nodes else ("c", v.data))
        else:
            fingerprint.append((info.op, tuple(index[o] if type(o) is Value else o for o in info.operands)))
    fingerprint += [(sym, outcome, index.get(a, -1) if type(a) is Value else a,
                     index.get(b, -1) if type(b) is Value else b) for a, sym, b, outcome in rec.comparisons]
    fingerprint.append(tuple(index.get(e, -1) if type(e) is Value else e for e in extra))
    if only_fingerprint:
        return fingerprint

    nodes: list = []
    of: dict = {}          # Value -> Node, or float for a constant
    used_params: list = []
    stray: list = []
    counter = 0
    for v in order:
        info = infos[v]
        if not info.op:
            if v in leaves:
                of[v] = leaves[v]
            elif v in param_nodes:
                k, n = param_nodes[v]
                of[v] = n
                used_params.append((k, n))
            else:
                of[v] = v.data  # a leaf fn made or closed over: a constant
                if v.label or v.grad:
                    stray.append(v)
            continue
        if info.op not in FORWARD and info.op not in ("sum", "dot"):
            raise _Unsupported(f"the op {info.op!r} (a custom primitive: compiled code cannot call it)")
        operands = tuple(of[o] if type(o) is Value else float(o) for o in info.operands)
        live = [o for o in operands if type(o) is Node]
        if not live:
            of[v] = v.data  # depends on nothing traced: folded to its value
            continue
        name = fresh(_identifier(v.label, "") or f"t{counter}")
        counter += 1
        n = Node(name, info.op, operands, any(o.batched for o in live), any(o.needs_grad for o in live), v.data)
        of[v] = n
        nodes.append(n)
        n.contribs = _contributions(n, info, of)
    if stray:
        labels = ", ".join(repr(s.label) if s.label else repr(s) for s in stray[:3])
        warnings.warn(f"compile: fn uses Values that are not in params ({labels}); their current values are "
                      f"baked in as constants and they get no gradient", stacklevel=4)

    # 4. guards: each comparison between traced values, checked where both sides are known
    position = {n: i for i, n in enumerate(nodes)}
    guards = []
    for a, sym, b, outcome in rec.comparisons:
        left = of.get(a, a.data) if type(a) is Value else a
        right = of.get(b, b.data) if type(b) is Value else b
        if type(right) is not Node and type(right) is not float:
            right = float(right)
        sides = [s for s in (left, right) if type(s) is Node]
        if not sides:
            continue
        if type(a) is Value and a not in of or type(b) is Value and b not in of:
            # compared a Value that is not part of the output's graph: its value matters, though
            raise _Unsupported("fn compares a Value that the output does not depend on")
        after = max(position.get(s, -1) for s in sides)
        guards.append(_Guard(after, left, sym, right, outcome))

    used_params.sort(key=lambda kn: kn[0])
    root = of[out]
    aux_nodes = []
    for v in extra:
        if type(v) is Value and v not in of:
            raise _Unsupported("an output the value does not depend on")
        aux_nodes.append(of[v] if type(v) is Value else float(v))
    signature = tuple(fingerprint)
    return Program(nodes, inputs, [n for _, n in used_params], [k for k, _ in used_params], root, guards,
                    signature, aux_nodes)



def _contributions(n: Node, info: Any, of: dict) -> list:
    """(parent Node, local spec) for each parent that needs a gradient, in node_info.parents order.

    The spec is ("expr", operand index) for the simple ops, ("dot", partner) and
    ("one",) for the n-ary ones; the code generators turn it into an expression.
    """
    parents = [of.get(p) for p in info.parents]
    if n.op == "sum":
        specs: list[Any] = [(p, ("one",)) for p in parents]
    elif n.op == "dot":
        ops = n.operands
        pairs_w: list[Any] = []
        pairs_x: list[Any] = []
        singles: list[Any] = []
        for i in range(1, len(ops), 2):
            w, x = ops[i], ops[i + 1]
            if _is_value(info.operands[i]) and _is_value(info.operands[i + 1]):
                pairs_w.append((w, ("dot", x)))
                pairs_x.append((x, ("dot", w)))
            elif _is_value(info.operands[i]):
                singles.append((w, ("dot", x)))
            elif _is_value(info.operands[i + 1]):
                singles.append((x, ("dot", w)))
        specs = pairs_w + pairs_x + singles
        if _is_value(info.operands[0]):
            specs.append((ops[0], ("one",)))
        if [s[0] for s in specs] != parents:
            # the engine records its parents in another order: keep operand order
            # (exact up to the order in which a parent's gradient terms are summed)
            specs = []
            for i in range(1, len(ops), 2):
                for j, k in ((i, i + 1), (i + 1, i)):
                    if _is_value(info.operands[j]):
                        specs.append((ops[j], ("dot", ops[k])))
            if _is_value(info.operands[0]):
                specs.insert(0, (ops[0], ("one",)))
    else:
        values = [_is_value(o) for o in info.operands]
        specs = []
        for i, is_v in enumerate(values):
            if is_v:
                specs.append((n.operands[i], ("expr", i)))
    return [(p, s) for p, s in specs if type(p) is Node and p.needs_grad]


def _is_value(x: Any) -> bool:
    return type(x) is Value


# -- code generation: the python backend -----------------------------------------------

def atom(x: Any) -> str:
    """A traced operand as generated code names it: a node's variable, or a number literal."""
    if type(x) is Node:
        return x.name
    if math.isnan(x):
        return "_nan"
    if math.isinf(x):
        return "_inf" if x > 0 else "(-_inf)"
    return repr(x)


def chunked_sum(target: str, first: str, terms: list, indent: str) -> list:
    """target = first + t0 + t1 + ... as lines of at most _CHUNK terms (left to right, as the engine)."""
    lines = []
    head = first
    for i in range(0, max(len(terms), 1), _CHUNK):
        chunk = terms[i:i + _CHUNK]
        lines.append(f"{indent}{target} = {' + '.join([head] + chunk)}")
        head = target
    return lines


def _py_forward(n: Node, indent: str) -> list:
    ops = [atom(o) for o in n.operands]
    if n.op == "sum":
        return chunked_sum(n.name, "0.0", ops, indent)
    if n.op == "dot":
        terms = [f"{ops[i]} * {ops[i + 1]}" for i in range(1, len(ops), 2)]
        return chunked_sum(n.name, ops[0], terms, indent)
    if n.op == "leaky_relu":
        return [f"{indent}{n.name} = {ops[0]} if {ops[0]} > 0.0 else {ops[1]} * {ops[0]}"]
    return [f"{indent}{n.name} = {FORWARD[n.op].format(*ops)}"]


def py_local(child: Node, spec: tuple) -> str | None:
    """The local derivative expression; None for an exact 1.0."""
    if spec[0] == "one":
        return None
    if spec[0] == "dot":
        return atom(spec[1])
    ops = child.operands
    a = atom(ops[0])
    b = atom(ops[1]) if len(ops) > 1 else None
    for i, expr in _py_locals(child.op, a, b, child.name, type(ops[0]) is Node,
                              len(ops) > 1 and type(ops[1]) is Node):
        if i == spec[1]:
            if expr == "1.0":
                return None
            return expr if re.fullmatch(r"-?[\w.]+", expr) or expr.startswith("(") and expr.endswith(")") \
                and expr.count("(") == 1 else f"({expr})"
    raise AssertionError("unreachable: no local derivative for an operand")


def python_source(prog: Program) -> str:
    """The python backend: one function looping over samples, forward then backward per sample."""
    lines = ["def _kernel(_cols, _n, _P, _seed, _grad, _outs=None, _G0=None):"]
    ind = "    "
    if prog.params:
        names = ", ".join(n.name for n in prog.params)
        lines.append(f"{ind}{names}, = _P")
        lines.append(f"{ind}{' = '.join('g_' + n.name for n in prog.params)} = 0.0")
        # _G0: start from given gradients and add each term to them in turn (fit: one graph's order)
        lines.append(f"{ind}if _G0 is not None:")
        lines.append(f"{ind}{ind}{', '.join('g_' + n.name for n in prog.params)}, = _G0")
    lines.append(f"{ind}_total = 0.0")
    lines.append(f"{ind}_failed = []")
    cols = [f"_c{k}" for k in range(sum(inp is not None for inp in prog.inputs))]  # numbered as read below
    if cols:
        lines.append(f"{ind}{', '.join(cols)}, = _cols")
    lines.append(f"{ind}for _i in range(_n):")
    body = ind * 2
    k = 0
    for inp in prog.inputs:
        if inp is None:
            continue
        if type(inp) is list:
            if inp:
                lines.append(f"{body}{', '.join(x.name for x in inp)}, = _c{k}[_i]")
            else:
                lines.append(f"{body}if len(_c{k}[_i]): raise ValueError('argument length changed')")
        else:
            lines.append(f"{body}{inp.name} = _c{k}[_i]")
        k += 1
    guards_after: dict = {}
    for g in prog.guards:
        guards_after.setdefault(g.after, []).append(g)
    for g in guards_after.get(-1, []):
        lines.append(_py_guard(g, body))
    for i, n in enumerate(prog.nodes):
        lines += _py_forward(n, body)
        for g in guards_after.get(i, []):
            lines.append(_py_guard(g, body))
    root = prog.root
    lines.append(f"{body}_total += {atom(root)}")
    if prog.aux:
        lines.append(f"{body}if _outs is not None:")
        lines.append(f"{body}{ind}_outs.append((_i, ({''.join(atom(a) + ', ' for a in prog.aux)})))")
    if type(root) is Node and root.needs_grad:
        lines.append(f"{body}if _grad:")
        back, checked = _py_backward(prog)
        lines += [body + ind + line for line in back]
        if checked:
            # skipped blocks are exact only when what they would have multiplied by zero is finite
            lines.insert(lines.index(f"{ind}_total = 0.0"), f"{ind}_fin = 0.0 * sum(_P)")
            lines.append(f"{ind}if _fin != 0.0:")
            lines.append(f"{ind}{ind}raise FloatingPointError('a skipped zero gradient met a non-finite value')")
    lines.append(f"{ind}return _total, [{', '.join('g_' + n.name for n in prog.params)}], _failed")
    return "\n".join(lines) + "\n"


class _Block:
    """Backward code that runs only when a relu passes its gradient (not x <= 0): a dead unit's block is skipped."""

    def __init__(self, parent: _Block | None, cond: str | None, dropped: str | None) -> None:
        self.parent = parent
        self.cond = cond          # the relu passes its gradient: its input is not <= 0
        self.dropped = dropped    # the gradient the relu stops when cond fails
        self.items: list = []     # lines and nested _Blocks, in order
        self.depth: int = 0 if parent is None else parent.depth + 1
        self.values: set = set()  # node values used as local derivatives inside (checked finite when skipped)


def _common(a: _Block, b: _Block) -> _Block:
    while a.depth > b.depth:
        a = a.parent  # type: ignore[assignment]
    while b.depth > a.depth:
        b = b.parent  # type: ignore[assignment]
    while a is not b:
        a, b = a.parent, b.parent  # type: ignore[assignment]
    return a


def _py_backward(prog: Program) -> tuple[list, bool]:
    """The per-sample backward: contributions in backward()'s order, dead relu units' blocks skipped.

    A node whose only consumer is a relu gets its gradient only when the relu's
    input is > 0; otherwise every term it would add is a zero (exactly, when
    the factors are finite, which the generated code checks).  Its block, and
    every node whose gradient comes only from inside it, is skipped then.
    """
    root = prog.root
    params = set(prog.params)
    consumers: dict = {}
    for n in prog.nodes:
        for parent, spec in n.contribs:
            consumers.setdefault(parent, []).append((n, spec))
    top = _Block(None, None, None)
    if root in params:  # fn returned a parameter itself
        top.items.append(f"g_{root.name} += _seed")
    block_of: dict = {root: top}
    alias: dict = {root: "_seed"}
    for n in reversed(prog.nodes):
        if n is root or not n.needs_grad or n not in consumers:
            continue
        cs = consumers[n]
        c, spec = cs[0]
        if len(cs) == 1 and c.op == "relu" and spec == ("expr", 0) and n not in params:
            parent = block_of[c]
            b = _Block(parent, f"not {n.name} <= 0.0", alias.get(c, f"g_{c.name}"))
            block_of[n] = b
            alias[n] = alias.get(c, f"g_{c.name}")
            continue
        b = block_of[cs[0][0]]
        for c, _ in cs[1:]:
            b = _common(b, block_of[c])
        block_of[n] = b
    # which gradients need a 0.0 start: those with a contribution inside a block that may be skipped
    init: list = []
    for t, cs in consumers.items():
        if t in alias or t in params:
            continue
        home = block_of.get(t, top)
        if any(block_of[c] is not home for c, _ in cs):
            init.append(t)
    started = set(prog.params) | set(init)
    for n in reversed(prog.nodes):
        if n not in block_of or not n.needs_grad:
            continue
        b = block_of[n]
        if n in alias and b.cond is not None and b is not top and b not in b.parent.items:
            b.parent.items.append(b)  # here: after the lines that compute the relu's gradient
        g = alias.get(n, f"g_{n.name}")
        if b.cond is not None:
            used = [o.name for o in n.operands if type(o) is Node and o not in params]
            blk: _Block | None = b
            while blk is not None and blk.cond is not None:
                blk.values.update(used)
                blk = blk.parent
        for parent, spec in n.contribs:
            if parent in alias:  # the relu's own term: its input's gradient is the relu's inside the block
                continue
            local = py_local(n, spec)
            if n.op == "relu" and spec == ("expr", 0):  # a dead relu passes nothing on (not 0 * g)
                term = f"0.0 if {atom(n.operands[0])} <= 0.0 else {g}"
            elif local is None:
                term = g
            elif local == "-1.0":
                term = f"-{g}"
            else:
                term = f"{g} * {local}"
            target = f"g_{parent.name}"
            if parent in started:
                b.items.append(f"{target} += {term}")
            else:
                started.add(parent)
                b.items.append(f"{target} = {term}")
    out = [f"g_{t.name} = 0.0" for t in init] or ([] if top.items else ["pass"])
    checked = False
    stack: list = [(top, 0, 0)]
    while stack:
        blk, i, depth = stack.pop()
        if i == 0 and blk.cond is not None:
            out.append("    " * (depth - 1) + f"if {blk.cond}:")
        if i < len(blk.items):
            item = blk.items[i]
            stack.append((blk, i + 1, depth))
            if isinstance(item, _Block):
                stack.append((item, 0, depth + 1))
            else:
                out.append("    " * depth + item)
            continue
        if blk.cond is not None:
            if not blk.items:
                out.append("    " * depth + "pass")
            checked = True
            # the relu blocks its gradient, but backward() still multiplies the node's zero gradient
            # by each local derivative inside: a non-finite one makes a NaN there
            terms = ["0.0"] + sorted(blk.values)
            out.append("    " * (depth - 1) + "else:")
            for k in range(0, len(terms), _CHUNK):
                out.append("    " * depth + f"_fin += 0.0 * ({' + '.join(terms[k:k + _CHUNK])})")
    return out, checked


def _py_guard(g: _Guard, indent: str) -> str:
    cond = f"{atom(g.left)} {g.op} {atom(g.right)}"
    cond = f"not ({cond})" if g.outcome else f"({cond})"
    return f"{indent}if {cond}: _failed.append(_i); continue  # guard: the trace saw {g.outcome}"


# -- the compiled function ----------------------------------------------------------

class _Trace(NamedTuple):
    program: Program
    source: str
    kernel: Callable
    numpy: Any  # the numpy backend's kernel and source, or None
    plist: list  # the parameters the kernel reads and returns gradients for, in its order


class CompiledFunction:
    """What ``compile`` returns: call it like ``fn`` (plus ``.batch``, ``.source``).

    See ``compile`` for the contract.
    """

    def __init__(self, fn: Callable, params: list, param_names: list, backend: str) -> None:
        self.fn = fn
        self.params = params
        self.backend = backend
        self._param_names = param_names
        self._traces: dict = {}
        self._eager_reason: str | None = None
        self._last: _Trace | None = None
        self._aux = False  # fn returns (value, [outputs]); fit reads the model's outputs this way
        self._dropouts: list = []  # the model's Dropout modules: refused while in training mode
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)

    # -- public surface --

    @property
    def source(self) -> str:
        """The generated Python of the most recent trace (a function of no arguments is traced here)."""
        if self._last is None:
            if not self._arity_zero():
                raise RuntimeError("compile: nothing traced yet; call the compiled function once (the trace "
                                   "needs a sample)")
            self._get_trace([], ())
        if self._last is None:
            raise RuntimeError(f"compile: running eagerly ({self._eager_reason}); there is no source")
        return self._last.source if self.backend == "python" else self._last.numpy[1]

    @property
    def eager_reason(self) -> str | None:
        """Why calls run eagerly (a fallback was taken), or None while compiled code runs."""
        return self._eager_reason

    def __call__(self, *args: Any) -> float:
        """fn(*args).data, adding the gradient of that value into each parameter's .grad."""
        return self._run([[a] for a in args], 1, "sum")

    def batch(self, *columns: Any, reduce: str = "mean") -> float:
        """fn over every sample (one entry per sample in each column), reduced by "mean" or "sum".

        The gradient of the reduced value accumulates into each parameter's ``.grad``.
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f"batch: reduce must be 'mean' or 'sum', got {reduce!r}")
        if not columns:
            raise TypeError("batch: give one column per argument of fn (a function of no arguments has no batch)")
        cols = [_column(c, i, self.backend) for i, c in enumerate(columns)]
        n = len(cols[0])
        for i, c in enumerate(cols):
            if len(c) != n:
                raise ValueError(f"batch: columns have different lengths: column 0 has {n}, column {i} has {len(c)}")
        if n == 0:
            raise ValueError("batch: got no samples")
        return self._run(cols, n, reduce)

    def run_columns(self, cols: list, reduce: str, outputs: list | None = None, *, grad: bool = True,
                    into: bool = False) -> float:
        """``batch`` on columns already checked (one list per argument): the internal API of fit and evaluate.

        With ``has_aux``, each sample's outputs are appended to ``outputs`` as
        ``(sample index, outputs)``.  ``grad=False`` computes the value only
        (a first call still traces).  ``into=True`` adds each gradient term to
        the parameters' current ``.grad`` in turn, as one ``backward()`` over
        this call's graph and the previous call's would (fit: the data loss,
        then its L2 penalty).
        """
        return self._run(cols, len(cols[0]) if cols else 1, reduce, outputs, into=into, grad=grad)

    def __repr__(self) -> str:
        return f"<compiled {self.__name__} ({self.backend} backend, {len(self._traces)} trace(s))>"

    # -- internals --

    def _arity_zero(self) -> bool:
        import inspect

        try:
            return not inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            return False

    def _fallback(self, reason: str) -> None:
        if self._eager_reason is None:
            self._eager_reason = reason
            warnings.warn(f"compile: running {self.__name__} eagerly from now on: {reason}", stacklevel=4)

    def _eager(self, cols: list, rows: Iterable[int], seed: float, grad: bool, outs: list | None = None) -> list:
        """Run samples eagerly; their values in order (and their extra outputs into outs)."""
        vals = []
        for i in rows:
            out = self.fn(*[c[i] for c in cols])
            if self._aux:
                out, extra = out
                if outs is not None:
                    outs.append((i, tuple(v.data if type(v) is Value else float(v) for v in extra)))
            if type(out) is float or type(out) is int:
                vals.append(float(out))  # fn ran on floats and touched no Value: a constant, no gradient
                continue
            if type(out) is not Value:
                raise CompileError(f"compile: fn must return a Value, got {type(out).__name__}")
            if grad:
                out.backward(seed)
            vals.append(out.data)
        return vals

    def _check_dropout(self) -> None:
        # checked at every call: model.train() after compiling would otherwise go unnoticed
        if any(d.training for d in self._dropouts):
            raise CompileError("compile: the model has a Dropout in training mode: its random mask changes the "
                               "graph at every call.  Call model.eval(), or train without compile")

    def _run(self, cols: list, n: int, reduce: str, outs: list | None = None, into: bool = False,
             grad: bool = True) -> float:
        # into: add each gradient term to the parameters' current .grad in turn, as one backward() over a
        # graph holding this call and the previous one would (fit: the data loss, then its L2 penalty).
        # grad=False: the value only, as under no_grad(), but a first call can still trace (it needs the
        # graph, which no_grad() does not record): evaluate(compile=True) runs the forward passes this way
        if self._dropouts:
            self._check_dropout()
        grad = grad and is_grad_enabled()
        seed = 1.0 if reduce == "sum" else 1.0 / n
        anomaly = is_anomaly_enabled()
        if anomaly or self._eager_reason is not None or (not is_grad_enabled() and not self._traces):
            return _reduce(self._eager(cols, range(n), seed, grad, outs), n, reduce)
        # group the samples by their static arguments (ints): one trace each
        first = [_plain(c[0]) for c in cols]
        statics = tuple(type(a) is int for a in first)
        key = _key(first, statics)
        groups: dict = {key: None}
        if n > 1 and any(statics):
            groups = {}
            for i in range(n):
                k = _key([_plain(c[i]) for c in cols], statics)
                g = groups.get(k)
                if g is None:
                    groups[k] = [i]
                else:
                    g.append(i)
            if len(groups) == 1:
                groups = {key: None}
        totals = []
        pending_grads = []
        eager_rows: list = []
        found: list | None = None if outs is None else []
        for rows in groups.values():
            sample = first if rows is None else [_plain(c[rows[0]]) for c in cols]
            trace = self._get_trace(sample, statics, key if rows is None else None)
            if trace is None:  # fell back to eager
                return _reduce(self._eager(cols, range(n), seed, grad, outs), n, reduce)
            sub = cols if rows is None else [_take(c, rows) for c in cols]
            m = n if rows is None else len(rows)
            traced_cols = [c for c, s in zip(sub, statics) if not s]
            mine: list | None = None if outs is None else []
            kernel = trace.numpy[0] if self.backend == "numpy" else trace.kernel
            start = into and grad and self.backend == "python" and len(groups) == 1
            try:
                if start:
                    total, gs, failed = kernel(traced_cols, m, self._param_data(trace), seed, grad, mine,
                                               [p.grad for p in trace.plist])
                else:
                    total, gs, failed = kernel(traced_cols, m, self._param_data(trace), seed, grad, mine)
            except (ArithmeticError, ValueError):
                # the engine would raise here (or produce what the eager run produces): let it say so
                return _reduce(self._eager(cols, range(n), seed, grad, outs), n, reduce)
            totals.append(total)
            if start:
                for p, g in zip(trace.plist, gs):
                    p.grad = g
            elif grad:
                pending_grads.append((trace, gs))
            eager_rows += [i if rows is None else rows[i] for i in failed]
            if found is not None and mine is not None:
                found += mine if rows is None else [(rows[i], o) for i, o in mine]
        if grad:
            for trace, gs in pending_grads:
                for p, g in zip(trace.plist, gs):
                    p.grad += g
        if eager_rows:
            totals += self._eager(cols, sorted(eager_rows), seed, grad, found)
        if outs is not None and found is not None:
            found.sort(key=lambda io: io[0])
            outs += found
        return _reduce(totals, n, reduce)

    def _param_data(self, trace: _Trace) -> list:
        return [p.data for p in trace.plist]

    def _get_trace(self, sample: list, statics: tuple, key: tuple | None = None) -> _Trace | None:
        if key is None:  # _run passes the key it computed already
            key = _key(sample, statics)
        # A trace bakes in the numbers fn read from plain Python variables: they are part of the key, so a
        # changed one means a new trace, as a changed int argument does.
        key = (key, _python_scalars(self.fn))
        trace = self._traces.get(key)
        if trace is not None:
            return trace
        if len(self._traces) >= _MAX_TRACES:
            self._fallback(f"more than {_MAX_TRACES} distinct argument shapes, static (int) arguments or values "
                           "of the variables fn reads")
            return None
        try:
            first = _trace(self.fn, sample, statics, self.params, self._param_names, self._aux)
            again = _trace(self.fn, sample, statics, self.params, self._param_names, self._aux, True)
            if first.signature != tuple(again):
                raise _Unsupported("fn built a different graph when traced twice on the same sample "
                                   "(randomness, or state that changes between calls)")
        except _Unsupported as e:
            self._fallback(str(e))
            return None
        source = python_source(first)
        kernel = exec_source(source, "_kernel", PY_NAMESPACE)
        numpy_kernel = None
        if self.backend == "numpy":
            from autograd_lite import compiler_numpy
            numpy_kernel = compiler_numpy.build(first)
        trace = _Trace(first, source, kernel, numpy_kernel, [self.params[k] for k in first.param_index])
        self._traces[key] = trace
        self._last = trace
        return trace


def exec_source(source: str, name: str, namespace: dict) -> Callable:
    """Compile generated source and return its function ``name``, run in a copy of ``namespace``."""
    glb = dict(namespace)
    exec(builtins_compile(source, f"<autograd_lite.compile {name}>", "exec"), glb)
    return glb[name]


builtins_compile = compile  # the builtin, before this module's compile() shadows it


_SCALAR_TYPES = (bool, int, float, complex, str, bytes, type(None))


def _python_scalars(fn: Callable) -> tuple:
    """The plain numbers (and strings, flags) fn reads from its closure and its module's globals.

    A trace turns them into constants; comparing them at each call is how a changed ``scale = 3.0`` is
    noticed.  Objects (a model, a list, a config) are not looked into: what fn reads from them is fixed
    at trace time, as in JAX's ``jit``.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return ()
    found: list = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not yet assigned
            continue
        if type(value) in _SCALAR_TYPES:
            found.append(value)
    module = getattr(fn, "__globals__", {})
    for name in code.co_names:
        value = module.get(name, _SCALAR_TYPES)  # (a builtin, or an attribute's name: not a scalar)
        if type(value) in _SCALAR_TYPES:
            found.append((name, value))
    return tuple(found)


def _key(sample: Sequence, statics: tuple) -> tuple:
    return tuple(a if s else (len(a) if isinstance(a, (list, tuple)) else -1) for a, s in zip(sample, statics))


def _reduce(values: list, n: int, reduce: str) -> float:
    total = 0.0
    for v in values:
        total += v
    return total / n if reduce == "mean" else total  # as losses' mean: sum(terms) / n


def _plain(a: Any) -> Any:
    """A sample's argument as Python numbers (a numpy row or scalar becomes a list or a float)."""
    return a.tolist() if hasattr(a, "ndim") else a


def _take(c: Any, rows: list) -> Any:
    if hasattr(c, "ndim"):
        return c[rows]
    return [c[i] for i in rows]


def _column(c: Any, i: int, backend: str) -> Any:
    if hasattr(c, "tolist") and hasattr(c, "ndim"):
        if c.ndim == 0:
            raise TypeError(f"batch: column {i} must have one entry per sample, got a 0-d array")
        # the python backend indexes plain floats much faster; numpy keeps its arrays
        return c if backend == "numpy" and c.dtype.kind == "f" else c.tolist()
    if isinstance(c, (str, bytes)) or not hasattr(c, "__len__"):
        raise TypeError(f"batch: column {i} must be a sequence with one entry per sample, got {type(c).__name__}")
    return c if isinstance(c, list) else list(c)


def compile(fn: Callable[..., Any], params: Any = (), backend: str = "python", *,
            has_aux: bool = False) -> CompiledFunction:
    """Trace ``fn`` on its first call and run it as generated straight-line code from then on.

    - ``fn`` takes one sample's arguments (floats, or lists of floats; ints are
      static, e.g. class labels) and returns a Value; it may take none.
    - ``params``: the Values ``fn`` closes over and that get gradients (a list,
      or a Module).  Their current ``.data`` is read at every call.
    - ``backend``: "python" (stdlib only) or "numpy" (``pip install numpy``).
    - ``has_aux``: ``fn`` returns ``(value, outputs)``, as with JAX's
      ``has_aux``; calls return the value, and ``run_columns`` also collects
      each sample's outputs (how ``fit`` reads a compiled model's outputs).

    ``fast(*args)`` returns ``fn(*args).data`` and adds its gradient into each
    parameter's ``.grad``, as ``fn(*args).backward()`` would; ``fast.batch(*columns,
    reduce="mean")`` does the same for the mean (or sum) over samples;
    ``fast.source`` is the generated code.

    >>> import autograd_lite as al
    >>> model = al.nn.MLP(2, [4, 1], seed=0)
    >>> loss = al.compile(lambda x, y: (model(x) - y) ** 2, model)
    >>> value = loss.batch([[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0])
    >>> len([p for p in model.parameters() if p.grad != 0.0]) > 0
    True
    """
    if not callable(fn):
        raise TypeError(f"compile: fn must be callable, got {type(fn).__name__}")
    if backend not in ("python", "numpy"):
        raise ValueError(f"compile: backend must be 'python' or 'numpy', got {backend!r}")
    if backend == "numpy":
        try:
            import numpy  # noqa: F401
        except ImportError:
            raise ImportError("compile(backend='numpy') needs numpy: pip install 'autograd_lite[compile]'") from None
    names: list = []
    if hasattr(params, "named_parameters") and callable(params.named_parameters):
        named = params.named_parameters()
        plist = [p for _, p in named]
        names = [_identifier(k, f"p{i}") for i, (k, _) in enumerate(named)]
    else:
        if isinstance(params, Value) or not hasattr(params, "__iter__"):
            raise TypeError(f"compile: params must be a list of Values or a Module, got {type(params).__name__}")
        plist = list(params)
    unique: list = []
    seen: set = set()
    for i, p in enumerate(plist):
        if type(p) is not Value:
            raise TypeError(f"compile: params[{i}] must be a Value, got {type(p).__name__}")
        if p.op:
            raise ValueError(f"compile: params[{i}] is the result of an op ({p.op!r}), not a leaf; pass the leaves "
                             f"(the Values an optimizer updates)")
        if p not in seen:
            seen.add(p)
            unique.append((p, names[i] if names else f"p{i}"))
    dropouts: list = []
    if hasattr(params, "modules") and callable(params.modules):
        from autograd_lite.nn import Dropout
        dropouts = [m for m in params.modules() if isinstance(m, Dropout) and m.p > 0.0]
    fast = CompiledFunction(fn, [p for p, _ in unique], [n for _, n in unique], backend)
    fast._aux = bool(has_aux)
    fast._dropouts = dropouts
    fast._check_dropout()
    return fast
