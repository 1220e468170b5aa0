"""The numpy backend of ``compile``: one traced program run on arrays, one element per sample.

Every node that depends on a traced argument becomes an array of shape (n,);
nodes that depend only on parameters stay scalars.  Dot nodes that read the
same inputs and whose weights and bias are parameters (a layer) are lifted to
one matrix product ``Z = X @ W.T + b``, and a unary op applied to every column
of such a matrix (the layer's activation) runs on the whole matrix.  A sum of
many terms that are one exact op of parameters (an L2 penalty's ``p * p``)
runs as one vector op and a left-to-right sum, its gradient scattered at once.
Where lifting does not apply the program stays elementwise, node by node.

Only ``autograd_lite.compiler`` imports this module, and only for
``backend="numpy"``: ``import autograd_lite`` never imports numpy.
"""

from __future__ import annotations

import math
import re
import struct
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_lite.compiler import (
    FORWARD,
    PY_NAMESPACE,
    Node,
    Program,
    atom,
    chunked_sum,
    exec_source,
    py_local,
    python_source,
)

# relu: np.maximum(x, 0.0) is the engine's `0.0 if x <= 0.0 else x` to the bit (NaN stays NaN, -0.0 gives
# 0.0; tests/test_compile_numpy.py checks this numpy does so) at about half np.where's cost
_NP_FORWARD = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "rsub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "rdiv": "{0} / {1}", "pow": "_np.power({0}, {1})", "rpow": "_np.power({0}, {1})", "neg": "-{0}",
    "abs": "_np.abs({0})", "exp": "_np.exp({0})", "log": "_np.log({0})", "sqrt": "_np.sqrt({0})",
    "tanh": "_np.tanh({0})", "sigmoid": "_np_sigmoid({0})", "relu": "_np.maximum({0}, 0.0)",
    "leaky_relu": "_np.where({0} > 0.0, {0}, {1} * {0})", "softplus": "_np_softplus({0})", "sin": "_np.sin({0})",
    "cos": "_np.cos({0})", "id": "{0}",
}
# ops whose forward can leave the domain (the engine raises there): flagged, and those samples run eagerly
_CHECKED = {"div", "rdiv", "pow", "rpow", "exp", "log", "sqrt"}


