"""Gradient checking: compare the engine's derivatives with oracles that share no code with it.

- ``gradcheck``: backward() against central finite differences, input by input
  (the slow mode of ``torch.autograd.gradcheck``).
- ``gradgradcheck``: second derivatives (nested ``grad``) against finite
  differences of the first derivative.
- ``complex_step_grad`` / ``complex_step_check``: for analytic functions,
  derivatives exact to ~1e-15 with no cancellation.  f runs once on Values to
  record its program; the program is then re-evaluated on complex numbers with
  ``cmath`` references, one input perturbed by ``1e-20j`` at a time, and
  ``imag(f(x + ih)) / h`` is the derivative.  The engine's local derivatives
  are never read, and the graph is walked by this module's own sort.

>>> from autograd_lite import Value
>>> gradcheck(lambda x, y: (x * y).tanh() + x ** 2, [0.3, -1.2])
True
>>> complex_step_grad(lambda x: x.sin() * x, [1.0])
[1.3817732906760363]
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite._validate import flag, non_negative, positive, real
from autograd_lite.engine import Value, node_info
from autograd_lite.functional import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad",
           "complex_step_grad", "complex_step_check"]


class GradcheckError(AssertionError):
    """A gradient check failed; the message names each failing input with both values and the error."""


def numerical_grad(f: Callable[..., Any], inputs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences ``(f(x + eps) - f(x - eps)) / 2 eps``, one input at a time.

    f is called with fresh Values (as in gradcheck) and may return a Value or a number.

    >>> [round(g, 6) for g in numerical_grad(lambda x, y: x * y, [3.0, 4.0])]
    [4.0, 3.0]
    """
    xs = _floats(inputs, "numerical_grad", f)
    eps = positive(eps, "numerical_grad: eps")
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        grads.append((_evaluate(f, up) - _evaluate(f, down)) / (2.0 * eps))
    return grads


def gradcheck(f: Callable[..., Any], inputs: Sequence[float], *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check backward() of ``f(*values)`` against central finite differences.

    Each input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
    Returns True, or raises GradcheckError naming every failing input (or
    returns False when ``raise_exception=False``).

    >>> gradcheck(lambda x: x.relu() * x, [0.5])
    True
    >>> gradcheck(lambda x: x * 2.0, [1.0], raise_exception=False)
    True
    """
    xs = _floats(inputs, "gradcheck", f)
    eps, atol, rtol = _tolerances("gradcheck", eps, atol, rtol, raise_exception)
    analytic = backward_grads(f, xs)
    numeric = numerical_grad(f, xs, eps)
    labels = [f"input {i}" for i in range(len(xs))]
    return compare_gradients("gradcheck", f, xs, labels, analytic, numeric, atol, rtol, raise_exception)


def gradgradcheck(f: Callable[..., Any], inputs: Sequence[float], *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of each first derivative ``grad(f, all)(...)[i]``.

    The first derivative is built by the functional ``grad`` on Values, so its
    own backward runs through the higher-order rules of every op in f.

    >>> gradgradcheck(lambda x, y: x.sin() * y ** 3, [0.4, 1.1])
    True
    """
    xs = _floats(inputs, "gradgradcheck", f)
    eps, atol, rtol = _tolerances("gradgradcheck", eps, atol, rtol, raise_exception)
    positions = tuple(range(len(xs)))
    g = grad(f, positions)
    labels, analytic, numeric = [], [], []
    for i in positions:
        gi = _component(g, i)
        analytic += backward_grads(gi, xs)
        # Difference the first derivative computed on floats (the engine's float locals),
        # not on Values: a wrong higher-order rule would otherwise be on both sides.
        numeric += float_differences(gi, xs, eps)
        labels += [f"d2f/dx{i}dx{j}" for j in positions]
    return compare_gradients("gradgradcheck", f, xs, labels, analytic, numeric, atol, rtol, raise_exception)


def complex_step_grad(f: Callable[..., Any], inputs: Sequence[float], h: float = 1e-20) -> list[float]:
    """The gradient of ``f(*values)`` by the complex step, ``imag(f(x + ih)) / h``.

    Exact to rounding for analytic programs (no subtraction, so h can be tiny).
    Piecewise-linear ops (abs, relu, leaky_relu) pick their branch by the real
    part, so they are fine away from their kinks.  A custom primitive needs a
    forward that accepts complex numbers, or a ``complex_forward``.

    >>> complex_step_grad(lambda x, y: x * y + x.exp(), [0.0, 2.0])
    [3.0, 0.0]
    """
    xs = _floats(inputs, "complex_step_grad", f)
    h = positive(h, "complex_step_grad: h")
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if type(out) is not Value:
        return [0.0] * len(xs)  # a constant: f ignored its inputs
    order = _topological(out)
    grads = []
    for i, leaf in enumerate(leaves):
        z = _evaluate_complex(order, {leaf: complex(xs[i], h)})
        grads.append(z.imag / h)
    return grads


def complex_step_check(f: Callable[..., Any], inputs: Sequence[float], *, atol: float = 1e-12,
                       rtol: float = 1e-12, raise_exception: bool = True) -> bool:
    """gradcheck against the complex step, at tolerances near machine precision.

    >>> complex_step_check(lambda x: (x * x).tanh() / (1.0 + x.exp()), [0.7])
    True
    """
    xs = _floats(inputs, "complex_step_check", f)
    _, atol, rtol = _tolerances("complex_step_check", 1.0, atol, rtol, raise_exception)
    analytic = backward_grads(f, xs)
    numeric = complex_step_grad(f, xs)
    labels = [f"input {i}" for i in range(len(xs))]
    return compare_gradients("complex_step_check", f, xs, labels, analytic, numeric, atol, rtol, raise_exception)


# -- helpers --------------------------------------------------------------------

def _floats(inputs: Sequence[float], check: str, f: Any) -> list[float]:
    """The inputs as floats, after checking f; a bad input is reported with the check's name and its index."""
    if not callable(f):
        raise TypeError(f"{check}: f must be a function of the inputs, got {type(f).__name__}")
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"{check}: inputs must be a sequence of numbers, got {type(inputs).__name__}")
    # A check needs a finite point: at nan or inf every difference is nan, and nan fails any tolerance.
    return [real(x, f"{check}: input {i}") for i, x in enumerate(inputs)]


