"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, and its committed outputs are clean.

The run uses AUTOGRAD_LITE_QUICK=1 (smaller experiments) and writes to a
temporary folder: the committed notebooks, whose outputs come from a full
``make notebooks`` run, are never rewritten by a test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="the notebooks extra is not installed: pip install -e '.[notebooks]'")
pytest.importorskip("ipykernel", reason="the notebooks extra is not installed: pip install -e '.[notebooks]'")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUNNER = ROOT / "notebooks" / "run.py"

# A machine's absolute paths; base64 images are not searched (their alphabet contains "/").
MACHINE_PATH = re.compile(r"(?<![\w.])/(root|home|tmp|work)\b")
TEXT_MIME = ("text/plain", "text/html", "text/markdown", "image/svg+xml", "application/json")


def _load(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _output_texts(output: dict) -> list[str]:
    if output["output_type"] == "stream":
        return ["".join(output["text"])]
    if output["output_type"] == "error":
        return ["\n".join(output.get("traceback", []))]
    data = output.get("data", {})
    return ["".join(v) if isinstance(v, list) else json.dumps(v) for k, v in data.items() if k in TEXT_MIME]


def _problems(nb: dict, *, require_executed: bool) -> list[str]:
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "sys.path" in source:
            found.append(f"cell {i}: edits sys.path; import the installed package instead")
        if require_executed and source.strip() and cell.get("execution_count") is None:
            found.append(f"cell {i}: never executed (commit the notebook with its outputs: make notebooks)")
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                found.append(f"cell {i}: error output {out.get('ename')}: {out.get('evalue')}")
            for text in _output_texts(out):
                m = MACHINE_PATH.search(text)
                if m:
                    near = text[max(0, m.start() - 40):m.end() + 40]
                    found.append(f"cell {i}: output shows a machine path: ...{near}...")
    return found


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(path):
    assert _problems(_load(path), require_executed=True) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_top_to_bottom(path, tmp_path):
    before = path.read_bytes()
    done = subprocess.run([sys.executable, str(RUNNER), "--quick", "--out", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{path.name} failed in a fresh kernel:\n{done.stderr[-4000:]}"
    assert _problems(_load(tmp_path / path.name), require_executed=True) == []
    assert path.read_bytes() == before, "the test must never rewrite the committed notebook"


def test_runner_drops_a_renderer_warning_split_over_two_chunks():
    import importlib.util

    from nbformat.v4 import new_code_cell, new_notebook, new_output

    spec = importlib.util.spec_from_file_location("notebook_runner", RUNNER)
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    cell = new_code_cell("draw_dot(y)", outputs=[
        new_output("stream", name="stderr", text='Fontconfig warning: "fonts.conf", line 6: '),
        new_output("stream", name="stderr", text='unknown element "reset-dirs"\n'),
        new_output("stream", name="stdout", text="a\n"),
        new_output("stream", name="stdout", text="b\n"),
    ])
    nb = new_notebook(cells=[cell])
    runner._tidy(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "a\nb\n")]
