"""Custom primitives: define an op by its forward function and its partial derivatives.

Like ``torch.autograd.Function`` or ``jax.custom_jvp``, but scalar: the forward
takes floats and returns a float, and each partial derivative takes the same
arguments and returns d(output)/d(argument).  Write the partials with
autograd_lite's functions (``al.cos``, ``al.exp``, operators), which accept
floats and Values alike: the engine calls them with floats for the first
derivative and with Values for higher orders (``grad(grad(f))``).

The result records one node whose ``op`` is the primitive's name, so
backward, nested grad, gradcheck, complex_step_check and drawings all see it.

>>> import autograd_lite as al
>>> @al.primitive
... def cube(x):
...     return x ** 3
>>> _ = cube.defpartials(lambda x: 3.0 * x ** 2)
>>> y = cube(al.Value(2.0)); y.backward()
>>> y.op, y.data, y.parents[0].grad, al.grad(al.grad(cube))(2.0)
('cube', 8.0, 12.0, 12.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd_lite.engine import Value, record, register_rule, rule_ops, to_float

__all__ = ["Primitive", "primitive"]

# name -> Primitive, for every custom op (the complex-step oracle looks them up here)
_PRIMITIVES: dict[str, Primitive] = {}


class Primitive:
    """A user-defined scalar op.  Make one with ``primitive``; call it like a function.

    Called with plain numbers it returns a float; called with at least one
    Value it returns a Value recorded in the graph.
    """

    def __init__(self, forward: Callable[..., float], name: str,
                 complex_forward: Callable[..., complex] | None = None) -> None:
        if not callable(forward):
            raise TypeError(f"primitive: forward must be callable, got {type(forward).__name__}")
        if type(name) is not str or not name:
            raise TypeError(f"primitive: name must be a non-empty str, got {name!r}")
        if name in rule_ops() and name not in _PRIMITIVES:
            raise ValueError(f"primitive: {name!r} is a built-in op of the engine; choose another name")
        self.name = name
        self.forward = forward
        self.complex_forward = complex_forward
        self.partials: tuple[Callable[..., Any], ...] | None = None
        self.__name__ = self.__qualname__ = name
        self.__doc__ = getattr(forward, "__doc__", None)
        _PRIMITIVES[name] = self  # redefining a custom op (say, in a notebook) replaces it
        register_rule(name, ())  # the name is taken now; defpartials gives the rule

    def defpartials(self, *partials: Callable[..., Any]) -> Primitive:
        """Set d(output)/d(argument i) for each argument, in order; returns the primitive.

        Each partial takes the forward's arguments.  None marks an argument
        that is not differentiable (passing a Value there is an error).
        """
        for d in partials:
            if d is not None and not callable(d):
                raise TypeError(f"{self.name}.defpartials: expected callables or None, got {type(d).__name__}")
        self.partials = tuple(partials)
        register_rule(self.name, self.partials)  # the same partials serve every higher order
        return self

    def __call__(self, *args: Any) -> Any:
        partials = self.partials
        if partials is None:
            raise TypeError(f"primitive {self.name!r} has no derivatives: call {self.name}.defpartials(...) first")
        if len(args) != len(partials):
            raise TypeError(f"{self.name}() takes {len(partials)} arguments ({len(partials)} partials "
                            f"were defined), got {len(args)}")
        xs = [a.data if type(a) is Value else to_float(a, f"{self.name}()") for a in args]
        out = to_float(self.forward(*xs), f"{self.name}: the forward's result")
        which = [i for i, a in enumerate(args) if type(a) is Value]
        if not which:
            return out
        for i in which:
            if partials[i] is None:
                raise TypeError(f"{self.name}: argument {i} is not differentiable, but a Value was passed")
        locals_ = tuple(to_float(partials[i](*xs), f"{self.name}: partial {i}") for i in which)
        # An n-ary node: the parents and their local derivatives, and every argument
        # (numbers as the floats the forward saw), which node_info reports as the
        # operands and the higher-order rule calls the partials on.
        operands = tuple(a if type(a) is Value else x for a, x in zip(args, xs))
        return record(out, self.name, tuple(args[i] for i in which), locals_, operands)

    def complex_value(self, args: list[Any]) -> complex:
        """The forward on the recorded arguments with each Value replaced by a complex number (complex step)."""
        f = self.complex_forward or self.forward
        try:
            return complex(f(*args))
        except TypeError as e:
            raise TypeError(f"complex step: the forward of primitive {self.name!r} does not accept complex "
                            f"numbers ({e}); pass complex_forward= to primitive()") from None

    def __repr__(self) -> str:
        return f"<autograd_lite primitive {self.name!r}>"


def lookup(name: str) -> Primitive | None:
    """The custom primitive recording ``node.op == name``, or None (a built-in op or an unknown name)."""
    return _PRIMITIVES.get(name)


def names() -> frozenset[str]:
    """The names of every custom primitive defined so far."""
    return frozenset(_PRIMITIVES)


def primitive(forward: Callable[..., float] | None = None, *partials: Callable[..., Any], name: str | None = None,
              complex_forward: Callable[..., complex] | None = None) -> Any:
    """Make a custom primitive from its forward function and (optionally, here) its partials.

    As a decorator (``@primitive`` or ``@primitive(name=...)``), then
    ``.defpartials(...)``; or in one call, ``primitive(forward, *partials)``.
    The name defaults to the forward's ``__name__`` and is what ``node.op``
    records.  ``complex_forward`` is only needed for the complex-step check
    when the forward does not accept complex numbers.

    >>> import autograd_lite as al
    >>> softsign = primitive(lambda x: x / (1.0 + abs(x)), lambda x: 1.0 / (1.0 + abs(x)) ** 2,
    ...                      name="softsign")
    >>> softsign(al.Value(1.0)).data, al.grad(softsign)(1.0)
    (0.5, 0.25)
    """
    if forward is None:
        def decorate(f: Callable[..., float]) -> Primitive:
            made: Primitive = primitive(f, *partials, name=name, complex_forward=complex_forward)
            return made
        return decorate
    name = name or str(getattr(forward, "__name__", ""))
    if name == "<lambda>":
        raise TypeError("primitive: a lambda has no name; pass name=... (it is what node.op records)")
    p = Primitive(forward, name, complex_forward)
    if partials:
        p.defpartials(*partials)
    return p
