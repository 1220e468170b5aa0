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
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train", "validation"]
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
