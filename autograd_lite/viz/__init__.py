"""Seeing the graph: drawings (DOT, SVG, PNG), a text view, plots and a backprop animation.

Nothing here is imported by ``import autograd_lite``; Graphviz (through the
``dot`` binary or pygraphviz) and matplotlib are imported only by the
functions that need them.

>>> from autograd_lite import Value
>>> from autograd_lite.viz import draw_dot, format_graph
>>> x = Value(0.5, label="x")
>>> y = x.tanh(); y.backward()
>>> print(format_graph(y))
in  v0          data=0.5     grad=0.7864  # x
v1 = tanh v0    data=0.4621  grad=1
out v1
"""

from autograd_lite.viz.animate import BackwardAnimation, animate_backward
from autograd_lite.viz.dot import GraphTooLarge, to_dot
from autograd_lite.viz.plots import layer_grad_norms, plot_decision_boundary, plot_grad_norms, plot_history
from autograd_lite.viz.render import Graph, RenderError, draw_dot
from autograd_lite.viz.text import format_graph

__all__ = [
    "to_dot", "draw_dot", "Graph", "format_graph", "GraphTooLarge", "RenderError",
    "plot_history", "plot_decision_boundary", "plot_grad_norms", "layer_grad_norms",
    "animate_backward", "BackwardAnimation",
]
