"""autograd_lite.nn: micrograd's layout, seeding, state dicts, train/eval and dropout."""

import json
import math
import random
import subprocess
import sys

import pytest

from autograd_lite import Value
from autograd_lite.nn import MLP, Dropout, Layer, Module, Neuron, StateDictError

# -- micrograd's layout -----------------------------------------------------------

def test_micrograd_parameter_count_and_order():
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    assert len(params) == 337  # 16*(2+1) + 16*(16+1) + 1*(16+1)
    # layer by layer, neuron by neuron, weights then bias
    expected = []
    for layer in model.layers:
        for n in layer.neurons:
            expected += n.w + [n.b]
    assert all(a is b for a, b in zip(params, expected)) and len(params) == len(expected)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
                         "layers.0.neurons.1.w.0"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert dict(model.named_parameters())["layers.0.neurons.3.w.1"] is model.layers[0].neurons[3].w[1]


def test_hidden_layers_use_activation_last_is_linear():
    model = MLP(3, [4, 5, 2], activation="tanh", seed=1)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    out = model([0.1, 0.2, 0.3])
    assert isinstance(out, list) and len(out) == 2 and all(o.op == "dot" for o in out)
    assert MLP(3, [1], output_activation="sigmoid", seed=1)([1, 2, 3]).op == "sigmoid"


def test_one_output_is_a_value_and_one_neuron_hidden_layer_works():
    model = MLP(2, [16, 1, 1], seed=3)  # crashes micrograd: its layer returns a bare Value
    y = model([0.5, -1.5])
    assert type(y) is Value
    y.backward()
    assert any(p.grad != 0.0 for p in model.parameters()) or model.layers[1](model.layers[0]([0.5, -1.5])).data <= 0


def test_micrograd_nonlin_keyword():
    assert Neuron(3, nonlin=False).activation == "linear"
    assert Neuron(3, nonlin=True).activation == "relu"
    assert Neuron(3).nonlin is True
    assert Layer(3, 2, nonlin=False).activation == "linear"


def test_neuron_is_one_dot_node_bias_first():
    n = Neuron(3, activation="linear", seed=5)
    x = [Value(1.0), 2.0, Value(-3.0)]
    y = n(x)
    assert y.op == "dot"
    # by hand: bias first, then w_i * x_i left to right
    expected = n.b.data
    for w, xi in zip(n.w, [1.0, 2.0, -3.0]):
        expected += w.data * xi
    assert y.data == expected
    y.backward()
    assert [w.grad for w in n.w] == [1.0, 2.0, -3.0]
    assert n.b.grad == 1.0
    assert x[0].grad == n.w[0].data and x[2].grad == n.w[2].data  # gradients reach Value inputs


@pytest.mark.parametrize("activation,f", [
    ("relu", lambda z: max(z, 0.0)), ("tanh", math.tanh), ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
    ("leaky_relu", lambda z: z if z > 0 else 0.01 * z), ("linear", lambda z: z),
])
def test_activations_by_hand(activation, f):
    n = Neuron(2, activation, seed=2)
    for x in ([1.0, 2.0], [-1.0, -2.0]):
        z = n.b.data + n.w[0].data * x[0] + n.w[1].data * x[1]
        assert n(x).data == pytest.approx(f(z), rel=1e-15, abs=1e-300)


def test_wrong_input_length():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        model(1.0)
    with pytest.raises(ValueError, match="expected 1 input, got 2"):
        Neuron(1)([1.0, 2.0])
    assert Neuron(1, seed=0)(2.0).op == "relu"  # a lone number is one input


@pytest.mark.parametrize("module, owner", [(MLP(2, [3, 1], seed=0), "MLP"), (Layer(2, 3, seed=0), "Layer"),
                                           (Neuron(2, seed=0), "Neuron")])
