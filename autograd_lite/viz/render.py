"""``draw_dot`` and ``Graph``: DOT source that renders to SVG/PNG and shows in notebooks.

Renderers, tried in order: the ``dot`` binary if it is on PATH, then
pygraphviz (its wheels bundle Graphviz, so ``pip install "autograd_lite[viz]"``
is enough).  Both are imported or run only when a picture is asked for.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from autograd_lite.engine import Value
from autograd_lite.files import write_file
from autograd_lite.viz.dot import to_dot
from autograd_lite.viz.text import format_graph

__all__ = ["Graph", "draw_dot", "RenderError", "FORMATS"]

FORMATS = ("svg", "png", "pdf", "dot")

_FIXES = (
    "  - pip install \"autograd_lite[viz]\"   (pygraphviz; its wheels bundle Graphviz)\n"
    "  - or install Graphviz so `dot` is on PATH: apt install graphviz | brew install graphviz "
    "| conda install graphviz\n"
    "  - or keep the DOT text: graph.render(\"graph.dot\") or graph.source "
    "(paste it into any Graphviz viewer), or print(format_graph(root)) for a text view"
)
NO_RENDERER_HINT = ("(autograd_lite: no Graphviz renderer found, showing the text view; "
         "pip install \"autograd_lite[viz]\" to see the drawing)")


class RenderError(RuntimeError):
    """No renderer could turn the DOT source into a picture; the message lists the fixes."""


class Graph:
    """A drawn computation graph: DOT ``source``, ``render()`` to a file, notebook display.

    >>> from autograd_lite import Value
    >>> g = draw_dot(Value(2.0, label="x") * 3)
    >>> g.source.startswith("digraph")
    True
    >>> g.render("/tmp/autograd_lite_doctest.dot")   # .dot needs no renderer
    '/tmp/autograd_lite_doctest.dot'
    """

    def __init__(self, source: str, text: str = "", format: str = "svg") -> None:
        self.source: str = source
        self.text: str = text  # the format_graph view, shown when nothing can render
        self.format: str = _check_format(format, "Graph")  # what render() and pipe() write by default
        self._svg: str | None = None

    def pipe(self, format: str | None = None) -> bytes:
        """The rendered picture as bytes (``"svg"``, ``"png"``, ``"pdf"`` or ``"dot"``; default ``self.format``)."""
        format = self.format if format is None else format
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
        if format == "dot":
            return self.source.encode()
        return render_source(self.source, format)

    def render(self, path: str | os.PathLike, format: str | None = None) -> str:
        """Write the picture to ``path`` and return the path written.

        ``format`` is "svg" or "png" (or "pdf", "dot"); when omitted it is taken
        from the path's extension, else ``self.format`` (``draw_dot(format=...)``,
        "svg" unless set).  The extension is added when the
        path lacks it; missing folders are created.  Raises RenderError, with
        the fixes, when no renderer is installed.
        """
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lstrip(".").lower()
        if format is None:
            format = ext if ext in FORMATS else self.format
        format = format.lower()
        if format not in FORMATS:
            raise ValueError(f"render: format must be one of {', '.join(FORMATS)}; got {format!r}")
        if ext != format and not (format == "dot" and ext == "gv"):
            path = f"{path}.{format}"
        data = self.pipe(format)  # render before touching the file system
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        write_file(path, data, who="render")
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # A notebook must never get a traceback from displaying a graph.
        try:
            if self._svg is None:
                self._svg = render_source(self.source, "svg").decode("utf-8")
            return {"image/svg+xml": self._svg, "text/plain": repr(self)}
        except Exception:  # noqa: BLE001 - any renderer failure falls back to text
            return {"text/plain": self._fallback_text()}

    def _fallback_text(self) -> str:
        return f"{NO_RENDERER_HINT}\n{self.text or self.source}"

    def __repr__(self) -> str:
        n = self.source.count(" [shape=") - self.source.count("grad_key [shape=")   # the colour key is no node
        return f"<autograd_lite Graph: {n} node{'' if n == 1 else 's'}; .source is DOT, .render(path) writes svg/png>"


def draw_dot(root: Value, format: str = "svg", **options: Any) -> Graph:
    """Draw the graph of ``root``: a Graph to display in a notebook or ``render()`` to a file.

    Takes the options of ``to_dot`` (rankdir, derivatives, color, highlight,
    params, collapse, level, max_nodes, title).  ``format`` is what ``render()``
    writes when the path names none, so micrograd's
    ``draw_dot(root, format="svg", rankdir="LR")`` works as written.

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> loss = (a * b + a).tanh(); loss.backward()
    >>> g = draw_dot(loss, derivatives=True)
    >>> g.render("/tmp/autograd_lite_doctest_graph", format="dot")
    '/tmp/autograd_lite_doctest_graph.dot'
    """
    format = _check_format(format, "draw_dot")
    source = to_dot(root, **options)
    # The text view of a huge graph is not useful either; keep it for small ones.
    text = format_graph(root) if source.count("\n") < 4000 else ""
    return Graph(source, text, format)


def _check_format(format: str, what: str) -> str:
    if not isinstance(format, str) or format.lower() not in FORMATS:
        raise ValueError(f"{what}: format must be one of {', '.join(FORMATS)}; got {format!r}")
    return format.lower()


def render_source(source: str, format: str) -> bytes:
    """Render DOT with the first renderer that works; RenderError listing the fixes otherwise."""
    tried = []
    exe = shutil.which("dot")
    if exe:
        done = _run_renderer([exe, f"-T{format}"], source)
        if done.returncode == 0 and done.stdout:
            return done.stdout
        tried.append(f"`dot` at {exe} failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    else:
        tried.append("no `dot` binary on PATH")
    try:
        import pygraphviz  # noqa: F401 - only to know whether the child process below can use it
    except ImportError as e:
        tried.append(f"pygraphviz is not installed ({e})")
    else:
        # In a child process, as the binary: a layout can take minutes, and only a process can be
        # stopped at the time limit (pygraphviz's draw() cannot be interrupted).
        done = _run_renderer([sys.executable, "-c", _PYGRAPHVIZ_CHILD, format], source)
        if done.returncode == 0 and done.stdout:
            kept = _without_noise(done.stderr.decode(errors="replace"))
            if kept.strip():
                sys.stderr.write(kept + "\n")  # Graphviz's own warnings are the user's to see
            return done.stdout
        tried.append(f"pygraphviz failed: {_without_noise(done.stderr.decode(errors='replace')).strip()[-300:]}")
    raise RenderError(f"cannot render the graph as {format}: " + "; ".join(tried)
                      + ".\nFixes:\n" + _FIXES)


_FONTCONFIG_NOISE = ("Fontconfig warning:", "Fontconfig error:")
RENDER_TIMEOUT = 60.0  # seconds a Graphviz layout may take

_PYGRAPHVIZ_CHILD = (
    "import sys, pygraphviz\n"
    "sys.stdout.buffer.write(pygraphviz.AGraph(string=sys.stdin.read()).draw(format=sys.argv[1], prog='dot'))\n"
)


def _run_renderer(command: list[str], source: str) -> subprocess.CompletedProcess:
    """Run a Graphviz process on ``source`` within RENDER_TIMEOUT; RenderError saying what to do if it runs over."""
    try:
        done = subprocess.run(command, input=source.encode(), capture_output=True, timeout=RENDER_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz's layout took longer than {RENDER_TIMEOUT:g} s and was stopped: the graph is "
                          f"too large or too tangled to draw. Draw fewer nodes (the loss of one sample), "
                          f"collapse the model (collapse=model, level=\"layer\"), or print the text view "
                          f"(format_graph(root))") from None
    except OSError as e:
        return subprocess.CompletedProcess(command, 1, b"", str(e).encode())
    if done.returncode == -signal.SIGINT:  # Ctrl-C reached the renderer too: it is the user's, not a failure
        raise KeyboardInterrupt
    return done


def _without_noise(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(_FONTCONFIG_NOISE))


@contextlib.contextmanager
def without_fontconfig_noise() -> Iterator[None]:
    """Hold back the Fontconfig lines that the Graphviz inside pygraphviz writes to stderr.

    The fontconfig bundled in pygraphviz's wheel warns about every system
    config file newer than itself ("unknown element reset-dirs"), straight
    to file descriptor 2 from C, on every render; it says nothing about the
    drawing.  Everything else written to stderr meanwhile is passed on.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not line.startswith(_FONTCONFIG_NOISE))
            if kept:
                sys.stderr.write(kept)