def _tolerances(check: str, eps: Any, atol: Any, rtol: Any, raise_exception: Any) -> tuple[float, float, float]:
    """eps > 0, atol >= 0, rtol >= 0 (all finite) and raise_exception a bool, or the error naming which."""
    flag(raise_exception, f"{check}: raise_exception")
    return (positive(eps, f"{check}: eps"), non_negative(atol, f"{check}: atol"),
            non_negative(rtol, f"{check}: rtol"))


def _evaluate(f: Callable[..., Any], xs: list[float]) -> float:
    out = f(*[Value(x) for x in xs])
    return out.data if type(out) is Value else float(out)


def float_differences(f: Callable[..., float], xs: list[float], eps: float) -> list[float]:
    """Central differences of a function called with plain floats."""
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        out.append((float(f(*up)) - float(f(*down))) / (2.0 * eps))
    return out


def backward_grads(f: Callable[..., Any], xs: list[float]) -> list[float]:
    """The gradient as users get it: fresh leaves, one backward(), read .grad."""
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if type(out) is not Value:
        return [0.0] * len(xs)
    out.backward()
    return [leaf.grad for leaf in leaves]


def _component(g: Callable[..., Any], i: int) -> Callable[..., Any]:
    def gi(*args):
        return g(*args)[i]
    return gi


def compare_gradients(check: str, f: Callable[..., Any], xs: list[float], labels: list[str],
                      analytic: list[float], numeric: list[float], atol: float, rtol: float,
                      raise_exception: bool) -> bool:
    """True when every ``|analytic - numeric| <= atol + rtol * |numeric|`` (NaN fails); else
    GradcheckError naming each failing label, or False with ``raise_exception=False``.

    >>> compare_gradients("demo", abs, [1.0], ["input 0"], [1.0], [1.0 + 1e-9], 1e-6, 0.0, True)
    True
    """
    failures = []
    for label, a, n in zip(labels, analytic, numeric):
        error = abs(a - n)
        tolerance = atol + rtol * abs(n)
        if not error <= tolerance:  # written so that a NaN anywhere fails
            failures.append(f"  {label}: analytic {a!r}, numeric {n!r}, error {error:.3g} "
                            f"> tolerance {tolerance:.3g}")
    if not failures:
        return True
    if not raise_exception:
        return False
    name = getattr(f, "__name__", type(f).__name__)
    raise GradcheckError(f"{check} failed for {name} at inputs {xs!r} "
                         f"(atol={atol:g}, rtol={rtol:g}):\n" + "\n".join(failures))


def _topological(root: Value) -> list[Value]:
    """Every node root depends on, parents before children.

    Our own iterative post-order walk, so that a bug in the engine's sort
    cannot hide from the oracle.
    """
    order: list[Value] = []
    done: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if node not in done:
                done.add(node)
                order.append(node)
            continue
        if node in done:
            continue
        stack.append((node, True))
        for p in node.parents:
            if p not in done:
                stack.append((p, False))
    return order


