"""Neural-network building blocks with PyTorch's vocabulary and micrograd's layout.

``MLP(2, [16, 16, 1])`` is micrograd's model: the same attributes (``layers``,
``neurons``, ``w``, ``b``), the same 337 parameters in the same order (layer by
layer, neuron by neuron, weights then bias), the same uniform(-1, 1) weights
and zero biases, drawn in micrograd's order.  Without ``seed=`` they come from
Python's global ``random``, as in micrograd, so ``random.seed(1337)`` followed by
``MLP(2, [16, 16, 1])`` is micrograd's model weight for weight; with ``seed=``
they come from a private ``random.Random(seed)`` (the global state is left
alone), and ``MLP(2, [16, 16, 1], seed=1337)`` is that same model.

A neuron's ``w·x + b`` is one ``autograd_lite.dot`` node, not 2n chained
adds and muls: that single node is most of why a training step is fast.

>>> from autograd_lite.nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> len(model.parameters())
337
>>> model([1.0, -2.0])
Value(data=..., grad=0.0, op=...)
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

from autograd_lite._validate import count, flag, fraction, one_of, to_float
from autograd_lite.engine import Value
from autograd_lite.nary import dot

__all__ = ["Module", "Neuron", "Layer", "MLP", "Dropout", "StateDictError", "ACTIVATIONS", "INITS"]

# activation name -> the function applied to a neuron's w·x + b
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope 0.01, PyTorch's default
    "linear": None,
}

# Initialization schemes (names from torch.nn.init), and the aliases learners use.
INITS = ("uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
_INIT_ALIASES = {"xavier": "xavier_uniform", "glorot": "xavier_uniform",
                 "kaiming": "kaiming_normal", "he": "kaiming_normal"}


class StateDictError(RuntimeError, ValueError):
    """A state dict that does not fit the model: missing/unexpected keys, a size mismatch, a bad value.

    A RuntimeError like PyTorch's, and a ValueError like our other input errors.
    """


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped, as PyTorch returns it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: parameters are found by walking attributes, as PyTorch does.

    Attributes that are Values are parameters, attributes that are Modules are
    submodules, and lists or tuples of either are walked with their index as
    the name (``layers.0.neurons.3.w.1``).  Subclasses write ``forward``;
    calling the module calls it.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.a = Value(2.0)
    ...         self.b = Value(1.0)
    ...     def forward(self, x):
    ...         return self.a * x + self.b
    >>> m = Affine()
    >>> m(3.0).data, [name for name, _ in m.named_parameters()]
    (7.0, ['a', 'b'])
    """

    training: bool = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # -- walking the module tree (iteratively, in attribute order) --------------

    def _walk(self) -> Iterator[tuple[str, Any]]:
        """Every (dotted name, Value or Module) under self, depth first, in definition order."""
        stack: list[tuple[str, Any]] = [("", self)]
        while stack:
            prefix, obj = stack.pop()
            if isinstance(obj, Module):
                if obj is not self:
                    yield prefix, obj
                children = [(k, v) for k, v in vars(obj).items() if not k.startswith("_")]
            elif isinstance(obj, (list, tuple)):
                children = [(str(i), v) for i, v in enumerate(obj)]
            else:  # a Value
                yield prefix, obj
                continue
            # reversed, so the stack pops them in their natural order
            for key, value in reversed(children):
                if type(value) is Value or isinstance(value, (Module, list, tuple)):
                    stack.append((f"{prefix}.{key}" if prefix else key, value))

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, each once, in definition order.

        >>> [n for n, _ in Neuron(2).named_parameters()]
        ['w.0', 'w.1', 'b']
        """
        seen: set[Value] = set()
        out = []
        for name, obj in self._walk():
            if type(obj) is Value and obj not in seen:  # a shared parameter is listed once, as PyTorch
                seen.add(obj)
                out.append((name, obj))
        return out

    def parameters(self) -> list[Value]:
        """Every parameter Value, in micrograd's order: layer by layer, neuron by neuron, weights then bias."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> list[Module]:
        """self and every submodule, in definition order."""
        return [self] + [m for _, m in self._walk() if isinstance(m, Module)]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (call it before each ``backward``)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Switch self and all submodules to training mode (dropout active); returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (dropout off); returns self.  Same as ``train(False)``."""
        return self.train(False)

    # -- state dicts ----------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """{dotted name: float} for every parameter: plain data, ready for ``json`` or ``autograd_lite.save``.

        >>> Neuron(2, seed=0).state_dict()
        {'w.0': ..., 'w.1': ..., 'b': 0.0}
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: dict[str, float], strict: bool = True) -> IncompatibleKeys:
        """Copy the floats of ``state_dict`` into the parameters with the same names.

        With ``strict=True`` (the default) the keys must match exactly; otherwise
        the missing and unexpected keys are returned and the rest is loaded.
        A different architecture is reported as a size mismatch naming the
        list that differs.  Nothing is changed unless the whole load succeeds.

        >>> a, b = Neuron(2, seed=1), Neuron(2, seed=2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> b.w[0].data == a.w[0].data
        True
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
        flag(strict, "load_state_dict: strict")
        name = type(self).__name__
        params = dict(self.named_parameters())
        for key in state_dict:
            if not isinstance(key, str):
                raise StateDictError(f"Error(s) in loading state_dict for {name}: keys must be str, got {key!r}")
        # A different architecture is named as a size mismatch; strict=False loads
        # a subset (as PyTorch does), so there a shorter list is only missing keys.
        mismatches = _size_mismatches(params, state_dict, only_larger=not strict)
        if mismatches:
            raise StateDictError(f"Error(s) in loading state_dict for {name}:\n\t" + "\n\t".join(mismatches))
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        if strict and (missing or unexpected):
            lines = []
            if missing:
                lines.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                lines.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            raise StateDictError(f"Error(s) in loading state_dict for {name}:\n\t" + "\n\t".join(lines))
        values = {}
        for key in params:
            if key in state_dict:
                values[key] = _checked_float(state_dict[key], key, name)
        for key, v in values.items():  # all checked: now copy
            params[key].data = v
        return IncompatibleKeys(missing, unexpected)

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.named_parameters())


def _checked_float(v: Any, key: str, owner: str) -> float:
    # bool is an int in Python, but True as a weight is surely a mistake
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise StateDictError(f"Error(s) in loading state_dict for {owner}: "
                             f'"{key}" must be a float, got {type(v).__name__}')
    v = float(v)
    if not math.isfinite(v):
        raise StateDictError(f"Error(s) in loading state_dict for {owner}: \"{key}\" is {v}, not a finite float")
    return v


def _list_sizes(keys) -> dict[str, int]:
    """For each list in the names ('layers', 'layers.0.neurons', ...), how many items it has."""
    sizes: dict[str, int] = {}
    for key in keys:
        parts = key.split(".")
        for i, part in enumerate(parts):
            if part.isdigit():
                prefix = ".".join(parts[:i])
                sizes[prefix] = max(sizes.get(prefix, 0), int(part) + 1)
    return sizes


def _size_mismatches(params: dict, state: dict, only_larger: bool = False) -> list[str]:
    mine, theirs = _list_sizes(params), _list_sizes(state)
    out = []
    for prefix, n in mine.items():
        m = theirs.get(prefix)
        if m is not None and (m > n if only_larger else m != n):
            what = prefix or "the model"
            out.append(f"size mismatch for {what}: copying a param with shape ({m},) from checkpoint, "
                       f"the shape in current model is ({n},).")
    return out


class RandomSource(Protocol):
    """What a module draws from: a ``random.Random``, or the ``random`` module itself."""

    def uniform(self, a: float, b: float) -> float: ...
    def gauss(self, mu: float, sigma: float) -> float: ...  # no defaults: random.Random.gauss has none before 3.11
    def random(self) -> float: ...


def _resolve_rng(seed: int | None, rng: RandomSource | None) -> RandomSource:
    """The generator a module draws from.

    No ``seed=`` and no ``rng=``: Python's global ``random``, as micrograd (and as
    ``torch.manual_seed`` seeds PyTorch's layers), so ``random.seed(1337)`` before
    ``MLP(2, [16, 16, 1])`` gives micrograd's exact weights.  ``seed=`` gives a
    private ``random.Random(seed)`` that leaves the global state alone.
    """
    if seed is not None and rng is not None:
        raise ValueError("pass seed= or rng=, not both")
    if rng is not None:
        if rng is not random and not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random (or the random module), got {type(rng).__name__}")
        return rng
    if seed is None:
        return random
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return random.Random(seed)


def _activation_from(activation: str | bool, nonlin: bool | None) -> str:
    """The activation name, from ours or from micrograd's ``nonlin`` (a keyword, or a bool in its place)."""
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise TypeError(f"nonlin must be a bool, got {type(nonlin).__name__}")
        activation = nonlin
    if isinstance(activation, bool):
        return "relu" if activation else "linear"
    return _check_activation(activation)


