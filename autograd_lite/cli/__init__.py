"""The ``autograd-lite`` command line (also ``python -m autograd_lite``).

``commands.py`` holds the parser, ``main`` and the demo, train and engine-demo
commands; ``graph.py`` the graph command and its safe expression parser.
Nothing here is imported by ``import autograd_lite``.

>>> from autograd_lite.cli import build_parser
>>> build_parser().parse_args(["train", "--layers", "8,8"]).layers
[8, 8]
"""

from autograd_lite.cli.commands import build_parser, main

__all__ = ["main", "build_parser"]
