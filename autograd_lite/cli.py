"""The ``autograd-lite`` command line (also ``python -m autograd_lite``)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _demo(args: argparse.Namespace) -> int:
    from autograd_lite import Value, grad

    print("autograd_lite engine demo: micrograd's example expression, differentiated\n")
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    print(f"g = {g.data:.4f}          (forward pass)")
    print(f"dg/da = {a.grad:.4f}    dg/db = {b.grad:.4f}   (backward pass)")
    print(f"the same graph as micrograd's README, {len(_nodes(g))} nodes\n")

    x = Value(0.0)
    for _ in range(100_000):
        x = x * 1.0000001 + 0.5
    x.backward()
    print("a 100,000-step chain, with no recursion limit: "
          f"x = {x.data:.6g}")
    f3 = lambda t: t.tanh()  # noqa: E731
    print(f"higher order: tanh'''(0.5) = {grad(grad(grad(f3)))(0.5):.6f}")
    return 0


def _nodes(root):
    from autograd_lite.engine import _reverse_topological
    return _reverse_topological(root)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograd-lite", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main demo")
    demo.set_defaults(run=_demo)
    _add_graph_command(sub)
    return parser


def _add_graph_command(sub) -> None:
    # `autograd-lite graph` lives with the drawing code (autograd_lite/viz/_cli.py)
    from autograd_lite.viz._cli import add_graph_command
    add_graph_command(sub)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
