"""micrograd's demo step, timed: micrograd 0.1.0 vs autograd_lite vs plain floats (vs PyTorch).

The step is the one in micrograd's demo.ipynb: moons (100 samples, noise
0.1, labels -1/+1), ``MLP(2, [16, 16, 1])``, the SVM hinge loss plus 1e-4 *
sum(p*p), full batch, then ``p.data -= lr * p.grad`` with lr = 1.0 - 0.9*k/100.
Every contender starts from the same data and the same weights, copied from
a micrograd MLP built after ``random.seed(1337)`` as the demo does, and
builds the loss from its own Value ops.

The contenders run in turn, round after round (interleaved); in each round a
contender runs two steps and the second is timed, so that it runs in that
contender's steady state (see main).  Each reports the fastest of its timed
steps: the machine is shared, and the minimum is the figure least disturbed
by other work.  Ratios come from this one run.

    python benchmarks/demo_step.py [--rounds 8]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time

import autograd_lite as al
from autograd_lite.data import make_moons

ALPHA = 1e-4
N_STEPS = 100


def lr_at(k: int) -> float:
    return 1.0 - 0.9 * k / N_STEPS


# -- (a) micrograd 0.1.0: the demo's loss() and update, as written there ----------

def micrograd_contender(weights, X, y):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(2, [16, 16, 1])
    for p, w in zip(model.parameters(), weights):
        p.data = w
    k = 0

    def step() -> float:
        nonlocal k
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = lr_at(k)
        for p in model.parameters():
            p.data -= lr * p.grad
        k += 1
        return total.data

    return step


# -- (b) autograd_lite: the same step written with the library -------------------

def autograd_lite_contender(weights, X, y):
    from autograd_lite.nn import MLP

    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == len(weights) == 337
    for p, w in zip(params, weights):
        p.data = w
    k = 0

    def step() -> float:
        nonlocal k
        scores = [model(row) for row in X]  # plain float inputs: nothing to differentiate there
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = al.sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * al.sum(p * p for p in params)
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = lr_at(k)
        for p in params:
            p.data -= lr * p.grad
        k += 1
        return total.data

    step.model = model
    return step


# -- (c) the floor: the same step with Python floats, backward derived by hand ----

def float_contender(weights, X, y):
    # Unpack the flat parameter list (layer by layer, neuron by neuron, weights
    # then bias) into per-layer weight rows and biases.
    sizes = [2, 16, 16, 1]
    layers = []  # [(W rows, biases)]
    it = iter(weights)
    for nin, nout in zip(sizes, sizes[1:]):
        W, B = [], []
        for _ in range(nout):
            W.append([next(it) for _ in range(nin)])
            B.append(next(it))
        layers.append((W, B))
    last = len(layers) - 1
    n = len(X)
    k = 0

    def step() -> float:
        nonlocal k
        gW = [[[0.0] * len(row) for row in W] for W, _ in layers]
        gB = [[0.0] * len(B) for _, B in layers]
        total_hinge = 0.0
        for x, yi in zip(X, y):
            # forward, keeping each layer's input
            acts = [x]
            h = x
            for li, (W, B) in enumerate(layers):
                out = []
                for row, b in zip(W, B):
                    s = b
                    for w, v in zip(row, h):
                        s += w * v
                    out.append(s if li == last or s > 0.0 else 0.0)
                acts.append(out)
                h = out
            margin = 1.0 - yi * h[0]
            # backward, by hand.  It does the arithmetic the graph does, zeros
            # included (no skipping of inactive hinges or relus), so that the
            # floor measures "no graph", not "less work".
            if margin > 0.0:
                total_hinge += margin
            g = [-yi / n if margin > 0.0 else 0.0]  # d(loss)/d(score)
            for li in range(last, -1, -1):
                W, _ = layers[li]
                inp, out = acts[li], acts[li + 1]
                gWl, gBl = gW[li], gB[li]
                gin = [0.0] * len(inp)
                for j, (row, gj) in enumerate(zip(W, g)):
                    if li != last and not out[j] > 0.0:  # relu'(s) = 0 for s <= 0
                        gj = 0.0
                    gBl[j] += gj
                    grow = gWl[j]
                    for i, (w, v) in enumerate(zip(row, inp)):
                        grow[i] += gj * v
                        gin[i] += gj * w
                g = gin
        reg = 0.0
        for W, B in layers:
            for row, b in zip(W, B):
                for w in row:
                    reg += w * w
                reg += b * b
        total = total_hinge * (1.0 / n) + ALPHA * reg
        lr = lr_at(k)
        for (W, B), gWl, gBl in zip(layers, gW, gB):
            for j, row in enumerate(W):
                grow = gWl[j]
                for i in range(len(row)):
                    row[i] -= lr * (grow[i] + 2.0 * ALPHA * row[i])
                B[j] -= lr * (gBl[j] + 2.0 * ALPHA * B[j])
        k += 1
        return total

    # the weights in micrograd's parameter order, for checking against the others
    step.parameters = lambda: [v for W, B in layers for row, b in zip(W, B) for v in row + [b]]
    return step


# -- (d) PyTorch (optional): float64, the batch as one tensor ----------------------

def torch_contender(weights, X, y):
    import torch

    torch.set_num_threads(1)  # a fair comparison on a shared machine: one core each
    sizes = [2, 16, 16, 1]
    mods = []
    it = iter(weights)
    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        lin = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():
            for j in range(nout):
                lin.weight[j] = torch.tensor([next(it) for _ in range(nin)], dtype=torch.float64)
                lin.bias[j] = next(it)
        mods.append(lin)
        if i < len(sizes) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    params = list(model.parameters())
    k = 0

    def step() -> float:
        nonlocal k
        scores = model(Xt).squeeze(1)
        data_loss = torch.relu(1 - yt * scores).mean()
        reg_loss = ALPHA * sum((p * p).sum() for p in params)
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = lr_at(k)
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        k += 1
        return total.item()

    return step


def demo_wall_time(weights, X, y) -> tuple[float, float]:
    """Seconds for the whole 100-step demo with autograd_lite, and its final training accuracy."""
    t0 = time.perf_counter()
    step = autograd_lite_contender(weights, X, y)
    for _ in range(N_STEPS):
        step()
    wall = time.perf_counter() - t0
    with al.no_grad():
        scores = [step.model(row).data for row in X]
    return wall, sum((s > 0) == (yi > 0) for s, yi in zip(scores, y)) / len(y)


def profile_autograd_lite(weights, X, y, rounds: int) -> None:
    """Where an autograd_lite step spends its time: per phase (best of rounds) and per function (cProfile)."""
    import cProfile
    import pstats

    from autograd_lite.engine import reverse_topological
    from autograd_lite.nn import MLP

    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    for p, w in zip(params, weights):
        p.data = w
    phases: dict[str, list[float]] = {}
    clock = time.perf_counter

    def timed(name, t0):
        t1 = clock()
        phases.setdefault(name, []).append(t1 - t0)
        return t1

    nodes = 0
    for k in range(rounds):
        t = clock()
        scores = [model(row) for row in X]
        t = timed("forward: model(x) for 100 samples", t)
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = al.sum(losses) * (1.0 / len(losses)) + ALPHA * al.sum(p * p for p in params)
        t = timed("forward: hinge + L2 loss", t)
        model.zero_grad()
        t = timed("model.zero_grad()", t)
        order = reverse_topological(total)
        t = timed("backward: topological sort alone", t)
        total.backward()
        t = timed("backward() (sort + chain rule)", t)
        lr = lr_at(k)
        for p in params:
            p.data -= lr * p.grad
        t = timed("update", t)
        nodes = len(order)
        del scores, losses, total, order
    interior = nodes - len(params)
    print(f"\nprofile of one autograd_lite step: {nodes} nodes ({interior} op nodes, {len(params)} parameters); "
          f"best of {rounds} rounds")
    for name, ts in phases.items():
        best = min(ts)
        print(f"  {name:40} {best * 1e3:7.2f} ms  {best / nodes * 1e9:6.0f} ns/node")
    step = autograd_lite_contender(weights, X, y)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        step()
    prof.disable()
    print("\ncProfile, 3 steps (cProfile's own overhead inflates the many small calls):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8,
                        help="rounds; each contender runs 2 steps per round, the second timed (default 8)")
    parser.add_argument("--profile", action="store_true",
                        help="also show where an autograd_lite step spends its time (phases and cProfile)")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (the loss check compares the first 5 steps)")

    try:
        from micrograd.nn import MLP as MicroMLP
    except ImportError:
        print("micrograd is not installed: pip install micrograd==0.1.0 (or `make bench-demo`)")
        return 1

    X, y = make_moons(100, noise=0.1, seed=1337, labels=(-1, 1))
    random.seed(1337)  # as micrograd's demo, right before building its model
    weights = [p.data for p in MicroMLP(2, [16, 16, 1]).parameters()]
    # The demo as a user runs it: first, while the process holds little else.
    wall, acc = demo_wall_time(weights, X, y)

    contenders = {
        "micrograd 0.1.0": micrograd_contender(weights, X, y),
        "autograd_lite": autograd_lite_contender(weights, X, y),
        "plain floats": float_contender(weights, X, y),
    }
    try:
        import torch
        contenders[f"PyTorch {torch.__version__} (1 thread)"] = torch_contender(weights, X, y)
    except ImportError:
        pass

    times = {name: [] for name in contenders}
    losses = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, step in contenders.items():
            # Each contender gets the heap in its own steady state: collect the other
            # contenders' garbage (micrograd's graphs are reference cycles that only the
            # cyclic collector frees), run one untimed step so that this contender's
            # own garbage is there as in a training loop, then time the next step.
            gc.collect()
            losses[name].append(step())
            t0 = time.perf_counter()
            loss = step()
            times[name].append(time.perf_counter() - t0)
            losses[name].append(loss)

    print(f"micrograd's demo step (moons 100, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, full batch); "
          f"best of {args.rounds} timed steps in interleaved rounds, Python {sys.version.split()[0]}\n")
    best = {name: min(t) for name, t in times.items()}
    ours = best["autograd_lite"]
    print(f"{'contender':34} {'ms/step':>9} {'median':>9} {'vs autograd_lite':>17}")
    for name, t in best.items():
        med = sorted(times[name])[len(times[name]) // 2]
        print(f"{name:34} {t * 1e3:9.2f} {med * 1e3:9.2f} {t / ours:16.2f}x")
    speedup = best["micrograd 0.1.0"] / ours
    floor = ours / best["plain floats"]
    print(f"\nautograd_lite is {speedup:.1f}x faster than micrograd per step (target >= 50x): "
          f"{'OK' if speedup >= 50 else 'MISSED'}")
    print(f"autograd_lite takes {floor:.2f}x the plain-float step (target <= 3x): "
          f"{'OK' if floor <= 3 else 'MISSED'}")

    ref = losses["micrograd 0.1.0"][:5]
    ok = True
    print("\nloss over the first 5 steps, relative difference from micrograd's:")
    for name, ls in losses.items():
        worst = max(abs(a - b) / abs(b) for a, b in zip(ls[:5], ref))
        ok &= worst <= 1e-9
        print(f"  {name:34} {', '.join(f'{v:.12f}' for v in ls[:5])}   max rel diff {worst:.1e}")
    print(f"losses agree to 1e-9 relative: {'OK' if ok else 'MISSED'}")

    print(f"\nthe whole 100-step demo with autograd_lite (model build + 100 steps): {wall:.2f} s, "
          f"training accuracy {acc:.0%} (run first, before torch and micrograd's graphs fill the heap)")
    if args.profile:
        profile_autograd_lite(weights, X, y, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
