"""autograd_lite: a small scalar reverse-mode automatic-differentiation engine.

>>> from autograd_lite import Value, grad
>>> x = Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward(); x.grad
8.0
>>> grad(lambda x: x ** 3)(2.0)
12.0
"""

from autograd_lite import losses, nn, optim
from autograd_lite.check import GradcheckError, gradcheck, gradgradcheck
from autograd_lite.custom import primitive
from autograd_lite.engine import (
    Value,
    cos,
    detect_anomaly,
    exp,
    is_anomaly_enabled,
    is_grad_enabled,
    leaky_relu,
    log,
    no_grad,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    tanh,
)
from autograd_lite.engine import abs as abs  # autograd_lite.abs, kept out of __all__ (see below)
from autograd_lite.functional import grad, hessian, value_and_grad
from autograd_lite.nary import dot
from autograd_lite.nary import sum as sum  # autograd_lite.sum, kept out of __all__ (see below)
from autograd_lite.serialization import load, save

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it from here

# `sum` and `abs` stay out of __all__ so `from autograd_lite import *` does not shadow the builtins.
__all__ = [
    "Value", "grad", "value_and_grad", "hessian", "no_grad", "detect_anomaly", "is_grad_enabled",
    "is_anomaly_enabled",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos", "dot",
    "nn", "losses", "optim", "save", "load",
    "gradcheck", "gradgradcheck", "GradcheckError", "primitive", "compile",
]


def __getattr__(name: str) -> object:
    # autograd_lite.compile (and its module) load on first use: `import autograd_lite` stays quick
    if name in ("compile", "compiler"):
        import importlib
        module = importlib.import_module("autograd_lite.compiler")
        return module.compile if name == "compile" else module
    raise AttributeError(f"module 'autograd_lite' has no attribute {name!r}")
