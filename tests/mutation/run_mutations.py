"""Prove the tests can fail: inject classic autodiff bugs into a copy of the engine, one at a time.

For each mutant: copy the package and the tests to a temporary directory,
apply the mutation to the copy's engine.py (or the module a pattern names),
and run a focused part of the suite against the copy (stopping at the first
failure).  A mutant is caught when some test fails; the table names that
test.  Exit status 1 if any mutant survives, or if a pattern no longer matches
its module exactly once (then the code changed: update the pattern here, never
delete the mutant silently).

    python tests/mutation/run_mutations.py          # ~1 minute
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The tests that run against each mutant, fastest-to-fail first.  -x stops at the first failure.
SUITE = ["tests/test_ops.py", "tests/test_singular_torch.py", "tests/test_rules.py", "tests/test_properties.py",
         "tests/test_custom.py", "tests/test_check.py", "tests/test_ops_torch.py"]

# name -> [(exact text in engine.py, replacement)] or [(text, replacement, module)] for a pattern in
# another module of the package; every text must occur exactly once in its module.
MUTANTS: dict[str, list[tuple[str, ...]]] = {
    "tanh' = 1 - t (not 1 - t^2)": [
        ("lambda x, out: 1.0 - out * out,", "lambda x, out: 1.0 - out,")],
    "backward assigns (=) instead of accumulating (+=)": [
        ("                a.grad += g * node._da\n                b = node._b\n                if b is not None:\n"
         "                    b.grad += g * node._db",
         "                a.grad = g * node._da\n                b = node._b\n                if b is not None:\n"
         "                    b.grad = g * node._db")],
    "mul's local derivatives swapped": [
        ('"mul", self, other.data, other, self.data)', '"mul", self, self.data, other, other.data)')],
    "no topological order (DFS pre-order)": [
        ("        seen.add(node)\n        stack.append(node)\n        stack.append(_EMIT)\n",
         "        seen.add(node)\n        order.append(node)\n"),
        ("    order.reverse()\n    return order", "    return order")],
    "relu'(0) = 1 instead of 0": [
        ("        if x <= 0.0:\n            # recorded with no local derivative",
         "        if x < 0.0:\n            # recorded with no local derivative")],
    "sigmoid' with the wrong sign": [
        ("lambda x, out: out * (1.0 - out),", "lambda x, out: out * (out - 1.0),")],
    "pow' = y x^y (exponent off by one)": [
        ("    if _data(y) != 0.0:\n        return y * _power(x, y - 1.0)\n",
         "    if _data(y) != 0.0:\n        return y * _power(x, y)\n")],
    "div' toward the divisor with the wrong sign": [
        ("    return -_divide(out, y)  # d(x/y)/dy", "    return _divide(out, y)  # d(x/y)/dy")],
    "log' = 1/x^2": [
        ("lambda x, out: _divide(1.0, x),", "lambda x, out: _divide(1.0, x * x),")],
    "dot: each factor of a pair gets its own value as derivative": [
        ('(*ws, *xs, bias), (*x_data, *w_data, 1.0)', '(*ws, *xs, bias), (*w_data, *x_data, 1.0)', "nary.py"),
        ("    locals_ = x_data + w_data + single_data\n", "    locals_ = w_data + x_data + single_data\n",
         "nary.py")],
    "dot: a first-layer neuron's bias gets no gradient": [
        ("(*ws, bias), (*xs, 1.0), 0, bias)", "(*ws, bias), (*xs, 0.0), 0, bias)", "nary.py")],
    "second backward counts earlier gradients again": [
        ("            for node, _ in saved:\n                node.grad = 0.0\n",
         "            for node, _ in saved:\n                pass\n")],
    "higher order: the rules called with floats (constants, so second derivatives vanish)": [
        ("local_derivatives(node, create_graph=True) if create_graph",
         "local_derivatives(node, create_graph=False) if create_graph", "functional.py")],
    "pow at 0: the rule's zero as a plain 0 (PyTorch's nan at higher orders lost)": [
        ("    return _masked(out * _logarithm(x)) if type(out) is Value else 0.0",
         "    return 0.0")],
    "gradients() assigns instead of accumulating": [
        ("grads[p] = grads[p] + c if p in grads else c", "grads[p] = c", "functional.py")],
}


# Mutants that only the PyTorch oracle can judge (tests/test_singular_torch.py compares every order at
# every singular point with torch): without torch installed they are skipped, not counted as survivors.
NEEDS_TORCH = {"pow at 0: the rule's zero as a plain 0 (PyTorch's nan at higher orders lost)"}


class PatternError(RuntimeError):
    pass


def mutate(sources: dict[str, str], name: str) -> dict[str, str]:
    """The modules (file name -> source) the mutant changes, mutated."""
    out: dict[str, str] = {}
    for old, new, *where in MUTANTS[name]:
        module = where[0] if where else "engine.py"
        source = out.get(module, sources[module])
        n = source.count(old)
        if n != 1:
            raise PatternError(f"mutant {name!r}: pattern found {n} times in {module} (expected once): {old!r}")
        out[module] = source.replace(old, new)
    return out


def _copy_tree(dest: str) -> None:
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "mutation", "test_mutation.py")
    shutil.copytree(os.path.join(ROOT, "autograd_lite"), os.path.join(dest, "autograd_lite"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "tests"), os.path.join(dest, "tests"), ignore=ignore)
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), dest)


def run_suite(dest: str) -> tuple[bool, str, str]:
    """Run SUITE against the copy in dest: (passed, the first failing test, output)."""
    env = dict(os.environ, PYTHONPATH=dest, AUTOGRAD_LITE_MUTANT_DIR=dest, HYPOTHESIS_PROFILE="ci",
               PYTHONDONTWRITEBYTECODE="1")
    # Check the import first: cwd and PYTHONPATH are the copy, so it must win over the editable install.
    where = subprocess.run([sys.executable, "-c", "import autograd_lite; print(autograd_lite.__file__)"],
                           cwd=dest, env=env, capture_output=True, text=True).stdout.strip()
    if not where.startswith(dest):
        raise RuntimeError(f"the mutant is not what gets imported: {where!r}")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-o", "addopts=", "-rfE",
                           "-p", "no:cacheprovider", *SUITE], cwd=dest, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    m = re.search(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    return proc.returncode == 0, (m.group(1) if m else f"pytest exit {proc.returncode}"), out


def main() -> int:
    package = os.path.join(ROOT, "autograd_lite")
    modules = {"engine.py"} | {p[2] for patterns in MUTANTS.values() for p in patterns if len(p) > 2}
    originals = {}
    for module in sorted(modules):
        with open(os.path.join(package, module)) as f:
            originals[module] = f.read()
    for name in MUTANTS:  # every pattern checked before any run: fail fast and loudly
        mutate(originals, name)
    rows, survived = [], []
    skipped = [] if importlib.util.find_spec("torch") else sorted(NEEDS_TORCH)
    with tempfile.TemporaryDirectory(prefix="autograd_lite_mutants_") as tmp:
        dest = os.path.realpath(tmp)
        _copy_tree(dest)
        t = time.perf_counter()
        ok, first, out = run_suite(dest)  # the unmutated copy must pass, or catching means nothing
        if not ok:
            print(out)
            print(f"the unmutated copy fails ({first}); fix the suite first")
            return 1
        print(f"unmutated copy: suite passes ({time.perf_counter() - t:.1f}s)\n")
        for name in MUTANTS:
            if name in skipped:
                rows.append((name, "skipped: judged by the PyTorch oracle only, and torch is not installed", 0.0))
                continue
            mutated = mutate(originals, name)
            for module, source in originals.items():  # every module back to its original, then the mutant's
                with open(os.path.join(dest, "autograd_lite", module), "w") as f:
                    f.write(mutated.get(module, source))
            t = time.perf_counter()
            ok, first, out = run_suite(dest)
            rows.append((name, "SURVIVED" if ok else first, time.perf_counter() - t))
            if ok:
                survived.append(name)
    width = max(len(r[0]) for r in rows)
    print(f"{'mutant':<{width}}  caught by (first failing test)")
    for name, first, secs in rows:
        print(f"{name:<{width}}  {first}  ({secs:.1f}s)")
    judged = len(rows) - len(skipped)
    print(f"\n{judged - len(survived)}/{judged} mutants caught" + (f" ({len(skipped)} skipped)" if skipped else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
