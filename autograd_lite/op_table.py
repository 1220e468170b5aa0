"""The op table: one row per primitive (and per way of calling it), in the spirit of PyTorch's OpInfo.

Each row says what a test needs to know about an op without reading the
engine: the autograd_lite function, a float reference built on ``math``, a
complex reference built on ``cmath`` (for the complex-step oracle), the valid
input domain of each argument, the kinks (where the op is not
differentiable, with the derivative we document there), and fixed regression
points.  Generic tests in ``tests/`` and the random programs of
``autograd_lite.testing`` iterate over ``OPS``, so a new op is tested by
adding one row here.

>>> OPS["tanh"].ref(0.5) == OPS["tanh"].fn(0.5)
True
>>> OPS["relu"].kinks, OPS["relu"].analytic
((0.0,), False)
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import autograd_lite as al
from autograd_lite.check import csigmoid, csoftplus  # the complex kernels the complex step uses

__all__ = ["Domain", "OpInfo", "OPS"]


@dataclass(frozen=True)
class Domain:
    """An interval of valid inputs, minus some poles (points where the op is undefined).

    The bounds are the ones tests draw from: wide enough to be interesting,
    narrow enough that values and gradients stay finite in float64.

    >>> Domain(0.0, 10.0).contains(1e-9), Domain(0.0, 10.0).contains(1e-9, margin=1e-3)
    (True, False)
    """

    low: float = -10.0
    high: float = 10.0
    poles: tuple[float, ...] = ()

    def contains(self, x: float, margin: float = 0.0) -> bool:
        """True when x is inside, at least ``margin`` from the ends and from every pole."""
        if not (self.low + margin <= x <= self.high - margin):
            return False
        return all(abs(x - p) >= max(margin, 1e-300) for p in self.poles)

    def strategy(self, margin: float = 0.0) -> Any:
        """A hypothesis strategy of floats in this domain (imports hypothesis on first use)."""
        from hypothesis import strategies as st

        floats = st.floats(self.low + margin, self.high - margin, allow_nan=False, allow_infinity=False)
        return floats.filter(lambda x: self.contains(x, margin)) if self.poles else floats


@dataclass(frozen=True)
class OpInfo:
    """One row of the op table.  See the module docstring for what each field is for.

    ``fn`` takes Values (and, for the elementwise functions, plain numbers);
    ``ref`` takes floats; ``cref`` takes complex numbers and is exact to first
    order in the imaginary part wherever the op is differentiable (None when
    no such extension exists).  ``kinks`` are points of the *first* argument
    where the derivative jumps; ``kink_grads`` the derivative the engine
    documents there (PyTorch's choice).  ``torch`` maps ``(torch, *tensors)``
    to PyTorch's version of the op, for the optional cross-check.  ``edges``
    are points where a derivative of some order is infinite or undefined (or
    the op has a kink): there every derivative up to the third must equal
    PyTorch's float64 one, inf and nan included.
    """

    name: str
    op: str                                   # the node.op the engine records
    fn: Callable[..., Any]
    ref: Callable[..., float]
    cref: Callable[..., complex] | None
    domain: tuple[Domain, ...]
    points: tuple[tuple[float, ...], ...]     # fixed regression points
    kinks: tuple[float, ...] = ()
    kink_grads: tuple[float, ...] = ()
    analytic: bool = True                     # complex step is exact here (no kinks)
    value_rtol: float = 1e-15                 # 0.0: the reference is the same float arithmetic, to the bit
    torch: Callable[..., Any] | None = None
    edges: tuple[tuple[float, ...], ...] = ()  # singular points: derivatives of orders 1-3 vs PyTorch's inf/nan

    @property
    def arity(self) -> int:
        return len(self.domain)

    def valid(self, xs: tuple[float, ...] | list[float], margin: float = 0.0) -> bool:
        """True when every argument is in its domain and the first is ``margin`` away from kinks."""
        if not all(d.contains(x, margin) for d, x in zip(self.domain, xs)):
            return False
        return all(abs(xs[0] - k) >= max(margin, 1e-300) for k in self.kinks)


def _piecewise_linear(slope_left: float, slope_right: float) -> Callable[[complex], complex]:
    # The complex-step extension of a piecewise-linear op: the branch is chosen by the
    # real part, and at the kink itself the slope is 0 (the convention we document).
    def f(z: complex) -> complex:
        return z * (slope_right if z.real > 0 else slope_left if z.real < 0 else 0.0)
    return f


_R = Domain()                                   # the whole (bounded) real line
_POS = Domain(0.0, 10.0, poles=(0.0,))       # strictly positive (log, and sqrt away from its infinite slope)
_NONZERO = Domain(-10.0, 10.0, poles=(0.0,))
_UNARY_POINTS = ((-1.5,), (0.3,), (2.0,))
_SMOOTH_POINTS = ((-3.0,), (-0.2,), (0.0,), (0.9,), (2.0,))
_PAIRS = ((1.5, -0.5), (0.3, 2.0))


def _rows(*rows: OpInfo) -> dict[str, OpInfo]:
    return {r.name: r for r in rows}


OPS: dict[str, OpInfo] = _rows(
    # -- unary ops and functions --------------------------------------------------
    OpInfo("neg", "neg", lambda x: -x, lambda x: -x, lambda z: -z, (_R,), _UNARY_POINTS,
           torch=lambda torch, t: -t),
    OpInfo("abs", "abs", abs, abs, _piecewise_linear(-1.0, 1.0), (_R,), _UNARY_POINTS,
           kinks=(0.0,), kink_grads=(0.0,), analytic=False, torch=lambda torch, t: torch.abs(t), edges=((0.0,),)),
    OpInfo("exp", "exp", al.exp, math.exp, cmath.exp, (Domain(-10.0, 5.0),),
           ((-2.0,), (0.0,), (0.7,), (3.0,)), torch=lambda torch, t: torch.exp(t),
           edges=((700.0,), (-745.0,))),
    OpInfo("log", "log", al.log, math.log, cmath.log, (_POS,), ((0.1,), (1.0,), (2.5,), (40.0,)),
           torch=lambda torch, t: torch.log(t), edges=((1e-300,),)),
    OpInfo("sqrt", "sqrt", al.sqrt, math.sqrt, cmath.sqrt, (_POS,), ((0.04,), (1.0,), (2.5,), (40.0,)),
           torch=lambda torch, t: torch.sqrt(t), edges=((0.0,),)),
    OpInfo("tanh", "tanh", al.tanh, math.tanh, cmath.tanh, (_R,), _SMOOTH_POINTS,
           torch=lambda torch, t: torch.tanh(t), edges=((1000.0,), (-1000.0,))),
    OpInfo("sigmoid", "sigmoid", al.sigmoid, lambda x: 1.0 / (1.0 + math.exp(-x)), csigmoid, (_R,),
           _SMOOTH_POINTS, torch=lambda torch, t: torch.sigmoid(t), edges=((1000.0,), (-1000.0,))),
    OpInfo("relu", "relu", al.relu, lambda x: max(x, 0.0), _piecewise_linear(0.0, 1.0), (_R,),
           _UNARY_POINTS, kinks=(0.0,), kink_grads=(0.0,), analytic=False,
           torch=lambda torch, t: torch.relu(t), edges=((0.0,),)),
    OpInfo("leaky_relu", "leaky_relu", lambda x: al.leaky_relu(x, 0.1), lambda x: x if x > 0 else 0.1 * x,
           _piecewise_linear(0.1, 1.0), (_R,), _UNARY_POINTS, kinks=(0.0,), kink_grads=(0.1,),
           analytic=False, torch=lambda torch, t: torch.nn.functional.leaky_relu(t, 0.1), edges=((0.0,),)),
    OpInfo("softplus", "softplus", al.softplus, lambda x: math.log1p(math.exp(x)), csoftplus, (_R,),
           _SMOOTH_POINTS, torch=lambda torch, t: torch.nn.functional.softplus(t), edges=((1000.0,), (-1000.0,))),
    OpInfo("sin", "sin", al.sin, math.sin, cmath.sin, (_R,), ((-2.0,), (0.0,), (0.5,), (3.0,)),
           torch=lambda torch, t: torch.sin(t)),
    OpInfo("cos", "cos", al.cos, math.cos, cmath.cos, (_R,), ((-2.0,), (0.0,), (0.5,), (3.0,)),
           torch=lambda torch, t: torch.cos(t)),
    # -- ops with a constant operand ------------------------------------------------
    OpInfo("pow_const", "pow", lambda x: x ** 3, lambda x: x ** 3, lambda z: z ** 3, (_R,), _UNARY_POINTS,
           torch=lambda torch, t: t ** 3, edges=((0.0,),)),
    OpInfo("pow_frac", "pow", lambda x: x ** 2.5, lambda x: x ** 2.5, lambda z: z ** 2.5, (_POS,),
           ((0.3,), (1.0,), (2.0,)), torch=lambda torch, t: t ** 2.5, edges=((0.0,),)),
    OpInfo("pow_half", "pow", lambda x: x ** 0.5, lambda x: x ** 0.5, lambda z: z ** 0.5, (_POS,),
           ((0.3,), (2.0,)), torch=lambda torch, t: t ** 0.5, edges=((0.0,),)),
    OpInfo("pow_zero", "pow", lambda x: x ** 0, lambda x: x ** 0, lambda z: z ** 0, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: t ** 0, edges=((0.0,),)),
    OpInfo("pow_neg", "pow", lambda x: x ** -2, lambda x: x ** -2, lambda z: z ** -2, (_NONZERO,),
           _UNARY_POINTS, torch=lambda torch, t: t ** -2, edges=((1e-100,),)),
    OpInfo("rpow", "rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, lambda z: 2.0 ** z, (_R,), _UNARY_POINTS,
           torch=lambda torch, t: 2.0 ** t, edges=((0.0,),)),
    OpInfo("add_const", "add", lambda x: x + 2.5, lambda x: x + 2.5, lambda z: z + 2.5, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: t + 2.5),
    OpInfo("radd_const", "add", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda z: 2.5 + z, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: 2.5 + t),
    OpInfo("sub_const", "sub", lambda x: x - 2.5, lambda x: x - 2.5, lambda z: z - 2.5, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: t - 2.5),
    OpInfo("rsub_const", "rsub", lambda x: 2.5 - x, lambda x: 2.5 - x, lambda z: 2.5 - z, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: 2.5 - t),
    OpInfo("mul_const", "mul", lambda x: x * 2.5, lambda x: x * 2.5, lambda z: z * 2.5, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: t * 2.5),
    OpInfo("rmul_const", "mul", lambda x: 2.5 * x, lambda x: 2.5 * x, lambda z: 2.5 * z, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: 2.5 * t),
    OpInfo("div_const", "div", lambda x: x / 2.5, lambda x: x / 2.5, lambda z: z / 2.5, (_R,),
           ((-1.5,), (0.3,)), torch=lambda torch, t: t / 2.5),
    OpInfo("rdiv_const", "rdiv", lambda x: 2.5 / x, lambda x: 2.5 / x, lambda z: 2.5 / z, (_NONZERO,),
           _UNARY_POINTS, torch=lambda torch, t: 2.5 / t, edges=((1e-300,),)),
    # -- binary ops: the reference is the same float arithmetic, so values match to the bit
    OpInfo("add", "add", lambda x, y: x + y, lambda x, y: x + y, lambda x, y: x + y, (_R, _R), _PAIRS,
           value_rtol=0.0, torch=lambda torch, x, y: x + y),
    OpInfo("sub", "sub", lambda x, y: x - y, lambda x, y: x - y, lambda x, y: x - y, (_R, _R), _PAIRS,
           value_rtol=0.0, torch=lambda torch, x, y: x - y),
    OpInfo("mul", "mul", lambda x, y: x * y, lambda x, y: x * y, lambda x, y: x * y, (_R, _R), _PAIRS,
           value_rtol=0.0, torch=lambda torch, x, y: x * y),
    OpInfo("div", "div", lambda x, y: x / y, lambda x, y: x / y, lambda x, y: x / y, (_R, _NONZERO), _PAIRS,
           value_rtol=0.0, torch=lambda torch, x, y: x / y, edges=((1.0, 1e-300),)),
    OpInfo("pow", "pow", lambda x, y: x ** y, lambda x, y: x ** y, lambda x, y: x ** y,
           (Domain(0.0, 5.0, poles=(0.0,)), Domain(-3.0, 3.0)), _PAIRS + ((2.0, 3.0),),
           value_rtol=0.0, torch=lambda torch, x, y: x ** y,
           edges=((0.0, 2.0), (0.0, 0.5), (0.0, 0.0), (0.0, 1.0), (0.0, 3.0), (-2.0, 3.0), (2.0, 0.0))),
    # -- n-ary primitives: one node, with constants mixed in and an input used twice --
    OpInfo("sum", "sum", lambda x, y, z: al.sum([x, y, 1.5, z, x]), lambda x, y, z: x + y + 1.5 + z + x,
           lambda x, y, z: x + y + 1.5 + z + x, (_R, _R, _R), ((0.5, -1.25, 2.0),),
           value_rtol=1e-15, torch=lambda torch, x, y, z: x + y + 1.5 + z + x),
    OpInfo("dot", "dot", lambda w0, w1, x, b: al.dot([w0, w1, x], [x, 2.0, w1], b),
           lambda w0, w1, x, b: b + w0 * x + w1 * 2.0 + x * w1,
           lambda w0, w1, x, b: b + w0 * x + w1 * 2.0 + x * w1, (_R, _R, _R, _R),
           ((0.5, -1.5, 2.0, 0.75),), value_rtol=0.0,
           torch=lambda torch, w0, w1, x, b: b + w0 * x + w1 * 2.0 + x * w1),
    OpInfo("dot_values", "dot", lambda w0, w1, x, b: al.dot([w0, w1, x], [x, x, w1], b),
           lambda w0, w1, x, b: b + w0 * x + w1 * x + x * w1,
           lambda w0, w1, x, b: b + w0 * x + w1 * x + x * w1, (_R, _R, _R, _R),
           ((0.5, -1.5, 2.0, 0.75),), value_rtol=0.0,
           torch=lambda torch, w0, w1, x, b: b + w0 * x + w1 * x + x * w1),
    OpInfo("dot_floats", "dot", lambda w0, w1, w2, b: al.dot([w0, w1, w2], [1.5, -2.0, 0.25], b),
           lambda w0, w1, w2, b: b + w0 * 1.5 + w1 * -2.0 + w2 * 0.25,
           lambda w0, w1, w2, b: b + w0 * 1.5 + w1 * -2.0 + w2 * 0.25, (_R, _R, _R, _R),
           ((0.5, -1.5, 2.0, 0.75),), value_rtol=0.0,
           torch=lambda torch, w0, w1, w2, b: b + w0 * 1.5 + w1 * -2.0 + w2 * 0.25),
)
