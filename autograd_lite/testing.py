"""Hypothesis strategies for testing derivatives: random values, random programs, random MLP losses.

Importing this module imports hypothesis (``pip install autograd_lite[check]``);
``import autograd_lite`` never does.  Test your own function in two lines::

    @given(values(), values())
    def test_my_f(x, y): assert_gradients_match(my_f, [x, y])

``programs()`` draws computation graphs over every row of the op table, with
shared subexpressions (a node used twice is where ``=`` instead of ``+=``
hides), together with a point where every op is inside its domain and away
from its kinks.  A program runs on Values, on floats (the math references), on
complex numbers (the cmath references) and on PyTorch tensors.

>>> from hypothesis import given
>>> @given(programs())
... def test_programs(p):
...     assert_gradients_match(p, p.inputs)
>>> test_programs()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("autograd_lite.testing needs hypothesis: pip install 'autograd_lite[check]'") from e

import autograd_lite as al
from autograd_lite.check import (
    backward_grads,
    compare_gradients,
    complex_step_check,
    float_differences,
    gradcheck,
    gradgradcheck,
)
from autograd_lite.op_table import OPS, Domain, OpInfo

__all__ = ["values", "programs", "expressions", "mlps", "Program", "MLPLoss", "assert_gradients_match"]

_MARGIN = 1e-3  # how far generated points stay from kinks, poles and domain ends
_BOUND = 1e3    # |every intermediate value| stays below this, so differences stay meaningful


def values(op: str | OpInfo | None = None, arg: int = 0, *, margin: float = _MARGIN) -> st.SearchStrategy[float]:
    """Floats in the domain of argument ``arg`` of an op-table row (default: [-10, 10]).

    ``margin`` keeps them that far inside the ends and from poles, so that
    finite differences have room.

    >>> from hypothesis import given
    >>> @given(values("log"))
    ... def test_log_is_finite(x): assert math.isfinite(al.log(x))
    >>> test_log_is_finite()
    """
    if op is None:
        return Domain().strategy(margin)
    row = OPS[op] if isinstance(op, str) else op
    return row.domain[arg].strategy(margin)


@dataclass(frozen=True)
class Program:
    """A straight-line program: each instruction applies an op-table row to earlier slots.

    Slots 0..n_inputs-1 are the inputs; instruction k writes slot n_inputs + k.
    The output is the sum of every slot no instruction reads (so every
    instruction matters).  ``inputs`` is a point where the program is valid.
    """

    n_inputs: int
    instructions: tuple[tuple[str, tuple[int, ...]], ...]
    inputs: tuple[float, ...]

    def __call__(self, *xs: Any) -> Any:
        """Run on Values (the engine)."""
        return self._run(xs, lambda row: row.fn, lambda vs: al.sum(vs) if len(vs) > 1 else vs[0])

    def reference(self, *xs: float) -> float:
        """Run on floats with the math references."""
        return self._run(xs, lambda row: row.ref, math.fsum)

    def complex(self, *zs: complex) -> complex:
        """Run on complex numbers with the cmath references (valid away from kinks)."""
        return self._run(zs, _complex_reference, lambda zs: sum(zs, 0j))

    def torch(self, torch: Any, *ts: Any) -> Any:
        """Run on PyTorch tensors (pass the torch module: this package never imports it)."""
        return self._run(ts, lambda row: _torch_reference(row, torch), lambda ts: sum(ts[1:], ts[0]))

    @property
    def sinks(self) -> list[int]:
        read = {a for _, args in self.instructions for a in args}
        return [s for s in range(self.n_inputs + len(self.instructions)) if s not in read]

    @property
    def reused(self) -> int:
        """How many reads go to a slot that is read more than once (shared subexpressions)."""
        reads: dict[int, int] = {}
        for _, args in self.instructions:
            for a in args:
                reads[a] = reads.get(a, 0) + 1
        return sum(c for c in reads.values() if c > 1)

    def valid_at(self, *xs: float, margin: float = _MARGIN) -> bool:
        """True when every op's arguments are in its domain and ``margin`` from its kinks at xs."""
        slots = list(xs)
        for name, args in self.instructions:
            row = OPS[name]
            vals = [slots[a] for a in args]
            if not row.valid(vals, margin):
                return False
            try:
                slots.append(row.ref(*vals))
            except (ValueError, ZeroDivisionError, OverflowError):
                return False
        return True

    def _run(self, xs: Sequence[Any], impl: Callable[[OpInfo], Callable], total: Callable) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"this program takes {self.n_inputs} inputs, got {len(xs)}")
        slots = list(xs)
        for name, args in self.instructions:
            slots.append(impl(OPS[name])(*[slots[a] for a in args]))
        return total([slots[s] for s in self.sinks])

    def __repr__(self) -> str:
        lines = [f"Program(inputs={list(self.inputs)})"]
        for k, (name, args) in enumerate(self.instructions):
            lines.append(f"  v{self.n_inputs + k} = {name}({', '.join(f'v{a}' for a in args)})")
        lines.append(f"  out = sum({', '.join(f'v{s}' for s in self.sinks)})")
        return "\n".join(lines)

    __name__ = "program"



