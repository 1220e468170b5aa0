"""Training plots with matplotlib (imported only when a plot is made).

- ``plot_history``: loss and accuracy per epoch, from a training history;
- ``plot_decision_boundary``: a 2-D classifier's regions with the data points;
- ``plot_grad_norms``: per-layer gradient norms over training (record them
  with ``layer_grad_norms(model)`` after each ``backward()``), on a log scale,
  where vanishing gradients in deep sigmoid nets are easy to see.

Each function draws on ``ax`` when given, else on a new figure, and returns
the matplotlib Figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd_lite.engine import Value, no_grad

__all__ = ["plot_history", "plot_decision_boundary", "plot_grad_norms", "layer_grad_norms"]

# Names a history may use for each series (the train module's History, Keras,
# hand-made dicts); the first one present wins.
_LOSS = ("loss", "losses", "train_loss", "train_losses")
_VAL_LOSS = ("val_loss", "val_losses", "test_loss", "valid_loss")
_ACC = ("accuracy", "acc", "accuracies", "train_accuracy", "train_acc")
_VAL_ACC = ("val_accuracy", "val_acc", "test_accuracy", "valid_accuracy")
_TIME = ("time", "times", "wall_time", "seconds", "epoch_time", "elapsed")


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "autograd_lite[viz]" '
                          "(or pip install matplotlib)") from None
    return plt


def _axes(ax: Any, ncols: int = 1, width: float = 5.0) -> tuple[Any, list]:
    if ax is not None:
        # one Axes, or several: a list, a tuple, or the numpy array plt.subplots returns
        axes = [ax] if hasattr(ax, "figure") else list(getattr(ax, "flat", ax))
        _show_once(axes[0].figure)
        return axes[0].figure, axes
    fig, axes = _pyplot().subplots(1, ncols, figsize=(width * ncols, 3.6), squeeze=False)
    _show_once(fig)
    return fig, list(axes[0])


def _show_once(fig: Any) -> None:
    """In Jupyter, show a figure made here once, not twice.

    pyplot's inline backend shows every open figure when the cell ends, and
    IPython also shows the Figure this module returns when it is the cell's
    last value: two pictures.  So whichever asks first shows it and takes it
    out of pyplot's open figures; the inline backend's own display goes
    through the same hook, so a figure that is not the cell's value is still
    shown once.  Other backends (a window, ipympl) are left alone.
    """
    import matplotlib

    if "inline" not in matplotlib.get_backend():
        return
    plt = _pyplot()

    def _ipython_display_() -> None:
        from IPython.display import display

        plt.close(fig)              # shown now: the end-of-cell flush must not show it again
        del fig._ipython_display_   # display the plain Figure, then put the hook back for a later `fig`
        try:
            display(fig)
        finally:
            fig._ipython_display_ = _ipython_display_

    fig._ipython_display_ = _ipython_display_


def _series(history: Any, names: Sequence[str]) -> list[float] | None:
    """history[name] or history.name for the first name present, as floats (None if absent)."""
    for name in names:
        if isinstance(history, Mapping):
            value = history.get(name)
        else:
            value = getattr(history, name, None)
        if value is not None and not callable(value):
            values = [v.data if type(v) is Value else float(v) for v in value]
            if values:
                return values
    return None


def plot_history(history: Any, ax: Any = None, *, title: str | None = None, xlabel: str = "epoch") -> Any:
    """Loss (left) and accuracy (right, if recorded) per epoch.

    ``history`` is a dict of lists or an object with list attributes: ``loss``
    (or ``losses``, ``train_loss``), optionally ``val_loss``, ``accuracy`` (or
    ``acc``), ``val_accuracy`` and per-epoch wall ``time``.  A list of numbers
    is taken as the loss alone.  ``xlabel`` names what one entry is ("step"
    when every epoch is one full-batch step, as in micrograd's demo).

    >>> fig = plot_history({"loss": [1.0, 0.5, 0.2], "accuracy": [0.5, 0.8, 0.9]})
    >>> [a.get_ylabel() for a in fig.axes]
    ['loss', 'accuracy']
    """
    if isinstance(history, (list, tuple)):
        history = {"loss": history}
    loss, val_loss = _series(history, _LOSS), _series(history, _VAL_LOSS)
    acc, val_acc = _series(history, _ACC), _series(history, _VAL_ACC)
    if loss is None and acc is None:
        raise ValueError("plot_history: found no loss or accuracy; expected e.g. {'loss': [...], 'accuracy': [...]}"
                         " or an object with .loss / .accuracy lists")
    panels = [(loss, val_loss, "loss")] if loss is not None else []
    if acc is not None:
        panels.append((acc, val_acc, "accuracy"))
    from matplotlib.ticker import MaxNLocator

    fig, axes = _axes(ax, len(panels))
    for a, (train, val, what) in zip(axes, panels):
        a.plot(range(1, len(train) + 1), train, marker="." if len(train) < 50 else None, label="train")
        if val is not None:
            a.plot(range(1, len(val) + 1), val, marker="." if len(val) < 50 else None, label="held out")
            a.legend()
        a.set_xlabel(xlabel)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))  # no step 2.5
        a.set_ylabel(what)
        if what == "loss" and min(train) > 0 and max(train) / min(train) > 100:
            a.set_yscale("log")  # a loss falling over decades reads better on a log scale
        a.grid(alpha=0.3)
    times = _series(history, _TIME)
    suffix = f" ({math.fsum(times):.1f} s)" if times else ""
    if title or suffix:
        fig.suptitle((title or "training") + suffix)
    fig.tight_layout()
    return fig


def plot_decision_boundary(model: Callable, X: Sequence[Sequence[float]], y: Sequence[float],
                           ax: Any = None, *, X_test: Sequence[Sequence[float]] | None = None,
                           y_test: Sequence[float] | None = None, resolution: int = 80, padding: float = 0.5,
                           threshold: float = 0.0, title: str = "decision boundary") -> Any:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    ``model(point)`` may return a Value or float (class 1 when above
    ``threshold``, as micrograd's moons demo with labels -1/1 or 0/1) or a
    list of scores (the class is the argmax).  Evaluated under ``no_grad``.
    Held-out points (``X_test``, ``y_test``) are drawn as triangles.  The title
    gives the accuracy on each set; the legend names each class.  Two classes
    are blue and red, more take a qualitative palette (tab10), so no two
    classes look alike.

    >>> from autograd_lite.nn import MLP
    >>> fig = plot_decision_boundary(MLP(2, [4, 1], seed=0), [[0, 0], [1, 1]], [-1, 1], resolution=10)
    >>> fig.axes[0].get_xlabel()
    'x1'
    """
    import numpy as np  # matplotlib depends on numpy, so it is there when matplotlib is
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    if (X_test is None) != (y_test is None):
        raise ValueError("plot_decision_boundary: give both X_test and y_test, or neither")
    X_test, y_test = list(X_test or []), list(y_test or [])
    points = list(X) + X_test
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    x0, x1 = min(xs) - padding, max(xs) + padding
    y0, y1 = min(ys) - padding, max(ys) + padding
    gx = np.linspace(x0, x1, resolution)
    gy = np.linspace(y0, y1, resolution)
    zz = np.zeros((resolution, resolution))
    scalar = True
    with no_grad():  # no graph: the grid is only evaluated
        for i, b in enumerate(gy):
            for j, a in enumerate(gx):
                out = model([float(a), float(b)])
                scalar = not isinstance(out, (list, tuple))
                zz[i, j] = _predict(out, threshold)
        predicted = [_predict(model([float(v) for v in p]), threshold) for p in points]
    classes = sorted(set(float(v) for v in list(y) + y_test))
    # a class's index: its position among the labels for one score (-1/+1 or 0/1), the label itself for argmax
    index = [classes.index(float(v)) if scalar else int(v) for v in list(y) + y_test]
    n = max(len(classes), int(zz.max()) + 1, max(index) + 1)
    plt = _pyplot()
    colors = ([plt.cm.coolwarm(0.0), plt.cm.coolwarm(1.0)] if n <= 2
              else [plt.cm.tab10(k % 10) for k in range(n)])
    names = [f"class {classes[k]:g}" if scalar and k < len(classes) else f"class {k}" for k in range(n)]
    fig, (a,) = _axes(ax, 1, width=5.6)
    a.contourf(gx, gy, zz, levels=[k - 0.5 for k in range(n + 1)], cmap=ListedColormap(colors[:n]), alpha=0.3)
    m = len(X)
    for k in range(n):
        train = [p for p, c in zip(points[:m], index[:m]) if c == k]
        test = [p for p, c in zip(points[m:], index[m:]) if c == k]
        a.scatter([p[0] for p in train], [p[1] for p in train], color=colors[k], edgecolors="k", s=22)
        a.scatter([p[0] for p in test], [p[1] for p in test], color=colors[k], edgecolors="k", s=40, marker="^")
    handles = [Line2D([], [], ls="", marker="o", color=colors[k], markeredgecolor="k", label=names[k])
               for k in range(n) if k in index]
    if X_test:
        handles.append(Line2D([], [], ls="", marker="^", color="0.85", markeredgecolor="k", label="held out"))
    # beside the axes, so it hides no point
    a.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    accuracy = [f"train {_share(predicted[:m], index[:m])}"]
    if X_test:
        accuracy.append(f"held-out {_share(predicted[m:], index[m:])}")
    a.set_title("\n".join(([title] if title else []) + ["accuracy: " + ", ".join(accuracy)]), fontsize=10)
    a.set_xlim(x0, x1)
    a.set_ylim(y0, y1)
    a.set_xlabel("x1")
    a.set_ylabel("x2")
    fig.tight_layout()
    return fig


def _share(predicted: list[int], actual: list[int]) -> str:
    """``97.0% (97/100)``: the share of points whose predicted class is their class."""
    right = sum(p == t for p, t in zip(predicted, actual))
    return f"{100 * right / len(actual):.1f}% ({right}/{len(actual)})" if actual else "n/a"


def _predict(out: Any, threshold: float) -> int:
    if isinstance(out, (list, tuple)):
        scores = [o.data if type(o) is Value else float(o) for o in out]
        return max(range(len(scores)), key=scores.__getitem__)
    score = out.data if type(out) is Value else float(out)
    return int(score > threshold)


def layer_grad_norms(model: Any) -> list[float]:
    """The gradient norm of each layer's parameters: call it after ``backward()``, once per step.

    >>> from autograd_lite.nn import MLP
    >>> model = MLP(2, [3, 1], seed=0)
    >>> model([1.0, 2.0]).backward()
    >>> len(layer_grad_norms(model))
    2
    """
    layers = model.layers if hasattr(model, "layers") else [model]
    return [math.sqrt(math.fsum(p.grad * p.grad for p in layer.parameters())) for layer in layers]


def plot_grad_norms(norms: Any, ax: Any = None, *, title: str = "gradient norm per layer") -> Any:
    """Per-layer gradient norms over training, on a log scale.

    ``norms`` is a list with, per step, the list of layer norms (what
    ``layer_grad_norms`` returns), a dict {layer name: list of norms}, or a
    history with a ``grad_norms`` attribute or key of either form.

    >>> fig = plot_grad_norms([[1.0, 0.1], [0.5, 0.01]])
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['layer 1', 'layer 2']
    """
    if not isinstance(norms, (list, tuple, Mapping)) or (isinstance(norms, Mapping) and "grad_norms" in norms):
        norms = norms["grad_norms"] if isinstance(norms, Mapping) else norms.grad_norms
    if isinstance(norms, Mapping):
        curves = {str(k): [float(v) for v in vs] for k, vs in norms.items()}
    else:
        steps = [list(s) for s in norms]
        n_layers = max((len(s) for s in steps), default=0)
        curves = {f"layer {i + 1}": [float(s[i]) if i < len(s) else math.nan for s in steps]
                  for i in range(n_layers)}
    fig, (a,) = _axes(ax, 1, width=6.0)
    for name, values in curves.items():
        # a norm of exactly 0 cannot sit on a log axis: draw it as a gap
        a.plot(range(1, len(values) + 1), [v if v > 0 else math.nan for v in values], label=name)
    a.set_yscale("log")
    a.set_xlabel("step")
    a.set_ylabel("‖grad‖")
    a.set_title(title)
    a.legend()
    a.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig
