"""Watch backprop: the backward pass, one node at a time, on a fixed drawing.

The graph is laid out once (Graphviz, through the same renderers as
``draw_dot``) with every gradient filled in; each frame then shows the grads
of the nodes the backward pass has reached so far and "?" for the rest.
Because every frame is the same SVG with different text, nothing moves
between frames.  In a notebook the animation is a slider with a play button
(a few lines of inline JavaScript over one SVG); ``frames()`` gives plain SVG
strings for other uses.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from typing import Any, cast

from autograd_lite.engine import Value, reverse_topological
from autograd_lite.functional import gradients
from autograd_lite.viz.dot import format_number, to_dot, topological_order
from autograd_lite.viz.render import NO_RENDERER_HINT, RenderError, render_source
from autograd_lite.viz.text import equation

__all__ = ["animate_backward", "BackwardAnimation"]

# One graphviz node group in its SVG: <g id="node3" class="node"><title>v2</title> ... </g>
_NODE_BLOCK = re.compile(r'(<g id="[^"]*" class="node">\s*<title>(v\d+)</title>)(.*?)(</g>)', re.S)
_GRAD_TEXT = re.compile(r"(<text[^>]*)>(grad [^<]*)</text>")


class BackwardAnimation:
    """Frames of a backward pass: ``frame(k)`` is the SVG after k nodes got their grad.

    Display it in a notebook (a slider and a play button), ``save("bp.html")``
    it, or take ``frames()`` as SVG strings.  ``log`` is the same sequence as
    text, one line per step.
    """

    def __init__(self, svg: str | None, log: list[str], steps: list[int]) -> None:
        self.svg: str | None = svg      # the drawing with every grad, annotated per node
        self.log: list[str] = log       # one line per backward step
        self._steps = steps             # node index (v{i}) reached at each step

    def __len__(self) -> int:
        """Number of frames: the empty start plus one per node."""
        return len(self._steps) + 1

    def frame(self, k: int) -> str:
        """The SVG of frame k (0: no gradients yet; len-1: all of them)."""
        if self.svg is None:
            raise RenderError("no Graphviz renderer was found when the animation was made; "
                              'pip install "autograd_lite[viz]", or read .log')
        if not 0 <= k < len(self):
            raise IndexError(f"frame {k} out of range 0..{len(self) - 1}")

        def fill(m: re.Match) -> str:
            step = int(m.group(2))
            tag = m.group(1).replace(f' data-step="{step}"', "")
            if step > k:
                return f"{tag}>grad ?</text>"
            if step == k:
                return f'{tag} fill="#e31a1c" font-weight="bold">{m.group(3)}</text>'
            return f"{tag}>{m.group(3)}</text>"

        return re.sub(r'(<text[^>]* data-step="(\d+)"[^>]*)>([^<]*)</text>', fill, self.svg)

    def __repr__(self) -> str:
        # No memory address: a notebook's text/plain output stays the same in every run.
        return f"<autograd_lite BackwardAnimation: {len(self)} frames; .frame(k) is SVG, .save(path) writes HTML>"

    def frames(self) -> list[str]:
        """Every frame as an SVG string."""
        return [self.frame(k) for k in range(len(self))]

    def _repr_html_(self) -> str:
        if self.svg is None:
            body = html.escape(NO_RENDERER_HINT + "\n" + "\n".join(self.log))
            return f"<pre>{body}</pre>"
        uid = "agl" + hashlib.sha1(self.svg.encode()).hexdigest()[:10]  # deterministic, unique per graph
        n = len(self) - 1
        log = json.dumps(["before backward: no gradients yet"] + self.log)
        return f"""<div id="{uid}">