def _check_activation(activation: str) -> str:
    return one_of(activation, "activation", ACTIVATIONS)


def _check_init(init: str) -> str:
    init = one_of(init, "init", INITS + tuple(_INIT_ALIASES))
    return _INIT_ALIASES.get(init, init)


def _draw(rng: RandomSource, init: str, fan_in: int, fan_out: int) -> float:
    # torch.nn.init's formulas with gain 1 (Xavier) and sqrt(2) (Kaiming, for ReLU)
    if init == "uniform":
        return rng.uniform(-1, 1)  # micrograd's; same call, so same numbers for the same seed
    if init == "xavier_uniform":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a)
    if init == "xavier_normal":
        return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))
    if init == "kaiming_uniform":
        a = math.sqrt(6.0 / fan_in)
        return rng.uniform(-a, a)
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))  # kaiming_normal


def _inputs(x: Any, nin: int) -> Sequence:
    """x as a sequence of nin inputs (floats or Values); a lone number or Value is one input."""
    if type(x) is Value or isinstance(x, (int, float)):
        x = (x,)
    elif not hasattr(x, "__len__"):
        x = list(x)
    if len(x) != nin:
        raise ValueError(f"expected {nin} input{'s' if nin != 1 else ''}, got {len(x)}")
    return x


def _raise_if_bad_input(owner: str, x: Any) -> None:
    """After a TypeError in a forward pass: raise one naming the bad input, if there is one.

    Called only when the forward pass has failed, so checking costs nothing on
    the way through; without it the message would name dot(), which the user never called.
    """
    xs = (x,) if type(x) is Value or isinstance(x, (int, float)) else x
    try:
        items = list(enumerate(xs))
    except TypeError:
        return
    for i, xi in items:
        if type(xi) is Value:
            continue
        try:
            to_float(xi, "")
        except TypeError:
            hint = "; pass one sample at a time: [model(x) for x in X]" if isinstance(xi, (list, tuple)) else ""
            raise TypeError(f"{owner} input {i}: expects a real number or a Value, got {type(xi).__name__}"
                            f"{hint}") from None


