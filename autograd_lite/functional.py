"""Function transforms with JAX's names and semantics: grad, value_and_grad, hessian.

Called with plain numbers they return plain floats.  Called with Values (as
happens when one transform is nested inside another) they return Values
connected to the graph, so ``grad(grad(f))`` is the second derivative.

They are pure: they read no ``.grad`` and write none, so they are safe to
call on a function that closes over a model's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd_lite._modes import anomaly_in_backward, is_anomaly_enabled
from autograd_lite._validate import to_float
from autograd_lite.engine import NodeInfo, Value, argument_slot, local_derivatives, node_info, reverse_topological

__all__ = ["grad", "value_and_grad", "hessian", "gradients"]

ArgNums = int | Sequence[int]


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function that returns ``(f(*xs), df/dxs)``, shaped as ``argnums`` is.

    ``argnums`` is an int (one gradient) or a tuple of ints (a tuple of
    gradients).  Each differentiated argument is its own variable, even when
    two arguments are the same object.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
    """
    positions, single = _check_argnums(argnums)

    def value_and_grad_f(*given: Any) -> tuple[Any, Any]:
        for i in positions:
            if i >= len(given):
                raise TypeError(f"argnums={argnums!r} asks for argument {i}, "
                                f"but {len(given)} positional arguments were given")
        # Inside another transform the result must stay differentiable even for
        # float arguments: f may close over the outer transform's Values.
        nested = _depth > 0 or any(type(given[i]) is Value for i in positions)
        args = list(given)
        inputs = []
        for i in positions:
            x = args[i]
            # A fresh node per argument: partial derivatives hold the other arguments
            # fixed, and the traversal can stop here instead of entering an outer graph.
            v = argument_slot(x) if type(x) is Value else Value(x if type(x) is float else to_float(x, f"argument {i}"))
            args[i] = v
            inputs.append(v)
        out = _traced(f, args)
        if type(out) is not Value:
            if isinstance(out, (int, float)) and not isinstance(out, bool):
                zero: Value | float = Value(0.0) if nested else 0.0  # f ignores its inputs: zero gradient
                constant = tuple(zero for _ in positions)
                return (Value(float(out)) if nested else float(out)), (constant[0] if single else constant)
            raise TypeError(f"value_and_grad: f must return a scalar Value, got {type(out).__name__}")
        grads = _gradients(out, inputs, nested)
        value = out if nested else out.data
        return value, (grads[0] if single else tuple(grads))

    _wraps(value_and_grad_f, f, "value_and_grad")
    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """A function that returns the derivative of f with respect to argument(s) ``argnums``.

    >>> grad(lambda x: x ** 3)(2.0)
    12.0
    >>> grad(grad(lambda x: x ** 3))(2.0)     # second derivative, 6x
    12.0
    """
    vg = value_and_grad(f, argnums)

    def grad_f(*args: Any) -> Any:
        return vg(*args)[1]

    _wraps(grad_f, f, "grad")
    return grad_f


def hessian(f: Callable[..., Any], argnums: ArgNums | None = None) -> Callable[..., list[list[Any]]]:
    """A function that returns the matrix of second derivatives of f, as a list of rows.

    ``argnums`` defaults to every positional argument (a scalar engine has no
    vector argument to default to).  Built as the gradient of each entry of
    the gradient, so it costs one forward pass per row: meant for a few inputs.

    >>> hessian(lambda x, y: x * x * y)(3.0, 2.0)
    [[4.0, 6.0], [6.0, 0.0]]
    """

    def hessian_f(*args: Any) -> list[list[Any]]:
        positions = tuple(range(len(args))) if argnums is None else _check_argnums(argnums)[0]
        g = grad(f, positions)
        return [list(grad(lambda *a, i=i: g(*a)[i], positions)(*args)) for i in range(len(positions))]

    _wraps(hessian_f, f, "hessian")
    return hessian_f


_depth = 0  # how many transforms are tracing right now


def _traced(f: Callable[..., Any], args: list[Any]) -> Any:
    global _depth
    _depth += 1
    try:
        return f(*args)
    finally:
        _depth -= 1


def _gradients(out: Value, inputs: list[Value], nested: bool) -> list[Any]:
    """d(out)/d(input) for each input; Values (differentiable again) when nested."""
    # The inputs are fresh nodes: stopping at them keeps the walk inside f's graph.
    zero: Value | float
    if nested:
        grads, zero = gradients(out, Value(1.0), create_graph=True, stop_at=inputs), Value(0.0)
    else:
        grads, zero = gradients(out, 1.0, stop_at=inputs), 0.0
    return [grads.get(v, zero) for v in inputs]


def gradients(root: Value, seed: float | Value = 1.0, *, create_graph: bool = False,
              stop_at: Iterable[Value] = ()) -> dict[Value, float | Value]:
    """d(root)/d(node) * seed for every node root depends on, in a dict; no ``.grad`` is touched.

    The chain rule as ``backward()`` runs it, kept in a dict.  With
    ``create_graph=True`` (and a Value seed) every step is a Value op, built
    from each op's derivative rule, so the gradients can be differentiated
    again (nested ``grad``).  The nodes in ``stop_at`` count as leaves: the
    walk does not go past them.  Nodes the root does not depend on are absent.

    >>> x = Value(3.0); y = x * x
    >>> gradients(y)[x]
    6.0
    """
    stops = set(stop_at)
    grads: dict[Value, Any] = {root: seed}
    check = is_anomaly_enabled()
    for node in [] if root in stops else reverse_topological(root, stops):
        g = grads.get(node)
        if g is None:
            continue
        info = node_info(node)
        if not info.parents or stops_gradient(info):
            continue
        local = local_derivatives(node, create_graph=True) if create_graph else info.local_grads
        for i, (p, d) in enumerate(zip(info.parents, local)):
            c = g * d
            if check and not math.isfinite(_data(c)) and math.isfinite(_data(g)):
                raise anomaly_in_backward(node, i, _data(c))
            grads[p] = grads[p] + c if p in grads else c
    return grads


def stops_gradient(info: NodeInfo) -> bool:
    """True for a relu at x <= 0: it passes nothing on, not even 0 * inf = nan, as backward() and PyTorch."""
    return info.op == "relu" and info.local_grads[0] == 0.0


def _data(x: Any) -> float:
    return x.data if type(x) is Value else float(x)


def _check_argnums(argnums: ArgNums) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple, list)):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    single = isinstance(argnums, int)
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in positions:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"argnums must hold non-negative ints, got {argnums!r}")
        if i < 0:
            raise ValueError(f"argnums must hold non-negative ints, got {argnums!r}")
    if len(set(positions)) != len(positions):
        raise ValueError(f"argnums has a repeated position: {argnums!r}")
    return positions, single


def _wraps(wrapper: Callable[..., Any], f: Callable[..., Any], transform: str) -> None:
    name = getattr(f, "__name__", type(f).__name__)
    wrapper.__name__ = wrapper.__qualname__ = f"{transform}({name})"
    wrapper.__doc__ = f"{transform} of {name}."