<div style="font-family:sans-serif;font-size:13px;margin-bottom:4px">
<button type="button">&#9654;</button>
<input type="range" min="0" max="{n}" value="{n}" style="width:50%;vertical-align:middle">
<span></span></div>
{self.svg}
<script>
(function() {{
  var root = document.getElementById("{uid}"), log = {log};
  var slider = root.querySelector("input"), button = root.querySelector("button");
  var label = root.querySelector("span"), timer = null;
  var texts = Array.prototype.slice.call(root.querySelectorAll("text[data-step]"));
  function show(k) {{
    texts.forEach(function(t) {{
      var s = +t.getAttribute("data-step");
      t.textContent = s <= k ? t.getAttribute("data-grad") : "grad ?";
      t.setAttribute("fill", s === k ? "#e31a1c" : "#000000");
      t.setAttribute("font-weight", s === k ? "bold" : "normal");
    }});
    label.textContent = "step " + k + "/{n}: " + log[k];
  }}
  slider.oninput = function() {{ show(+slider.value); }};
  button.onclick = function() {{
    if (timer) {{ clearInterval(timer); timer = null; button.innerHTML = "&#9654;"; return; }}
    if (+slider.value >= {n}) slider.value = 0;
    button.innerHTML = "&#10074;&#10074;";
    timer = setInterval(function() {{
      if (+slider.value >= {n}) {{ clearInterval(timer); timer = null; button.innerHTML = "&#9654;"; return; }}
      slider.value = +slider.value + 1; show(+slider.value);
    }}, 700);
  }};
  show({n});
}})();
</script>
</div>"""

    def save(self, path: str | os.PathLike) -> str:
        """Write a standalone HTML page with the animation; returns the path ('.html' added if missing)."""
        path = os.fspath(path)
        if not path.endswith((".html", ".htm")):
            path += ".html"
        from autograd_lite.files import write_file

        write_file(path, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>backward pass</title>"
                   "</head><body>\n" + self._repr_html_() + "\n</body></html>\n", who="save")
        return path


def animate_backward(root: Value, **options: Any) -> BackwardAnimation:
    """An animation of ``root.backward()``: one frame per node, in the order backward visits them.

    The gradients are computed here (root's .grad fields are left as they
    were); options go to ``to_dot`` (rankdir, derivatives, color, params,
    max_nodes; default max_nodes=300, since every node is a frame, and
    highlight=False, since the layout already holds the final gradients).
    Without a renderer, the notebook shows the steps as text.

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> anim = animate_backward(a * b + a)
    >>> len(anim)
    5
    >>> print("\\n".join(anim.log))
    v3 = add v2 v0: grad 1 (the root)
    v2 = mul v0 v1: grad 1
    v1 (b): grad 2
    v0 (a): grad -2
    """
    if options.get("collapse") is not None:
        raise ValueError("animate_backward draws every node; collapse is not supported here")
    options.setdefault("max_nodes", 300)
    # The layout is drawn once, with the final gradients: marking zero gradients
    # would show them in every frame, before the backward pass reaches them.
    options.setdefault("highlight", False)
    backward_order = reverse_topological(root)  # the order backward() walks
    grads = cast("dict[Value, float]", gradients(root))  # no create_graph: every gradient is a float
    ids = {node: i for i, node in enumerate(topological_order(root))}
    steps = [ids[node] for node in backward_order]
    log = [_describe(node, ids, grads.get(node, 0.0), node is root) for node in backward_order]

    # Lay out the drawing with the final gradients, then put the user's back.
    saved = [(node, node.grad) for node in backward_order]
    try:
        for node in backward_order:
            node.grad = grads.get(node, 0.0)
        source = to_dot(root, **options)
    finally:
        for node, g in saved:
            node.grad = g
    try:
        svg = render_source(source, "svg").decode("utf-8")
    except RenderError:
        return BackwardAnimation(None, log, steps)
    step_of = {f"v{i}": k for k, i in enumerate(steps, start=1)}
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG is embedded in HTML

    def annotate(m: re.Match) -> str:
        step = step_of[m.group(2)]
        body = _GRAD_TEXT.sub(lambda t: f'{t.group(1)} data-step="{step}" data-grad="{t.group(2)}">'
                                        f"{t.group(2)}</text>", m.group(3), count=1)
        return m.group(1) + body + m.group(4)

    return BackwardAnimation(_NODE_BLOCK.sub(annotate, svg), log, steps)


def _describe(node: Value, ids: dict, grad: float, is_root: bool) -> str:
    i = ids[node]
    if node.op:
        what = equation(node, ids)
    else:
        what = f"v{i} ({node.label})" if node.label else f"v{i}"
    return f"{what}: grad {format_number(grad)}" + (" (the root)" if is_root else "")