class Neuron(Module):
    """One neuron: ``activation(w·x + b)``, with ``w`` a list of ``nin`` Values and ``b`` a Value.

    ``activation`` is "relu" (the default, as micrograd), "tanh", "sigmoid",
    "leaky_relu" or "linear"; micrograd's ``nonlin`` works too, by keyword or in
    its place (``Neuron(2, False)`` is linear, ``True`` is relu).  ``init`` picks
    the weight distribution (see the module docstring); the bias starts at 0.
    ``fan_out`` only matters for Xavier initialization.

    Weights come from Python's global ``random`` unless ``seed=`` (a private
    ``random.Random(seed)``) or ``rng=`` is given, so ``random.seed(1337)``
    reproduces micrograd's weights draw for draw.

    >>> n = Neuron(2, activation="tanh", seed=0)
    >>> y = n([1.0, 2.0]); y.op
    'tanh'
    >>> n([1.0, 2.0, 3.0])
    Traceback (most recent call last):
    ValueError: expected 2 inputs, got 3
    """

    def __init__(self, nin: int, activation: str | bool = "relu", *, nonlin: bool | None = None,
                 init: str = "uniform", seed: int | None = None, rng: RandomSource | None = None,
                 fan_out: int = 1) -> None:
        self.nin = count(nin, "nin")
        self.activation = _activation_from(activation, nonlin)
        self.init = _check_init(init)
        rng = _resolve_rng(seed, rng)
        self.w: list[Value] = [Value(_draw(rng, self.init, nin, fan_out)) for _ in range(nin)]
        self.b: Value = Value(0.0)
        self._act = ACTIVATIONS[self.activation]

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the neuron is linear."""
        return self.activation != "linear"

    def forward(self, x: Any) -> Value:
        try:
            return self._forward(_inputs(x, self.nin))
        except TypeError:
            _raise_if_bad_input("Neuron", x)
            raise

    def _forward(self, xs: Sequence) -> Value:
        act = dot(self.w, xs, self.b)  # one node; bias first in the sum, as micrograd
        f = self._act
        return act if f is None else f(act)

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs.  One output: a Value; several: a list.

    Keyword arguments go to each ``Neuron`` (micrograd's ``nonlin=False`` too); a
    ``seed`` seeds the whole layer, and without one the weights come from the
    global ``random``, neuron by neuron, as micrograd draws them.

    >>> layer = Layer(3, 2, activation="sigmoid", seed=0)
    >>> [round(y.data, 3) for y in layer([0.0, 0.0, 0.0])]
    [0.5, 0.5]
    """

    def __init__(self, nin: int, nout: int, activation: str | bool = "relu", *, nonlin: bool | None = None,
                 init: str = "uniform", seed: int | None = None, rng: RandomSource | None = None) -> None:
        self.nin = count(nin, "nin")
        self.nout = count(nout, "nout")
        activation = _activation_from(activation, nonlin)
        source = _resolve_rng(seed, rng)
        self.neurons: list[Neuron] = [Neuron(nin, activation, init=init, rng=source, fan_out=nout)
                                      for _ in range(nout)]
        self.activation = self.neurons[0].activation

    def forward(self, x: Any) -> Value | list[Value]:
        xs = _inputs(x, self.nin)  # checked once for all neurons
        try:
            out = [n._forward(xs) for n in self.neurons]
        except TypeError:
            _raise_if_bad_input("Layer", xs)
            raise
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class Dropout(Module):
    """Zero each input with probability ``p`` in training mode, scaling the rest by 1/(1-p).

    In evaluation mode (``model.eval()``) it passes inputs through unchanged,
    so predictions need no rescaling (PyTorch's "inverted" dropout).  The
    mask comes from Python's global ``random``, or from ``random.Random(seed)``
    with ``seed=`` (or ``rng=``).

    >>> d = Dropout(0.5, seed=0)
    >>> [y.data if isinstance(y, Value) else y for y in d([Value(1.0)] * 4)]
    [..., ..., ..., ...]
    >>> d.eval()([1.0, 2.0])
    [1.0, 2.0]
    """

    def __init__(self, p: float = 0.5, *, seed: int | None = None, rng: RandomSource | None = None) -> None:
        self.p = fraction(p, "dropout probability p")
        self._rng = _resolve_rng(seed, rng)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        single = type(x) is Value or isinstance(x, (int, float))
        xs = [x] if single else x
        given = _given_masks.stack[-1] if _given_masks.stack else None
        if given is not None:  # fit's compiled step: the mask is an argument of the traced sample
            given.calls.append((self, len(xs)))
            factors = given.factors
            out = [xi * next(factors) for xi in xs]
        else:
            # A dropped input becomes the constant 0.0: no node, no gradient.
            out = [xi * f if f else 0.0 for xi, f in zip(xs, self.mask(len(xs)))]
        return out[0] if single else out

    def mask(self, n: int) -> list[float]:
        """The next mask for n inputs, as ``forward`` draws it: 0.0 drops an input, 1/(1-p) keeps it.

        >>> sorted(set(Dropout(0.5, seed=0).mask(8)))
        [0.0, 2.0]
        """
        scale = 1.0 / (1.0 - self.p)
        rnd = self._rng.random
        p = self.p
        return [0.0 if rnd() < p else scale for _ in range(n)]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class _GivenMasks(threading.local):
    def __init__(self) -> None:  # runs once in each thread that uses it: every thread starts with none
        self.stack: list[given_masks] = []


