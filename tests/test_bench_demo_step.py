"""The benchmark's contenders compute the same step: the hand-derived float backward is checked here."""

import importlib.util
import math
import pathlib
import random

from autograd_lite.data import make_moons

_PATH = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "demo_step.py"


def _bench():
    spec = importlib.util.spec_from_file_location("demo_step", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_float_floor_and_autograd_lite_take_the_same_steps():
    bench = _bench()
    X, y = make_moons(20, noise=0.1, seed=0, labels=(-1, 1))
    rng = random.Random(0)
    weights = [rng.uniform(-1, 1) for _ in range(337)]
    ours, floor = bench.autograd_lite_contender(weights, X, y), bench.float_contender(weights, X, y)
    for _ in range(4):
        assert math.isclose(ours(), floor(), rel_tol=1e-12)
    # and the updated weights agree: the floor's hand-derived backward is right
    for a, b in zip([p.data for p in ours.model.parameters()], floor.parameters(), strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
