"""to_torch / from_torch: the same function in both libraries, to 1e-12.

Skipped with a reason when PyTorch is not installed (`make torch` installs it).
"""

import random

import pytest

from autograd_lite import losses, nn
from autograd_lite.interop import from_torch, to_torch

torch = pytest.importorskip("torch", reason="PyTorch not installed: `make torch` enables these cross-checks")


def _inputs(nin, k=5, seed=0):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(k)]


def _out(y):
    return [y.data] if not isinstance(y, list) else [v.data for v in y]


@pytest.mark.parametrize("nin,nouts,kw", [
    (2, [16, 16, 1], {}),
    (3, [5, 4], dict(activation="tanh")),
    (2, [6, 1, 3], dict(activation="sigmoid", output_activation="sigmoid", init="xavier")),
    (4, [7, 2], dict(activation="leaky_relu", init="he")),
])
def test_to_torch_same_outputs(nin, nouts, kw):
    model = nn.MLP(nin, nouts, seed=1, **kw)
    seq = to_torch(model)
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    assert sum(p.numel() for p in seq.parameters()) == len(model.parameters())
    for x in _inputs(nin):
        ours = _out(model(x))
        theirs = seq(torch.tensor(x, dtype=torch.float64)).tolist()
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_round_trip_and_gradients_agree():
    model = nn.MLP(3, [8, 8, 1], activation="tanh", seed=2)
    back = from_torch(to_torch(model))
    assert back.state_dict() == model.state_dict()
    assert repr(back) == repr(model)
    # the gradient of a loss, parameter by parameter, in the torch layout
    X, y = _inputs(3, k=4, seed=3), [1.0, -1.0, 0.5, 0.0]
    losses.mse([model(x) for x in X], y).backward()
    seq = to_torch(model)
    torch.nn.functional.mse_loss(seq(torch.tensor(X, dtype=torch.float64)).squeeze(1),
                                 torch.tensor(y, dtype=torch.float64)).backward()
    theirs = []
    for m in seq:
        if isinstance(m, torch.nn.Linear):
            for row, b in zip(m.weight.grad.tolist(), m.bias.grad.tolist()):
                theirs += row + [b]  # micrograd's order: neuron by neuron, weights then bias
    assert [p.grad for p in model.parameters()] == pytest.approx(theirs, rel=1e-10, abs=1e-14)


def test_from_torch_float32_and_dropout_and_modes():
    seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(4, 1))
    seq.eval()
    model = from_torch(seq)
    assert model.dropout.p == pytest.approx(0.2) and not model.training
    for x in _inputs(2):
        assert model(x).data == pytest.approx(seq(torch.tensor(x)).item(), rel=1e-6)  # float32 torch
    back = to_torch(model)
    assert any(isinstance(m, torch.nn.Dropout) for m in back) and not back.training


@pytest.mark.parametrize("seq,match", [
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU(), torch.nn.Linear(3, 1)), "GELU"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                                 torch.nn.Tanh(), torch.nn.Linear(3, 1)), "different activations"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)), "3 outputs feeds one with 4"),
    (lambda: torch.nn.Sequential(torch.nn.ReLU()), "unsupported module 0"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2)), "slope"),
])
def test_from_torch_rejects_what_an_mlp_cannot_be(seq, match):
    with pytest.raises(ValueError, match=match):
        from_torch(seq())
    with pytest.raises(TypeError):
        to_torch(torch.nn.Linear(2, 1))
