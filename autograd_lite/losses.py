"""Loss functions, with PyTorch's argument order ``loss(input, target)`` and ``reduction="mean"``.

``input`` is one prediction (a Value or a number) or a list of them; ``target``
is a number or a list of numbers of the same length.  Each loss builds its
graph from engine ops and adds the per-sample terms with one n-ary ``sum``
node.  ``reduction`` is "mean" (the default), "sum" or "none" (the list of
per-sample losses).

>>> from autograd_lite import Value
>>> from autograd_lite.losses import mse
>>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data      # (1 + 4) / 2
2.5
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any, cast

from autograd_lite import nary
from autograd_lite._validate import non_negative, one_of, real, shown
from autograd_lite.engine import Value

__all__ = ["mse", "hinge", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
           "l2_penalty"]

Scalar = Value | float
_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps log(p) at -100


def _pairs(input: Any, target: Any, name: str) -> tuple[list, list]:
    """input and target as two lists of equal length (one sample: lists of one)."""
    one = type(input) is Value or isinstance(input, (int, float))
    if not one and (isinstance(input, (str, bytes)) or not hasattr(input, "__iter__")):
        raise TypeError(f"{name}: input must be a Value, a number or a list of them, got {shown(input)}")
    xs = [input] if one else list(input)
    ts = [target] if (one or type(target) is Value or isinstance(target, (int, float))) else list(target)
    if len(xs) != len(ts):
        raise ValueError(f"{name}: input and target must have the same length, got {len(xs)} and {len(ts)}")
    if not xs:
        raise ValueError(f"{name}: got no samples")
    return xs, ts


def _number(t: Any, name: str, what: str = "target") -> float:
    return real(t, f"{name}: {what}")  # TypeError for a non-number (a Value too), ValueError for nan or inf


def _reduce(terms: list, reduction: str, name: str) -> Any:
    if reduction == "mean":
        return nary.sum(terms) / len(terms)
    if reduction == "sum":
        return nary.sum(terms)
    if reduction == "none":
        return terms
    raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, _REDUCTIONS))}, got {reduction!r}")


def _check_reduction(reduction: str, name: str) -> None:
    one_of(reduction, f"{name}: reduction", _REDUCTIONS)


def mse(input: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar], reduction: str = "mean") -> Any:
    """Mean squared error: mean of (input - target)**2, as ``torch.nn.functional.mse_loss``.

    The target may also be a Value (it then receives a gradient too).

    >>> mse(Value(3.0), 1.0).data
    4.0
    """
    _check_reduction(reduction, "mse")
    xs, ts = _pairs(input, target, "mse")
    terms = []
    for x, t in zip(xs, ts):
        if type(x) is not Value:
            x = _number(x, "mse", "input")
        d = x - (t if type(t) is Value else _number(t, "mse"))
        terms.append(d * d)
    return _reduce(terms, reduction, "mse")


def hinge(input: Scalar | Sequence[Scalar], target: float | Sequence[float], reduction: str = "mean") -> Any:
    """The SVM "max-margin" loss of micrograd's demo: mean of relu(1 - target * input), target in {-1, +1}.

    >>> hinge([Value(2.0), Value(0.5)], [1, 1]).data     # (0 + 0.5) / 2
    0.25
    """
    _check_reduction(reduction, "hinge")
    xs, ts = _pairs(input, target, "hinge")
    terms = []
    for x, t in zip(xs, ts):
        y = _number(t, "hinge")
        if y != 1.0 and y != -1.0:
            raise ValueError(f"hinge: targets must be -1 or +1, got {t!r}")
        terms.append((1.0 - x * y).relu() if type(x) is Value else max(1.0 - _number(x, "hinge", "input") * y, 0.0))
    return _reduce(terms, reduction, "hinge")


def _clamped_log(p: Scalar) -> Scalar:
    # log(p) floored at -100, as PyTorch: p = 0 gives a large finite loss, not log(0).
    # Where the floor applies the result is a constant, so its gradient is 0.
    pd = p.data if type(p) is Value else p
    if pd <= 0.0 or math.log(pd) < _LOG_FLOOR:
        return _LOG_FLOOR
    return p.log() if type(p) is Value else math.log(pd)


def binary_cross_entropy(input: Scalar | Sequence[Scalar], target: float | Sequence[float],
                         reduction: str = "mean") -> Any:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1], targets t in [0, 1].

    As in PyTorch, each log is clamped at -100, so p = 0 or 1 gives a finite
    loss.  For a model's raw outputs prefer ``binary_cross_entropy_with_logits``:
    it is stable and never saturates.

    >>> round(binary_cross_entropy(Value(0.8), 1.0).data, 6)     # -log(0.8)
    0.223144
    """
    _check_reduction(reduction, "binary_cross_entropy")
    xs, ts = _pairs(input, target, "binary_cross_entropy")
    terms = []
    for p, t in zip(xs, ts):
        t = _number(t, "binary_cross_entropy")
        pd = p.data if type(p) is Value else _number(p, "binary_cross_entropy", "input")
        if not 0.0 <= pd <= 1.0:
            raise ValueError(f"binary_cross_entropy: input must be a probability in [0, 1], got {pd!r} "
                             f"(pass raw scores to binary_cross_entropy_with_logits)")
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: target must be in [0, 1], got {t!r}")
        # skip a term whose weight is 0, so its clamped log never enters the graph
        pos = t * _clamped_log(p) if t != 0.0 else 0.0
        neg = (1.0 - t) * _clamped_log(1.0 - p) if t != 1.0 else 0.0
        terms.append(-(pos + neg) if type(pos) is Value or type(neg) is Value else Value(-(pos + neg)))
    return _reduce(terms, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Scalar | Sequence[Scalar], target: float | Sequence[float],
                                     reduction: str = "mean") -> Any:
    """Binary cross-entropy of sigmoid(input), computed stably: softplus(x) - t * x.

    Stable at any logit (no exp overflow, no log(0)), as PyTorch's.

    >>> binary_cross_entropy_with_logits(Value(1000.0), 1.0).data
    0.0
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    xs, ts = _pairs(input, target, "binary_cross_entropy_with_logits")
    terms = []
    for x, t in zip(xs, ts):
        t = _number(t, "binary_cross_entropy_with_logits")
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: target must be in [0, 1], got {t!r}")
        if type(x) is not Value:
            x = Value(_number(x, "binary_cross_entropy_with_logits", "input"))
        # -[t log s(x) + (1-t) log(1 - s(x))] = log(1 + e^x) - t x, and softplus never overflows
        terms.append(x.softplus() - x * t)
    return _reduce(terms, reduction, "binary_cross_entropy_with_logits")


def _class_index(t: Any, n: int) -> int:
    if isinstance(t, bool) or type(t) is Value:
        raise TypeError(f"cross_entropy: a target must be a class index (int), got {type(t).__name__}")
    try:
        k = operator.index(t)
    except TypeError:
        raise TypeError(f"cross_entropy: a target must be a class index (int), got {t!r}") from None
    if not 0 <= k < n:
        raise ValueError(f"cross_entropy: target {k} is out of range for {n} classes")
    return k


def cross_entropy(input: Sequence[Scalar] | Sequence[Sequence[Scalar]], target: int | Sequence[int],
                  reduction: str = "mean") -> Any:
    """Multi-class cross-entropy from logits: logsumexp(logits) - logits[target].

    ``input`` is one sample's logits (a list of C scores) with an int target,
    or a list of such lists with a list of ints.  The log-sum-exp subtracts
    the largest logit first, so it never overflows.

    >>> round(cross_entropy([Value(1.0), Value(2.0), Value(3.0)], 2).data, 6)
    0.407606
    """
    _check_reduction(reduction, "cross_entropy")
    if isinstance(target, (str, bytes)):
        raise TypeError(f"cross_entropy: target must be a class index (int) or a list of them, got {target!r}")
    single = not isinstance(target, (list, tuple)) and not hasattr(target, "__len__")
    batch = [input] if single else list(input)
    targets = [target] if single else list(cast(Sequence[int], target))  # not single: target has a length
    if len(batch) != len(targets):
        raise ValueError(f"cross_entropy: input and target must have the same length, "
                         f"got {len(batch)} and {len(targets)}")
    if not batch:
        raise ValueError("cross_entropy: got no samples")
    terms = []
    for logits, t in zip(batch, targets):
        if type(logits) is Value or isinstance(logits, (int, float)):
            raise ValueError("cross_entropy: each sample needs a list of class scores (a model with one "
                             "output per class); for one output use binary_cross_entropy_with_logits")
        logits = [z if type(z) is Value else Value(_number(z, "cross_entropy", "input")) for z in logits]
        k = _class_index(t, len(logits))
        m = max(z.data for z in logits)  # a constant shift: logsumexp(z) = m + log(sum(exp(z - m)))
        lse = nary.sum([(z - m).exp() for z in logits]).log() + m
        terms.append(lse - logits[k])
    return _reduce(terms, reduction, "cross_entropy")


def l2_penalty(params: Iterable[Value] | Any, alpha: float) -> Value:
    """alpha * sum(p * p): the L2 regularization term of micrograd's demo (alpha=1e-4 there).

    ``params`` is a list of Values or a Module (its ``parameters()``).

    >>> l2_penalty([Value(1.0), Value(-2.0)], alpha=0.5).data
    2.5
    """
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    alpha = non_negative(alpha, "l2_penalty: alpha")
    return nary.sum([p * p for p in params]) * alpha