def _complex_reference(row: OpInfo) -> Callable[..., complex]:
    if row.cref is None:
        raise ValueError(f"op {row.name!r} has no complex extension (its OpInfo.cref is None)")
    return row.cref


def _torch_reference(row: OpInfo, torch: Any) -> Callable[..., Any]:
    op = row.torch
    if op is None:
        raise ValueError(f"op {row.name!r} has no PyTorch version (its OpInfo.torch is None)")
    return lambda *ts: op(torch, *ts)


@st.composite
def programs(draw: Any, n_inputs: int | st.SearchStrategy[int] = st.integers(1, 3),  # noqa: B008 - immutable
             max_ops: int = 8,
             ops: Sequence[str] | None = None, analytic: bool = False,
             inputs: Sequence[float] | None = None) -> Program:
    """Random programs over the op table, with shared subexpressions, and a valid point.

    Each instruction reads earlier slots chosen at random (the same slot may
    be read twice, even by one op); an op is only kept when its arguments are
    in its domain, ``1e-3`` from kinks and poles, and its result is below 1e3
    in magnitude.  ``analytic=True`` keeps only rows without kinks (for the
    complex step everywhere).  ``inputs`` fixes the point (to combine programs).
    """
    if inputs is not None:
        n_inputs = len(inputs)
    n = draw(n_inputs) if isinstance(n_inputs, st.SearchStrategy) else n_inputs
    names = [name for name, row in OPS.items() if (row.analytic or not analytic)] if ops is None else list(ops)
    xs = list(inputs) if inputs is not None else [draw(Domain(-3.0, 3.0).strategy(), label=f"x{i}")
                                                  for i in range(n)]
    slot_values = list(xs)
    instructions = []
    for _ in range(draw(st.integers(1, max_ops), label="ops")):
        row = OPS[draw(st.sampled_from(names))]
        # any earlier slot, and the same one twice: reuse is drawn as often as not
        args = tuple(draw(st.integers(0, len(slot_values) - 1)) for _ in range(row.arity))
        vals = [slot_values[a] for a in args]
        if not row.valid(vals, _MARGIN):
            continue  # skip rather than filter: generation never gets stuck
        try:
            y = row.ref(*vals)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if not (math.isfinite(y) and abs(y) < _BOUND):
            continue
        instructions.append((row.name, args))
        slot_values.append(y)
    return Program(n, tuple(instructions), tuple(xs))


def expressions(**kwargs: Any) -> st.SearchStrategy[tuple[Callable[..., Any], tuple[float, ...]]]:
    """``(f, inputs)`` pairs from ``programs(**kwargs)``: f runs on Values, ready for gradcheck."""
    return programs(**kwargs).map(lambda p: (p, p.inputs))


