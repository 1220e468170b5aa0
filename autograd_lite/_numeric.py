"""Float kernels for the engine: forward values with clear errors, and IEEE versions for derivatives.

The forward kernels (``checked_div``, ``checked_pow``, ``checked_log``, ...)
raise, naming the op and its inputs, where Python's ``math`` would (a forward
domain error is the user's to see).  The ``ieee_`` kernels never raise: they
return inf or nan as IEEE 754 (and PyTorch) do.  Derivative rules use them, so
a derivative at a singular point is inf or nan, never an exception: sqrt'(0)
is 1 / (2 * 0) = inf.  The engine imports these as its own globals, so its hot
path pays no attribute lookup.

>>> ieee_div(1.0, 0.0), ieee_div(-1.0, 0.0), ieee_div(0.0, 0.0)
(inf, -inf, nan)
>>> ieee_pow(0.0, -0.5), ieee_log(0.0)
(inf, -inf)
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["checked_div", "checked_pow", "checked_exp", "checked_log", "checked_sqrt", "checked_sin",
           "checked_cos", "ieee_div", "ieee_pow", "ieee_log", "sigmoid", "softplus"]

_inf = math.inf
_nan = math.nan


def checked_div(a: float, b: float) -> float:
    """a / b; ZeroDivisionError naming both operands when b is 0."""
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero ({a!r} / {b!r})")
    return a / b


def checked_pow(x: float, y: float) -> float:
    """x ** y; ZeroDivisionError for 0 to a negative power, ValueError when the result is complex."""
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to a negative power ({y!r})")
    if x < 0.0 and math.isfinite(y) and y != math.floor(y):  # inf and NaN exponents: as Python's float pow
        raise ValueError(f"pow: a negative base to a fractional power is complex ({x!r} ** {y!r})")
    try:
        return float(x ** y)
    except OverflowError:
        raise OverflowError(f"pow: result too large for a float ({x!r} ** {y!r})") from None


def checked_exp(x: float) -> float:
    """e ** x; OverflowError naming x above ~709.78."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: result too large for a float (x={x!r})") from None


def checked_log(x: float) -> float:
    """log(x); ValueError naming x when x <= 0."""
    if x <= 0.0:
        raise ValueError(f"log: math domain error, expected x > 0, got x={x!r}")
    return math.log(x)


def checked_sqrt(x: float) -> float:
    """sqrt(x); ValueError naming x when x < 0."""
    if x < 0.0:
        raise ValueError(f"sqrt: math domain error, expected x >= 0, got x={x!r}")
    return math.sqrt(x)


def _checked_trig(f: Callable[[float], float], name: str) -> Callable[[float], float]:
    def checked(x: float) -> float:
        try:
            return f(x)
        except ValueError:
            raise ValueError(f"{name}: math domain error, got x={x!r}") from None

    checked.__name__ = checked.__qualname__ = f"checked_{name}"
    checked.__doc__ = f"{name}(x); ValueError naming the op at x = +-inf."
    return checked


checked_sin = _checked_trig(math.sin, "sin")
checked_cos = _checked_trig(math.cos, "cos")


def ieee_div(a: float, b: float) -> float:
    """a / b as IEEE 754 divides: +-inf for a nonzero a over 0, nan for 0 / 0."""
    if b == 0.0:
        if a == 0.0 or a != a:
            return _nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)
    return a / b


def ieee_pow(x: float, y: float) -> float:
    """x ** y as C's pow: inf for 0 to a negative power, nan for a complex result, inf on overflow."""
    odd = y % 2.0 == 1.0  # an odd integer exponent keeps a negative base's sign
    try:
        r = x ** y
    except ZeroDivisionError:
        return math.copysign(_inf, x) if odd else _inf
    except OverflowError:
        return -_inf if x < 0.0 and odd else _inf
    return _nan if type(r) is complex else r


def ieee_log(x: float) -> float:
    """log(x) as C's log: -inf at 0, nan below 0."""
    if x > 0.0:
        return math.log(x)
    return -_inf if x == 0.0 else _nan


def sigmoid(x: float) -> float:
    """1 / (1 + e**-x); only ever exponentiates a non-positive number, so nothing overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    """log(1 + e**x), written max(x, 0) + log1p(e**-|x|) so that nothing overflows."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
