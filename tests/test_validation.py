"""One validation policy across engine, nn, losses, optim and check (issue #11).

A wrong *type* raises TypeError, a bad *value* of the right type raises
ValueError, and the message names the argument.  The table lists each public
entry point's arguments with the kind of value each needs; every kind has its
own list of bad inputs, and each bad input must give the same exception
whichever entry point it is fed to.
"""

import math
import re

import pytest

import autograd_lite as al
from autograd_lite import Value, grad, losses, nn, optim
from autograd_lite.check import complex_step_check, complex_step_grad, gradcheck, gradgradcheck, numerical_grad

# The bad inputs, and what each must raise, per kind of argument.
WRONG_TYPES = {"str": "0.5", "None": None, "complex": 1j, "list": [0.5]}
BAD = {
    # A Value's data (and an op's number operand) is any real number: NaN, inf and bool included, as in
    # Python's arithmetic.  Only a non-number is refused.
    "engine number": {**WRONG_TYPES},
    # A number that must be finite: a loss target, a dropout probability, a point to check at.
    "finite": {**WRONG_TYPES, "bool": (True, TypeError), "nan": (math.nan, ValueError),
               "inf": (math.inf, ValueError)},
    # >= 0 and finite: a weight decay, a tolerance, an L2 coefficient.
    "non-negative": {**WRONG_TYPES, "bool": (True, TypeError), "nan": (math.nan, ValueError),
                     "inf": (math.inf, ValueError), "negative": (-0.5, ValueError)},
    # > 0 and finite: a learning rate, an eps, a step.
    "positive": {**WRONG_TYPES, "bool": (True, TypeError), "nan": (math.nan, ValueError),
                 "inf": (math.inf, ValueError), "negative": (-0.5, ValueError), "zero": (0.0, ValueError)},
    # an int count: a layer size, a step size
    "count": {"str": "3", "None": None, "complex": 1j, "float": 2.0, "bool": (True, TypeError),
              "zero": (0, ValueError), "negative": (-3, ValueError)},
    # a prediction: a Value, a number or a list of them
    "prediction": {"str": "0.5", "None": None, "complex": 1j},
    # True or False
    "flag": {"str": "yes", "None": None, "int": 1},
    # one of named choices
    "choice": {"None": None, "int": 1, "unknown": ("nope", ValueError)},
}

v = Value(0.5)


def _opt():
    return optim.SGD([Value(1.0)], lr=0.1)