@dataclass(frozen=True)
class MLPLoss:
    """The loss of a multilayer perceptron as a function of its parameters: ``f(*params)``.

    Not a model (for that, ``autograd_lite.nn.MLP``): a plain function of one
    flat list of numbers, so ``gradcheck`` and ``assert_gradients_match`` can
    check its gradient.  The loss is the sum of squared outputs on a fixed
    input ``x``; every neuron is one ``dot`` node followed by ``activation``
    (none on the last layer).  ``params`` is a point to check at and
    ``reference`` the same loss computed on plain floats.
    """

    sizes: tuple[int, ...]
    activation: str
    x: tuple[float, ...]
    params: tuple[float, ...]

    def __call__(self, *params: Any) -> Any:
        act = getattr(al, self.activation)
        return self._run(params, lambda w, x, b: al.dot(w, x, b), act, lambda ys: al.sum(y * y for y in ys))

    def reference(self, *params: float) -> float:
        act = OPS[self.activation].ref
        return self._run(params, lambda w, x, b: b + math.fsum(wi * xi for wi, xi in zip(w, x)), act,
                         lambda ys: math.fsum(y * y for y in ys))

    def preactivations(self) -> list[float]:
        """Every hidden neuron's w·x + b at ``params`` (to keep relu away from its kink)."""
        seen: list[float] = []
        act = OPS[self.activation].ref

        def record(z: float) -> float:
            seen.append(z)
            return act(z)

        self._run(self.params, lambda w, x, b: b + math.fsum(wi * xi for wi, xi in zip(w, x)), record,
                  lambda ys: 0.0)
        return seen

    def _run(self, params: Sequence[Any], neuron: Callable, act: Callable, loss: Callable) -> Any:
        it = iter(params)
        h: list[Any] = list(self.x)
        for layer, (n_in, n_out) in enumerate(zip(self.sizes, self.sizes[1:])):
            last = layer == len(self.sizes) - 2
            h = [neuron([next(it) for _ in range(n_in)], h, next(it)) for _ in range(n_out)]
            if not last:
                h = [act(z) for z in h]
        return loss(h)

    __name__ = "mlp_loss"


@st.composite
def mlps(draw: Any, max_inputs: int = 3, max_width: int = 3, max_layers: int = 2,
         activations: Sequence[str] = ("tanh", "relu", "sigmoid")) -> MLPLoss:
    """Small random MLPs as loss functions of their parameters: yields ``MLPLoss`` objects.

    Each yielded ``f`` is callable on Values (``f(*f.params)`` is the loss),
    carries a point ``f.params`` and a float ``f.reference``; relu nets keep
    every neuron 1e-3 from its kink.  To build an ``nn.MLP`` use ``nn.MLP``.

    >>> from hypothesis import given
    >>> @given(mlps())
    ... def test_mlp_gradients(f):
    ...     assert_gradients_match(f, f.params, reference=f.reference)
    >>> test_mlp_gradients()   # passes: every generated loss's gradient matches finite differences
    """
    sizes = [draw(st.integers(1, max_inputs))]
    sizes += [draw(st.integers(1, max_width)) for _ in range(draw(st.integers(1, max_layers)))]
    sizes.append(1)
    n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    weights = st.floats(-1.0, 1.0, allow_nan=False)
    mlp = MLPLoss(tuple(sizes), draw(st.sampled_from(list(activations))),
              tuple(draw(st.floats(-2.0, 2.0, allow_nan=False)) for _ in range(sizes[0])),
              tuple(draw(weights) for _ in range(n_params)))
    if mlp.activation in ("relu", "leaky_relu", "abs"):
        assume(all(abs(z) > _MARGIN for z in mlp.preactivations()))
    return mlp


def assert_gradients_match(f: Callable[..., Any], inputs: Sequence[float], *, reference: Callable | None = None,
                           order: int = 1, complex_step: bool = False, eps: float = 1e-6, atol: float = 1e-5,
                           rtol: float = 1e-3) -> None:
    """Assert that backward() of ``f(*values)`` matches finite differences (and more, on request).

    ``reference``: a float function to difference instead of f (e.g. your
    math formula); ``order=2`` also checks second derivatives;
    ``complex_step=True`` also checks against the complex step at ~1e-12.
    Raises GradcheckError (an AssertionError) naming the failing inputs.

    >>> assert_gradients_match(lambda x, y: (x * y).sin(), [0.5, 2.0], order=2, complex_step=True)
    """
    xs = [float(x) for x in inputs]
    if reference is None:
        gradcheck(f, xs, eps=eps, atol=atol, rtol=rtol)
    else:
        compare_gradients("assert_gradients_match", f, xs, [f"input {i}" for i in range(len(xs))],
                 backward_grads(f, xs), float_differences(reference, xs, eps), atol, rtol, True)
    if order >= 2:
        gradgradcheck(f, xs, eps=eps, atol=atol, rtol=rtol)
    if complex_step:
        complex_step_check(f, xs)

