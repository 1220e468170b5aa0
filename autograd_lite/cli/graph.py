"""``autograd-lite graph``: draw an expression, or the demo model's one-sample graph, to a file.

Kept apart from commands.py so the command registers itself with one call there.
Expressions are parsed with ``ast`` and evaluated by walking the tree with a
fixed table of operators and methods: no ``eval``, no attribute access beyond
that table, no calls to anything else.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import sys
from collections.abc import Callable
from typing import Any

from autograd_lite.engine import Value
from autograd_lite.files import write_file

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b,
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: lambda a: -a, ast.UAdd: lambda a: +a}
_FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos", "abs")
# Values given to variables the user did not set, in order of first appearance: the first four
# are those of micrograd's video lecture (a=2, b=-3, c=10, f=-2), so `(a*b+c).tanh()` draws a
# familiar picture.  The command prints every value it assumed.
_DEFAULTS = (2.0, -3.0, 10.0, -2.0, 0.5, 1.5, -1.0, 3.0)
_FORMATS = ("svg", "png", "pdf", "dot", "txt")


def parse_expression(text: str, values: dict[str, float] | None = None) -> Value:
    """Build the graph of an arithmetic expression over named Values, safely.

    Allowed: numbers, names (each a labelled Value), + - * / ** and unary -,
    and the functions/methods exp log sqrt tanh sigmoid relu leaky_relu
    softplus sin cos abs (``x.tanh()`` or ``tanh(x)``).

    >>> y = parse_expression("(a*b + c).tanh()", {"a": 2, "b": -3, "c": 10})
    >>> y.op, round(y.data, 4)
    ('tanh', 0.9993)
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ValueError: --expr: calls are limited to exp, log, sqrt, tanh, sigmoid, relu, leaky_relu, softplus, sin, cos, abs
    """
    values = dict(values or {})
    tree = _parse(text)
    leaves: dict[str, Value] = {}

    def name(n: str) -> Value:
        if n not in leaves:
            if n not in values:
                values[n] = _DEFAULTS[len(leaves) % len(_DEFAULTS)]
            leaves[n] = Value(float(values[n]), label=n)
        return leaves[n]

    # An explicit stack instead of recursion: post-order over the (small) syntax tree.
    results: dict[int, Any] = {}
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children))
            continue
        args = [results.pop(id(c)) for c in children]
        results[id(node)] = _apply(node, args, name)
    out = results[id(tree.body)]
    if type(out) is not Value:
        raise ValueError(f"--expr: {text!r} has no variables, so there is no graph to draw")
    return out


def _parse(text: str) -> ast.Expression:
    """The syntax tree of an expression; ValueError (a usage error) for anything Python's parser refuses."""
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"--expr: not an expression: {e.msg} in {_short(text)}") from None
    except (RecursionError, MemoryError):
        # Python's parser recurses once per nesting level (a*a*...*a nests to the left)
        raise ValueError(f"--expr: the expression nests too deeply for Python's parser ({len(text):,} characters); "
                         f"draw a smaller one, or build the graph in Python with autograd_lite.Value") from None


