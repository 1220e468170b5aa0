"""The chain benchmark: x = x * 1.0000001 + 0.5, forward and backward, per node.

Compares autograd_lite with micrograd 0.1.0, PyTorch 0-d float64 tensors with
requires_grad (when installed) and the same chain hand-written with floats.
The machines we run on are shared and noisy, so the contenders run round by
round, interleaved, and we keep each one's best round; the figures that
matter are the ratios.

Each round of each contender runs in a fresh Python process, as a user's
script would.  In one shared process, importing torch alone leaves ~150,000
objects that CPython's cyclic collector rescans every time a big graph grows
by 25%: that tripled autograd_lite's time at 10^5 steps, a cost of the
benchmark's setup rather than of either library.

    make bench                      # or: python benchmarks/chain.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import platform
import subprocess
import sys
import time
import tracemalloc

from autograd_lite import Value

STEP = 1.0000001
SHIFT = 0.5


def _timed_chain(x0, n: int) -> tuple[float, float]:
    """Forward and backward seconds for the n-step chain grown from leaf x0 (any engine)."""
    x = x0
    t0 = time.perf_counter()
    for _ in range(n):
        x = x * STEP + SHIFT
    t1 = time.perf_counter()
    x.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def run_autograd_lite(n: int) -> tuple[float, float]:
    return _timed_chain(Value(0.3), n)


def run_autograd_lite_gc_paused(n: int) -> tuple[float, float]:
    # What a caller gets by pausing CPython's cyclic collector around a huge graph
    # (our graphs hold no cycles, so refcounting alone frees them).
    gc.disable()
    try:
        return run_autograd_lite(n)
    finally:
        gc.enable()


def run_micrograd(n: int) -> tuple[float, float]:
    from micrograd.engine import Value as M
    return _timed_chain(M(0.3), n)  # its backward recurses: needs the limit raised in main()


def run_torch(n: int) -> tuple[float, float]:
    import torch
    return _timed_chain(torch.tensor(0.3, dtype=torch.float64, requires_grad=True), n)


def run_floats(n: int) -> tuple[float, float]:
    # The pure-Python floor: the same arithmetic with no graph, the chain rule by hand.
    x = 0.3
    t0 = time.perf_counter()
    for _ in range(n):
        x = x * STEP + SHIFT
    t1 = time.perf_counter()
    g = 1.0
    for _ in range(n):
        g *= STEP  # d(x*c + s)/dx = c, applied from the output back
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


CONTENDERS = {"autograd_lite": run_autograd_lite, "autograd_lite, gc paused": run_autograd_lite_gc_paused,
              "floats": run_floats, "micrograd": run_micrograd, "torch": run_torch}


def run_one(name: str, n: int, repeats: int) -> tuple[float, float]:
    """In this process: the fastest (forward, backward) of ``repeats`` runs of one contender."""
    if name == "micrograd":
        sys.setrecursionlimit(1_000_000)  # only micrograd needs this: its topological sort recurses
    if name == "torch":
        import torch
        torch.set_num_threads(1)  # one core each, on a shared machine
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        gc.collect()
        f, b = CONTENDERS[name](n)
        best = (min(best[0], f), min(best[1], b))
    return best


def best_of(rounds: int, names: list[str], n: int, repeats: int) -> dict:
    """Each contender's fastest (forward, backward) over interleaved rounds, in seconds.

    Every round of every contender is a fresh process (see the module docstring).
    """
    best = {name: (float("inf"), float("inf")) for name in names}
    for _ in range(rounds):
        for name in names:
            done = subprocess.run([sys.executable, __file__, "--one", name, str(n), str(repeats)],
                                  capture_output=True, text=True, check=True)
            f, b = json.loads(done.stdout)
            best[name] = (min(best[name][0], f), min(best[name][1], b))
    return best


def bytes_per_node(value_class: type, n: int) -> float:
    """Memory held by a live n-step chain of value_class nodes, per node (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    x = value_class(0.3)
    for _ in range(n):
        x = x * STEP + SHIFT
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del x
    return used / (2 * n)


def exact_gradient_check(n: int) -> bool:
    x0 = Value(0.3)
    x = x0
    for _ in range(n):
        x = x * STEP + SHIFT
    x.backward()
    expected = 1.0
    for _ in range(n):
        expected *= STEP
    return x0.grad == expected


def where_the_time_goes(n: int, rounds: int) -> dict:
    """Split autograd_lite's time per node: ops, the GC, the topological sort, the chain rule."""
    from autograd_lite.engine import reverse_topological  # here: before_after.py imports chain.py in older trees
    out = {}
    for gc_on in (True, False):
        fwd = bwd = topo = float("inf")
        for _ in range(rounds):
            gc.collect()
            if not gc_on:
                gc.disable()
            try:
                x = Value(0.3)
                t0 = time.perf_counter()
                for _ in range(n):
                    x = x * STEP + SHIFT
                t1 = time.perf_counter()
                reverse_topological(x)
                t2 = time.perf_counter()
                x.backward()
                t3 = time.perf_counter()
            finally:
                gc.enable()
            fwd, topo, bwd = min(fwd, t1 - t0), min(topo, t2 - t1), min(bwd, t3 - t2)
            del x
        out["gc on" if gc_on else "gc off"] = (fwd, topo, bwd)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--one", nargs=3, metavar=("NAME", "STEPS", "REPEATS"),
                        help="internal: time one contender in this process and print JSON")
    args = parser.parse_args()
    if args.one:
        name, n, repeats = args.one[0], int(args.one[1]), int(args.one[2])
        print(json.dumps(run_one(name, n, repeats)))
        return

    names = ["autograd_lite", "autograd_lite, gc paused", "floats"]
    for name, hint in (("micrograd", "pip install micrograd==0.1.0"), ("torch", "pip install torch")):
        if importlib.util.find_spec(name):  # found, not imported: this process stays small
            names.append(name)
        else:
            print(f"{name} not installed ({hint}): skipped")

    # (steps, rounds, runs per process)
    sizes = [(10_000, 3, 3), (100_000, 2, 1)] if args.quick else [(10_000, 8, 3), (100_000, 4, 1), (1_000_000, 2, 1)]
    print(f"# chain x = x * {STEP} + {SHIFT}: ns per node (forward + backward), best of interleaved rounds")
    print(f"# Python {platform.python_version()} on {platform.machine()}")
    results = {}
    for n, rounds, repeats in sizes:
        # micrograd needs ~30 s and gigabytes per round at 10^6: it runs at 10^4 and 10^5 only
        results[n] = best_of(rounds, [k for k in names if n <= 100_000 or k != "micrograd"], n, repeats)
    print()
    print("| steps (nodes) | contender | forward ns/node | backward ns/node | total ns/node "
          "| its time / autograd_lite's |")
    print("|---|---|---|---|---|---|")
    for n, best in results.items():
        ours = sum(best["autograd_lite"])
        for name, (f, b) in best.items():
            per = lambda t, n=n: t / (2 * n) * 1e9  # noqa: E731
            ratio = (f + b) / ours
            speed = f"{ratio:.1f}" if ratio >= 1 else f"{ratio:.2f}"
            print(f"| {n:,} ({2 * n:,}) | {name} | {per(f):.0f} | {per(b):.0f} | {per(f + b):.0f} | {speed} |")
    print()
    for name in ("autograd_lite", "autograd_lite, gc paused", "micrograd", "torch"):
        if name not in results[sizes[0][0]]:
            continue
        base = sum(results[sizes[0][0]][name]) / (2 * sizes[0][0])
        for n, _, _ in sizes[1:]:
            if name in results[n]:
                per = sum(results[n][name]) / (2 * n)
                print(f"{name}: time per node at {n:,} steps / at {sizes[0][0]:,} steps: {per / base:.2f}x")
    big = sizes[-1][0]
    print(f"exact gradient at {big:,} steps (same product of the same floats): {exact_gradient_check(big)}")
    print(f"bytes per live node (tracemalloc, {big:,} steps): {bytes_per_node(Value, big):.1f}")
    if "micrograd" in names:
        from micrograd.engine import Value as M
        print(f"micrograd bytes per live node (tracemalloc, 10,000 steps): {bytes_per_node(M, 10_000):.1f}")

    print("\n# where autograd_lite's time goes (ns per node)")
    print("| steps | collector | forward (ops) | topological sort | backward total | of which chain rule |")
    print("|---|---|---|---|---|---|")
    for n, rounds in ((10_000, 10), (big, 2)):
        for mode, (f, t, b) in where_the_time_goes(n, rounds).items():
            per = lambda s, n=n: s / (2 * n) * 1e9  # noqa: E731
            print(f"| {n:,} | {mode} | {per(f):.0f} | {per(t):.0f} | {per(b):.0f} | {per(b - t):.0f} |")


if __name__ == "__main__":
    main()
