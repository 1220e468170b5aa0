"""Losses and optimizers without PyTorch: hand-computed values, error messages, schedules, a tiny fit."""

import math

import pytest

import autograd_lite as al
from autograd_lite import Value, losses, nn, optim

# -- losses by hand ----------------------------------------------------------------

def test_mse_by_hand_and_reductions():
    xs = [Value(1.0), Value(3.0)]
    loss = losses.mse(xs, [0.0, 1.0])
    assert loss.data == 2.5
    loss.backward()
    assert [x.grad for x in xs] == [1.0, 2.0]  # 2 (x - t) / n
    assert losses.mse(xs, [0.0, 1.0], reduction="sum").data == 5.0
    assert [t.data for t in losses.mse(xs, [0.0, 1.0], reduction="none")] == [1.0, 4.0]
    t = Value(2.0)
    losses.mse(Value(5.0), t).backward()
    assert t.grad == -6.0  # a Value target gets a gradient too


def test_hinge_matches_micrograd_demo_formula():
    scores = [Value(0.3), Value(-2.0), Value(1.5)]
    ys = [1, -1, -1]
    loss = losses.hinge(scores, ys)
    # micrograd: sum((1 + -y*s).relu()) * (1/n)
    expected = sum(max(1 + -y * s.data, 0.0) for y, s in zip(ys, scores)) / 3
    assert loss.data == pytest.approx(expected, rel=1e-15)
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([-1 / 3, 0.0, 1 / 3])


def test_bce_by_hand_and_stability():
    p = Value(0.25)
    loss = losses.binary_cross_entropy(p, 0.0)
    assert loss.data == pytest.approx(-math.log(0.75), rel=1e-15)
    loss.backward()
    assert p.grad == pytest.approx(1 / 0.75, rel=1e-15)
    z = Value(-800.0)
    big = losses.binary_cross_entropy_with_logits(z, 1.0)
    assert big.data == 800.0  # no overflow, no log(0)
    big.backward()
    assert z.grad == pytest.approx(-1.0)
    assert losses.binary_cross_entropy(Value(0.0), 1.0).data == 100.0  # clamped log


def test_cross_entropy_single_sample_by_hand():
    zs = [Value(1.0), Value(2.0), Value(3.0)]
    loss = losses.cross_entropy(zs, 0)
    lse = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert loss.data == pytest.approx(lse - 1.0, rel=1e-15)
    loss.backward()
    soft = [math.exp(z.data - lse) for z in zs]
    assert [z.grad for z in zs] == pytest.approx([soft[0] - 1, soft[1], soft[2]], rel=1e-13)
    assert losses.cross_entropy([[1000.0, 0.0]], [0]).data == pytest.approx(0.0, abs=1e-300)


def test_l2_penalty_as_micrograd_demo():
    model = nn.MLP(2, [3, 1], seed=0)
    reg = losses.l2_penalty(model, alpha=1e-4)
    assert reg.data == pytest.approx(1e-4 * sum(p.data * p.data for p in model.parameters()), rel=1e-14)
    assert reg.op == "mul" and reg.parents[0].op == "sum"  # one n-ary node for the sum