def _short(text: str, limit: int = 60) -> str:
    """The expression as quoted in an error message: one line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return repr(text) if len(text) <= limit else repr(text[:limit - 1] + "…") + f" ({len(text):,} characters)"


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ValueError(f"--expr: operator {type(node.op).__name__} is not allowed (use + - * / **)")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ValueError(f"--expr: operator {type(node.op).__name__} is not allowed")
        return [node.operand]
    if isinstance(node, ast.Call):
        func = node.func
        fname = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if fname not in _FUNCTIONS or node.keywords:
            raise ValueError(f"--expr: calls are limited to {', '.join(_FUNCTIONS)}")
        if isinstance(func, ast.Attribute):  # x.tanh(): the receiver is the operand
            if node.args:
                raise ValueError(f"--expr: .{fname}() takes no arguments")
            return [func.value]
        if len(node.args) != 1:
            raise ValueError(f"--expr: {fname}() takes one argument")
        return [node.args[0]]
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return []
    if isinstance(node, ast.Name):
        return []
    raise ValueError(f"--expr: {type(node).__name__} is not allowed; use numbers, names, "
                     f"+ - * / ** and {', '.join(_FUNCTIONS)}")


def _apply(node: ast.AST, args: list, name: Callable[[str], Value]) -> Any:
    if isinstance(node, ast.BinOp):
        try:
            return _BINARY[type(node.op)](*args)
        except OverflowError:
            if any(type(a) is Value for a in args):
                raise  # the engine's message names the op and its operands
            raise ValueError(f"--expr: a constant part overflows a float: {args[0]:g} "
                             f"{_SYMBOLS[type(node.op)]} {args[1]:g} is too large") from None
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](*args)
    if isinstance(node, ast.Call):
        func = node.func  # a Name or an Attribute: _children refused anything else
        fname = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        x = args[0]
        if fname == "abs":
            return abs(x)
        if type(x) is Value:
            return getattr(x, fname)()
        return getattr(Value(float(x)), fname)().data  # a constant subexpression stays a number
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        try:
            return float(node.value)
        except OverflowError:
            raise ValueError(f"--expr: a number of {len(str(node.value)):,} digits is too large for a float") from None
    assert isinstance(node, ast.Name)  # _children let nothing else through
    return name(node.id)


def _model_graph() -> tuple[Value, Any]:
    """The demo model's loss on one sample: MLP(2, [16, 16, 1]), seed 1337."""
    from autograd_lite.nn import MLP
    model = MLP(2, [16, 16, 1], seed=1337)
    x = [Value(0.5, label="x1"), Value(-1.2, label="x2")]
    loss = (model(x) - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, model


def add_graph_command(sub: Any) -> None:
    """Register ``graph`` on the CLI's subparsers."""
    p = sub.add_parser("graph", help="draw an expression or the demo model's graph to a file",
                       description=__doc__.split("\n\n")[0].replace("``", ""))
    what = p.add_mutually_exclusive_group()
    what.add_argument("--expr", default="(a*b + c).tanh()",
                      help="expression over named variables, e.g. \"(a*b + c).tanh()\" (the default)")
    what.add_argument("--model", action="store_true",
                      help="the demo model's one-sample graph: MLP(2, [16, 16, 1])")
    p.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                   help="variable values, e.g. --set a=2 b=-3; the others get the values of micrograd's lecture, "
                        "2, -3, 10, -2, then 0.5, 1.5, -1, 3, in order of appearance (printed when used)")
    p.add_argument("-o", "--output", default="graph", metavar="FILE",
                   help="file to write, its extension (.svg .png .pdf .dot .txt) giving the format; "
                        "without one, -f's extension is added; '-' prints to stdout (default: %(default)s)")
    p.add_argument("-f", "--format", choices=_FORMATS, default=None,
                   help="dot is the DOT source, txt the text view (default: from --output's extension, else svg)")
    p.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                   help="left to right or top to bottom (default: %(default)s)")
    p.add_argument("--collapse", choices=("neuron", "layer"), default=None,
                   help="with --model: one node per neuron or per layer")
    p.add_argument("--derivatives", action="store_true", help="print local derivatives on the edges")
    p.add_argument("--color", choices=("role", "grad", "none"), default="role",
                   help="node colors: by role (parameters, inputs and constants, output), a heat map of |grad|, "
                        "or none (default: %(default)s)")
    p.add_argument("--no-backward", action="store_true", help="draw before backward (grads all 0)")
    p.set_defaults(run=lambda args: _graph(args, p))