def _np_sigmoid(x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_softplus(x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _np_params(values: list, pack: Callable) -> Any:
    """The parameters' values as an array: packing their bytes takes less than half np.array(list)'s time."""
    try:
        return np.frombuffer(pack(*values))
    except struct.error:  # a value that is not a number: np.array raises its usual error for it
        return np.array(values, dtype=float)


def _np_dpow_base(x: Any, y: Any) -> Any:
    with np.errstate(all="ignore"):
        d = y * np.power(x, y - 1.0)
    return np.where(y == 0.0, 0.0, np.where((x == 0.0) & (y < 1.0), np.inf, d))


def _np_dpow_exponent(x: Any, out: Any) -> Any:
    safe = np.where(x > 0.0, x, 1.0)
    return np.where(x > 0.0, out * np.log(safe), np.where(x == 0.0, 0.0, np.nan))


# numpy kernels under _np_ names; the python backend's kernels (for what never varies per sample) as well
_NAMESPACE = {
    **PY_NAMESPACE,
    "_np": np, "_np_sigmoid": _np_sigmoid, "_np_softplus": _np_softplus, "_np_dpow_base": _np_dpow_base,
    "_np_dpow_exponent": _np_dpow_exponent, "_np_params": _np_params, "_inf": np.inf, "_nan": np.nan,
}


def _np_locals(n: Node, i: int) -> str | None:
    """Local derivative of n toward operand i, as a numpy expression (None: exactly 1)."""
    ops = [atom(o) for o in n.operands]
    a = ops[0]
    b = ops[1] if len(ops) > 1 else None
    out = n.name
    op = n.op
    if op == "add" or op == "id":
        return None
    if op in ("sub", "rsub"):
        return None if i == 0 else "-1.0"
    if op == "mul":
        return b if i == 0 else a
    if op in ("div", "rdiv"):
        return f"(1.0 / {b})" if i == 0 else f"(-{out} / {b})"
    if op in ("pow", "rpow"):
        return f"_np_dpow_base({a}, {b})" if i == 0 else f"_np_dpow_exponent({a}, {out})"
    return {
        "neg": "-1.0", "abs": f"_np.sign({a})", "exp": out, "log": f"(1.0 / {a})", "sqrt": f"(0.5 / {out})",
        "tanh": f"(1.0 - {out} * {out})", "sigmoid": f"({out} * (1.0 - {out}))",
        "relu": f"_np.where({a} <= 0.0, 0.0, 1.0)",
        "leaky_relu": f"_np.where({a} > 0.0, 1.0, {b})", "softplus": f"_np_sigmoid({a})", "sin": f"_np.cos({a})",
        "cos": f"(-_np.sin({a}))",
    }[op]


class _Group:
    """Nodes computed together as the columns of one (n, k) matrix."""

    def __init__(self, name: str, members: list, kind: str) -> None:
        self.name = name          # the matrix variable
        self.members = members    # the column nodes, in column order
        self.kind = kind          # "dot" (a lifted layer) or a unary op name
        self.source: Any = None   # dot: the input matrix expression; unary: the group it reads
        self.x_nodes: list = []   # dot: the input nodes, in column order
        self.w_idx: list = []     # dot: parameter positions of W, row-major (k, m)
        self.b: Any = None        # dot: parameter positions of the biases, or the float bias
        self.slope: Any = None    # leaky_relu group: the slope
        self.slice: Any = None    # dot: (start, stop) when the layer's parameters are one slice


class _ParamMap:
    """A sum over one op applied to many parameters (an L2 penalty's p * p): one array op and one sum.

    The scalar form costs a line per parameter forward and two backward; here the
    members are computed as one vector over the parameters they read, summed left
    to right as the engine sums, and their gradient terms are scattered into the
    gradient vector in one step.
    """

    def __init__(self, name: str, total: Node, members: list) -> None:
        self.name = name          # the vector variable
        self.total = total        # the sum node
        self.members = members    # its operand nodes, in the sum's order
        self.op = members[0].op
        self.operands: list = []  # per operand position: ("p", parameter positions) or ("c", constants)
        self.vectors: list = []   # per operand position: the expression the generated code reads
        self.links: list = []     # a built-in sum's chain of adds before the total: computed by the map


# ops whose numpy result equals Python's to the bit and that cannot raise: safe to run on a vector of
# parameters (exp, tanh, ... use other implementations than the math module; division and log can raise)
_MAP_OPS = {"add", "sub", "rsub", "mul", "neg"}
_MIN_MAP = 16  # fewer members run faster as scalar lines than as the few numpy calls a map costs


def _find_param_maps(prog: Program, param_pos: dict) -> dict:
    """Sums of many terms, each one op of _MAP_OPS over parameters and numbers (the same op and form in all).

    The sum is an ``al.sum`` node, or a chain ``((t0 + 0) + t1) + t2 ...`` as
    Python's built-in ``sum`` builds it (the chain's links become part of the map).
    """
    consumers: dict = {}
    for n in prog.nodes:
        for o in n.operands:
            if type(o) is Node:
                consumers.setdefault(o, []).append(n)
    # a term (or a link of a chain) must feed the sum alone: its gradient is then the sum's, and nothing
    # else reads its value
    taken = {s for g in prog.guards for s in (g.left, g.right) if type(s) is Node}
    taken.update(s for s in [prog.root] + list(prog.aux) if type(s) is Node)

    def alone(m: Any) -> bool:
        return type(m) is Node and len(consumers.get(m, ())) == 1 and m not in taken and not m.batched

    def form(m: Node) -> tuple:
        return (m.op,) + tuple(type(o) is Node for o in m.operands)

    def term(m: Any, first: tuple) -> bool:
        return alone(m) and form(m) == first and all(type(o) is not Node or o in param_pos for o in m.operands)

    maps: dict = {}
    walked: set = set()  # chain links seen from a later link: each chain is walked once
    for n in reversed(prog.nodes):
        links: list = []
        if n.op == "sum" and not n.batched:
            members = list(n.operands)
            if len(members) < _MIN_MAP or type(members[0]) is not Node:
                continue
            first = form(members[0])
            if not all(term(m, first) for m in members):  # a term read twice is not alone
                continue
        elif n.op == "add" and not n.batched and n not in walked:
            # walk the chain back to its first link, t0 + 0.0 (the built-in sum's start; t0 may be an add too)
            chain = [n]
            while type(chain[-1].operands[1]) is Node and type(chain[-1].operands[0]) is Node \
                    and chain[-1].operands[0].op == "add" and alone(chain[-1].operands[0]):
                chain.append(chain[-1].operands[0])
            walked.update(chain)
            chain.reverse()
            head = chain[0].operands
            if type(head[1]) is not float or head[1] != 0.0 or math.copysign(1.0, head[1]) < 0.0 \
                    or type(head[0]) is not Node:
                continue
            members = [head[0]] + [c.operands[1] for c in chain[1:]]
            first = form(members[0])
            k = 0  # the longest run of terms from the start
            while k < len(members) and term(members[k], first):
                k += 1
            if k < _MIN_MAP:
                continue
            members = members[:k]
            n = chain[k - 1]
            links = chain[:k - 1]
        else:
            continue
        if first[0] not in _MAP_OPS or not any(first[1:]):
            continue
        pm = _ParamMap(f"_V{len(maps)}", n, members)
        pm.links = links
        for j, is_param in enumerate(first[1:]):
            column = [m.operands[j] for m in members]
            pm.operands.append(("p", [param_pos[o] for o in column]) if is_param else ("c", column))
        maps[n] = pm
    return maps


def build(prog: Program) -> tuple[Callable, str]:
    """(kernel, source) for the numpy backend; a program that never varies per sample runs the python kernel."""
    if not any(n.batched for n in prog.nodes) and not _find_param_maps(prog, {p: i for i, p in
                                                                             enumerate(prog.params)}):
        source = python_source(prog)
        return exec_source(source, "_kernel", PY_NAMESPACE), source
    consts: dict = {}
    source = _numpy_source(prog, consts)
    kernel = exec_source(source, "_kernel", {**_NAMESPACE, **consts})

    def run(cols: list, n: int, P: list, seed: float, grad: bool, outs: list | None = None) -> tuple:
        with np.errstate(all="ignore"):
            total, gs, failed = kernel(cols, n, P, seed, grad, outs)
            if total is not None:
                return total, gs, failed
            ok = np.ones(n, dtype=bool)
            ok[failed] = False
            rows = np.flatnonzero(ok)
            if not len(rows):
                return 0.0, [0.0] * len(P), failed
            sub = [np.asarray(c)[rows] for c in cols]
            mine: list | None = None if outs is None else []
            total, gs, again = kernel(sub, len(rows), P, seed, grad, mine)
            if outs is not None and mine is not None:
                outs.extend((int(rows[i]), o) for i, o in mine)
            if total is None:  # cannot happen: the same samples passed before
                raise AssertionError("compile: guards failed twice on the same samples")
            return total, gs, failed

    return run, source


def _find_groups(prog: Program, param_pos: dict) -> tuple[dict, list]:
    """Lift layers: dot nodes over the same batched inputs with parameter weights and bias."""
    member_of: dict = {}
    groups: list = []
    layers: dict = {}
    for n in prog.nodes:
        if n.op != "dot" or not n.batched:
            continue
        ops = n.operands
        ws = ops[1::2]
        xs = ops[2::2]
        bias = ops[0]
        if not ws or not all(type(w) is Node and w in param_pos for w in ws):
            continue
        if not all(type(x) is Node and x.batched for x in xs):
            continue
        if not (type(bias) is float or (type(bias) is Node and bias in param_pos)):
            continue
        key = (tuple(id(x) for x in xs), type(bias) is float)
        layers.setdefault(key, []).append(n)
    for members in layers.values():
        g = _Group(f"Z{len(groups)}", members, "dot")
        g.x_nodes = list(members[0].operands[2::2])
        g.w_idx = [param_pos[w] for m in members for w in m.operands[1::2]]
        g.b = [param_pos[m.operands[0]] for m in members] if type(members[0].operands[0]) is Node else \
            [m.operands[0] for m in members]
        groups.append(g)
        for j, m in enumerate(members):
            member_of[m] = (g, j)
    # unary ops over every column of a group: one op on the matrix
    consumers: dict = {}
    for n in prog.nodes:
        for o in n.operands:
            if type(o) is Node:
                consumers.setdefault(o, []).append(n)
    k = 0
    while k < len(groups):
        g = groups[k]
        k += 1
        cands: list[Any] = []
        for m in g.members:
            found = [c for c in consumers.get(m, []) if c.op in _NP_FORWARD and c.op not in ("add", "sub", "rsub",
                     "mul", "div", "rdiv", "pow", "rpow") and c.operands[0] is m and c not in member_of]
            cands.append(found[0] if found else None)
        if any(c is None for c in cands):
            continue
        op = cands[0].op
        slope = cands[0].operands[1] if op == "leaky_relu" else None
        if any(c.op != op or (op == "leaky_relu" and c.operands[1] != slope) for c in cands):
            continue
        if len(set(map(id, cands))) != len(cands):
            continue
        u = _Group(f"A{len(groups)}", cands, op)
        u.source = g
        u.slope = slope
        groups.append(u)
        for j, m in enumerate(cands):
            member_of[m] = (u, j)
    # order columns as the next layer reads them, so it multiplies the matrix itself (no gather)
    for g in groups:
        if g.kind != "dot" or not g.x_nodes or g.x_nodes[0] not in member_of:
            continue
        u = member_of[g.x_nodes[0]][0]
        if u is g or len(u.members) != len(g.x_nodes) or set(map(id, u.members)) != set(map(id, g.x_nodes)):
            continue
        order = [member_of[x][1] for x in g.x_nodes]
        chain = u
        while chain is not None:
            chain.members = [chain.members[j] for j in order]
            for j, m in enumerate(chain.members):
                member_of[m] = (chain, j)
            if chain.kind == "dot":
                chain.w_idx = [param_pos[w] for m in chain.members for w in m.operands[1::2]]
                chain.b = [param_pos[m.operands[0]] for m in chain.members] \
                    if type(chain.members[0].operands[0]) is Node else [m.operands[0] for m in chain.members]
                chain = None
            else:
                chain = chain.source
    return member_of, groups


def _numpy_source(prog: Program, consts: dict) -> str:
    param_pos = {p: i for i, p in enumerate(prog.params)}

    def const(idx: list) -> str:
        """An index array, made once at compile time (a list literal would be converted at every call)."""
        name = f"_I{len(consts)}"
        consts[name] = np.array(idx, dtype=np.intp)
        return name

    member_of, groups = _find_groups(prog, param_pos)
    maps = _find_param_maps(prog, param_pos)
    map_member = {m: pm for pm in maps.values() for m in pm.members + pm.links}
    ind = "    "
    L = ["def _kernel(_cols, _n, _P, _seed, _grad, _outs=None):"]
    consts["_pack"] = struct.Struct(f"{len(prog.params)}d").pack
    L.append(f"{ind}_Parr = _np_params(_P, _pack)")
    loaded = len(L)  # scalar parameter loads go here, once we know which ones ungrouped code reads
    cols = [f"_c{k}" for k in range(sum(inp is not None for inp in prog.inputs))]  # numbered as read below
    if cols:
        L.append(f"{ind}{', '.join(cols)}, = _cols")
    # input matrices: a list argument is an (n, d) array; its columns are the per-sample floats
    input_matrix: dict = {}
    columns: list = []  # (line, name) per input column: the line is dropped when only the matrix is read
    k = 0
    for inp in prog.inputs:
        if inp is None:
            continue
        if type(inp) is list:
            L.append(f"{ind}_X{k} = _np.asarray(_c{k}, dtype=float).reshape(_n, {len(inp)})")
            input_matrix[tuple(id(x) for x in inp)] = f"_X{k}"
            for j, x in enumerate(inp):
                L.append(f"{ind}{x.name} = _X{k}[:, {j}]")
                columns.append((L[-1], x.name))
        else:
            L.append(f"{ind}{inp.name} = _np.asarray(_c{k}, dtype=float).reshape(_n)")
        k += 1
    checking = bool(prog.guards) or any(n.op in _CHECKED for n in prog.nodes if n not in member_of)
    if checking:
        L.append(f"{ind}_ok = _np.ones(_n, dtype=bool)")
    # which grouped nodes are read one column at a time (by an ungrouped node, a guard, or as the output)
    column_read: set = set()
    for n in prog.nodes:
        if n in member_of and member_of[n][0].kind != "dot":
            continue
        if n in member_of:
            continue
        for o in n.operands:
            if type(o) is Node and o in member_of:
                column_read.add(o)
    for g in prog.guards:
        for s in (g.left, g.right):
            if type(s) is Node and s in member_of:
                column_read.add(s)
    for s in [prog.root] + list(prog.aux):
        if type(s) is Node and s in member_of:
            column_read.add(s)
    # a dot group reading another group's columns in order reads its matrix
    for g in groups:
        if g.kind != "dot":
            continue
        key = tuple(id(x) for x in g.x_nodes)
        src = input_matrix.get(key)
        if src is None:
            for h in groups:
                if tuple(id(m) for m in h.members) == key:
                    src = h.name
                    break
        if src is None:
            src = f"_np.stack([{', '.join(atom(x) for x in g.x_nodes)}], axis=1)"
            column_read.update(x for x in g.x_nodes if x in member_of)
        g.source = src

    guards_after: dict = {}
    for g in prog.guards:
        guards_after.setdefault(g.after, []).append(g)

    def guard_lines(gs: list) -> list:
        out = []
        for g in gs:
            cond = f"({atom(g.left)} {g.op} {atom(g.right)})"
            out.append(f"{ind}_ok &= {cond if g.outcome else '~' + cond}  # guard: the trace saw {g.outcome}")
        return out

    # -- forward --
    L += guard_lines(guards_after.get(-1, []))
    emitted: set = set()
    for i, n in enumerate(prog.nodes):
        if n in member_of:
            g, _ = member_of[n]
            if g not in emitted:
                emitted.add(g)
                if g.kind == "dot":
                    m = len(g.x_nodes)
                    k = len(g.members)
                    base = g.w_idx[0]
                    if type(g.b[0]) is not float and g.w_idx == [base + r * (m + 1) + c for r in range(k)
                                                                 for c in range(m)] \
                            and g.b == [base + r * (m + 1) + m for r in range(k)]:
                        # a Module's layer: each neuron's weights then its bias, neurons in order, so the
                        # layer is one slice of the parameters, viewed as (k, m + 1)
                        g.slice = (base, base + k * (m + 1))
                        L.append(f"{ind}_L{g.name} = _Parr[{base}:{base + k * (m + 1)}].reshape({k}, {m + 1})")
                        L.append(f"{ind}_W{g.name} = _L{g.name}[:, :{m}]")
                        L.append(f"{ind}{g.name} = {g.source} @ _W{g.name}.T + _L{g.name}[:, {m}]")
                    else:
                        L.append(f"{ind}_W{g.name} = _Parr[{const(g.w_idx)}].reshape({k}, {m})")
                        if type(g.b[0]) is float:
                            L.append(f"{ind}_B{g.name} = _np.array({g.b!r})")
                        else:
                            L.append(f"{ind}_B{g.name} = _Parr[{const(g.b)}]")
                        L.append(f"{ind}{g.name} = {g.source} @ _W{g.name}.T + _B{g.name}")
                else:
                    src = g.source.name
                    L.append(f"{ind}{g.name} = {_NP_FORWARD[g.kind].format(src, repr(g.slope))}")
                for j, mbr in enumerate(g.members):
                    if mbr in column_read:
                        L.append(f"{ind}{mbr.name} = {g.name}[:, {j}]")
        elif n in map_member:
            pass  # computed with its sum, as one vector
        elif n in maps:
            L += _map_forward(maps[n], const, consts, ind)
        else:
            ops = [atom(o) for o in n.operands]
            if n.op == "sum":
                L += chunked_sum(n.name, "0.0", ops, ind)
            elif n.op == "dot":
                L += chunked_sum(n.name, ops[0], [f"{ops[j]} * {ops[j + 1]}" for j in range(1, len(ops), 2)], ind)
            elif not n.batched:  # parameters only: Python floats (numpy scalars are slower), Python's errors
                L.append(f"{ind}{n.name} = {FORWARD[n.op].format(*ops)}")
            else:
                L.append(f"{ind}{n.name} = {_NP_FORWARD[n.op].format(*ops)}")
            if n.op in _CHECKED and n.batched:
                L.append(f"{ind}_ok &= _np.isfinite({n.name})")
        L += guard_lines(guards_after.get(i, []))
    root = prog.root
    if checking:
        L.append(f"{ind}if not _ok.all():")
        L.append(f"{ind}{ind}return None, None, _np.flatnonzero(~_ok).tolist()")
    if prog.aux:
        L.append(f"{ind}if _outs is not None:")
        cols_ = ", ".join(f"_np.broadcast_to({atom(a)}, (_n,)).tolist()" for a in prog.aux)
        L.append(f"{ind}{ind}_outs.extend(zip(range(_n), zip({cols_})))")
    if type(root) is Node and root.batched:
        L.append(f"{ind}_total = float({root.name}.sum())")
    else:
        L.append(f"{ind}_total = float({atom(root)}) * _n")
    read: set = set()
    for n in prog.nodes:
        if n not in member_of and n not in map_member:
            read.update(o for o in n.operands if type(o) is Node)
            read.update(s[1] for _, s in n.contribs if s[0] == "dot")
    for g in prog.guards:
        read.update(s for s in (g.left, g.right) if type(s) is Node)
    L[loaded:loaded] = [f"{ind}{p.name} = _P[{i}]" for p, i in param_pos.items() if p in read or p is root]
    nparams = len(prog.params)
    L.append(f"{ind}_G = _np.zeros({nparams})")
    # -- backward --
    if type(root) is Node and root.needs_grad:
        B = []
        written: set = set()  # positions of _G that backward lines before this one add to
        if any(g.kind == "dot" and (g.slice is not None or type(g.b[0]) is not float) for g in groups):
            B.append("_ones = _np.ones(_n)")  # a layer's bias gradient sums over samples: _ones @ its gradient
        if root in param_pos:
            B.append(f"_G[{param_pos[root]}] += _seed * _n")  # fn returned a parameter
            written.add(param_pos[root])
        else:
            B.append(f"g_{root.name} = _np.full(_n, _seed)" if root.batched else f"g_{root.name} = _seed * _n")
        started = {root}
        matrix_contribs: dict = {}   # group -> [expressions]

        scalar_grads: list = []  # parameters with terms outside lifted layers: a Python float each

        def add(target: Node, term: str, child_batched: bool) -> None:
            if target in param_pos:
                s = f"float(_np.add.reduce({term}))" if child_batched else term
                if target not in scalar_grads:
                    scalar_grads.append(target)
                    B.append(f"g_{target.name} = {s}")
                else:
                    B.append(f"g_{target.name} += {s}")
                return
            if child_batched and not target.batched:
                term = f"float(_np.add.reduce({term}))"
            if target in started:
                B.append(f"g_{target.name} = g_{target.name} + {term}")
            else:
                started.add(target)
                B.append(f"g_{target.name} = {term}")

        done_groups: set = set()
        index = {n: i for i, n in enumerate(prog.nodes)}
        for n in reversed(prog.nodes):
            if n in member_of:
                g, _ = member_of[n]
                # emit the group's backward at its first member in forward order (all consumers are done)
                first = min(g.members, key=index.__getitem__)
                if n is not first or g in done_groups:
                    continue
                done_groups.add(g)
                gm = f"g_{g.name}"
                terms = matrix_contribs.get(g, [])
                if not terms and len(g.members) == 1 and g.members[0] in started:
                    B.append(f"{gm} = g_{g.members[0].name}.reshape(_n, 1)")
                else:
                    B.append(f"{gm} = {' + '.join(terms) if terms else f'_np.zeros((_n, {len(g.members)}))'}")
                    for j, mbr in enumerate(g.members):
                        if mbr in started:
                            B.append(f"{gm}[:, {j}] += g_{mbr.name}")
                if g.kind == "dot":
                    W = f"_W{g.name}"
                    if g.slice is not None:
                        a, b = g.slice
                        m = len(g.x_nodes)
                        B.append(f"_GL = _G[{a}:{b}].reshape({len(g.members)}, {m + 1})")
                        if written.isdisjoint(range(a, b)):
                            # the layer's first gradient terms: the products write into _G, no temporaries
                            B.append(f"_np.matmul({gm}.T, {g.source}, out=_GL[:, :{m}])")
                            B.append(f"_np.matmul(_ones, {gm}, out=_GL[:, {m}])")
                        else:
                            B.append(f"_GL[:, :{m}] += {gm}.T @ {g.source}")
                            B.append(f"_GL[:, {m}] += _ones @ {gm}")
                        written.update(range(a, b))
                    else:
                        B.append(_scatter(const, g.w_idx, f"({gm}.T @ {g.source}).ravel()"))
                        written.update(g.w_idx)
                        if type(g.b[0]) is not float:
                            B.append(_scatter(const, g.b, f"_ones @ {gm}"))
                            written.update(g.b)
                    if any(x.needs_grad for x in g.x_nodes):
                        src_group = next((h for h in groups if h.name == g.source), None)
                        if src_group is not None:
                            matrix_contribs.setdefault(src_group, []).append(f"({gm} @ {W})")
                        else:
                            B.append(f"_gX{g.name} = {gm} @ {W}")
                            for j, x in enumerate(g.x_nodes):
                                if x.needs_grad:
                                    add(x, f"_gX{g.name}[:, {j}]", True)
                else:
                    src = g.source
                    # the same local derivative as the elementwise form, on the matrix
                    operands = (Node(src.name, "", (), True, True, 0.0),) + ((g.slope,) if g.slope is not None else ())
                    probe = Node(g.name, g.kind, operands, True, True, 0.0)
                    local = _np_locals(probe, 0)
                    term = gm if local is None else f"{gm} * {local}"
                    if g.kind == "relu":  # a dead relu passes nothing on (not 0 * g)
                        term = f"_np.where({src.name} <= 0.0, 0.0, {gm})"
                    matrix_contribs.setdefault(src, []).append(f"({term})")
                continue
            if n not in started or n in map_member:
                continue  # a map's members: their terms come with the map's sum
            gname = f"g_{n.name}"
            if n in maps:
                B += _map_backward(maps[n], gname, const)
                written.update(i for kind, data in maps[n].operands if kind == "p" for i in data)
                continue
            for parent, spec in n.contribs:
                if spec[0] == "one":
                    local = None
                elif spec[0] == "dot":
                    local = atom(spec[1])
                elif not n.batched:
                    local = py_local(n, spec)
                else:
                    local = _np_locals(n, spec[1])
                term = gname if local is None else (f"-{gname}" if local == "-1.0" else f"{gname} * {local}")
                if n.op == "relu":  # a dead relu passes nothing on (not 0 * g)
                    a = atom(n.operands[0])
                    term = f"(0.0 if {a} <= 0.0 else {gname})" if not n.batched else \
                        f"_np.where({a} <= 0.0, 0.0, {gname})"
                if parent in member_of:
                    # a grouped parent read one column at a time: its column gradient
                    target = parent
                    if target in started:
                        B.append(f"g_{target.name} = g_{target.name} + {term}")
                    else:
                        started.add(target)
                        B.append(f"g_{target.name} = {term}")
                else:
                    add(parent, term, n.batched)
        L.append(f"{ind}if _grad:")
        L += [ind * 2 + b for b in B]
        if scalar_grads:
            L.append(f"{ind}{ind}_g = _G.tolist()")
            for t in scalar_grads:
                L.append(f"{ind}{ind}_g[{param_pos[t]}] += g_{t.name}")
            L.append(f"{ind}{ind}return _total, _g, []")
    L.append(f"{ind}return _total, _G.tolist(), []")
    uses = Counter(re.findall(r"\w+", "\n".join(L)))  # one pass, however many input columns
    unread = {line for line, name in columns if uses[name] == 1}
    return "\n".join(line for line in L if line not in unread) + "\n"


def _map_forward(pm: _ParamMap, const: Callable, consts: dict, ind: str) -> list:
    """The map's members as one vector, and their sum, left to right from 0.0 as the engine adds."""
    lines = []
    loaded: dict = {}  # parameter positions -> the variable holding them (p * p reads one gather)
    for kind, data in pm.operands:
        if kind == "p":
            key = tuple(data)
            if key not in loaded:
                loaded[key] = f"{pm.name}_{len(loaded)}"
                lines.append(f"{ind}{loaded[key]} = _Parr[{_positions(const, data)}]")
            pm.vectors.append(loaded[key])
        elif len(set(map(repr, data))) == 1:
            pm.vectors.append(atom(data[0]))
        else:
            name = f"_C{len(consts)}"
            consts[name] = np.array(data, dtype=float)
            pm.vectors.append(name)
    lines.append(f"{ind}{pm.name} = {_NP_FORWARD[pm.op].format(*pm.vectors)}")
    # add.accumulate adds in order (np.sum would add pairwise); 0.0 + turns an all -0.0 sum into 0.0, as the
    # engine's 0.0 + t0 + t1 + ... does
    lines.append(f"{ind}{pm.total.name} = float(0.0 + _np.add.accumulate({pm.name})[-1])")
    return lines


def _map_backward(pm: _ParamMap, g: str, const: Callable) -> list:
    """Each member's gradient is the sum's (g); its terms toward the parameters, scattered into _G at once."""
    terms: dict = {}  # parameter positions -> the terms toward them, in operand order (p * p: two)
    for j, (kind, data) in enumerate(pm.operands):
        if kind != "p":
            continue
        if pm.op == "mul":
            local: str | None = pm.vectors[1 - j]
        elif pm.op == "neg" or (pm.op in ("sub", "rsub") and j == 1):
            local = "-1.0"
        else:
            local = None
        term = g if local is None else (f"-{g}" if local == "-1.0" else f"{g} * {local}")
        terms.setdefault(tuple(data), []).append(term)
    return [_scatter(const, list(idx), " + ".join(ts) if len(ts) == 1 else f"({' + '.join(ts)})")
            for idx, ts in terms.items()]


def _positions(const: Callable, idx: list) -> str:
    """Parameter positions as an index: a slice when they are consecutive (a view, no gather)."""
    if idx == list(range(idx[0], idx[0] + len(idx))):
        return f"{idx[0]}:{idx[0] + len(idx)}"
    return const(idx)


def _scatter(const: Callable, idx: list, values: str) -> str:
    """Add values into _G at the parameter positions idx (np.add.at only when a parameter repeats)."""
    if len(set(idx)) == len(idx):
        return f"_G[{_positions(const, idx)}] += {values}"
    return f"_np.add.at(_G, {const(idx)}, {values})"
