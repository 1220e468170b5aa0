"""Shared test cases: each primitive with a float reference written from its definition."""

import math

import autograd_lite as al

# name -> (autograd_lite op on Values/numbers, float reference built on math, points to test)
# The references are written from the definitions, not from our engine.
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, [-1.5, 0.3, 2.0]),
    "abs": (abs, abs, [-1.5, 0.3, 2.0]),
    "exp": (al.exp, math.exp, [-2.0, 0.0, 0.7, 3.0]),
    "log": (al.log, math.log, [0.1, 1.0, 2.5, 40.0]),
    "sqrt": (al.sqrt, math.sqrt, [0.04, 1.0, 2.5, 40.0]),
    "tanh": (al.tanh, math.tanh, [-3.0, -0.2, 0.0, 0.9, 2.0]),
    "sigmoid": (al.sigmoid, lambda x: 1.0 / (1.0 + math.exp(-x)), [-3.0, -0.2, 0.0, 0.9, 2.0]),
    "relu": (al.relu, lambda x: max(x, 0.0), [-1.5, 0.3, 2.0]),
    "leaky_relu": (lambda x: al.leaky_relu(x, 0.1), lambda x: x if x > 0 else 0.1 * x, [-1.5, 0.3, 2.0]),
    "softplus": (al.softplus, lambda x: math.log1p(math.exp(x)), [-3.0, -0.2, 0.0, 0.9, 2.0]),
    "sin": (al.sin, math.sin, [-2.0, 0.0, 0.5, 3.0]),
    "cos": (al.cos, math.cos, [-2.0, 0.0, 0.5, 3.0]),
    "pow_const": (lambda x: x ** 3, lambda x: x ** 3, [-1.5, 0.3, 2.0]),
    "pow_frac": (lambda x: x ** 2.5, lambda x: x ** 2.5, [0.3, 1.0, 2.0]),
    "pow_neg": (lambda x: x ** -2, lambda x: x ** -2, [-1.5, 0.3, 2.0]),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, [-1.5, 0.3, 2.0]),
    "add_const": (lambda x: x + 2.5, lambda x: x + 2.5, [-1.5, 0.3]),
    "radd_const": (lambda x: 2.5 + x, lambda x: 2.5 + x, [-1.5, 0.3]),
    "sub_const": (lambda x: x - 2.5, lambda x: x - 2.5, [-1.5, 0.3]),
    "rsub_const": (lambda x: 2.5 - x, lambda x: 2.5 - x, [-1.5, 0.3]),
    "mul_const": (lambda x: x * 2.5, lambda x: x * 2.5, [-1.5, 0.3]),
    "rmul_const": (lambda x: 2.5 * x, lambda x: 2.5 * x, [-1.5, 0.3]),
    "div_const": (lambda x: x / 2.5, lambda x: x / 2.5, [-1.5, 0.3]),
    "rdiv_const": (lambda x: 2.5 / x, lambda x: 2.5 / x, [-1.5, 0.3, 2.0]),
}

BINARY = {
    "add": (lambda x, y: x + y, [(1.5, -0.5), (0.3, 2.0)]),
    "sub": (lambda x, y: x - y, [(1.5, -0.5), (0.3, 2.0)]),
    "mul": (lambda x, y: x * y, [(1.5, -0.5), (0.3, 2.0)]),
    "div": (lambda x, y: x / y, [(1.5, -0.5), (0.3, 2.0)]),
    "pow": (lambda x, y: x ** y, [(1.5, -0.5), (0.3, 2.0), (2.0, 3.0)]),
}


def central_difference(f, xs, i, h=1e-6):
    """d f / d xs[i] by a central difference on plain floats."""
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


UNARY_CASES = [(name, x) for name, (_, _, points) in UNARY.items() for x in points]
BINARY_CASES = [(name, xy) for name, (_, points) in BINARY.items() for xy in points]