def _graph(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from autograd_lite.viz import RenderError, draw_dot, format_graph
    from autograd_lite.viz.dot import GraphTooLarge

    # Where and in which format, settled before any work: a mistake there is a usage error (exit 2).
    path, fmt = _output_target(args.output, args.format, parser)
    notes = sys.stderr   # notes are diagnostics: stdout holds the picture (-o -) or the path written, alone
    options: dict[str, Any] = dict(rankdir=args.rankdir, derivatives=args.derivatives, color=args.color)
    model = None
    if args.model:
        if args.set:
            parser.error("--set is for --expr; the --model graph has no variables to set")
        root, model = _model_graph()
        options["params"] = model
        if args.collapse:
            options.update(collapse=model, level=args.collapse)
    else:
        if args.collapse:
            parser.error("--collapse needs --model")
        root = _expression_graph(args, parser, notes)
    # Writing the file depends on the machine too (Graphviz, the disk): those failures exit 1.
    try:
        if fmt == "txt":
            data = (format_graph(root, params=model) + "\n").encode()
        else:
            data = draw_dot(root, **options).pipe(fmt)
        if path is None:
            sys.stdout.buffer.write(data) if hasattr(sys.stdout, "buffer") else sys.stdout.write(data.decode())
            sys.stdout.flush()
            return 0
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        write_file(path, data, who="graph")
    except GraphTooLarge as e:
        parser.error(str(e))
    except (ValueError, RenderError, OSError) as e:
        print(f"graph: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _expression_graph(args: argparse.Namespace, parser: argparse.ArgumentParser, notes: Any) -> Value:
    """The graph of --expr after backward, saying which values it assumed; --set of an unused name is refused."""
    try:
        settings = _parse_settings(args.set)
        names = expression_names(args.expr)
        unused = [name for name in settings if name not in names]
        if unused:
            uses = ", ".join(names) if names else "no variables"
            raise ValueError(f"--set {', '.join(unused)}: not in the expression {args.expr!r} (it uses {uses})")
        root = parse_expression(args.expr, settings)
        if not args.no_backward:
            root.backward()
    except (ValueError, ArithmeticError) as e:
        parser.error(str(e) if str(e).startswith("--") else f"--expr {_short(args.expr)}: {e}")
    assumed = [f"{name}={_DEFAULTS[k % len(_DEFAULTS)]:g}" for k, name in enumerate(names) if name not in settings]
    if assumed:
        print(f"assumed {' '.join(assumed)} (set them with --set NAME=VALUE)", file=notes)
    return root


def expression_names(text: str) -> list[str]:
    """The variable names of an expression, in order of first appearance (function names excluded).

    >>> expression_names("(a*b + c).tanh() + a")
    ['a', 'b', 'c']
    """
    tree = _parse(text)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found = sorted((n.lineno, n.col_offset, n.id) for n in ast.walk(tree)
                   if isinstance(n, ast.Name) and id(n) not in calls)
    return list(dict.fromkeys(name for _, _, name in found))


def _output_target(output: str, fmt: str | None, parser: argparse.ArgumentParser) -> tuple[str | None, str]:
    """(the path to write, or None for stdout; the format), or a usage error that says what is wrong.

    The output's extension decides the format unless -f says otherwise; when both are given they must
    agree.  A name without an extension gets the format's.
    """
    if output == "-":
        return None, fmt or "svg"
    if output.endswith(("/", os.sep)) or os.path.isdir(output):
        parser.error(f"-o {output}: is a folder; give a file name, e.g. -o {os.path.join(output, 'graph.svg')}")
    from autograd_lite.cli.commands import why_not_a_folder
    blocked = why_not_a_folder(output)
    if blocked:
        parser.error(f"-o {output}: cannot write there ({blocked})")
    stem, ext = os.path.splitext(output)
    ext = ext.lstrip(".").lower()
    if ext == "gv":
        ext = "dot"  # Graphviz's other extension for DOT source
    if not ext:
        fmt = fmt or "svg"
        return f"{output}.{fmt}", fmt
    if ext not in _FORMATS:
        parser.error(f"-o {output}: .{ext} is not a format graph writes; use one of "
                     f"{', '.join('.' + f for f in _FORMATS)}")
    if fmt is not None and fmt != ext:
        parser.error(f"-o {output} asks for {ext}, -f asks for {fmt}: drop one, or make them agree")
    return output, ext


def _parse_settings(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        try:
            number = float(val)
        except ValueError:
            number = math.nan
        if not sep or not key.isidentifier() or math.isnan(number):
            raise ValueError(f"--set expects NAME=NUMBER, got {item!r}")
        out[key] = number
    return out
