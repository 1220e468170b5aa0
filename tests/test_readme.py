"""The README's "Neural networks and optimizers" examples run as written."""

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
