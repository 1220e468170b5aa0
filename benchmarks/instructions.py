"""Instructions per step, counted by valgrind: a regression check that machine noise cannot blur.

    git worktree add ../baseline session3-start       # the "before" tree (read only)
    python benchmarks/instructions.py --before ../baseline [--steps 4]

Wall time on a shared machine moves by 5-10% from run to run, which hides a
change that costs 2%.  The number of instructions CPython executes for a step
does not move (with PYTHONHASHSEED fixed): this script counts them with
valgrind's callgrind for two workloads, in each tree, and prints the ratio.

- micrograd's demo step (demo_step.py's autograd_lite contender): a process
  runs 1 step, another runs 1 + steps; the difference, divided by steps, is one
  step's count without the start-up.  Those are the steps before_after.py times.
- the chain ``x = x * 1.0000001 + 0.5`` at 10^4 steps, forward and backward,
  counted the same way, per node (two a step).

Instructions are not time (a cache miss costs more than an add), so read this
next to before_after.py's timings, not instead of them.  Needs valgrind
(``apt-get install valgrind``); each count takes a few seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AFTER = os.path.dirname(HERE)

DEMO = """
import random
import demo_step as d
from autograd_lite.data import make_moons
from micrograd.nn import MLP
X, y = make_moons(100, noise=0.1, seed=1337, labels=(-1, 1))
random.seed(1337)
weights = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
step = d.autograd_lite_contender(weights, X, y)
for _ in range(STEPS):
    step()
"""

CHAIN = """
from autograd_lite import Value
for _ in range(STEPS):
    x = Value(0.3)
    for _ in range(10_000):
        x = x * 1.0000001 + 0.5
    x.backward()
"""


def count(tree: str, workload: str, steps: int) -> int:
    """Instructions callgrind counts for a fresh process that runs the workload `steps` times in tree."""
    prelude = (f"import sys; sys.path[:0] = [{tree!r}, {HERE!r}]\n"
               "import autograd_lite\n"
               f"assert autograd_lite.__file__.startswith({tree!r}), autograd_lite.__file__\n")
    code = prelude + workload.replace("STEPS", str(steps))
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1"))
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"valgrind failed in {tree}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_step(tree: str, workload: str, steps: int) -> float:
    return (count(tree, workload, 1 + steps) - count(tree, workload, 1)) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the tree to compare against (a git worktree)")
    parser.add_argument("--steps", type=int, default=3, help="steps counted after the first (default 3)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    before = os.path.abspath(args.before)
    print(f"# before: {before}\n# after:  {AFTER}\n# instructions per step (callgrind), Python "
          f"{sys.version.split()[0]}\n")
    print("| workload | before | after | after / before |\n|---|---|---|---|")
    workloads = (("demo step", DEMO, "{:.1f}M", 1e-6), ("chain 10^4, per node", CHAIN, "{:.0f}", 1 / 20_000))
    for title, workload, fmt, scale in workloads:
        b = per_step(before, workload, args.steps)
        a = per_step(AFTER, workload, args.steps)
        print(f"| {title} | {fmt.format(b * scale)} | {fmt.format(a * scale)} | {a / b:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