_given_masks = _GivenMasks()


class given_masks:
    """Internal API (fit's compiled steps): Dropouts take their masks from ``factors`` instead of drawing.

    Inside ``with given_masks(factors) as given:`` every Dropout in training
    mode multiplies its i-th input by the next number (or Value) from
    ``factors``, and ``given.calls`` records each call as (the Dropout, how
    many it took).  A compiled step passes the masks as traced arguments, so
    one program serves every mask; ``Dropout.mask`` draws them as ``forward``
    would.  A factor of 0.0 multiplies rather than drops: the same values and
    gradients (a zero times a finite number), through a graph of the same shape.
    """

    def __init__(self, factors: Iterable[Any]) -> None:
        self.factors = iter(factors)
        self.calls: list[tuple[Dropout, int]] = []

    def __enter__(self) -> given_masks:
        _given_masks.stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _given_masks.stack.pop()


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [hidden..., nout])``.

    Hidden layers use ``activation``; the last uses ``output_activation``
    ("linear" by default, as micrograd).  Weights come from the global ``random``
    unless ``seed=`` or ``rng=`` is given (see the module docstring).  ``dropout=p`` puts a ``Dropout(p)``
    after every hidden layer (in training mode only).  One output gives a
    Value, several a list; a one-neuron hidden layer works too.

    >>> model = MLP(2, [16, 1, 1], seed=0)
    >>> model
    MLP(2, [16, 1, 1], activation='relu', output_activation='linear')
    >>> type(model([0.5, -0.5])).__name__
    'Value'
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", *,
                 output_activation: str = "linear", init: str = "uniform", dropout: float = 0.0,
                 seed: int | None = None, rng: RandomSource | None = None) -> None:
        self.nin = count(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(f"nouts must be a list of layer sizes such as [16, 16, 1], got {nouts!r}")
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size")
        for n in nouts:
            count(n, "every layer size in nouts")
        self.activation = _check_activation(activation)
        self.output_activation = _check_activation(output_activation)
        source = _resolve_rng(seed, rng)
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers: list[Layer] = [
            Layer(sizes[i], sizes[i + 1], activation if i != last else output_activation, init=init, rng=source)
            for i in range(len(nouts))
        ]
        # the mask generator is drawn after the weights, so the weights match micrograd's
        self.dropout = Dropout(dropout, rng=random.Random(source.random())) if dropout else None

    def forward(self, x: Any) -> Value | list[Value]:
        drop = self.dropout if self.dropout is not None and self.training else None
        last = self.layers[-1]
        h = x
        try:
            for layer in self.layers:
                h = layer(h)
                if drop is not None and layer is not last:
                    h = drop(h)
        except TypeError:
            _raise_if_bad_input("MLP", x)
            raise
        return h

    @property
    def sizes(self) -> list[int]:
        """[nin, *nouts]."""
        return [self.nin] + [layer.nout for layer in self.layers]

    def __repr__(self) -> str:
        extra = f", dropout={self.dropout.p}" if self.dropout is not None else ""
        return (f"MLP({self.nin}, {self.sizes[1:]}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}{extra})")