def test_a_bad_input_is_named_by_its_position_not_by_dot(module, owner):
    with pytest.raises(TypeError, match=f"^{owner} input 0: expects a real number or a Value, got str$"):
        module(["a", "b"])
    with pytest.raises(TypeError, match=f"^{owner} input 1: expects a real number or a Value, got NoneType$"):
        module([Value(1.0), None])
    with pytest.raises(TypeError, match=f"^{owner} input 0: .* got list; pass one sample at a time"):
        module([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("bad", [
    lambda: MLP(2, []), lambda: MLP(0, [1]), lambda: MLP(2, [3, 0]),
    lambda: Neuron(2, activation="gelu"), lambda: Neuron(2, init="orthogonal"),
])
def test_bad_construction_arguments(bad):
    with pytest.raises(ValueError):
        bad()


def test_a_layer_size_of_the_wrong_type_is_a_type_error():
    # a ValueError before the one validation policy of issue #11: a wrong type is a TypeError
    with pytest.raises(TypeError):
        MLP(2, [1.5])


def test_micrograd_as_oracle():
    """Same seed, same draws: our MLP equals micrograd's; outputs bit for bit, gradients to rounding."""
    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd not installed (pip install micrograd==0.1.0)")
    state = random.getstate()
    try:
        random.seed(1337)
        theirs = mg_nn.MLP(2, [16, 16, 1])
    finally:
        random.setstate(state)
    ours = MLP(2, [16, 16, 1], seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.3, -1.2], [2.0, 0.5]):
        a, b = ours(x), theirs(x)
        a.backward()
        b.backward()
        assert a.data == b.data
    # micrograd adds a node's gradient contributions in another order: equal to the last bits
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-13, abs=1e-300)


# -- initialization and seeds -------------------------------------------------------

def test_seed_reproducible_and_global_random_untouched():
    state = random.getstate()
    a = MLP(3, [4, 2], seed=42).state_dict()
    b = MLP(3, [4, 2], seed=42).state_dict()
    assert random.getstate() == state
    assert a == b
    assert MLP(3, [4, 2], seed=43).state_dict() != a
    rng1, rng2 = random.Random(7), random.Random(7)
    assert MLP(3, [4, 2], rng=rng1).state_dict() == MLP(3, [4, 2], rng=rng2).state_dict()
    with pytest.raises(ValueError, match="seed= or rng="):
        MLP(3, [4, 2], seed=1, rng=random.Random(1))


def test_seed_reproducible_across_processes():
    code = ("import json; from autograd_lite.nn import MLP; "
            "print(json.dumps(MLP(2, [5, 1], init='xavier', seed=9).state_dict()))")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(h)}).stdout for h in (1, 2)]
    assert outs[0] == outs[1]
    assert json.loads(outs[0]) == MLP(2, [5, 1], init="xavier", seed=9).state_dict()


def test_init_schemes_scale():
    nin, nout = 50, 40
    def weights(init):
        return [w.data for n in Layer(nin, nout, init=init, seed=0).neurons for w in n.w]
    u = weights("uniform")
    assert max(map(abs, u)) <= 1.0 and max(map(abs, u)) > 0.99
    a = math.sqrt(6 / (nin + nout))
    x = weights("xavier")
    assert max(map(abs, x)) <= a and max(map(abs, x)) > 0.98 * a
    k = weights("he")  # kaiming_normal: std sqrt(2/fan_in)
    std = math.sqrt(sum(v * v for v in k) / len(k))
    assert std == pytest.approx(math.sqrt(2 / nin), rel=0.05)
    ku = weights("kaiming_uniform")
    assert max(map(abs, ku)) <= math.sqrt(6 / nin)
    xn = weights("xavier_normal")
    assert math.sqrt(sum(v * v for v in xn) / len(xn)) == pytest.approx(math.sqrt(2 / (nin + nout)), rel=0.05)
    assert all(n.b.data == 0.0 for n in Layer(nin, nout, init="he", seed=0).neurons)


# -- state dicts -------------------------------------------------------------------

def test_state_dict_round_trip_through_json():
    a, b = MLP(2, [4, 3, 1], seed=1), MLP(2, [4, 3, 1], seed=2)
    state = json.loads(json.dumps(a.state_dict()))
    assert all(type(v) is float for v in state.values())
    assert b.load_state_dict(state) == ([], [])
    assert b.state_dict() == a.state_dict()
    assert b([0.7, -0.2]).data == a([0.7, -0.2]).data


