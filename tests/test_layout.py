"""The engine's boundaries and budget hold, and the README's Size paragraph states them as they are.

- Only ``engine.py`` reads the node encoding (the slots ``_a``, ``_da``, ``_b``, ``_db``); every
  other module goes through ``node_info``, ``record`` and friends.
- No module imports another module's private name (``from m import _x``): what is shared is a
  named internal API.
- ``engine.py`` keeps to its 650-line budget and ``functional.py`` to its 200, and every size the
  README quotes is the file's size today.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograd_lite"
SLOTS = {"_a", "_da", "_b", "_db"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_engine_reads_the_node_encoding():
    readers = []
    for path in _modules():
        if path.name == "engine.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in SLOTS:
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert readers == []


def _is_module(package: str, name: str) -> bool:
    folder = ROOT.joinpath(*package.split("."))
    return (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists()


def test_no_module_imports_another_modules_private_name():
    # A private module (`from autograd_lite import _modes`) is the package's own; a private name is not.
    imports = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograd_lite"):
                imports += [f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}" for alias in node.names
                            if alias.name.startswith("_") and not alias.name.startswith("__")
                            and not _is_module(node.module, alias.name)]
    assert imports == []


def _code_lines(source: str) -> int:
    """Lines that are neither blank, nor a comment, nor part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                    and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    return sum(1 for i, line in enumerate(source.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in docstrings)


def test_the_engine_keeps_its_budget_and_the_readme_states_its_size():
    size = (ROOT / "README.md").read_text().split("### Size", 1)[1].split("\n## ", 1)[0]
    engine = (PACKAGE / "engine.py").read_text()
    lines = engine.splitlines()
    backward = next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith("def backward("))
    stated = re.search(r"`engine\.py` is the core: (\d+) lines, (\d+) of them code .*? at line (\d+)\.", size)
    assert stated, "the Size paragraph no longer says how long engine.py is"
    assert [int(n) for n in stated.groups()] == [len(lines), _code_lines(engine), backward]
    budget = re.search(r"budget is (\d+) lines for `engine\.py` and (\d+) for `functional\.py` \((\d+) today\)", size)
    assert budget, "the Size paragraph no longer states the budget"
    engine_budget, functional_budget, functional_today = (int(n) for n in budget.groups())
    functional = len((PACKAGE / "functional.py").read_text().splitlines())
    assert functional_today == functional
    assert len(lines) <= engine_budget and functional <= functional_budget
    assert backward <= 200  # a learner finds backward in the first ~200 lines
    # every other module the paragraph sizes: "`_modes.py` (221 lines: ..." or "`nary.py` (191: ..."
    quoted = re.findall(r"`(\w+\.py)` \((\d+)(?: lines)?:", size)
    assert len(quoted) >= 4
    for name, n in quoted:
        assert int(n) == len((PACKAGE / name).read_text().splitlines()), name
