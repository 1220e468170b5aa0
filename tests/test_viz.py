"""Drawing: DOT structure and snapshot, escaping, determinism, rendering, fallbacks, collapse."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd_lite import Value, dot
from autograd_lite.nn import MLP
from autograd_lite.viz import Graph, GraphTooLarge, RenderError, animate_backward, draw_dot, format_graph, to_dot
from autograd_lite.viz import render as render_module
from autograd_lite.viz.dot import ZERO_FILL

DATA = Path(__file__).parent / "data"
NASTY = 'w<|{x}>&"q"'
SVG_NS = "{http://www.w3.org/2000/svg}"


def small_graph() -> Value:
    """The snapshot expression: reuse of a leaf (a), a constant operand and a nonlinearity."""
    a = Value(0.5, label="a")
    b = Value(-1.5, label="b")
    c = (a * b + a).tanh() * 2
    c.label = "out"
    c.backward()
    return c


def one_sample_loss(model: MLP) -> Value:
    x = [Value(0.5, label="x1"), Value(-1.2, label="x2")]
    loss = (model(x) - 1.0) ** 2
    loss.backward()
    return loss


def value_boxes(source: str) -> int:
    return len(re.findall(r"^\s+v\d+ \[shape=plain", source, re.M))


def op_nodes(source: str) -> int:
    return len(re.findall(r"^\s+o\d+ \[", source, re.M))


def edges(source: str) -> list[str]:
    return re.findall(r"^\s+(\w+ -> \w+)", source, re.M)


def has_renderer() -> bool:
    try:
        render_module.render_source("digraph { a }", "svg")
        return True
    except RenderError:
        return False


needs_renderer = pytest.mark.skipif(not has_renderer(), reason='no Graphviz: pip install "autograd_lite[viz]"')


# -- to_dot: structure ------------------------------------------------------------

def test_snapshot_matches_the_reviewed_file():
    # tests/data/small_graph.dot was read by eye and rendered (docs/graph.svg); a
    # change here is a change in every user's drawing, so review it the same way.
    expected = (DATA / "small_graph.dot").read_text()
    assert to_dot(small_graph(), derivatives=True) == expected


def test_one_box_per_value_and_one_ellipse_per_op():
    src = to_dot(small_graph())
    assert value_boxes(src) == 6   # a, b, a*b, +a, tanh, *2
    assert op_nodes(src) == 4
    # every op: one edge per operand occurrence, one to its result
    assert len(edges(src)) == (2 + 2 + 1 + 1) + 4


def test_duplicate_operands_are_separate_edges():
    a = Value(3.0, label="a")
    src = to_dot(a * a)
    assert edges(src).count("v0 -> o1") == 2
    assert len(edges(src)) == 3
    s = to_dot(dot([a, a], [a, 1.0]))  # n-ary: a appears three times
    assert edges(s).count("v0 -> o1") == 3


def test_user_labels_are_escaped_in_html_labels():
    src = to_dot(Value(1.0, label=NASTY) * 2)
    assert "w&lt;|{x}&gt;&amp;&quot;q&quot;" in src
    assert NASTY not in src


def test_rankdir_and_option_validation():
    assert "rankdir=TB" in to_dot(small_graph(), rankdir="TB")
    assert "rankdir=LR" in to_dot(small_graph())
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(small_graph(), rankdir="XY")
    with pytest.raises(ValueError, match="color"):
        to_dot(small_graph(), color="rainbow")
    with pytest.raises(TypeError, match="Value"):
        to_dot(3.0)


def test_edge_labels_are_the_local_derivatives():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    src = to_dot(a * b, derivatives=True)
    assert 'v0 -> o2 [label="-3"]' in src and 'v1 -> o2 [label="2"]' in src


def test_a_constant_operand_is_drawn_on_its_side():
    x = Value(4.0, label="x")
    src = to_dot((x - 1.0) + (1.0 - x) + 2.0 / x + 2.0 ** x)
    labels = re.findall(r'o\d+ \[label="([^"]*)"', src)
    assert labels[:4] == ["sub 1", "rsub 1", "add", "rdiv 2"]  # x - 1, 1 - x (hinge's 1 - y*score), 2 / x
    assert "rpow 2" in labels


def test_roles_heat_map_and_highlights():
    w = Value(0.5, label="w")
    x = Value(2.0, label="x")
    y = (w * x).relu()
    y.backward()
    src = to_dot(y, params=[w])
    assert '"#c6dbef"' in src and '"#d9f0d3"' in src and '"#fdd0a2"' in src  # param, input, output
    heat = to_dot(y, color="grad")
    assert "#f16913" in heat  # the largest |grad| is the hottest color
    dead = Value(-1.0, label="x") * Value(1.0)
    out = dead.relu() + 1.0
    out.backward()
    assert "<I>grad 0</I>" in to_dot(out)  # zero gradients after a backward are marked
    assert "<I>grad 0</I>" not in to_dot(out, highlight=False)
    bad = Value(math.inf, label="big") * 0.0
    assert 'COLOR="#e31a1c" BORDER="2"' in to_dot(bad)
    assert "data nan" in to_dot(bad)


def test_no_zero_grad_marks_before_any_backward():
    assert "<I>grad 0</I>" not in to_dot(Value(1.0) * 2)


def test_deterministic_across_processes():
    code = ("from tests.test_viz import small_graph; from autograd_lite.viz import to_dot, format_graph;"
            "import sys; sys.stdout.write(to_dot(small_graph(), derivatives=True) + format_graph(small_graph()))")
    root = Path(__file__).parent.parent
    outs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert outs == {to_dot(small_graph(), derivatives=True) + format_graph(small_graph())}


def test_max_nodes_message_gives_the_count_and_the_advice():
    x = Value(1.0)
    for _ in range(300):
        x = x * 1.01
    with pytest.raises(GraphTooLarge) as e:
        to_dot(x, max_nodes=100)
    msg = str(e.value)
    assert "601 nodes" in msg and "max_nodes=100" in msg
    assert "ONE sample" in msg and "collapse=model" in msg
    assert to_dot(x, max_nodes=None).count("[shape=plain") == 301


def test_deep_graph_draws_without_recursion():
    x = Value(0.0)
    for _ in range(5000):
        x = x + 1.0
    assert format_graph(x).count("\n") == 5001
    assert to_dot(x, max_nodes=None).count("\n") > 10_000


# -- collapse ---------------------------------------------------------------------

def test_collapse_reduces_the_node_count():
    model = MLP(2, [16, 16, 1], seed=0)
    loss = one_sample_loss(model)
    full = to_dot(loss)
    by_neuron = to_dot(loss, collapse=model)
    by_layer = to_dot(loss, collapse=model, level="layer")
    n_full = value_boxes(full) + op_nodes(full)
    assert n_full > 400
    assert re.findall(r"^\s+(?:  )?n\d+_\d+ \[", by_neuron, re.M).__len__() == 33
    assert by_neuron.count("subgraph cluster_L") == 3
    assert value_boxes(by_neuron) + op_nodes(by_neuron) == 2 + 4  # x1, x2; sub, pow ops and values
    assert len(re.findall(r"^\s+L\d \[", by_layer, re.M)) == 3
    assert 'L1 -> L2 [label="×256"]' in by_layer
    assert len(re.findall(r"v\d+ -> L1 \[label=\"×16\"\]", by_layer)) == 2  # x1, x2 feed 16 neurons each
    assert len(by_layer) < len(by_neuron) < len(full) / 5
    # the big graph hits the guard, collapsed ones do not
    with pytest.raises(GraphTooLarge):
        to_dot(loss, max_nodes=100)
    to_dot(loss, collapse=model, max_nodes=100)


@pytest.mark.parametrize("width", [16, 64])
def test_neurons_in_order_and_dense_layers_joined_by_one_counted_edge(width):
    model = MLP(2, [width, width, 1], seed=0)
    src = to_dot(one_sample_loss(model), collapse=model, max_nodes=None)
    for layer in (1, 2):
        cluster = src[src.index(f"subgraph cluster_L{layer} {{"):]
        cluster = cluster[:cluster.index("\n  }")]
        declared = re.findall(r"^\s+(n\d+_\d+) \[", cluster, re.M)
        assert declared == [f"n{layer}_{k}" for k in range(1, width + 1)]   # N1, N2, ... in model order
        chain = re.search(r"\{ rank=same; ([\w >-]+) \[style=invis\]; \}", cluster).group(1).split(" -> ")
        assert chain == declared[::-1]   # LR: the chain's tail is drawn below its head, so N1 ends on top
    into_neurons = [e for e in edges(src) if re.search(r"-> n\d+_\d+", e)]
    assert len(into_neurons) == 4   # x1 and x2 into layer 1, layer 1 into layer 2, layer 2 into the output
    assert src.count(f'[label="×{width}" lhead=cluster_L1]') == 2
    assert f'[label="×{width * width}" lhead=cluster_L2 ltail=cluster_L1]' in src
    assert f'[label="×{width}" lhead=cluster_L3 ltail=cluster_L2]' in src
    assert "compound=true" in src


def test_a_few_connections_are_drawn_one_by_one():
    model = MLP(2, [2, 1], seed=0)
    src = to_dot(one_sample_loss(model), collapse=model)
    assert "lhead" not in src
    assert sorted(e for e in edges(src) if "-> n" in e and e.startswith("n")) == ["n1_1 -> n2_1", "n1_2 -> n2_1"]


def test_parameters_are_named_as_named_parameters_names_them():
    model = MLP(2, [3, 1], seed=0)
    loss = one_sample_loss(model)
    src = to_dot(loss, params=model)
    for name, _ in model.named_parameters():
        assert f"<TD>{name}</TD>" in src
    text = format_graph(loss, params=model)
    assert all(f"# {name}" in text for name, _ in model.named_parameters())
    assert "# layers" not in format_graph(loss)   # without params nothing is guessed


def test_grad_colors_come_with_a_key_that_matches_them():
    a, b, c = Value(1.0, label="a"), Value(1.0, label="b"), Value(1.0, label="c")
    y = a * 2.0 + b * 0.05 + c * 3e-7   # |grad|: 2, 0.05 and 3e-7, shares 1, 0.025 and 1.5e-7 of the largest
    y.backward()
    src = to_dot(y, color="grad")
    key = dict((label, fill) for fill, label in re.findall(r'<TD BGCOLOR="([^"]+)">([^<]+)</TD>', src))
    fill_of = {name: re.search(rf'BGCOLOR="([^"]+)"[^>]*><TR><TD>{name}</TD>', src).group(1) for name in "abc"}
    assert fill_of == {"a": key["0.1–1"], "b": key["0.01–0.1"], "c": key["&lt; 1e-5"]}
    assert "share of the largest, 2" in src and "grad_key" not in to_dot(y)


def test_the_text_view_of_a_model_wraps():
    model = MLP(2, [16, 16, 1], seed=0)
    loss = one_sample_loss(model)
    text = format_graph(loss)
    assert max(len(line) for line in text.splitlines()) <= 100
    # the output neuron's dot (16 weights, 16 inputs, a bias) wrapped, every operand still listed once
    lines = text.splitlines()
    start = max(k for k, line in enumerate(lines) if "= dot " in line)
    end = next(k for k in range(start + 1, len(lines)) if not lines[k].startswith(" "))
    assert end - start > 1
    operands = " ".join(line.split("data=")[0] for line in lines[start:end]).split("= dot", 1)[1].split()
    assert len(operands) == 33 and len(set(operands)) == 33


def test_collapse_of_a_linear_output_neuron_leaves_the_loss_visible():
    model = MLP(2, [3, 1], seed=0)  # output_activation "linear"
    out = model([1.0, 2.0])
    loss = out.tanh()  # a tanh of the loss is not the neuron's activation
    src = to_dot(loss, collapse=model)
    assert "tanh" in src and "L2.N1</B> linear" not in src
    assert re.search(r'o\d+ \[label="tanh"', src)


def test_collapse_recognises_micrograd_style_neurons():
    # a stand-in neuron that adds up w_i * x_i in a chain, as micrograd's does
    class Neuron:
        def __init__(self, n):
            self.w = [Value(0.1 * (i + 1)) for i in range(n)]
            self.b = Value(0.0)

        def __call__(self, xs):
            return sum((wi * xi for wi, xi in zip(self.w, xs)), self.b).tanh()

    class Layer:
        def __init__(self, nin, nout):
            self.neurons = [Neuron(nin) for _ in range(nout)]

    class Net:
        def __init__(self):
            self.layers = [Layer(2, 3), Layer(3, 1)]

        def parameters(self):
            return [p for layer in self.layers for n in layer.neurons for p in n.w + [n.b]]

    net = Net()
    h = [n([1.0, -1.0]) for n in net.layers[0].neurons]
    y = net.layers[1].neurons[0](h)
    src = to_dot(y, collapse=net)
    assert value_boxes(src) == 0 and op_nodes(src) == 0
    assert src.count("</B> tanh</TD>") == 4


# -- format_graph -----------------------------------------------------------------

def test_format_graph_lines_and_constants():
    x = Value(4.0, label="x")
    y = 1.0 - x
    z = 2.0 / y + x * x
    text = format_graph(z)
    lines = text.splitlines()
    assert lines[0].startswith("in  v0") and lines[0].endswith("# x")
    assert lines[1].startswith("v1 = sub 1 v0")
    assert lines[2].startswith("v2 = div 2 v1")
    assert lines[3].startswith("v3 = mul v0 v0")
    assert lines[4].startswith("v4 = add v2 v3")
    assert lines[-1] == "out v4"


# -- rendering --------------------------------------------------------------------

@needs_renderer
def test_svg_renders_and_contains_every_label(tmp_path):
    a = Value(1.5, label=NASTY)
    y = (a * a + 1.0).tanh()
    y.label = "loss"
    y.backward()
    path = draw_dot(y, derivatives=True).render(tmp_path / "g", format="svg")
    assert path == str(tmp_path / "g.svg")
    tree = ET.parse(path)
    texts = [t.text or "" for t in tree.iter(f"{SVG_NS}text")]
    for expected in (NASTY, "loss", "mul", "add 1", "tanh", "data 1.5"):
        assert expected in texts, expected
    assert sum(1 for g in tree.iter(f"{SVG_NS}g") if g.get("class") == "edge") == 2 + 1 + 1 + 3


@needs_renderer
def test_png_renders(tmp_path):
    path = draw_dot(small_graph()).render(tmp_path / "g.png")
    data = Path(path).read_bytes()
    assert path.endswith("g.png") and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 300 and height > 50


@needs_renderer
def test_notebook_display_is_svg():
    bundle = draw_dot(small_graph())._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_render_dot_needs_no_renderer_and_adds_the_extension(tmp_path):
    g = draw_dot(small_graph())
    assert g.render(tmp_path / "sub" / "g", format="dot") == str(tmp_path / "sub" / "g.dot")
    assert (tmp_path / "sub" / "g.dot").read_text() == g.source
    with pytest.raises(ValueError, match="format"):
        g.render(tmp_path / "g", format="jpg")


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import raises ImportError


def test_display_without_any_renderer_returns_text(no_renderer):
    g = draw_dot(small_graph())
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    first, rest = bundle["text/plain"].split("\n", 1)
    assert "autograd_lite[viz]" in first
    assert rest == format_graph(small_graph())


def test_render_without_any_renderer_raises_one_clear_error(no_renderer, tmp_path):
    with pytest.raises(RenderError) as e:
        draw_dot(small_graph()).render(tmp_path / "g.png")
    msg = str(e.value)
    assert "no `dot` binary on PATH" in msg and "pygraphviz is not installed" in msg
    assert 'pip install "autograd_lite[viz]"' in msg and "apt install graphviz" in msg
    assert not (tmp_path / "g.png").exists()


def test_display_survives_a_broken_renderer(monkeypatch):
    def boom(source, fmt):
        raise OSError("disk on fire")
    monkeypatch.setattr(render_module, "render_source", boom)
    assert "text/plain" in draw_dot(small_graph())._repr_mimebundle_()


def test_graph_repr_and_source():
    g = Graph("digraph { }")
    assert g.source == "digraph { }" and "Graph" in repr(g)


# -- dependencies -----------------------------------------------------------------

def test_import_autograd_lite_imports_no_optional_dependency():
    code = ("import sys, autograd_lite, autograd_lite.nn, autograd_lite.viz; "
            "print(sorted(m for m in ('graphviz', 'pygraphviz', 'matplotlib', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- the CLI ----------------------------------------------------------------------

def test_cli_graph_writes_the_format_asked(tmp_path, capsys):
    from autograd_lite.cli import main
    assert main(["graph", "--expr", "(a*b + c).tanh()", "-o", str(tmp_path / "e"), "-f", "dot"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "e.dot")
    src = (tmp_path / "e.dot").read_text()
    assert ">a</TD>" in src and "tanh" in src
    with pytest.raises(SystemExit) as exc:  # --collapse without --model: a usage error
        main(["graph", "--expr", "a*b", "--collapse", "layer", "-o", str(tmp_path / "x")])
    assert exc.value.code == 2
    assert main(["graph", "--model", "-o", str(tmp_path / "m.txt")]) == 0
    assert (tmp_path / "m.txt").read_text().rstrip().endswith("out v405")


@needs_renderer
def test_cli_graph_renders_png(tmp_path):
    from autograd_lite.cli import main
    assert main(["graph", "--model", "--collapse", "neuron", "-o", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("expr", ["__import__('os')", "a.__class__", "open('f').read()", "[a for a in b]",
                                  "a if b else c", "lambda: 1", "a < b", "tanh(a, b)", "f'{a}'"])
def test_cli_expression_parser_refuses_anything_but_arithmetic(expr):
    from autograd_lite.cli.graph import parse_expression
    with pytest.raises(ValueError, match="--expr"):
        parse_expression(expr)


def test_cli_expression_parser_builds_the_graph():
    from autograd_lite.cli.graph import parse_expression
    y = parse_expression("-x**2 + 2*exp(x) / y.sigmoid() + abs(y)", {"x": 0.5, "y": -1.0})
    x_, y_ = 0.5, -1.0
    expected = -x_ ** 2 + 2 * math.exp(x_) / (1 / (1 + math.exp(-y_))) + abs(y_)
    assert y.data == pytest.approx(expected)
    text = format_graph(y)
    assert text.count("# x") == 1 and text.count("# y") == 1  # one leaf per name, reused


# -- the backward animation -------------------------------------------------------

def grad_texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}text") if (t.text or "").startswith("grad")]


@needs_renderer
def test_animation_fills_one_grad_per_frame_on_a_fixed_layout(tmp_path):
    root = small_graph()
    before = [(n.label, n.grad) for n in root.parents + (root,)]
    anim = animate_backward(root)
    assert len(anim) == 7
    frames = anim.frames()
    assert grad_texts(frames[0]) == ["grad ?"] * 6
    assert [sum(t != "grad ?" for t in grad_texts(f)) for f in frames] == list(range(7))
    assert grad_texts(frames[-1]) == ["grad -0.94", "grad 0.94", "grad 1.88", "grad 1.88", "grad 2", "grad 1"]
    # same geometry in every frame: only the grad texts differ
    strip = lambda svg: re.sub(r"<text[^>]*>grad [^<]*</text>", "", svg)  # noqa: E731
    assert len({strip(f) for f in frames}) == 1
    assert [(n.label, n.grad) for n in root.parents + (root,)] == before
    assert repr(anim) == "<autograd_lite BackwardAnimation: 7 frames; .frame(k) is SVG, .save(path) writes HTML>"
    html_page = open(anim.save(tmp_path / "bp")).read()
    assert html_page.count('data-step="') == 6 and "<script>" in html_page


@needs_renderer
def test_animation_marks_no_zero_gradient_before_backward_reaches_it():
    x = Value(-1.0, label="x")
    root = (x * 2.0).relu() + Value(1.0, label="one")  # x and x*2 end with grad 0
    anim = animate_backward(root)
    assert all("grad 0" not in t for t in grad_texts(anim.frame(0)))
    assert all(ZERO_FILL not in f for f in anim.frames())
    assert grad_texts(anim.frames()[-1]).count("grad 0") == 2


def test_animation_without_a_renderer_shows_the_steps_as_text(no_renderer):
    anim = animate_backward(small_graph())
    page = anim._repr_html_()
    assert page.startswith("<pre>") and "autograd_lite[viz]" in page
    assert anim.log[0] == "v5 = mul v4 2: grad 1 (the root)" and anim.log[-1] == "v0 (a): grad -0.94"
    with pytest.raises(RenderError):
        anim.frame(0)


def test_fontconfig_noise_is_held_back_and_other_stderr_passed_on(capfd):
    # The Graphviz bundled in pygraphviz writes these from C, to descriptor 2, on every render.
    with render_module.without_fontconfig_noise():
        os.write(2, b'Fontconfig warning: "/etc/fonts/conf.d/05-reset-dirs.conf", line 6: unknown element\n')
        os.write(2, b"a real problem\n")
    err = capfd.readouterr().err
    assert "a real problem" in err and "Fontconfig" not in err
