"""Input validation for the engine: numbers in, clear errors out (TypeError for a wrong type).

The engine imports these as its own globals (``to_float``, and ``number_operand``
as ``_constant``), so the hot paths, which test ``type(x) is float`` first,
pay nothing for them.

>>> to_float(3, "Value()"), number_operand(True, "+")
(3.0, 1.0)
>>> to_float("3", "Value()")
Traceback (most recent call last):
TypeError: Value() expects a real number (int, float, bool or a numeric scalar), got str
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["to_float", "number_operand"]

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
