"""Argument checks shared by the public entry points: one policy, one wording.

The policy: a wrong *type* raises TypeError, a bad *value* of the right type
raises ValueError, and the message names what was checked (``what``, as the
caller words it: "nin", "SGD: momentum", "gradcheck: input 1") and shows what
it got.  engine, nn, losses, optim and check call these instead of writing
their own, so the same mistake gets the same exception everywhere.

The engine imports ``to_float`` and ``number_operand`` (as ``_constant``) as
its own globals, so its hot paths, which test ``type(x) is float`` first, pay
nothing for them.  This is an internal module (its name starts with an
underscore); its functions carry public names so the package's modules can
import them.

>>> to_float(3, "Value()"), number_operand(True, "+")
(3.0, 1.0)
>>> to_float("3", "Value()")
Traceback (most recent call last):
TypeError: Value() expects a real number (int, float, bool or a numeric scalar), got str
>>> count(True, "nin")
Traceback (most recent call last):
TypeError: nin must be an int, got True
>>> positive(-0.1, "SGD: learning rate (lr)")
Traceback (most recent call last):
ValueError: SGD: learning rate (lr) must be > 0 and finite, got -0.1
"""


from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Collection
from typing import Any

__all__ = ["to_float", "number_operand", "real", "positive", "non_negative", "fraction", "count", "flag",
           "one_of", "shown"]

_NOT_NUMBERS = (str, bytes, bytearray, complex, list, tuple, dict, set)


def to_float(x: Any, what: str) -> float:
    """x as a float, or TypeError naming ``what`` and x's type (strings, complex and Values are refused)."""
    t = type(x)
    if t is float:
        return x  # type: ignore[no-any-return]
    if t is int or t is bool:
        return float(x)
    value = _is_value(x)
    if isinstance(x, (str, bytes, bytearray, complex)) or x is None or value:
        hint = "; use v.data, or v.detach() for a new leaf" if value else ""
        raise TypeError(f"{what} expects a real number (int, float, bool or a numeric scalar), "
                        f"got {t.__name__}{hint}")
    # numpy's complex scalars define __float__ (dropping the imaginary part): refused too
    if not (hasattr(x, "__float__") or hasattr(x, "__index__")) or (
            isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real)):
        raise TypeError(f"{what} expects a real number (int, float, bool or a numeric scalar), "
                        f"got {t.__name__}")
    return float(x)


def number_operand(x: Any, symbol: str) -> float | None:
    """A number operand of ``symbol`` as a float; None (the op returns NotImplemented) for unknown types."""
    t = type(x)
    if t is float:
        return x  # type: ignore[no-any-return]
    if t is int or t is bool:
        return float(x)
    if x is None or isinstance(x, _NOT_NUMBERS):
        # Python's own message for `v * "x"` would blame the sequence, not the operand.
        raise TypeError(f"unsupported operand for {symbol}: Value and {t.__name__} "
                        f"(expected a Value or a real number)")
    try:
        return to_float(x, "")
    except TypeError:
        return None  # maybe the other type knows how to combine with a Value


def _is_value(x: Any) -> bool:
    from autograd_lite.engine import Value  # here: the engine imports this module

    return type(x) is Value


def shown(x: Any) -> str:
    """How a message shows a bad argument: its repr when short, else its type.

    >>> shown("a"), shown(None), shown(list(range(100)))
    ("'a'", 'None', 'a list')
    """
    text = repr(x)
    return text if len(text) <= 40 else f"a {type(x).__name__}"


def _is_complex_scalar(x: Any) -> bool:
    # numpy's complex scalars define __float__ (which drops the imaginary part)
    return isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real)


def _number(x: Any, what: str) -> float:
    # The type check of real(), positive() and non_negative(): a real number, not a bool.
    t = type(x)
    if t is not float and t is not int:
        # bool is an int to Python, but True as a learning rate is surely a mistake
        if isinstance(x, bool) or x is None or isinstance(x, _NOT_NUMBERS) or _is_value(x) \
                or _is_complex_scalar(x) or not hasattr(x, "__float__"):
            hint = " (a Value: use .data)" if _is_value(x) else ""
            raise TypeError(f"{what} must be a real number, got {shown(x)}{hint}")
    return float(x)


def real(x: Any, what: str) -> float:
    """A finite number argument as a float: int or float (numpy's too), not bool, str, None, complex or a Value.

    TypeError for a wrong type, ValueError for NaN or inf.

    >>> real(2, "alpha")
    2.0
    >>> real(float("nan"), "alpha")
    Traceback (most recent call last):
    ValueError: alpha must be a finite number, got nan
    >>> real("2", "alpha")
    Traceback (most recent call last):
    TypeError: alpha must be a real number, got '2'
    """
    v = _number(x, what)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v}")
    return v


def positive(x: Any, what: str) -> float:
    """A real number > 0 and finite (a learning rate, an epsilon).

    >>> positive(0.0, "eps")
    Traceback (most recent call last):
    ValueError: eps must be > 0 and finite, got 0.0
    """
    v = _number(x, what)
    if not 0.0 < v < math.inf:  # written so that NaN fails too
        raise ValueError(f"{what} must be > 0 and finite, got {v}")
    return v


def non_negative(x: Any, what: str) -> float:
    """A real number >= 0 and finite (a weight decay, a tolerance).

    >>> non_negative(-1, "weight_decay")
    Traceback (most recent call last):
    ValueError: weight_decay must be >= 0 and finite, got -1.0
    """
    v = _number(x, what)
    if not 0.0 <= v < math.inf:  # written so that NaN fails too
        raise ValueError(f"{what} must be >= 0 and finite, got {v}")
    return v


def fraction(x: Any, what: str) -> float:
    """A real number in [0, 1): a probability that must leave something (dropout), a decay rate (betas).

    >>> fraction(1.0, "p")
    Traceback (most recent call last):
    ValueError: p must be in [0, 1), got 1.0
    """
    v = real(x, what)
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{what} must be in [0, 1), got {v}")
    return v


def count(n: Any, what: str, minimum: int = 1) -> int:
    """A whole number >= ``minimum``: an int (numpy's too), not a bool or a float such as 2.0.

    >>> count(0, "nout")
    Traceback (most recent call last):
    ValueError: nout must be >= 1, got 0
    >>> count(2.0, "nout")
    Traceback (most recent call last):
    TypeError: nout must be an int, got 2.0
    """
    if isinstance(n, bool):
        raise TypeError(f"{what} must be an int, got {n!r}")
    try:
        k = operator.index(n)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {shown(n)}") from None
    if k < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {k}")
    return k


def flag(x: Any, what: str) -> bool:
    """A bool: True or False, not 0/1 or a string.

    >>> flag("yes", "nesterov")
    Traceback (most recent call last):
    TypeError: nesterov must be a bool (True or False), got 'yes'
    """
    if not isinstance(x, bool):
        raise TypeError(f"{what} must be a bool (True or False), got {shown(x)}")
    return x


def one_of(x: Any, what: str, choices: Collection[str]) -> str:
    """One of the named choices: TypeError if not a str, ValueError if not among them.

    >>> one_of("avg", "reduction", ("mean", "sum", "none"))
    Traceback (most recent call last):
    ValueError: reduction must be one of 'mean', 'sum', 'none', got 'avg'
    """
    listed = ", ".join(map(repr, choices))
    if not isinstance(x, str):
        raise TypeError(f"{what} must be one of {listed} (a str), got {shown(x)}")
    if x not in choices:
        raise ValueError(f"{what} must be one of {listed}, got {x!r}")
    return x
