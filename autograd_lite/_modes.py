"""Grad mode and anomaly mode, per thread: ``no_grad`` and ``detect_anomaly``.

Modes are per thread, as PyTorch's grad mode is: one thread inside ``no_grad``
must not stop another from recording.  The engine's hot path cannot afford a
thread-local read per op, so it reads a module global of its own, which this
module keeps true (through the callback given to ``on_change``) while every
thread has the defaults: grad mode on, anomaly mode off.  Only when it is false
does the engine ask for the calling thread's modes.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from autograd_lite.engine import Value


class _Modes(threading.local):
    grad_enabled = True  # class attributes: every thread starts with the defaults
    anomaly_sites: dict[Value, str] | None = None  # node -> where it was created, while detect_anomaly is on
    anomaly_pruned_at = 0  # len(anomaly_sites) after its last pruning (see _prune_sites)

    def __init__(self) -> None:
        # (context manager, what its __enter__ replaced): exits must mirror enters
        self.stack: list[tuple[object, object]] = []


_modes = _Modes()
_unusual_threads = 0  # threads whose modes are not the defaults
_lock = threading.Lock()
_listeners: list[Callable[[bool], None]] = []


def on_change(callback: Callable[[bool], None]) -> None:
    """Have ``callback(all_default)`` called whenever a thread's modes change: the engine keeps its fast flag so."""
    _listeners.append(callback)
    callback(_unusual_threads == 0)


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return _modes.grad_enabled


def is_anomaly_enabled() -> bool:
    """True while this thread is inside ``detect_anomaly()``."""
    return _modes.anomaly_sites is not None


def _set(grad_enabled: bool, anomaly_sites: dict[Value, str] | None) -> None:
    global _unusual_threads
    m = _modes
    was_unusual = not m.grad_enabled or m.anomaly_sites is not None
    is_unusual = not grad_enabled or anomaly_sites is not None
    with _lock:
        m.grad_enabled = grad_enabled
        m.anomaly_sites = anomaly_sites
        _unusual_threads += is_unusual - was_unusual
        for callback in _listeners:
            callback(_unusual_threads == 0)


def _push(cm: object, saved: object) -> None:
    _modes.stack.append((cm, saved))


def _pop(cm: object) -> object:
    """What cm's __enter__ saved; RuntimeError if cm is not the innermost mode entered in this thread."""
    stack = _modes.stack
    if not stack or stack[-1][0] is not cm:
        name = type(cm).__name__
        raise RuntimeError(f"{name}.__exit__() without a matching {name}.__enter__() in this thread: "
                           f"use `with {name}():`, and exit modes in the reverse order of entering them")
    return stack.pop()[1]


class no_grad(ContextDecorator):
    """Context manager and decorator: ops inside record no parents.

    Results are leaves, so nothing is kept for backward; use it for
    evaluation and for parameter updates.  The switch is per thread, as in
    PyTorch: other threads keep recording.

    >>> from autograd_lite import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self(func) if func is not None else self  # bare @no_grad works too

    def __init__(self, func: Callable[..., Any] | None = None) -> None:
        pass

    def _recreate_cm(self) -> no_grad:
        # A decorated function may run in several threads at once: a fresh
        # context manager per call keeps their enters and exits apart.
        return type(self)()

    def __enter__(self) -> no_grad:
        _push(self, _modes.grad_enabled)
        _set(False, _modes.anomaly_sites)
        return self

    def __exit__(self, *exc: object) -> None:
        _set(bool(_pop(self)), _modes.anomaly_sites)


class detect_anomaly(ContextDecorator):
    """Context manager and decorator: stop at the first NaN or inf.

    Inside it, the first op whose forward value, or whose backward gradient
    contribution, is NaN or inf raises FloatingPointError naming the op and
    the file and line where that node was created; so does ``backward(grad=)``
    with a NaN or inf seed.  It records a creation site per live node (the
    record goes when the node does), so it is slower: use it to debug.  Like
    ``no_grad`` it applies to the thread that enters it.

    >>> from autograd_lite import Value
    >>> with detect_anomaly():
    ...     Value(1e308) * 10
    Traceback (most recent call last):
    FloatingPointError: detect_anomaly: mul produced inf in its forward pass ...
    """

    def _recreate_cm(self) -> detect_anomaly:
        return type(self)()  # one per call, as no_grad

    def __enter__(self) -> detect_anomaly:
        sites = _modes.anomaly_sites
        _push(self, sites)
        if sites is None:
            _modes.anomaly_pruned_at = 0
            _set(_modes.grad_enabled, {})
        return self

    def __exit__(self, *exc: object) -> None:
        saved = _pop(self)
        _set(_modes.grad_enabled, saved if type(saved) is dict else None)


def watch_node(node: Value) -> None:
    """Under detect_anomaly, note where ``node`` was made, and raise if its value is NaN or inf.

    The engine calls this for each new node when some thread has a mode on.
    """
    sites = _modes.anomaly_sites
    if sites is None:
        return
    site = creation_site()
    sites[node] = site
    if len(sites) >= 2 * _modes.anomaly_pruned_at + 1024:
        _prune_sites(sites)
    if not math.isfinite(node.data):
        raise FloatingPointError(f"detect_anomaly: {node.op} produced {node.data} in its forward pass "
                                 f"(inputs {[p.data for p in node.parents]}, at {site})")


def _prune_sites(sites: dict[Value, str]) -> None:
    """Drop the creation sites of nodes that nothing but `sites` holds, so that they are freed.

    A node has no room for its own site, so detect_anomaly keeps them in a
    dict; without pruning, that dict would keep every node made inside the
    block alive.  Popping newest first frees a node before its parents, so a
    whole dead graph goes in one pass; called when the dict has doubled since
    the last pass, the cost per node is constant.
    """
    kept = []
    getrefcount = sys.getrefcount
    while sites:
        node, site = sites.popitem()
        # references: `node` here and getrefcount's argument; more means someone else holds it
        if getrefcount(node) > 2:
            kept.append((node, site))
        del node
    for node, site in reversed(kept):
        sites[node] = site
    _modes.anomaly_pruned_at = len(sites)


def creation_site() -> str:
    """file:line of the innermost caller outside this package."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def checked_backward(root: Value, seed: float) -> None:
    """``root.backward(seed)`` under detect_anomaly: each step checked for NaN and inf."""
    if not math.isfinite(seed):
        raise FloatingPointError(f"detect_anomaly: backward() was given grad={seed!r} (at {creation_site()})")
    from autograd_lite.functional import gradients  # here: functional imports the engine, which imports this

    totals = [(node, node.grad + cast(float, g)) for node, g in gradients(root, seed).items()]
    try:
        for node, total in totals:
            node.grad = total
    except BaseException:  # an interrupt during the stores: complete them (storing twice is harmless)
        for node, total in totals:
            node.grad = total
        raise


def anomaly_in_backward(node: Value, parent_index: int, value: float) -> FloatingPointError:
    """The error for a NaN or inf gradient contribution, naming the op and where its node was made."""
    sites = _modes.anomaly_sites
    site = sites.get(node, "outside detect_anomaly()") if sites is not None else "?"
    return FloatingPointError(
        f"detect_anomaly: the backward of {node.op} returned {value} for its parent #{parent_index} "
        f"(node {node!r}, created at {site})"
    )
