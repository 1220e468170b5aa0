"""micrograd's demo step compiled: autograd_lite.compile against plain floats and PyTorch.

Part 1 is the step of benchmarks/demo_step.py (moons 100, MLP(2, [16, 16, 1]),
hinge loss + 1e-4 L2, forward + backward + update, same data and weights):
the hand-written float step, autograd_lite's eager step, and the same step
with ``compile(backend="python")``.  Part 2 is the one-time cost of tracing
and compiling that step.  Part 3 is ``compile(backend="numpy")`` against
PyTorch (float64, one thread: ``torch.set_num_threads(1)``) on the same model
at batch 100, 1,000 and 10,000.

Contenders run in turn, round after round (interleaved), and each reports the
fastest of its timed steps in CPU time (``time.process_time``): on a shared
machine, wall time also counts the time other processes held the core, which
penalizes long steps more than short ones.  The fastest wall time is shown
too.  Every contender runs on one thread (numpy's BLAS and PyTorch alike).
The ratios come from this one run.

    python benchmarks/compile_step.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time

# one thread for numpy's BLAS too (PyTorch gets torch.set_num_threads(1)); set before numpy loads
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from demo_step import ALPHA, autograd_lite_contender, float_contender, lr_at, torch_contender  # noqa: E402

import autograd_lite as al  # noqa: E402
from autograd_lite.data import make_moons  # noqa: E402


def compiled_contender(weights, X, y, backend: str = "python", model=None):
    """The demo step with the per-sample hinge loss and the L2 penalty compiled."""
    from autograd_lite.nn import MLP

    if model is None:
        model = MLP(2, [16, 16, 1])
        for p, w in zip(model.parameters(), weights):
            p.data = w
    params = model.parameters()
    if backend == "numpy":
        import numpy as np
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        # One function: the penalty depends on the parameters only, so the numpy backend computes it once
        # per batch (in Python floats) and the batch's mean is the mean hinge plus the penalty.
        hinge = al.compile(lambda x, t: (1 + -t * model(x)).relu() + ALPHA * al.sum(p * p for p in params),
                           model, backend=backend)
        l2 = None
    else:
        y = [float(t) for t in y]
        hinge = al.compile(lambda x, t: (1 + -t * model(x)).relu(), model, backend=backend)
        l2 = al.compile(lambda: ALPHA * al.sum(p * p for p in params), model, backend=backend)
    k = 0

    def step() -> float:
        nonlocal k
        for p in params:  # zero_grad: the same loop an optimizer runs
            p.grad = 0.0
        total = hinge.batch(X, y) + (l2() if l2 is not None else 0.0)  # mean hinge, then the penalty
        lr = lr_at(k)
        for p in params:
            p.data -= lr * p.grad
        k += 1
        return total

    step.compiled = (hinge, l2)
    return step


def trace_and_compile_ms(weights, X, y, repeats: int) -> tuple[float, float]:
    """Best wall and CPU milliseconds to compile the step: compile() and the first calls (trace, codegen)."""
    from autograd_lite.nn import MLP

    walls, cpus = [], []
    for _ in range(repeats):
        model = MLP(2, [16, 16, 1])  # built outside the timed region: a user has a model already
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        step = compiled_contender(weights, X, y, model=model)
        hinge, l2 = step.compiled
        hinge(X[0], float(y[0]))
        l2()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls) * 1e3, min(cpus) * 1e3


WALL: dict = {}  # contender -> fastest wall time, for the printout


def interleave(contenders: dict, rounds: int) -> tuple[dict, dict]:
    """Each contender's fastest CPU time per step over interleaved rounds (and its losses)."""
    times: dict = {name: [] for name in contenders}
    walls: dict = {name: [] for name in contenders}
    losses: dict = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, step in contenders.items():
            gc.collect()
            losses[name].append(step())
            w0, c0 = time.perf_counter(), time.process_time()
            loss = step()
            times[name].append(time.process_time() - c0)
            walls[name].append(time.perf_counter() - w0)
            losses[name].append(loss)
    WALL.update({name: min(w) for name, w in walls.items()})
    return {name: min(t) for name, t in times.items()}, losses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed steps per contender (default 10)")
    parser.add_argument("--sizes", default="100,1000,10000", help="batch sizes for part 3 (default 100,1000,10000)")
    parser.add_argument("--markdown", action="store_true", help="also print the results as a Markdown table")
    args = parser.parse_args(argv)
    rows = []  # (measure, contender, time, ratio, target)

    X, y = make_moons(100, noise=0.1, seed=1337, labels=(-1, 1))
    random.seed(1337)  # as micrograd's demo, right before building its model
    from autograd_lite.nn import MLP
    weights = [p.data for p in MLP(2, [16, 16, 1]).parameters()]

    print(f"Python {sys.version.split()[0]}; best of {args.rounds} timed steps, contenders interleaved\n")
    print("1. micrograd's demo step (moons 100, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, forward + backward + update)")
    contenders = {
        "plain floats (by hand)": float_contender(weights, X, y),
        "autograd_lite eager": autograd_lite_contender(weights, X, y),
        "compile(backend='python')": compiled_contender(weights, X, y, "python"),
    }
    best, losses = interleave(contenders, args.rounds)
    floor = best["plain floats (by hand)"]
    for name, t in best.items():
        print(f"   {name:28} {t * 1e3:8.2f} ms CPU ({WALL[name] * 1e3:8.2f} ms wall)  {t / floor:6.2f}x the float step")
    ratio = best["compile(backend='python')"] / floor
    rows.append(("demo step, batch 100", "hand-written float step", f"{floor * 1e3:.2f} ms", "1.00", ""))
    rows.append(("demo step, batch 100", "autograd_lite eager", f"{best['autograd_lite eager'] * 1e3:.2f} ms",
                 f"{best['autograd_lite eager'] / floor:.2f}", ""))
    compiled_ms = best["compile(backend='python')"] * 1e3
    rows.append(("demo step, batch 100", "compiled, python backend", f"{compiled_ms:.2f} ms",
                 f"**{ratio:.2f}** of the float step", "<= 0.5"))
    print(f"   compiled python step / float step = {ratio:.2f} (target <= 0.5): {'OK' if ratio <= 0.5 else 'MISSED'}")
    ref = losses["autograd_lite eager"]
    worst = max(abs(a - b) / abs(b) for a, b in zip(losses["compile(backend='python')"], ref))
    print(f"   losses over {len(ref)} steps, compiled vs eager: max relative difference {worst:.1e}")

    wall, cpu = trace_and_compile_ms(weights, X, y, 5)
    rows.append(("one-time trace + compile (hinge and L2)", "compile(backend='python')", f"{cpu:.1f} ms", "",
                 "<= 50 ms"))
    print(f"\n2. one-time trace + compile of that step (hinge and L2, best of 5): {cpu:.1f} ms CPU "
          f"({wall:.1f} ms wall) (target <= 50 ms): {'OK' if cpu <= 50 else 'MISSED'}")

    try:
        import torch
    except ImportError:
        print("\n3. skipped: PyTorch is not installed (pip install torch)")
        return 0
    print(f"\n3. compile(backend='numpy') vs PyTorch {torch.__version__} float64, 1 thread, same model and step")
    targets = {100: 0.5, 1000: 1.0, 10000: 1.5}
    for n in [int(s) for s in args.sizes.split(",")]:
        Xn, yn = make_moons(n, noise=0.1, seed=1337, labels=(-1, 1))
        contenders = {"PyTorch": torch_contender(weights, Xn, yn),
                      "numpy backend": compiled_contender(weights, Xn, yn, "numpy")}
        best, losses = interleave(contenders, args.rounds)
        ratio = best["numpy backend"] / best["PyTorch"]
        target = targets.get(n)
        verdict = "" if target is None else f" (target <= {target}): {'OK' if ratio <= target else 'MISSED'}"
        worst = max(abs(a - b) / abs(b) for a, b in zip(losses["numpy backend"], losses["PyTorch"]))
        rows.append((f"step, batch {n:,}", "PyTorch float64, 1 thread", f"{best['PyTorch'] * 1e3:.3f} ms", "1.00", ""))
        rows.append((f"step, batch {n:,}", "compiled, numpy backend", f"{best['numpy backend'] * 1e3:.3f} ms",
                     f"**{ratio:.2f}** of PyTorch's", f"<= {target}" if target else ""))
        print(f"   batch {n:>6}: PyTorch {best['PyTorch'] * 1e3:8.3f} ms, numpy backend "
              f"{best['numpy backend'] * 1e3:8.3f} ms CPU (wall {WALL['PyTorch'] * 1e3:.3f} and "
              f"{WALL['numpy backend'] * 1e3:.3f}), ratio {ratio:.2f}{verdict}; losses agree to {worst:.0e}")
    if args.markdown:
        print("\n| measure | contender | CPU time | ratio | target |\n|---|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
