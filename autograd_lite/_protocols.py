"""What a Value speaks besides its arithmetic: the idioms users bring from elsewhere.

``Value`` inherits these from ``ValueProtocols`` so that ``engine.py`` keeps to
values and derivatives:

- micrograd's names (``_prev``, ``_op``, ``_backward``), so code written for
  micrograd and its lecture runs as is;
- the repr, PyTorch's scalar idioms (``item()``, ``detach()``,
  ``f"{loss:.4f}"``) and clear errors for ``float(v)``, ``int(v)`` and
  ``round(v)``, which would drop the gradient;
- comparisons by value (``==`` and ``hash`` stay by identity);
- copy, deepcopy and pickle at any depth.

Nothing here reads how a node is stored: it uses the engine's public face
(``node_info``, ``reverse_topological``, ``parents``) and Python's own view of
an object's slots.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

from autograd_lite import engine  # a cycle on purpose: engine imports this module first, to define Value
from autograd_lite._validate import number_operand

if TYPE_CHECKING:
    from autograd_lite.engine import Value

__all__ = ["ValueProtocols"]

# micrograd's symbols for the ops it has; the rest keep their names (div and sub are
# single nodes here, where micrograd builds them from * and **-1, or + and neg).
_MICROGRAD_OPS = {"add": "+", "sub": "-", "rsub": "-", "mul": "*", "div": "/", "rdiv": "/", "pow": "**",
                  "rpow": "**", "neg": "-", "relu": "ReLU"}


class ValueProtocols:
    """The base of ``Value``: everything here is built on the engine's public face."""

    __slots__ = ()

    # For the type checker: Value's slots and property (Value is this class's one
    # subclass, so the casts of self to Value below hold).
    if TYPE_CHECKING:
        data: float
        grad: float
        label: str
        op: str

        @property
        def parents(self) -> tuple[Value, ...]: ...

    # numpy scalars on the left (np.float64(2) * v) defer to our reflected ops.
    __array_ufunc__ = None

    # -- micrograd's names: code written for micrograd and its lecture runs as is --

    @property
    def _prev(self) -> set[Value]:
        """micrograd's parents: a set (``a * a`` has one; ``parents`` keeps both, in order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op as micrograd draws it: "+", "*", "**2", "ReLU", "tanh"...; "" for a leaf."""
        info = engine.node_info(cast("Value", self))
        if info.op == "pow" and len(info.parents) == 1:  # a number exponent is part of the symbol
            c = cast(float, info.operands[1])
            return f"**{int(c) if c.is_integer() else c}"
        return _MICROGRAD_OPS.get(info.op, info.op)

    def _backward(self) -> None:
        """One node's step of the chain rule: add ``grad * local derivative`` to each parent's ``grad``.

        micrograd's lecture runs these by hand, root first; in reverse topological
        order they add exactly what ``backward()`` adds.  A leaf does nothing.
        """
        from autograd_lite.functional import stops_gradient  # here: functional imports the engine, which imports this

        info = engine.node_info(cast("Value", self))
        if stops_gradient(info):  # a dead relu passes nothing on, as in backward()
            return
        g = self.grad
        for p, d in zip(info.parents, info.local_grads):
            p.grad += g * d

    # -- the repr and PyTorch's scalar idioms ---------------------------------------

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        extra += f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def item(self) -> float:
        """The value as a plain float, as ``tensor.item()`` (the same as ``data``)."""
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients stop here."""
        return engine.Value(self.data, self.label)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats ``data``; an empty spec gives the repr, as ``str(v)``."""
        return format(self.data, spec) if spec else repr(self)

    # float(v), math.exp(v), int(v) and round(v) would hand back a plain number and
    # silently drop the gradient, so they stay errors; these say why and what to write.

    def __float__(self) -> float:
        raise _plain_number_error("float() and the math module")

    def __int__(self) -> int:
        raise _plain_number_error("int()")

    def __round__(self, ndigits: int | None = None) -> float:
        raise _plain_number_error("round()")

    # -- comparisons: by value, returning bool.  == and hash stay by identity, --
    # -- so Values can be kept in sets and dicts (as PyTorch tensors can).      --

    def __lt__(self, other: Value | float) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.data < o

    def __le__(self, other: Value | float) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.data <= o

    def __gt__(self, other: Value | float) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.data > o

    def __ge__(self, other: Value | float) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.data >= o

    __hash__ = object.__hash__

    def _compared(self, other: Any) -> float | None:
        return other.data if type(other) is type(self) else number_operand(other, "comparison")

    # -- copy, deepcopy and pickle at any depth -----------------------------------
    # By default pickle and deepcopy recurse into a node's parents, so a chain a
    # few hundred ops deep overflows the stack.  Instead, a node hands over, ahead
    # of itself, every node it depends on, parents first: each of those finds its
    # own parents already copied and needs no recursion.  A node's state is what
    # Python's default reduction reports for its slots; this module never names them.

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        state = _slot_state(self)
        pending = _copying.pending
        if id(self) in pending:  # in an ancestor list being copied: parents come earlier in it
            pending.discard(id(self))
            return (_new_value, (type(self),), state)
        ancestors = engine.reverse_topological(cast("Value", self))
        ancestors.reverse()
        ancestors.pop()  # self
        # ids, not nodes: an abandoned copy must not keep a graph alive.  Ancestors the
        # copy already holds are never handed over, so _Handed, copied right after the
        # list, drops their ids: a later copy must not mistake its root for one of them.
        _copying.pending = {id(node) for node in ancestors}
        return (_new_value, (type(self), ancestors, _Handed()), state)

    def __copy__(self) -> ValueProtocols:
        """A node with the same data, grad, label and parents (the parents are shared)."""
        out = object.__new__(type(self))
        for name, value in _slot_state(self)[1].items():
            setattr(out, name, value)
        return out


def _slot_state(v: object) -> Any:
    """``(None, {slot: value})``: the state Python's default reduction gives a slotted object."""
    return object.__reduce_ex__(v, 2)[2]


class _Copying(threading.local):
    def __init__(self) -> None:
        self.pending: set[int] = set()  # ids of the nodes a copy in progress hands over ahead of a node


_copying = _Copying()


def _new_value(cls: type[Value], ancestors: list[Value] | None = None, handed: None = None) -> Value:
    """pickle's and deepcopy's constructor (the ancestors are already rebuilt by then)."""
    return object.__new__(cls)


class _Handed:
    """Copied (or pickled) right after a node's ancestors: ends the handover by clearing the pending ids."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        _copying.pending.clear()
        return (_nothing, ())


def _nothing() -> None:
    return None


def _plain_number_error(what: str) -> TypeError:
    return TypeError(
        f"a Value cannot become a plain number here: {what} would drop its gradient without a word. "
        "Use the Value's own op (v.exp(), v.tanh(), or autograd_lite.exp(v)) to stay in the graph, "
        "and v.item() or v.data when you want the number itself (round(v.item(), 2))")