@pytest.mark.parametrize("call,error,match", [
    (lambda: losses.mse([Value(1.0)] * 3, [1.0, 2.0]), ValueError, "same length, got 3 and 2"),
    (lambda: losses.hinge([Value(1.0)], [0]), ValueError, "targets must be -1 or"),
    (lambda: losses.binary_cross_entropy(Value(1.5), 1.0), ValueError, r"probability in \[0, 1\]"),
    (lambda: losses.binary_cross_entropy(Value(0.5), 2.0), ValueError, r"target must be in \[0, 1\]"),
    (lambda: losses.binary_cross_entropy_with_logits(Value(0.5), -1.0), ValueError, "target must be in"),
    (lambda: losses.cross_entropy([Value(1.0), Value(2.0)], 2), ValueError, "out of range for 2 classes"),
    (lambda: losses.cross_entropy([Value(1.0), Value(2.0)], 1.0), TypeError, "class index"),
    (lambda: losses.cross_entropy([Value(1.0)], [0]), ValueError, "list of class scores"),
    (lambda: losses.mse(Value(1.0), 1.0, reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: losses.mse(Value(1.0), math.nan), ValueError, "finite"),
    (lambda: losses.mse([], []), ValueError, "no samples"),
    (lambda: losses.l2_penalty([Value(1.0)], alpha=-1), ValueError, "alpha"),
])
def test_loss_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- optimizers ----------------------------------------------------------------------

def test_gradient_descent_is_exactly_the_plain_update():
    ps = [Value(1.5), Value(-0.25)]
    ps[0].grad, ps[1].grad = 0.3, -7.0
    optim.GradientDescent(ps, lr=0.1).step()
    assert [p.data for p in ps] == [1.5 - 0.1 * 0.3, -0.25 - 0.1 * -7.0]


def test_sgd_momentum_by_hand():
    p = Value(1.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    p.grad = 2.0
    opt.step()  # g = 2 + 0.5*1 = 2.5; b = 2.5; p = 1 - 0.25
    assert p.data == pytest.approx(0.75, rel=1e-15)
    opt.step()  # g = 2 + 0.375 = 2.375; b = 0.9*2.5 + 2.375 = 4.625; p = 0.75 - 0.4625
    assert p.data == pytest.approx(0.2875, rel=1e-14)


def test_adam_first_step_moves_by_lr():
    ps = [Value(1.0), Value(-1.0)]
    ps[0].grad, ps[1].grad = 1e-3, -50.0
    optim.Adam(ps, lr=0.01).step()
    assert [p.data for p in ps] == pytest.approx([0.99, -0.99], rel=1e-6)


@pytest.mark.parametrize("cls,kwargs,name", [
    (optim.GradientDescent, dict(lr=0.0), "learning rate"),
    (optim.GradientDescent, dict(lr=math.nan), "learning rate"),
    (optim.SGD, dict(lr=-1.0), "learning rate"),
    (optim.SGD, dict(lr=0.1, momentum=-0.1), "momentum"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1e-3), "weight_decay"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "nesterov"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (optim.RMSprop, dict(alpha=1.0), "alpha"),
    (optim.RMSprop, dict(eps=0.0), "eps"),
    (optim.RMSprop, dict(momentum=math.nan), "momentum"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "beta parameter at index 0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "beta parameter at index 1"),
    (optim.Adam, dict(eps=-1e-8), "eps"),
    (optim.AdamW, dict(weight_decay=-0.01), "weight_decay"),
])
def test_bad_hyperparameters_name_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls([Value(1.0)], **kwargs)


# A wrong type is a TypeError (these two were ValueErrors before the one validation policy of issue #11).
@pytest.mark.parametrize("cls,kwargs,name", [
    (optim.Adam, dict(betas=0.9), "betas"),
    (optim.Adam, dict(lr="0.1"), "learning rate"),
])
def test_hyperparameters_of_the_wrong_type_name_the_argument(cls, kwargs, name):
    with pytest.raises(TypeError, match=name):
        cls([Value(1.0)], **kwargs)


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    v = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([v, v], lr=0.1)
    with pytest.raises(TypeError, match="must be Values"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="not a single Value"):
        optim.SGD(v, lr=0.1)
    assert len(optim.Adam(nn.MLP(2, [3, 1]), lr=0.1).params) == 13  # a Module is accepted


def test_zero_grad():
    ps = [Value(1.0), Value(2.0)]
    (ps[0] * ps[1]).backward()
    optim.Adam(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_optimizer_state_dict_resumes_exactly():
    def run(split):
        ps = [Value(0.5), Value(-1.5)]
        opt = optim.Adam(ps, lr=0.05, amsgrad=True)
        for k in range(10):
            if k == split:  # checkpoint, rebuild, restore: must not change the trajectory
                saved_p, saved_o = [p.data for p in ps], opt.state_dict()
                ps = [Value(x) for x in saved_p]
                opt = optim.Adam(ps, lr=1.0)
                opt.load_state_dict(saved_o)
            opt.zero_grad()
            ((ps[0] - 1) ** 2 + ps[0] * ps[1] ** 2).backward()
            opt.step()
        return [p.data for p in ps]
    assert run(split=4) == run(split=-1)
    with pytest.raises(ValueError, match="for 'Adam'"):
        optim.SGD([Value(1.0)], lr=0.1).load_state_dict(optim.Adam([Value(1.0)]).state_dict())


# -- schedules ---------------------------------------------------------------------

def test_lambda_lr_reproduces_micrograd_schedule_exactly():
    opt = optim.GradientDescent([Value(0.0)], lr=1.0)
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    for k in range(100):
        assert opt.lr == 1.0 - 0.9 * k / 100  # micrograd's demo: learning_rate = 1.0 - 0.9*k/100
        opt.step()
        sched.step()


def test_schedules_by_hand():
    opt = optim.SGD([Value(0.0)], lr=0.2)
    sched = optim.CosineAnnealingLR(opt, T_max=10, eta_min=0.02)
    lrs = []
    for _ in range(11):
        lrs.append(opt.lr)
        sched.step()
    assert lrs[0] == 0.2 and lrs[5] == pytest.approx(0.11) and lrs[10] == pytest.approx(0.02)
    opt = optim.SGD([Value(0.0)], lr=1.0)
    sched = optim.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == [0.125]
    with pytest.raises(ValueError, match="step_size"):
        optim.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="became"):
        optim.LambdaLR(opt, lambda k: -1.0)


# -- everything together: the learner's loop ------------------------------------------

def test_explicit_training_loop_learns_xor():
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [-1, 1, 1, -1]
    model = nn.MLP(2, [8, 1], activation="tanh", seed=4)
    opt = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(150):
        loss = losses.mse([model(x) for x in X], y)
        first = first if first is not None else loss.data
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.data < 0.01 * first
    with al.no_grad():
        assert [1 if model(x).data > 0 else -1 for x in X] == y


def test_adam_repr_shows_betas_as_a_tuple_as_pytorch():
    w = Value(1.0)
    assert repr(optim.Adam([w], lr=0.01)) == \
        "Adam(1 parameters, lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False)"
    assert "betas=(0.5, 0.9)" in repr(optim.AdamW([w], betas=[0.5, 0.9]))
    assert optim.Adam([w]).state_dict()["betas"] == [0.9, 0.999]  # JSON data: still a list there
