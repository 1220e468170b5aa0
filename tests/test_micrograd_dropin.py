"""Code written for micrograd and its lecture runs on autograd_lite with one import changed.

Each test follows a step a learner takes in the lecture or in micrograd's demo,
written here in our own words against micrograd's names (``_prev``, ``_op``,
``_backward``), and checks it against an oracle that shares no code with us:
the chain rule worked by hand, or micrograd 0.1.0 itself.
"""

import math
import random

import pytest

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.nn import MLP, Dropout, Layer, Neuron


def lecture_neuron():
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), with its numbers and labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


def topological(root):
    """The lecture's build_topo: a node after everything it depends on, walking ``_prev``."""
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


def test_hand_run_backward_on_the_lecture_neuron():
    o, v = lecture_neuron()
    # the lecture's order: root first, then down the graph one node at a time
    o.grad = 1.0
    for name in ("o", "n", "b", "x1w1x2w2", "x1w1", "x2w2", "x1", "w1", "x2", "w2"):
        v[name]._backward()
    # the chain rule by hand: do/dn = 1 - tanh(n)^2, then through + and *
    dn = 1.0 - o.data ** 2
    assert v["n"].grad == dn
    assert v["b"].grad == dn
    assert v["x1"].grad == dn * v["w1"].data and v["w1"].grad == dn * v["x1"].data
    assert v["x2"].grad == dn * v["w2"].data and v["w2"].grad == dn * v["x2"].data
    assert o.data == pytest.approx(math.sqrt(0.5), rel=1e-12)  # b was chosen for this
    # and exactly what backward() gives on the same graph built afresh
    o2, v2 = lecture_neuron()
    o2.backward()
    for name in v:
        assert v[name].grad == v2[name].grad, name


@pytest.mark.parametrize("build", [
    lambda n: n.tanh(),
    lambda n: ((2 * n).exp() - 1) / ((2 * n).exp() + 1),  # the lecture's tanh from exp, - and /
    lambda n: (n * n + n.relu()) ** 2 - 3 / n,
])
def test_reverse_topological_walk_of_backward_steps_equals_backward(build):
    def graph():
        o, v = lecture_neuron()
        return build(v["n"]), v

    root, v = graph()
    root.grad = 1.0
    for node in reversed(topological(root)):
        node._backward()
    root2, v2 = graph()
    root2.backward()
    for name in v:
        # two contributions sum the same in any order; none of these nodes has three
        assert v[name].grad == v2[name].grad, name


def test_leaf_backward_does_nothing_and_prev_is_a_read_only_set():
    a = Value(3.0)
    a.grad = 2.0
    a._backward()
    assert a.grad == 2.0 and a._prev == set()
    square = a * a
    assert square._prev == {a} and square.parents == (a, a)  # micrograd's set; our ordered tuple
    with pytest.raises(AttributeError):
        square._prev = {a}


def test_op_symbols_are_micrograds():
    mg = pytest.importorskip("micrograd.engine", reason="micrograd not installed (pip install micrograd==0.1.0)")
    ours_a, ours_b = Value(2.0), Value(-3.0)
    theirs_a, theirs_b = mg.Value(2.0), mg.Value(-3.0)
    exprs = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a ** 2, lambda a, b: a ** -1,
             lambda a, b: a.relu(), lambda a, b: a + 1, lambda a, b: 3 * a]
    for f in exprs:
        assert f(ours_a, ours_b)._op == f(theirs_a, theirs_b)._op
    assert ours_a._op == theirs_a._op == ""
    # ops micrograd builds from others keep a readable symbol or name here
    assert [(ours_a - ours_b)._op, (1 - ours_a)._op, (ours_a / ours_b)._op, ours_a.tanh()._op,
            ours_a.exp()._op] == ["-", "-", "/", "tanh", "exp"]


