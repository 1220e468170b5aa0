"""griffe extension: the bare ``>>>`` examples in our docstrings, shown on the site as Python sessions.

The docstrings keep plain doctests (pytest runs them with ``--doctest-modules``).  In Markdown a
line starting with ``>`` is a block quote, so each run of doctest lines (the prompts and the
output up to the next blank line) is wrapped in a fenced ``pycon`` block before rendering.
"""

from __future__ import annotations

import inspect
from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """The docstring with each doctest block fenced.

    >>> print(fence_doctests("Adds.\\n\\n>>> 1 + 1\\n2\\n\\nDone."))
    Adds.
    <BLANKLINE>
    ```pycon
    >>> 1 + 1
    2
    ```
    <BLANKLINE>
    Done.
    """
    out: list[str] = []
    in_block = in_fence = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")) and not in_block:
            in_fence = not in_fence
        elif not in_fence and not in_block and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            in_block = True
        elif in_block and not stripped:
            out.append(f"{indent}```")
            in_block = False
        out.append(line)
    if in_block:
        out.append(f"{indent}```")
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    """Fence the doctests of every object's docstring once the object tree is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)


class MadeAtImport(griffe.Extension):
    """The docstrings of the Value methods the engine makes at import time, from the live class.

    The smooth elementwise functions (``x.exp()``, ``x.tanh()``, ...) are made, each
    with its derivative, from one row of a table in ``engine.py``; the class body
    declares them for type checkers only, with no docstring, so the source alone
    would leave them off the site.
    """

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != "autograd_lite":
            return
        import autograd_lite.engine

        for name, member in pkg["engine"]["Value"].members.items():
            doc = getattr(getattr(autograd_lite.engine.Value, name, None), "__doc__", None)
            if member.docstring is None and not name.startswith("_") and doc:
                member.docstring = griffe.Docstring(doc, parent=member)
        # The module functions the same table makes (exp(x), ...), relu(x), abs(x) and record(...)
        # are assignments in the source; on the site they are functions, with the live docstring.
        engine = pkg["engine"]
        for name, member in list(engine.members.items()):
            live = getattr(autograd_lite.engine, name, None)
            if name.startswith("_") or member.is_alias or not member.is_attribute or not inspect.isfunction(live):
                continue
            parameters = [griffe.Parameter(p.name, kind=griffe.ParameterKind[p.kind.name.lower()])
                          for p in inspect.signature(live).parameters.values()]
            function = griffe.Function(name, lineno=member.lineno, endlineno=member.endlineno,
                                       parameters=griffe.Parameters(*parameters))
            function.docstring = griffe.Docstring(live.__doc__ or "", parent=function)
            engine.set_member(name, function)