# (module, entry point, kind, what the message must name, call with the bad input)
TABLE = [
    # -- engine --
    ("engine", "Value", "engine number", "Value()", lambda x: Value(x)),
    ("engine", "Value.backward", "engine number", "backward(grad=...)", lambda x: (v * v).backward(x)),
    ("engine", "Value + x", "engine number", "+", lambda x: v + x),
    ("engine", "x * Value", "engine number", "*", lambda x: x * v),
    ("engine", "Value ** x", "engine number", "**", lambda x: v ** x),
    ("engine", "Value.leaky_relu", "engine number", "leaky_relu slope", lambda x: v.leaky_relu(x)),
    ("engine", "exp", "engine number", "exp()", lambda x: al.exp(x)),
    ("engine", "abs", "engine number", "abs()", lambda x: al.abs(x)),
    ("engine", "sum", "engine number", "sum()", lambda x: al.sum([v, x])),
    ("engine", "dot", "engine number", "dot()", lambda x: al.dot([v], [x])),
    ("engine", "dot bias", "engine number", "dot() bias", lambda x: al.dot([v], [1.0], x)),
    ("engine", "grad", "engine number", "argument 0", lambda x: grad(lambda t: t * t)(x)),
    # -- nn --
    ("nn", "Neuron nin", "count", "nin", lambda x: nn.Neuron(x)),
    ("nn", "Layer nout", "count", "nout", lambda x: nn.Layer(2, x)),
    ("nn", "MLP nouts", "count", "nouts", lambda x: nn.MLP(2, [3, x])),
    ("nn", "Dropout p", "finite", "dropout probability p", lambda x: nn.Dropout(x)),
    ("nn", "Neuron activation", "choice", "activation", lambda x: nn.Neuron(2, activation=x if x is not None else [])),
    ("nn", "Neuron init", "choice", "init", lambda x: nn.Neuron(2, init=x)),
    ("nn", "load_state_dict strict", "flag", "strict", lambda x: nn.Neuron(2).load_state_dict({}, strict=x)),
    # -- losses --
    ("losses", "mse input", "finite", "mse: input", lambda x: losses.mse([v, x], [1.0, 1.0])),
    ("losses", "mse input (whole)", "prediction", "mse: input", lambda x: losses.mse(x, 1.0)),
    ("losses", "hinge input (whole)", "prediction", "hinge: input", lambda x: losses.hinge(x, 1.0)),
    ("losses", "mse target", "finite", "mse: target", lambda x: losses.mse(v, x)),
    ("losses", "hinge target", "finite", "hinge: target", lambda x: losses.hinge(v, x)),
    ("losses", "binary_cross_entropy target", "finite", "binary_cross_entropy: target",
     lambda x: losses.binary_cross_entropy(v, x)),
    ("losses", "binary_cross_entropy_with_logits input", "finite", "binary_cross_entropy_with_logits: input",
     lambda x: losses.binary_cross_entropy_with_logits([x], [1.0])),
    ("losses", "cross_entropy logits", "finite", "cross_entropy: input", lambda x: losses.cross_entropy([v, x], 0)),
    ("losses", "l2_penalty alpha", "non-negative", "l2_penalty: alpha", lambda x: losses.l2_penalty([v], x)),
    ("losses", "reduction", "choice", "reduction", lambda x: losses.mse(v, 1.0, reduction=x)),
    # -- optim --
    ("optim", "SGD lr", "positive", "learning rate (lr)", lambda x: optim.SGD([Value(1.0)], lr=x)),
    ("optim", "GradientDescent lr", "positive", "learning rate (lr)",
     lambda x: optim.GradientDescent([Value(1.0)], lr=x)),
    ("optim", "SGD momentum", "non-negative", "momentum", lambda x: optim.SGD([Value(1.0)], lr=0.1, momentum=x)),
    ("optim", "SGD weight_decay", "non-negative", "weight_decay",
     lambda x: optim.SGD([Value(1.0)], lr=0.1, weight_decay=x)),
    ("optim", "SGD dampening", "finite", "dampening", lambda x: optim.SGD([Value(1.0)], lr=0.1, dampening=x)),
    ("optim", "SGD nesterov", "flag", "nesterov", lambda x: optim.SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov=x)),
    ("optim", "RMSprop eps", "positive", "eps", lambda x: optim.RMSprop([Value(1.0)], eps=x)),
    ("optim", "RMSprop centered", "flag", "centered", lambda x: optim.RMSprop([Value(1.0)], centered=x)),
    ("optim", "Adam eps", "positive", "eps", lambda x: optim.Adam([Value(1.0)], eps=x)),
    ("optim", "Adam beta1", "finite", "beta parameter at index 0",
     lambda x: optim.Adam([Value(1.0)], betas=(x, 0.999))),
    ("optim", "AdamW weight_decay", "non-negative", "weight_decay",
     lambda x: optim.AdamW([Value(1.0)], weight_decay=x)),
    ("optim", "Adam amsgrad", "flag", "amsgrad", lambda x: optim.Adam([Value(1.0)], amsgrad=x)),
    ("optim", "StepLR step_size", "count", "step_size", lambda x: optim.StepLR(_opt(), x)),
    ("optim", "StepLR gamma", "positive", "gamma", lambda x: optim.StepLR(_opt(), 1, gamma=x)),
    ("optim", "ExponentialLR gamma", "positive", "gamma", lambda x: optim.ExponentialLR(_opt(), x)),
    ("optim", "CosineAnnealingLR T_max", "count", "T_max", lambda x: optim.CosineAnnealingLR(_opt(), x)),
    ("optim", "CosineAnnealingLR eta_min", "non-negative", "eta_min", lambda x: optim.CosineAnnealingLR(_opt(), 5, x)),
    # -- check --
    ("check", "gradcheck input", "finite", "gradcheck: input 0", lambda x: gradcheck(lambda t: t * t, [x])),
    ("check", "gradcheck eps", "positive", "gradcheck: eps", lambda x: gradcheck(lambda t: t * t, [1.0], eps=x)),
    ("check", "gradcheck atol", "non-negative", "gradcheck: atol", lambda x: gradcheck(lambda t: t * t, [1.0], atol=x)),
    ("check", "gradcheck rtol", "non-negative", "gradcheck: rtol", lambda x: gradcheck(lambda t: t * t, [1.0], rtol=x)),
    ("check", "gradcheck raise_exception", "flag", "raise_exception",
     lambda x: gradcheck(lambda t: t * t, [1.0], raise_exception=x)),
    ("check", "gradgradcheck eps", "positive", "gradgradcheck: eps",
     lambda x: gradgradcheck(lambda t: t ** 3, [1.0], eps=x)),
    ("check", "numerical_grad input", "finite", "numerical_grad: input 1",
     lambda x: numerical_grad(lambda a, b: a * b, [1.0, x])),
    ("check", "numerical_grad eps", "positive", "numerical_grad: eps", lambda x: numerical_grad(lambda t: t, [1.0], x)),
    ("check", "complex_step_grad h", "positive", "complex_step_grad: h",
     lambda x: complex_step_grad(lambda t: t, [1.0], x)),
    ("check", "complex_step_check atol", "non-negative", "complex_step_check: atol",
     lambda x: complex_step_check(lambda t: t, [1.0], atol=x)),
]

CASES = []
for _, entry, kind, names, call in TABLE:
    for label, bad in BAD[kind].items():
        value, error = bad if isinstance(bad, tuple) else (bad, TypeError)
        CASES.append(pytest.param(call, value, error, names, id=f"{entry}-{label}"))


@pytest.mark.parametrize("call,bad,error,names", CASES)
def test_a_bad_input_raises_the_policys_exception_naming_the_argument(call, bad, error, names):
    with pytest.raises(error) as info:
        call(bad)
    assert type(info.value) is error, f"{type(info.value).__name__} is a subclass, not the policy's {error.__name__}"
    assert re.search(re.escape(names), str(info.value)), str(info.value)


def test_the_table_covers_every_module_of_the_policy():
    kinds = {}
    for module, _, kind, _, _ in TABLE:
        kinds.setdefault(module, set()).add(kind)
    assert set(kinds) == {"engine", "nn", "losses", "optim", "check"}
    # every module but the engine (whose Values may hold any real number) is fed bad values too
    assert all(k - {"engine number", "flag"} for m, k in kinds.items() if m != "engine"), kinds


@pytest.mark.parametrize("accepted", [math.nan, math.inf, True, -3])
def test_the_engine_accepts_every_real_number(accepted):
    # The other side of the policy: a Value may hold NaN and inf (they propagate, as in PyTorch),
    # and bool is a number to Python's arithmetic.
    assert Value(accepted).data == float(accepted) or math.isnan(Value(accepted).data)
    assert (v + accepted).data == 0.5 + float(accepted) or math.isnan((v + accepted).data)