def demo_losses(value_cls, mlp_cls, X, y, steps):
    """micrograd's demo.ipynb loop (hinge + 1e-4 L2, lr 1.0 - 0.9*k/100), with the given classes."""
    model = mlp_cls(2, [16, 16, 1])
    out = []
    for k in range(steps):
        inputs = [list(map(value_cls, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        out.append(total.data)
    return out


def test_micrograds_demo_from_the_global_seed_gives_its_losses():
    # micrograd is not bit-reproducible against itself: its backward walks `_prev` sets,
    # whose order follows memory addresses, so a weight's ~100 gradient terms are summed
    # in an order that changes from run to run (two runs in one process differ in the
    # last bit from step 3 on).  Bits are therefore required where micrograd is
    # deterministic, the forward pass at the shared starting weights; after that the
    # trajectories agree to 1e-12.
    mg_engine = pytest.importorskip("micrograd.engine", reason="micrograd not installed")
    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd not installed")
    from autograd_lite.data import make_moons
    X, y = make_moons(100, noise=0.1, seed=1337, labels=(-1, 1))
    state = random.getstate()
    try:
        random.seed(1337)
        theirs = demo_losses(mg_engine.Value, mg_nn.MLP, X, y, steps=5)
        random.seed(1337)
        ours = demo_losses(Value, MLP, X, y, steps=5)
    finally:
        random.setstate(state)
    assert ours[0] == theirs[0]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0)


def test_global_seed_reproduces_weights_and_seed_keeps_its_own_generator():
    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd not installed")
    state = random.getstate()
    try:
        random.seed(1337)
        theirs = [p.data for p in mg_nn.MLP(2, [16, 16, 1]).parameters()]
        random.seed(1337)
        ours = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
        after_ours = random.random()
        random.seed(1337)
        mg_nn.MLP(2, [16, 16, 1])
        after_theirs = random.random()
        random.seed(1337)
        seeded = [p.data for p in MLP(2, [16, 16, 1], seed=1337).parameters()]
        untouched = random.random()
    finally:
        random.setstate(state)
    assert ours == theirs
    assert after_ours == after_theirs  # the same number of draws from the global generator
    assert seeded == theirs  # seed= draws the same numbers from a private generator...
    random.seed(1337)
    assert untouched == random.random()  # ...and leaves the global one where it was
    random.setstate(state)


def test_dropout_draws_from_the_global_random_without_a_seed():
    state = random.getstate()
    try:
        random.seed(3)
        a = [y == 0.0 for y in Dropout(0.5)([1.0] * 32)]
        random.seed(3)
        b = [y == 0.0 for y in Dropout(0.5)([1.0] * 32)]
    finally:
        random.setstate(state)
    assert a == b and any(a) and not all(a)


def test_micrograd_constructor_signatures():
    assert Neuron(2, False, seed=0).activation == "linear"  # micrograd's positional nonlin
    assert Neuron(2, True, seed=0).activation == "relu"
    assert Neuron(2, nonlin=False, seed=0)([1.0, 2.0]).op == "dot"
    assert Layer(2, 3, nonlin=False, seed=0).activation == "linear"  # **kwargs go to each Neuron
    model = MLP(2, [4, 1])
    assert [layer.activation for layer in model.layers] == ["relu", "linear"]
    with pytest.raises(TypeError, match="nonlin must be a bool"):
        Neuron(2, nonlin="yes")


# -- PyTorch's scalar idioms -----------------------------------------------------------

def test_item_and_format():
    v = Value(-2.0 / 3.0)
    assert v.item() == v.data and type(v.item()) is float
    for spec in (".4f", "+.2e", "10.3g", "%"):
        assert format(v, spec) == format(v.data, spec)
    assert f"{v:.4f}" == "-0.6667"
    assert f"{v}" == str(v) == repr(v)  # an empty spec keeps today's str
    for x in (math.nan, math.inf, -math.inf):
        assert format(Value(x), ".4f") == format(x, ".4f")  # nan, inf, -inf as a float prints them


def test_float_and_math_refuse_with_a_message_that_teaches():
    v = Value(0.5)
    for convert in (float, math.exp, math.tanh, math.sqrt, int, round, lambda v: round(v, 2)):
        with pytest.raises(TypeError) as info:
            convert(v)
        message = str(info.value)
        assert "gradient" in message and "v.item()" in message and "autograd_lite.exp(v)" in message


def test_module_level_abs():
    assert "abs" in dir(al) and al.abs is not abs
    for x, slope in ((-2.5, -1.0), (3.0, 1.0), (0.0, 0.0)):  # abs'(0) = 0, as PyTorch
        v = Value(x)
        y = al.abs(v)
        y.backward()
        assert y.data == abs(x) and v.grad == slope and y.op == "abs"
    assert al.abs(-3) == 3.0 and type(al.abs(-3)) is float
    with pytest.raises(TypeError, match="abs"):
        al.abs("3")
    assert al.grad(lambda x: al.abs(x) * x)(-2.0) == 4.0  # d(x|x|)/dx = 2|x|
    assert "abs" not in al.__all__  # `from autograd_lite import *` must not shadow the builtin


# -- micrograd's draw_dot signature --------------------------------------------------------

def test_draw_dot_accepts_micrograds_signature(tmp_path):
    from autograd_lite.viz import draw_dot
    o, _ = lecture_neuron()
    g = draw_dot(o, format="svg", rankdir="LR")
    assert g.format == "svg" and "rankdir=LR" in g.source.replace(" ", "").replace('"', "")
    g = draw_dot(o, format="dot", rankdir="TB")
    written = g.render(tmp_path / "neuron")  # no extension: the drawing's format decides
    assert written.endswith("neuron.dot") and "rankdir=TB" in open(written).read().replace('"', "")
    with pytest.raises(ValueError, match="format"):
        draw_dot(o, format="jpg")
