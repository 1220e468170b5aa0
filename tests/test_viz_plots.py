"""Plots: they accept the history shapes users have, and say how to install matplotlib."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from autograd_lite.nn import MLP
from autograd_lite.viz import layer_grad_norms, plot_decision_boundary, plot_grad_norms, plot_history

plt = pytest.importorskip("matplotlib.pyplot", reason='pip install "autograd_lite[viz]"')


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_history_from_an_object_with_attributes():
    history = SimpleNamespace(loss=[1.0, 0.4], val_loss=[1.1, 0.6], accuracy=[0.5, 0.9], wall_time=[0.5, 0.7])
    fig = plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train", "held out"]
    assert list(acc_ax.get_lines()[0].get_ydata()) == [0.5, 0.9]
    assert "1.2 s" in fig._suptitle.get_text()


def test_history_loss_only_and_errors():
    assert len(plot_history([3.0, 2.0, 1.0]).axes) == 1
    with pytest.raises(ValueError, match="no loss or accuracy"):
        plot_history({"epochs": [1, 2]})


def test_decision_boundary_and_grad_norms_draw_on_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    model = MLP(2, [4, 1], seed=0)
    assert plot_decision_boundary(model, [[0, 0], [1, 1], [0, 1]], [-1, 1, 1], ax=a, resolution=8) is fig
    model([1.0, 1.0]).backward()
    norms = [layer_grad_norms(model), [0.0, 0.5]]
    assert plot_grad_norms({"grad_norms": norms}, ax=b) is fig
    assert [line.get_label() for line in b.get_lines()] == ["layer 1", "layer 2"]


def test_history_draws_on_the_array_subplots_returns():
    fig, axes = plt.subplots(1, 3)
    assert plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 1.0]}, ax=axes[:2]) is fig
    assert [a.get_ylabel() for a in axes] == ["loss", "accuracy", ""]
    fig, grid = plt.subplots(2, 2)
    assert plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 1.0]}, ax=grid) is fig
    assert grid[0, 1].get_ylabel() == "accuracy"


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"autograd_lite\[viz\]"):
        plot_history([1.0])


def test_decision_boundary_explains_itself():
    from autograd_lite.data import make_blobs, train_test_split
    from autograd_lite.train import evaluate

    X, y = make_blobs(100, 5, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=True, seed=0)
    model = MLP(2, [8, 5], seed=0)
    fig = plot_decision_boundary(model, X_train, y_train, X_test=X_test, y_test=y_test, resolution=12)
    ax = fig.axes[0]
    train = evaluate(model, X_train, y_train, loss="cross_entropy")["accuracy"]
    test = evaluate(model, X_test, y_test, loss="cross_entropy")["accuracy"]
    title = ax.get_title()
    assert f"train {100 * train:.1f}% ({round(train * len(y_train))}/{len(y_train)})" in title
    assert f"held-out {100 * test:.1f}% ({round(test * len(y_test))}/{len(y_test)})" in title
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [f"class {k}" for k in range(5)] + ["held out"]
    colors = {tuple(h.get_color()) for h in legend.legend_handles[:5]}
    assert len(colors) == 5   # five classes, five distinct colours (a qualitative palette)
    markers = [c.get_paths()[0].vertices.shape for c in ax.collections[1:]]
    assert len(markers) == 10   # per class: training points and held-out points, each its own marker


def test_decision_boundary_needs_both_test_arrays():
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plot_decision_boundary(MLP(2, [2, 1], seed=0), [[0, 0], [1, 1]], [0, 1], X_test=[[0, 1]], resolution=4)


def test_history_x_axis_says_what_the_console_says():
    fig = plot_history({"loss": [1.0, 0.5, 0.2]}, xlabel="step")
    assert fig.axes[0].get_xlabel() == "step"
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())


def test_one_picture_per_call_in_a_real_kernel():
    nbformat = pytest.importorskip("nbformat", reason="the notebooks extra is not installed")
    nbclient = pytest.importorskip("nbclient", reason="the notebooks extra is not installed")
    pytest.importorskip("ipykernel", reason="the notebooks extra is not installed")
    cells = [
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
        "from autograd_lite.nn import MLP\nfrom autograd_lite.viz import *",
        "plot_decision_boundary(MLP(2, [2, 1], seed=0), [[0, 0], [1, 1]], [0, 1], resolution=6)",
        "fig = plot_history([1.0, 0.5])",
        "fig",
        "fig, ax = plt.subplots()\nplot_history([1.0, 0.5], ax=ax)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    pictures = [sum("image/png" in out.get("data", {}) for out in cell.outputs) for cell in nb.cells]
    assert pictures == [0, 1, 1, 1, 1]   # ax= given: its figure, once too