def _evaluate_complex(order: list[Value], seeds: dict[Value, complex]) -> complex:
    """Re-run a recorded program on complex numbers; leaves not in ``seeds`` are constants."""
    z: dict[Value, complex] = {}
    for node in order:
        if node in seeds:
            z[node] = seeds[node]
        elif not node.op:
            z[node] = complex(node.data)
        else:
            rule = _COMPLEX_RULES.get(node.op) or _custom_rule(node.op)
            # the operands in order, each Value replaced by its complex value (numbers stay floats)
            z[node] = rule(node, [z[o] if type(o) is Value else o for o in node_info(node).operands])
    return z[order[-1]]


def _sign(x: float) -> float:
    # the branch of a piecewise-linear op; 0 at the kink, the derivative we document there
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _leaky_relu(n: Value, z: list[Any]) -> complex:
    # the branch is the parent's, as in the forward; z is (x, slope)
    return z[0] if node_info(n).parents[0].data > 0 else z[1] * z[0]


def _dot(n: Value, z: list[Any]) -> complex:
    # z is (bias, w0, x0, w1, x1, ...).  The real part is the node's own value, so
    # rounding in the complex products cannot move it; the derivative is in the imaginary part.
    total = 0j + z[0]
    for i in range(1, len(z), 2):
        total += z[i] * z[i + 1]
    return complex(n.data, total.imag)


def csigmoid(z: complex) -> complex:
    """The sigmoid on complex numbers, written as the engine's float kernel (no overflow): for the complex step."""
    if z.real >= 0:
        return 1.0 / (1.0 + cmath.exp(-z))
    e = cmath.exp(z)
    return e / (1.0 + e)


def csoftplus(z: complex) -> complex:
    """log(1 + e**z) on complex numbers, without overflow: for the complex step."""
    return z + cmath.log(1.0 + cmath.exp(-z)) if z.real > 0 else cmath.log(1.0 + cmath.exp(z))


def _cpow(x: complex, y: complex) -> complex:
    # Python's complex ** is exact repeated multiplication for small integer exponents,
    # which keeps negative bases (x ** 3 at x < 0) on the real axis
    if x == 0:
        return 0j if y.real > 0 else complex(math.inf)
    return x ** y


# op name -> (node, its operands in order: Values as complex, numbers as floats) -> complex value.
_COMPLEX_RULES: dict[str, Callable[[Value, list[Any]], complex]] = {
    "add": lambda n, z: z[0] + z[1],
    "sub": lambda n, z: z[0] - z[1],
    "rsub": lambda n, z: z[0] - z[1],
    "mul": lambda n, z: z[0] * z[1],
    "div": lambda n, z: z[0] / z[1],
    "rdiv": lambda n, z: z[0] / z[1],
    "pow": lambda n, z: _cpow(complex(z[0]), complex(z[1])),
    "rpow": lambda n, z: _cpow(complex(z[0]), complex(z[1])),
    "neg": lambda n, z: -z[0],
    "abs": lambda n, z: _sign(z[0].real) * z[0],
    "relu": lambda n, z: z[0] if z[0].real > 0 else 0j,
    "leaky_relu": _leaky_relu,
    "exp": lambda n, z: cmath.exp(z[0]),
    "log": lambda n, z: cmath.log(z[0]),
    "sqrt": lambda n, z: cmath.sqrt(z[0]),
    "tanh": lambda n, z: cmath.tanh(z[0]),
    "sigmoid": lambda n, z: csigmoid(z[0]),
    "softplus": lambda n, z: csoftplus(z[0]),
    "sin": lambda n, z: cmath.sin(z[0]),
    "cos": lambda n, z: cmath.cos(z[0]),
    "sum": lambda n, z: complex(n.data, sum(complex(zi).imag for zi in z)),  # linear: the imaginary parts add
    "dot": _dot,
    "id": lambda n, z: z[0],
    "mask": lambda n, z: 0j,  # the zero a derivative rule picks at a singular point
}


def complex_ops() -> frozenset[str]:
    """The built-in ops the complex step can re-evaluate (custom primitives are looked up by name)."""
    return frozenset(_COMPLEX_RULES)


def _custom_rule(op: str) -> Callable[[Value, list[Any]], complex]:
    from autograd_lite.custom import lookup

    prim = lookup(op)
    if prim is None:
        raise NotImplementedError(f"complex step: no complex reference for op {op!r}; use gradcheck instead")
    return lambda node, args: prim.complex_value(args)
