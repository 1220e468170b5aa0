"""``to_dot``: a computation graph as Graphviz DOT text (stdlib only).

The graph is walked once, iteratively and in operand order (``topological_order``).
Node ids come from that order (``v0`` is the first input, the root is last),
never from ``id()``, so the same graph gives byte-identical DOT in every
process.  Each Value is one box (label | data | grad); each op is a small
ellipse between its operands and its result, with one edge per operand
occurrence (``a * a`` has two edges from ``a``).

Collapsing (``collapse=model``) recognises an nn model's Neurons by parameter
membership: a node belongs to a neuron when one of its operands is one of the
neuron's parameters (its ``dot`` / ``mul`` nodes), when it adds up nodes of
that neuron (micrograd-style chains), or when it is the activation applied to
the neuron's sum.  Everything else is drawn as usual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from autograd_lite.engine import Value, node_info

__all__ = ["to_dot", "GraphTooLarge"]

# Palette (ColorBrewer pastel tones: black text stays readable on each).
_ROLE_FILL = {
    "param": "#c6dbef",   # blue: parameters (what training changes)
    "input": "#d9f0d3",   # green: inputs and constants (leaves that are not parameters)
    "output": "#fdd0a2",  # orange: the root (loss / output)
    "value": "#ffffff",   # white: intermediate results
}
_OP_FILL = "#eeeeee"
_GROUP_FILL = "#dadaeb"   # lavender: a collapsed neuron or layer
_BAD = "#e31a1c"          # NaN / inf
_BAD_FILL = "#fcbba1"
ZERO_FILL = "#d9d9d9"    # a zero gradient after a backward pass
# Heat map for |grad|: white (zero) to orange-red (the largest |grad| in the graph), one colour per
# decade below the largest, so the key drawn with color="grad" can say exactly what each colour means.
_HEAT = ["#ffffff", "#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913"]  # darker hides text
_HEAT_DECADES = len(_HEAT) - 2  # the last colour is the top decade; the first non-white one everything below
# What each colour of _HEAT from the hottest down stands for, as a share of the largest |grad|.
_HEAT_BINS = ("0.1–1", "0.01–0.1", "1e-3–0.01", "1e-4–1e-3", "1e-5–1e-4", "< 1e-5")
# A bundle stands for this many connections or more: fewer are drawn one by one.
_BUNDLE_MIN = 5

# Ops that end a neuron (its nonlinearity); used by collapse.
_ACTIVATIONS = frozenset({"tanh", "relu", "sigmoid", "leaky_relu", "softplus", "exp", "sin", "cos"})

DEFAULT_MAX_NODES = 5000


class GraphTooLarge(ValueError):
    """Raised by to_dot / draw_dot when the drawing would exceed ``max_nodes``."""


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    derivatives: bool = False,
    color: str = "role",
    highlight: bool = True,
    params: Any = None,
    collapse: Any = None,
    level: str = "neuron",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    title: str | None = None,
) -> str:
    """The graph that computes ``root``, as Graphviz DOT source (a str).

    ``rankdir``: "LR" (inputs on the left, default) or "TB" (inputs on top).
    ``derivatives``: print each op's local derivative d(out)/d(operand) on its
    edges.  ``color``: "role" (parameters blue, inputs and constants green, the
    root orange, ops grey), "grad" (a heat map of |grad|, white where gradient
    vanishes) or "none".  ``highlight``: mark NaN/inf values in red and, once a
    backward pass has run (``root.grad != 0``), zero gradients in grey.
    ``params``: the parameters (an iterable of Values, or anything with a
    ``parameters()`` method) for role colors; ``collapse`` implies them.
    ``collapse``: an nn model (MLP, Layer or Neuron); with ``level="neuron"``
    each Neuron is one node inside a cluster per Layer, with ``level="layer"``
    each Layer is one node.  ``max_nodes``: raise GraphTooLarge rather than
    emit a drawing Graphviz would take minutes on (None: no limit).

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a")
    >>> print(to_dot(a * a).splitlines()[0])
    digraph autograd_lite {
    >>> to_dot(a * a).count("v0 -> o1")   # a * a: two edges from a
    2
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"to_dot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if color not in ("role", "grad", "none"):
        raise ValueError(f"to_dot: color must be 'role', 'grad' or 'none', got {color!r}")
    if level not in ("neuron", "layer"):
        raise ValueError(f"to_dot: level must be 'neuron' or 'layer', got {level!r}")
    if type(root) is not Value:
        raise TypeError(f"to_dot: expected a Value, got {type(root).__name__}")
    g = _build(root, params=params if params is not None else collapse, collapse=collapse, level=level)
    if max_nodes is not None and g.count > max_nodes:
        raise GraphTooLarge(_too_large_message(g.count, max_nodes, collapse is not None))
    source = _emit(g, rankdir=rankdir, derivatives=derivatives, color=color, highlight=highlight, title=title)
    if max_nodes is not None:
        _check_layout_cost(source, max_nodes, collapse is not None)
    return source


# Graphviz's layout time grows with the edges and, steeply, with a node's fan-out (one
# Value feeding 2,401 ops took 13 CPU-minutes), not with the node count alone.
MAX_FANOUT = 200


def _check_layout_cost(source: str, max_nodes: int, collapsed: bool) -> None:
    """GraphTooLarge when the drawing has more edges than max_nodes, or a node with a huge fan-out."""
    fanout: dict[str, int] = {}
    edges = 0
    for line in source.splitlines():
        src, arrow, _ = line.strip().partition(" -> ")
        if arrow:
            edges += 1
            fanout[src] = fanout.get(src, 0) + 1
    widest = max(fanout.values(), default=0)
    if edges > max_nodes or widest > MAX_FANOUT:
        what = (f"{edges:,} edges, more than max_nodes={max_nodes:,}" if edges > max_nodes else
                f"a value that feeds {widest:,} ops (more than {MAX_FANOUT})")
        advice = _too_large_message(0, max_nodes, collapsed).split(" Instead ", 1)[1]
        raise GraphTooLarge(f"the drawing has {what}; Graphviz's layout would take minutes and the picture "
                            f"would be unreadable. Instead {advice}")


def _too_large_message(count: int, max_nodes: int, collapsed: bool) -> str:
    advice = ("draw the loss of ONE sample (not a batch), use level=\"layer\"" if collapsed else
              "draw the loss of ONE sample (not a batch), or collapse the model: "
              "to_dot(loss, collapse=model, level=\"neuron\" or \"layer\")")
    return (f"the graph has {count:,} nodes to draw, more than max_nodes={max_nodes:,}; "
            f"Graphviz would take very long and the picture would be unreadable. "
            f"Instead {advice}; or pass max_nodes=None to draw it anyway "
            f"(format_graph(root) prints it as text).")


# -- the graph as plain data -------------------------------------------------------

@dataclass
class _Group:
    """A collapsed neuron or layer: one drawn node standing for many Values."""
    gid: str                 # DOT id: n{layer}_{neuron} or L{layer}
    title: str               # "L1.N3" or "Layer 1"
    layer: int
    n_params: int
    param_grad_norm: float
    activation: str = ""
    output: Value | None = None   # the member whose value leaves the group
    members: int = 0


@dataclass
class _Built:
    order: list              # Values, inputs first, root last
    ids: dict                # Value -> index in order
    root: Value
    param_set: set
    names: dict = field(default_factory=dict)      # parameter Value -> its named_parameters() name
    group_of: dict = field(default_factory=dict)   # Value -> _Group (collapse only)
    groups: list = field(default_factory=list)     # _Group, in model order
    layers: int = 0
    count: int = 0           # DOT nodes that would be drawn


def _build(root: Value, *, params: Any, collapse: Any, level: str) -> _Built:
    order = topological_order(root)
    ids = {node: i for i, node in enumerate(order)}
    g = _Built(order=order, ids=ids, root=root, param_set=set(_parameters(params)),
               names=parameter_names(params))
    if collapse is not None:
        _assign_groups(g, collapse, level)
        drawn = [n for n in order if n not in g.group_of]
        used = {id(gr) for gr in g.group_of.values()}
        g.count = (len(drawn) + sum(1 for n in drawn if n.op)
                   + sum(1 for gr in g.groups if id(gr) in used))
    else:
        g.count = len(order) + sum(1 for n in order if n.op)
    return g


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, inputs first, each after all its operands.

    Unlike the engine's sort (which is tuned for backward), operands are
    visited in operand order, so in ``a * b`` a gets a smaller id than b and the
    drawing and the text view read like the code.  Iterative: any depth works.
    """
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for p in reversed(node.parents):  # reversed: the first operand is popped first
            if p not in seen:
                stack.append((p, False))
    return order


def _parameters(params: Any) -> list:
    if params is None:
        return []
    if hasattr(params, "parameters"):
        params = params.parameters()
    out = list(params)
    for p in out:
        if type(p) is not Value:
            raise TypeError(f"to_dot: params must be Values, got {type(p).__name__}")
    return out


def parameter_names(params: Any) -> dict:
    """Parameter -> name, from ``named_parameters()`` when the model has it (PyTorch-style names)."""
    named = getattr(params, "named_parameters", None)
    if named is None:
        return {}
    return {p: name for name, p in named()}


def _model_layers(model: Any) -> list[list]:
    """The model's neurons, grouped by layer: MLP (.layers), Layer (.neurons) or a Neuron."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    if hasattr(model, "w"):
        return [[model]]
    raise TypeError("collapse: expected an nn model (MLP with .layers, Layer with .neurons, "
                    f"or Neuron with .w), got {type(model).__name__}")


def _neuron_params(neuron: Any) -> list:
    if hasattr(neuron, "parameters"):
        return list(neuron.parameters())
    return list(neuron.w) + [neuron.b]


def _is_linear(neuron: Any) -> bool:
    """True when the neuron declares it has no nonlinearity (nn's ``nonlin=False`` or similar)."""
    for attr in ("nonlin", "nonlinear"):
        if hasattr(neuron, attr) and not getattr(neuron, attr):
            return True
    act = getattr(neuron, "activation", getattr(neuron, "act", "x"))
    return act is None or act in ("linear", "identity", "none")


def _assign_groups(g: _Built, model: Any, level: str) -> None:
    layers = _model_layers(model)
    g.layers = len(layers)
    neuron_group: dict[Value, _Group] = {}  # Value param -> its neuron's _Group
    closed: set[int] = set()  # ids of the neurons whose activation has been seen
    linear = set()
    neuron_of = {}      # neuron _Group -> its layer _Group (layer level) or itself
    for li, neurons in enumerate(layers, start=1):
        layer_params = [p for n in neurons for p in _neuron_params(n)]
        lgroup = None
        if level == "layer":
            plural = "s" if len(neurons) != 1 else ""
            lgroup = _Group(gid=f"L{li}", title=f"Layer {li}: {len(neurons)} neuron{plural}", layer=li,
                            n_params=len(layer_params), param_grad_norm=_norm(layer_params))
            g.groups.append(lgroup)
        for ni, neuron in enumerate(neurons, start=1):
            ps = _neuron_params(neuron)
            ngroup = _Group(gid=f"n{li}_{ni}", title=f"L{li}.N{ni}", layer=li, n_params=len(ps),
                            param_grad_norm=_norm(ps))
            if level == "neuron":
                g.groups.append(ngroup)
            if _is_linear(neuron):
                linear.add(id(ngroup))
            neuron_of[id(ngroup)] = lgroup if lgroup is not None else ngroup
            for p in ps:
                neuron_group[p] = ngroup
                g.param_set.add(p)
    # Walk inputs-first, so a node's operands are assigned before the node.
    member: dict[Value, _Group] = {}  # Value -> its neuron's _Group
    for node in g.order:
        if not node.op:
            ng = neuron_group.get(node)
            if ng is not None:
                member[node] = ng
            continue
        parents = node.parents
        ng = next((neuron_group[p] for p in parents if p in neuron_group), None)
        first = member.get(parents[0]) if ng is None and parents else None
        if first is not None:
            same = id(first) not in closed and all(member.get(p) is first for p in parents)
            if same and node.op in ("add", "sum") and len(parents) >= 2:
                ng = first  # micrograd-style neurons add up their products in a chain
            elif (same and len(parents) == 1 and node.op in _ACTIVATIONS
                  and id(first) not in linear):
                ng = first
                first.activation = node.op
                closed.add(id(first))  # one activation per neuron: ops after it are the loss's
        if ng is not None:
            member[node] = ng
    for node, ng in member.items():
        group = neuron_of[id(ng)]
        g.group_of[node] = group
        group.members += 1
        if node.op and (group.output is None or g.ids[node] > g.ids[group.output]):
            group.output = node
    if level == "layer":
        # a layer's activation comes from its neurons' recognised activations
        acts: dict = {}
        for ng in {id(m): m for m in member.values()}.values():
            if ng.activation:
                acts.setdefault(neuron_of[id(ng)].gid, set()).add(ng.activation)
        for lg in g.groups:
            lg.activation = "/".join(sorted(acts.get(lg.gid, ()))) or "linear"


def _norm(values: list) -> float:
    return math.sqrt(math.fsum(v.grad * v.grad for v in values))


# -- emitting DOT -----------------------------------------------------------------

def _emit(g: _Built, *, rankdir: str, derivatives: bool, color: str, highlight: bool,
          title: str | None) -> str:
    root = g.root
    backward_ran = root.grad != 0.0
    max_grad = max((abs(n.grad) for n in g.order if math.isfinite(n.grad)), default=0.0)
    neurons = [gr for gr in g.groups if gr.gid.startswith("n")]
    lines = [
        "digraph autograd_lite {",
        f'  graph [rankdir={rankdir} fontname="Helvetica" fontsize=12 nodesep=0.15 ranksep=0.3'
        + (" compound=true" if neurons else "")   # edges may end at a layer's frame (see _bundled_edges)
        + (f' label="{_quote(title)}" labelloc=t' if title else "") + "];",
        '  node [fontname="Helvetica" fontsize=11];',
        '  edge [fontname="Helvetica" fontsize=9 arrowsize=0.6];',
    ]
    ids = g.ids
    group_lines: dict[int, str] = {}   # id(group) -> its node statement
    for node in g.order:
        group = g.group_of.get(node)
        if group is not None:
            if id(group) not in group_lines:
                group_lines[id(group)] = _group_node(group, color=color, highlight=highlight,
                                                     backward_ran=backward_ran, max_grad=max_grad)
                if not group.gid.startswith("n"):
                    lines.append("  " + group_lines[id(group)])
            continue
        i = ids[node]
        role = ("output" if node is root else "param" if node in g.param_set
                else "input" if not node.op else "value")
        lines.append(f"  v{i} " + _value_attrs(node, i, role, name=node.label or g.names.get(node, ""),
                                               color=color, highlight=highlight,
                                               backward_ran=backward_ran, max_grad=max_grad))
        if node.op:
            fill = _OP_FILL if color != "none" else "#ffffff"
            lines.append(f'  o{i} [label="{_quote(_op_text(node))}" shape=ellipse style=filled '
                         f'fillcolor="{fill}" fontsize=10 height=0.25 margin="0.04,0.02"];')
    # One frame per layer, its neurons in model order (N1 first): Graphviz would otherwise order them
    # by whatever reduces crossings, which for a dense layer is arbitrary.  The invisible chain pins it.
    layer_of: dict[str, int] = {}
    by_layer: dict[int, list[str]] = {}
    for gr in neurons:
        if id(gr) in group_lines:
            layer_of[gr.gid] = gr.layer
            by_layer.setdefault(gr.layer, []).append(gr.gid)
    for layer in sorted(by_layer):
        members = by_layer[layer]
        lines.append(f"  subgraph cluster_L{layer} {{")
        lines.append(f'    label="Layer {layer}"; style="rounded,dashed"; color="#756bb1";')
        lines.extend("    " + group_lines[id(gr)] for gr in neurons if gr.gid in members)
        if len(members) > 1:
            # a flat edge's tail goes left of its head, which rankdir LR turns into below it
            chain = members[::-1] if rankdir in ("LR", "RL") else members
            lines.append(f"    {{ rank=same; {' -> '.join(chain)} [style=invis]; }}")
        lines.append("  }")
    # Edges: operand -> op -> result.  Into a collapsed group, parallel edges are
    # merged into one with a count, since they stand for many Values.
    merged: dict[tuple[str, str], int] = {}
    for node in g.order:
        if not node.op:
            continue
        i = ids[node]
        group = g.group_of.get(node)
        if group is None:
            lines.append(f"  o{i} -> v{i};")
        locals_ = node_info(node).local_grads if derivatives else None
        for k, p in enumerate(node.parents):
            pg = g.group_of.get(p)
            src = pg.gid if pg is not None else f"v{ids[p]}"
            if group is None:
                label = f' [label="{format_number(locals_[k])}"]' if locals_ is not None else ""
                lines.append(f"  {src} -> o{i}{label};")
            elif pg is not group:
                key = (src, group.gid)
                merged[key] = merged.get(key, 0) + 1
    lines.extend(_bundled_edges(merged, layer_of))
    if color == "grad":
        lines.append("  " + _grad_key(max_grad))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _bundled_edges(merged: dict[tuple[str, str], int], layer_of: dict[str, int]) -> list[str]:
    """The merged edges as DOT; dense connections into a layer of neurons drawn as one labelled edge.

    Two layers of 16 neurons are joined by 256 connections: drawn one by one they are a black band,
    and 16 arrowheads pile onto a lone output neuron and hide its label.  So the connections from one
    source (an input, or a whole layer) into one layer become a single edge between the layers'
    frames (``ltail``/``lhead``), labelled with how many connections it stands for.
    """
    out: list[str] = []
    bundles: dict[tuple[str, int], list[tuple[str, str, int]]] = {}
    for (src, dst), count in merged.items():
        if dst in layer_of:
            block = f"cluster_L{layer_of[src]}" if src in layer_of else src
            bundles.setdefault((block, layer_of[dst]), []).append((src, dst, count))
        else:
            out.append(f"  {src} -> {dst}" + (f' [label="×{count}"];' if count > 1 else ";"))
    for (block, layer), edges in bundles.items():
        total = sum(count for _, _, count in edges)
        if len(edges) == 1 or total < _BUNDLE_MIN:
            out.extend(f"  {src} -> {dst}" + (f' [label="×{count}"];' if count > 1 else ";")
                       for src, dst, count in edges)
            continue
        srcs = list(dict.fromkeys(src for src, _, _ in edges))
        dsts = list(dict.fromkeys(dst for _, dst, _ in edges))
        # the middle member of each end, so the edge leaves and enters its frame near the centre
        attrs = [f'label="×{total}"', f"lhead=cluster_L{layer}"]
        if block.startswith("cluster_"):
            attrs.append(f"ltail={block}")
        out.append(f"  {srcs[len(srcs) // 2]} -> {dsts[len(dsts) // 2]} [{' '.join(attrs)}];")
    return out


def _grad_key(max_grad: float) -> str:
    """The colour key of ``color="grad"``: which colour stands for which share of the largest |grad|."""
    cells = [f'<TD BGCOLOR="{_HEAT[len(_HEAT) - 1 - k]}">{_html(text)}</TD>' for k, text in enumerate(_HEAT_BINS)]
    cells.append(f'<TD BGCOLOR="{_HEAT[0]}">0</TD>')
    return (f'grad_key [shape=plain label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            f'<TR><TD COLSPAN="{len(cells)}">colour: |grad| as a share of the largest, {_html(format_number(max_grad))}'
            f"</TD></TR><TR>{''.join(cells)}</TR></TABLE>>];")


def _value_attrs(node: Value, i: int, role: str, *, name: str, color: str, highlight: bool,
                 backward_ran: bool, max_grad: float) -> str:
    fill = _fill(node.grad, role, color, max_grad)
    # an unnamed node shows its id, in grey where the fill is pale enough for grey to read
    name = _html(name) if name else f"v{i}" if color == "grad" else f'<FONT COLOR="#888888">v{i}</FONT>'
    data_cell = f"<TD>data {_html(format_number(node.data))}</TD>"
    grad_cell = f"<TD>grad {_html(format_number(node.grad))}</TD>"
    border = ""
    if highlight:
        if not math.isfinite(node.data):
            data_cell = f'<TD BGCOLOR="{_BAD_FILL}"><B>data {format_number(node.data)}</B></TD>'
            border = f' COLOR="{_BAD}" BORDER="2"'
        if not math.isfinite(node.grad):
            grad_cell = f'<TD BGCOLOR="{_BAD_FILL}"><B>grad {format_number(node.grad)}</B></TD>'
            border = f' COLOR="{_BAD}" BORDER="2"'
        elif backward_ran and node.grad == 0.0:
            grad_cell = f'<TD BGCOLOR="{ZERO_FILL}"><I>grad 0</I></TD>'
    bg = f' BGCOLOR="{fill}"' if fill else ""
    table = (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"{bg}{border}>'
             f"<TR><TD>{name}</TD>{data_cell}{grad_cell}</TR></TABLE>")
    return f"[shape=plain label=<{table}>];"


def _group_node(group: _Group, *, color: str, highlight: bool, backward_ran: bool,
                max_grad: float) -> str:
    out = group.output
    is_layer = group.gid.startswith("L")
    # A neuron shows its output Value; a layer has many outputs, so only its parameters.
    grad = out.grad if out is not None and not is_layer else 0.0
    fill = _GROUP_FILL if color == "role" else _fill(grad, "value", color, max_grad)
    if color == "grad" and is_layer:
        fill = _heat(group.param_grad_norm, max(max_grad, group.param_grad_norm))
    act = f" {group.activation}" if group.activation else ""
    cells = f"<TD><B>{_html(group.title)}</B>{_html(act)}</TD>"
    border = ""
    if not is_layer and out is not None:
        grad_cell = f"<TD>grad {_html(format_number(grad))}</TD>"
        if highlight and backward_ran and grad == 0.0:
            grad_cell = f'<TD BGCOLOR="{ZERO_FILL}"><I>grad 0</I></TD>'
        cells += f"<TD>data {_html(format_number(out.data))}</TD>{grad_cell}"
        if highlight and not (math.isfinite(out.data) and math.isfinite(grad)):
            border = f' COLOR="{_BAD}" BORDER="2"'
    if highlight and not math.isfinite(group.param_grad_norm):
        border = f' COLOR="{_BAD}" BORDER="2"'
    span = 1 if is_layer or out is None else 3
    table = (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"{_bg(fill)}{border}>'
             f"<TR>{cells}</TR>"
             f'<TR><TD COLSPAN="{span}"><FONT POINT-SIZE="9">{group.n_params} params, '
             f"|grad| {_html(format_number(group.param_grad_norm))}</FONT></TD></TR></TABLE>")
    return f"{group.gid} [shape=plain label=<{table}>];"


def _bg(fill: str) -> str:
    return f' BGCOLOR="{fill}"' if fill else ""


def _fill(grad: float, role: str, color: str, max_grad: float) -> str:
    if color == "role":
        return _ROLE_FILL[role]
    if color == "none":
        return ""
    return _heat(grad, max_grad)


def _heat(grad: float, max_grad: float) -> str:
    """A color for |grad|: one per decade below the largest |grad| in the graph (see ``_grad_key``)."""
    g = abs(grad)
    if not math.isfinite(g):
        return _BAD_FILL
    if g == 0.0 or max_grad == 0.0:
        return _HEAT[0]
    ratio = min(1.0, g / max_grad)
    below = 0 if ratio >= 1.0 else min(_HEAT_DECADES, math.floor(-math.log10(ratio)))  # whole decades below
    return _HEAT[len(_HEAT) - 1 - below]


def _op_text(node: Value) -> str:
    """The op's name, with its constant operand when it has one (``mul 2``, ``pow 3``).

    ``c - x`` is drawn ``rsub c`` (PyTorch's name), as ``c / x`` and ``c ** x``
    are drawn ``rdiv c`` and ``rpow c``: ``sub c`` alone would read as ``x - c``.
    """
    c = number_operand(node)
    if c is None:
        return node.op
    return f"{node.op} {format_number(c)}"


# The arithmetic ops, whose number operand (x * 2, 2 - x) is written next to the op's name.
_ARITHMETIC = frozenset({"add", "sub", "rsub", "mul", "div", "rdiv", "pow", "rpow"})


def number_operand(node: Value) -> float | None:
    """The number operand of an arithmetic op with one (``x * 2``, ``2 - x``), else None."""
    if node.op not in _ARITHMETIC:
        return None
    for o in node_info(node).operands:
        if type(o) is not Value:
            return o
    return None


def format_number(x: float) -> str:
    """A short, deterministic rendering of a float (4 significant digits)."""
    s = f"{x:.4g}"
    return "0" if s == "-0" else s


MAX_LABEL = 200  # characters of a label drawn or printed; Graphviz refuses HTML labels over 16,384


def printable_label(text: str, *, newlines: bool = True) -> str:
    """A label as drawings and the text view show it: visible, short, and safe to encode.

    Control characters (NUL, ESC, ...) and lone surrogates become escapes such
    as ``\\x1b`` (Graphviz would blank the box or fail on them); a newline stays
    one unless ``newlines=False`` (the text view keeps one line per op); more
    than MAX_LABEL characters are cut, saying how many there were.

    >>> printable_label("a\\x1b[31mb")
    'a\\\\x1b[31mb'
    >>> printable_label("x" * 300)[-20:]
    'xx… (300 characters)'
    """
    if len(text) > MAX_LABEL:
        text = text[:MAX_LABEL] + f"… ({len(text):,} characters)"
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if (ch == "\n" and newlines) or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
        elif 0xD800 <= ord(ch) <= 0xDFFF:  # a lone surrogate cannot be encoded at all
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def _html(text: str) -> str:
    """Escape text for a Graphviz HTML-like label, so it is shown exactly as written."""
    return (printable_label(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "<BR/>"))


def _quote(text: str) -> str:
    """Escape text for a double-quoted DOT string."""
    return printable_label(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
