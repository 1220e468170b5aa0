"""Moving to PyTorch and back: ``to_torch(mlp)`` and ``from_torch(sequential)``.

When a scalar engine is outgrown (GPUs, batches, big data), ``to_torch`` turns a
trained ``MLP`` into an equivalent ``torch.nn.Sequential`` of ``Linear`` layers
and activation modules in float64: row i of a Linear's weight is neuron i's
``w``, and its bias the neuron's ``b``.  ``from_torch`` goes back.  torch is
imported only inside these functions, so ``import autograd_lite`` never needs it.
(The examples are not doctests, because torch is optional; tests/test_interop_torch.py runs them.)

    seq = to_torch(MLP(2, [16, 16, 1], seed=0))
    seq(torch.tensor([0.5, -1.0], dtype=torch.float64))   # tensor([...]), as model([0.5, -1.0]).data
"""

from __future__ import annotations

from typing import Any

from autograd_lite.nn import MLP

__all__ = ["to_torch", "from_torch"]

# our activation name -> torch.nn module name (linear: no module)
_TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("autograd_lite.interop needs PyTorch, which is optional: "
                          "pip install torch (or `make torch` in a checkout)") from None
    return torch


def to_torch(model: MLP) -> Any:
    """An equivalent ``torch.nn.Sequential`` (float64) with a copy of ``model``'s weights.

    Outputs agree to ~1e-15; a dropout MLP gets ``torch.nn.Dropout`` after each
    hidden layer.  The torch model has shape ``(nout,)`` outputs where ours
    returns a Value for one output.

    Example::

        seq = to_torch(MLP(2, [16, 16, 1], seed=0)); seq
        Sequential(
          (0): Linear(in_features=2, out_features=16, bias=True)
          (1): ReLU()
          ...
    """
    torch = _torch()
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch expects an autograd_lite.nn.MLP, got {type(model).__name__}")
    modules = []
    last = len(model.layers) - 1
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[layer.activation])())
        if model.dropout is not None and i != last:
            modules.append(torch.nn.Dropout(model.dropout.p))
    seq = torch.nn.Sequential(*modules)
    seq.train(model.training)
    return seq


def from_torch(seq: Any, *, seed: int | None = None) -> MLP:
    """An ``MLP`` with the weights of a ``torch.nn.Sequential`` of Linear layers and activations.

    Accepts what ``to_torch`` makes: Linear layers, each optionally followed by
    ReLU, Tanh, Sigmoid or LeakyReLU(0.01) (the same activation on every hidden
    layer), and Dropout with one p.  Anything else raises ValueError naming
    the module.  ``seed`` seeds the dropout masks.

    Example::

        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)))
        MLP(2, [3, 1], activation='tanh', output_activation='linear')
    """
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch expects a torch.nn.Sequential, got {type(seq).__name__}")
    names = {v: k for k, v in _TORCH_ACTIVATIONS.items()}
    linears: list = []
    activations: list[str] = []
    dropouts: set[float] = set()
    for index, m in enumerate(seq):
        kind = type(m).__name__
        if isinstance(m, torch.nn.Linear):
            linears.append(m)
            activations.append("linear")
        elif kind in names and type(m) is getattr(torch.nn, kind) and linears and activations[-1] == "linear":
            if kind == "LeakyReLU" and m.negative_slope != 0.01:
                raise ValueError(f"from_torch: module {index} is LeakyReLU({m.negative_slope}); "
                                 f"only the default slope 0.01 is supported")
            activations[-1] = names[kind]
        elif isinstance(m, torch.nn.Dropout) and linears:
            dropouts.add(float(m.p))
        else:
            raise ValueError(f"from_torch: unsupported module {index} ({m!r}); expected Linear layers, "
                             f"each followed by at most one of {', '.join(names)}")
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        raise ValueError(f"from_torch: hidden layers use different activations {activations[:-1]}; "
                         f"an MLP uses one activation for all hidden layers")
    if len(dropouts) > 1:
        raise ValueError(f"from_torch: several dropout probabilities {sorted(dropouts)}; an MLP uses one")
    for index, m in enumerate(linears):
        if m.weight.is_complex() or (m.bias is not None and m.bias.is_complex()):
            raise ValueError(f"from_torch: Linear layer {index} has complex weights ({m.weight.dtype}); "
                             f"an MLP holds real numbers, and dropping the imaginary part would change it")
    for a, b in zip(linears, linears[1:]):
        if a.out_features != b.in_features:
            raise ValueError(f"from_torch: a Linear with {a.out_features} outputs feeds one with "
                             f"{b.in_features} inputs")
    model = MLP(linears[0].in_features, [m.out_features for m in linears],
                activation=hidden.pop() if hidden else "relu", output_activation=activations[-1],
                dropout=dropouts.pop() if dropouts else 0.0, seed=seed)
    for layer, linear in zip(model.layers, linears):
        weight = linear.weight.detach().double().tolist()
        bias = linear.bias.detach().double().tolist() if linear.bias is not None else [0.0] * layer.nout
        for n, row, b in zip(layer.neurons, weight, bias):
            for w, x in zip(n.w, row):
                w.data = x
            n.b.data = b
    model.train(seq.training)
    return model
