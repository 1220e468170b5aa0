"""The README's examples run as written, and do what the README says they do."""

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_neural_network_section_runs(tmp_path, monkeypatch):
    section = README.read_text().split("## Neural networks and optimizers", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)  # the example saves xor.json
    ns: dict = {}
    exec(blocks[0], ns)
    assert ns["loss"].data < 1e-3
    pytest.importorskip("torch", reason="PyTorch not installed: the to_torch half of the example needs it")
    exec(blocks[1], ns)
    assert (tmp_path / "xor.json").exists()


def _renderer_available() -> bool:
    from autograd_lite.viz import render
    try:
        render.render_source("digraph { a }", "svg")
        return True
    except render.RenderError:
        return False


def test_every_python_example_runs(tmp_path, monkeypatch):
    # In order, in one namespace, as a reader pasting them into one session would.
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 10
    monkeypatch.chdir(tmp_path)  # examples save and render files
    ran = 0
    ns: dict = {}
    ns["build_a_huge_graph"] = lambda: ns["Value"](2.0) * 3.0  # the GC recipe's placeholder
    for block in blocks:
        if "to_torch" in block and importlib.util.find_spec("torch") is None:
            continue
        if ".render(" in block and not _renderer_available():
            continue
        exec(block, ns)
        ran += 1
        if "def test_my_f" in block:
            ns["test_my_f"]()  # the hypothesis example is a test: run it
        if "history = fit(" in block:  # the README promises every held-out sample right
            assert ns["evaluate"](ns["model"], ns["X_test"], ns["y_test"], loss="hinge")["accuracy"] == 1.0
            assert ns["history"].accuracy[-1] == 1.0
    assert ran >= 8
