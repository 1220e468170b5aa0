"""A notebook's full run timed in two checkouts, one after the other, round after round.

    git worktree add ../baseline 2b7d342          # the "before" tree (read only)
    python benchmarks/notebook_time.py --before ../baseline [--rounds 2] [--notebook 04_experiments.ipynb]

Each round executes the notebook of the "before" tree, then this tree's
("after"), each in a fresh Jupyter kernel as ``notebooks/run.py`` runs it (full
settings: ``AUTOGRAD_LITE_QUICK=0``; nothing is written back), with
``PYTHONPATH`` set so that the kernel imports that tree's autograd_lite.  A
cell put before the notebook's first and one after its last read the kernel's
CPU time (``time.process_time``) and wall time: CPU time is what the kernel
itself spent, so it is less disturbed by other work on a shared machine than
wall time.  The load average is printed with each run; report the ratios,
which come from this one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

AFTER = Path(__file__).resolve().parent.parent
QUICK_ENV = "AUTOGRAD_LITE_QUICK"

_START = ("import time as _nt_time, autograd_lite as _nt_al\n"
          "assert _nt_al.__file__.startswith({tree!r}), _nt_al.__file__\n"
          "_nt_start = (_nt_time.process_time(), _nt_time.perf_counter())")
_END = ("import json as _nt_json\n"
        "print(_nt_json.dumps({'cpu': _nt_time.process_time() - _nt_start[0], "
        "'wall': _nt_time.perf_counter() - _nt_start[1]}))")


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as uptime prints them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_once(tree: Path, notebook: str, timeout: int) -> dict:
    """Execute tree/notebooks/notebook in a fresh kernel; the kernel's CPU and wall seconds, and ours."""
    import nbformat
    from nbclient import NotebookClient

    folder = tree / "notebooks"
    nb = nbformat.read(folder / notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_START.format(tree=str(tree))))
    nb.cells.append(nbformat.v4.new_code_cell(_END))
    env = {QUICK_ENV: "0", "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits our environment
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})
        start = time.perf_counter()
        client.execute()
        outside = time.perf_counter() - start
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    figures = json.loads(text.strip().splitlines()[-1])
    figures["outside"] = outside
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (its root folder)")
    parser.add_argument("--notebook", default="04_experiments.ipynb")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": AFTER}
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for r in range(args.rounds):
        for name, tree in trees.items():
            load = load_average()
            figures = run_once(tree, args.notebook, args.timeout)
            runs[name].append(figures)
            print(f"round {r + 1}, {name:6}: kernel CPU {figures['cpu']:7.1f} s, wall {figures['wall']:7.1f} s "
                  f"(whole execution {figures['outside']:.1f} s); load average before: {load}", flush=True)
    print(f"\n{args.notebook}: {trees['before']} (before) against {trees['after']} (after), "
          f"{args.rounds} round(s); load average now: {load_average()}")
    for key, what in (("cpu", "kernel CPU"), ("wall", "wall")):
        ratios = [b[key] / a[key] for b, a in zip(runs["before"], runs["after"])]
        before = statistics.median(b[key] for b in runs["before"])
        after = statistics.median(a[key] for a in runs["after"])
        print(f"{what:10}: before {before:7.1f} s, after {after:7.1f} s (medians); before / after per round: "
              + ", ".join(f"{x:.2f}x" for x in ratios) + f"; of the medians: {before / after:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
