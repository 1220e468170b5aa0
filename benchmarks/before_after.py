"""Two checkouts of autograd_lite timed in one run, interleaved: did a change cost anything?

    git worktree add ../baseline session3-start      # the "before" tree (read only)
    python benchmarks/before_after.py --before ../baseline [--rounds 6]

For each of the two trees ("before" and this one, "after") and, in the same
rounds, for the references, every measurement runs in a fresh Python process
whose ``sys.path`` starts with that tree, so each imports its own
autograd_lite:

- the chain ``x = x * 1.0000001 + 0.5`` at 10^4 steps, forward + backward, ns
  per node, against PyTorch 0-d float64 tensors (chain.py's contenders);
- micrograd's demo step (demo_step.py's contenders: moons 100, MLP(2, [16, 16,
  1]), hinge + L2, full batch), against micrograd 0.1.0 and hand-written floats;
- bytes per live node of a 10^5-step chain (tracemalloc).

The machine is shared and noisy, so the contenders run round after round,
interleaved, and each keeps its best round; report the ratios, which come from
this one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AFTER = os.path.dirname(HERE)


def _in_tree(tree: str, code: str) -> dict:
    """Run code in a fresh process that imports autograd_lite from tree; it prints one JSON object."""
    prelude = (f"import sys; sys.path[:0] = [{tree!r}, {HERE!r}]\n"
               "import autograd_lite\n"
               f"assert autograd_lite.__file__.startswith({tree!r}), autograd_lite.__file__\n")
    done = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    if done.returncode:
        raise RuntimeError(f"benchmark process failed in {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def chain(tree: str, name: str, n: int, repeats: int) -> dict:
    return _in_tree(tree, f"import chain, json; f, b = chain.run_one({name!r}, {n}, {repeats}); "
                          f"print(json.dumps({{'ns': (f + b) / (2 * {n}) * 1e9}}))")


def demo_step(tree: str, contender: str, repeats: int) -> dict:
    code = f"""
import gc, json, random, time
import demo_step as d
from autograd_lite.data import make_moons
from micrograd.nn import MLP
X, y = make_moons(100, noise=0.1, seed=1337, labels=(-1, 1))
random.seed(1337)
weights = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
step = getattr(d, {contender!r})(weights, X, y)
step()  # untimed: the contender's own garbage in place, as in a training loop
best = float("inf")
for _ in range({repeats}):
    gc.collect()
    t0 = time.perf_counter(); step(); best = min(best, time.perf_counter() - t0)
print(json.dumps({{"s": best}}))
"""
    return _in_tree(tree, code)


def bytes_per_node(tree: str, n: int) -> dict:
    return _in_tree(tree, f"import chain, json; from autograd_lite import Value; "
                          f"print(json.dumps({{'bytes': chain.bytes_per_node(Value, {n})}}))")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="path of the checkout to compare against")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (default 6)")
    args = parser.parse_args(argv)
    before = os.path.abspath(args.before)
    trees = {"before": before, "after": AFTER}
    n = 10_000
    best: dict[str, float] = {}

    def keep(key: str, value: float) -> None:
        best[key] = min(best.get(key, float("inf")), value)

    for r in range(args.rounds):
        for label, tree in trees.items():
            keep(f"chain {label}", chain(tree, "autograd_lite", n, 3)["ns"])
            keep(f"demo {label}", demo_step(tree, "autograd_lite_contender", 3)["s"])
        keep("chain torch", chain(AFTER, "torch", n, 3)["ns"])
        keep("demo micrograd", demo_step(AFTER, "micrograd_contender", 3)["s"])
        keep("demo floats", demo_step(AFTER, "float_contender", 3)["s"])
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    sizes = {label: bytes_per_node(tree, 100_000)["bytes"] for label, tree in trees.items()}

    print(f"# before: {before}\n# after:  {AFTER}\n# best of {args.rounds} interleaved rounds, "
          f"each measurement a fresh process; Python {sys.version.split()[0]}\n")
    print("| measure | before | after | after / before |")
    print("|---|---|---|---|")
    rows = [
        ("chain 10^4, ns/node", "chain before", "chain after", "{:.0f}"),
        ("demo step, ms", "demo before", "demo after", "{:.2f}"),
    ]
    for title, b, a, fmt in rows:
        scale = 1e3 if title.startswith("demo") else 1.0
        print(f"| {title} | {fmt.format(best[b] * scale)} | {fmt.format(best[a] * scale)} | "
              f"{best[a] / best[b]:.3f} |")
    print(f"| chain: time / torch 0-d's ({best['chain torch']:.0f} ns/node) | "
          f"{best['chain before'] / best['chain torch']:.3f} | {best['chain after'] / best['chain torch']:.3f} | |")
    micro = best["demo micrograd"]
    print(f"| demo step: micrograd's time / ours (micrograd {micro * 1e3:.1f} ms) | "
          f"{micro / best['demo before']:.0f}x | {micro / best['demo after']:.0f}x | |")
    print(f"| demo step: ours / hand-written floats' ({best['demo floats'] * 1e3:.2f} ms) | "
          f"{best['demo before'] / best['demo floats']:.2f}x | {best['demo after'] / best['demo floats']:.2f}x | |")
    print(f"| bytes per live node (10^5-step chain) | {sizes['before']:.1f} | {sizes['after']:.1f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
