"""Shared test cases, generated from the op table (autograd_lite/op_table.py).

Every row contributes its fixed regression points; a new op is tested by adding
a row there, not by editing the tests.
"""

from autograd_lite.op_table import OPS

# (row name, point) for every fixed regression point of every row
CASES = [(name, x) for name, row in OPS.items() for x in row.points]
SMOOTH_CASES = [(name, x) for name, x in CASES if not OPS[name].kinks]
# the points where a piecewise op switches branch, with the derivative we document there
KINK_CASES = [(name, k, g) for name, row in OPS.items() for k, g in zip(row.kinks, row.kink_grads)]


def central_difference(f, xs, i, h=1e-6):
    """d f / d xs[i] by a central difference on plain floats."""
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)