def test_strict_loading_reports_missing_and_unexpected_keys():
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    del state["layers.0.neurons.1.b"]
    state["layers.0.neurons.1.c"] = 1.0
    before = model.state_dict()
    with pytest.raises(StateDictError) as err:
        model.load_state_dict(state)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "layers.0.neurons.1.b"' in msg
    assert 'Unexpected key(s) in state_dict: "layers.0.neurons.1.c"' in msg
    assert isinstance(err.value, RuntimeError) and isinstance(err.value, ValueError)
    assert model.state_dict() == before  # nothing loaded

    state["layers.0.neurons.0.w.0"] = 123.0
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["layers.0.neurons.1.b"]
    assert result.unexpected_keys == ["layers.0.neurons.1.c"]
    assert model.layers[0].neurons[0].w[0].data == 123.0


def test_architecture_mismatch_is_a_named_size_mismatch():
    with pytest.raises(StateDictError, match=r"size mismatch for layers\.0\.neurons\.0\.w: .*shape \(3,\) "
                                             r"from checkpoint, the shape in current model is \(2,\)"):
        MLP(2, [4, 1]).load_state_dict(MLP(3, [4, 1]).state_dict())
    with pytest.raises(StateDictError, match=r"size mismatch for layers\.0\.neurons"):
        MLP(2, [4, 1]).load_state_dict(MLP(2, [5, 1]).state_dict(), strict=False)
    with pytest.raises(StateDictError, match=r"size mismatch for layers:"):
        MLP(2, [4, 1]).load_state_dict(MLP(2, [4, 4, 1]).state_dict())


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.5", True, None, [1.0]])
def test_load_rejects_bad_values(bad):
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    state = dict(before)
    state["layers.0.neurons.0.b"] = bad
    with pytest.raises(StateDictError, match=r'"layers\.0\.neurons\.0\.b"'):
        model.load_state_dict(state)
    assert model.state_dict() == before
    with pytest.raises(TypeError):
        model.load_state_dict([("b", 1.0)])


def test_shared_parameter_listed_once():
    class Tied(Module):
        def __init__(self):
            self.a = Neuron(2, seed=0)
            self.b = self.a  # same module twice
            self.extra = [self.a.w[0]]
    assert len(Tied().parameters()) == 3


# -- modes, zero_grad, dropout, repr ---------------------------------------------------

def test_zero_grad_and_modes():
    model = MLP(2, [3, 1], dropout=0.5, seed=0)
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert model.dropout in model.modules()


def test_dropout_only_in_train_mode():
    plain = MLP(4, [64, 1], seed=3)
    dropped = MLP(4, [64, 1], dropout=0.5, seed=3)
    assert dropped.state_dict() == plain.state_dict()  # the mask generator doesn't shift the weights
    x = [0.5, -0.25, 1.0, 2.0]
    dropped.eval()
    assert dropped(x).data == plain(x).data
    dropped.train()
    outs = {dropped(x).data for _ in range(5)}
    assert len(outs) > 1 and plain(x).data not in outs


def test_dropout_masks_and_scales():
    d = Dropout(0.25, seed=11)
    xs = [Value(1.0) for _ in range(4000)]
    ys = d(xs)
    kept = [y for y in ys if isinstance(y, Value)]
    assert all(y.data == 1.0 / 0.75 for y in kept)
    assert all(y == 0.0 for y in ys if not isinstance(y, Value))
    assert len(kept) / len(xs) == pytest.approx(0.75, abs=0.03)
    # seeded: the same masks again
    again = Dropout(0.25, seed=11)(xs)
    assert [isinstance(y, Value) for y in again] == [isinstance(y, Value) for y in ys]
    for p in (-0.1, 1.0, math.nan):
        with pytest.raises(ValueError, match="dropout probability"):
            Dropout(p)
    with pytest.raises(TypeError, match="dropout probability"):  # a ValueError before issue #11's policy
        Dropout("0.5")


def test_repr():
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], activation='relu', output_activation='linear')"
    assert repr(Layer(2, 3, "tanh")) == "Layer(2, 3, activation='tanh')"
    assert repr(Neuron(2, nonlin=False)) == "Neuron(2, activation='linear')"
    assert "dropout=0.1" in repr(MLP(2, [2, 1], dropout=0.1))
