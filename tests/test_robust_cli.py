"""Issue 14, unbounded work and hostile input at the edges: the CLI's usage errors, bounded
drawings, and labels that cannot blank a box or break a line.

Each test can fail on the defect it guards: deep --expr raised RecursionError, train ran
out of memory after 30 s, demo --steps failed at step 112, constant overflow printed a
bare errno tuple, dot layouts ran for minutes, and control characters reached Graphviz.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import autograd_lite as al
from autograd_lite.cli import main
from autograd_lite.viz import draw_dot, format_graph, to_dot
from autograd_lite.viz.dot import GraphTooLarge, printable_label

_USAGE_ERRORS = {
    "3000-term product": ["graph", "-f", "txt", "--expr", "*".join(["a"] * 3000)],
    "1500 chained tanh": ["graph", "-f", "txt", "--expr", "a" + ".tanh()" * 1500],
    "drawing 2401 factors": ["graph", "-f", "svg", "--expr", "*".join(["a"] * 2401)],
    "constant overflow": ["graph", "-f", "txt", "--expr", "a + 9**9**9"],
    "huge literal": ["graph", "-f", "txt", "--expr", "a + " + "9" * 400],
    "test size leaves no training set": ["train", "--test-size", "0.999"],
    "a billion samples": ["train", "--samples", "1000000000"],
    "huge layers": ["train", "--layers", "100000,100000"],
    "one step's graph too large": ["train", "--samples", "1000000"],
    "demo beyond its schedule": ["demo", "--steps", "1000000000"],
}


@pytest.mark.parametrize("case", sorted(_USAGE_ERRORS))
def test_every_bad_command_line_is_one_usage_error(case, tmp_path, capsys):
    argv = _USAGE_ERRORS[case] + ["-o" if _USAGE_ERRORS[case][0] == "graph" else "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0] == err.splitlines()[-1], err
    assert len(errors[0]) < 400  # the user's 3000-term expression is not echoed whole
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # refused before any work or file


def test_usage_errors_in_a_real_process_exit_2_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograd_lite", "graph", "-f", "txt", "-o", str(tmp_path / "g"),
                           "--expr", "*".join(["a"] * 3000)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("autograd-lite graph: error: --expr:")


def test_ctrl_c_while_writing_the_pictures_is_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import autograd_lite.viz as viz

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as a SIGINT inside matplotlib

    monkeypatch.setattr(viz, "plot_decision_boundary", interrupted)
    code = main(["demo", "--steps", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 130 and "Traceback" not in err and err.strip() == "interrupted"


def test_a_renderer_stopped_by_ctrl_c_is_an_interrupt_not_a_fallback(monkeypatch):
    import autograd_lite.viz.render as render

    monkeypatch.setattr(render.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(render.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a[0], -2, b"", b""))
    with pytest.raises(KeyboardInterrupt):
        draw_dot(al.Value(1.0) * 2).pipe("svg")


# -- drawings bounded by what drives layout cost, and by time --------------------------

def test_a_huge_fan_out_is_refused_before_layout():
    a = al.Value(1.0001, label="a")
    y = a
    for _ in range(300):
        y = y * a  # `a` feeds 301 ops: Graphviz took 13 CPU-minutes on 2,401
    with pytest.raises(GraphTooLarge, match="feeds 301 ops") as err:
        to_dot(y)
    assert "format_graph" in str(err.value) and "collapse" in str(err.value)
    assert to_dot(y, max_nodes=None)  # asked for explicitly, it is drawn
    assert len(format_graph(y).splitlines()) == 302  # in, 300 muls, out: the text view always works


def test_many_edges_are_refused_even_under_max_nodes():
    xs = [al.Value(0.01 * i, label=f"x{i}") for i in range(40)]
    out = al.sum([al.dot(xs, xs[::-1]).tanh() for _ in range(40)])  # few nodes, dense edges
    with pytest.raises(GraphTooLarge, match="edges, more than max_nodes=1,000"):
        to_dot(out, max_nodes=1000)


def test_a_layout_over_the_time_limit_is_stopped_with_advice(monkeypatch):
    import autograd_lite.viz.render as render

    if shutil.which("dot") is None:
        pytest.importorskip("pygraphviz", reason="neither the dot binary nor pygraphviz is installed")
    monkeypatch.setattr(render, "RENDER_TIMEOUT", 1e-4)
    a = al.Value(2.0, label="a")
    with pytest.raises(render.RenderError, match="took longer than") as err:
        render.render_source(to_dot(a * a + a), "svg")
    assert "format_graph" in str(err.value)


# -- labels: visible, bounded, one line in the text view -----------------------------

_HOSTILE_LABELS = ["ctl\x01x", "esc\x1b[31mred", "vt\x0bx", "nul\x00x", "lone\udc80x", "two\nlines",
                   "<b>&\"'", "x" * 20_000]


@pytest.mark.parametrize("label", _HOSTILE_LABELS, ids=["soh", "esc", "vt", "nul", "surrogate", "newline",
                                                        "markup", "long"])
def test_hostile_labels_render_visibly(label):
    a = al.Value(2.0, label=label)
    y = (a * 3).tanh()
    y.backward()
    text = format_graph(y)
    assert len(text.splitlines()) == 4  # in, mul, tanh, out: one line per op
    text.encode("utf-8")  # no lone surrogate left to fail a terminal or a file
    source = to_dot(y)
    source.encode("utf-8")
    assert all(ch == "\n" or ch.isprintable() for ch in source)
    if shutil.which("dot") is None:
        pytest.skip("the dot binary is not installed")
    svg = draw_dot(y).pipe("svg").decode()
    shown = printable_label(label)
    assert shown[:3] in svg or "<" in label  # the box shows the label, not a blank
    if "\\" in shown:
        assert shown[shown.index("\\"):][:4] in svg  # and the escape, visibly
    if len(label) > 200:
        assert "20,000 characters" in svg
    if "<" in label:
        assert "&lt;b&gt;" in svg


def test_printable_label_says_what_it_cut():
    assert printable_label("x" * 201).endswith("… (201 characters)")
    assert printable_label("x" * 200) == "x" * 200
    assert printable_label("a\nb", newlines=False) == "a\\nb"
    assert printable_label("é中 ok") == "é中 ok"
