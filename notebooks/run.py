"""Execute the notebooks in this folder top to bottom, each in a fresh kernel.

    python notebooks/run.py                  # full settings; rewrite each notebook's outputs in place
    python notebooks/run.py --quick --out D  # AUTOGRAD_LITE_QUICK=1; write executed copies to D (the tests)

``make notebooks`` runs the first form to refresh the committed outputs, and
``tests/test_notebooks.py`` the second, so the committed files are never
touched by a test.  Either way an error in any cell stops with a nonzero exit
status and names the notebook and the cell.

Notebooks read ``AUTOGRAD_LITE_QUICK`` to shrink their experiments; every
random choice in them is seeded, so a full run writes the same numbers each
time.  The kernel runs in this folder, so outputs never show a machine's paths.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK_ENV = "AUTOGRAD_LITE_QUICK"
# Warnings the Graphviz bundled with pygraphviz writes straight to the kernel's stderr on
# machines whose system fontconfig is newer than its own; they say nothing about the notebook.
_RENDERER_NOISE = ("Fontconfig warning:", "Fontconfig error:")


def notebooks() -> list[Path]:
    """Every notebook in this folder, in order (01_..., 02_...)."""
    return sorted(HERE.glob("*.ipynb"))


def execute(path: Path, *, quick: bool, timeout: int = 600):
    """Run ``path`` in a fresh kernel; return the executed notebook (the file is not written)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ[QUICK_ENV] = "1" if quick else "0"  # the kernel inherits our environment
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}},
                            record_timing=False)  # no timestamps: a re-run changes only what changed
    client.execute()
    _tidy(nb)
    return nb


def _tidy(nb) -> None:
    """Merge consecutive stream outputs, then drop renderer noise.

    A cell's prints reach the notebook in as many chunks as the kernel happened
    to flush, which varies from run to run; merged, a re-run is byte-identical.
    Merging comes first because one warning line can arrive split over two
    chunks, and only the whole line starts with the prefix we filter on.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.outputs:
            if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == out.name):
                merged[-1].text += out.text
                continue
            merged.append(out)
        kept = []
        for out in merged:
            if out.output_type == "stream" and out.name == "stderr":
                lines = [ln for ln in out.text.splitlines(keepends=True) if not ln.startswith(_RENDERER_NOISE)]
                if not lines:
                    continue
                out.text = "".join(lines)
            kept.append(out)
        cell.outputs = kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to run (default: all in notebooks/)")
    parser.add_argument("--quick", action="store_true", help=f"set {QUICK_ENV}=1: small experiments, for CI")
    parser.add_argument("--out", type=Path, help="write executed copies here instead of rewriting in place")
    args = parser.parse_args(argv)

    import nbformat
    from nbclient.exceptions import CellExecutionError

    for path in args.paths or notebooks():
        start = time.perf_counter()
        try:
            nb = execute(path, quick=args.quick)
        except CellExecutionError as e:
            print(f"{path.name}: a cell failed\n{e}", file=sys.stderr)
            return 1
        target = path if args.out is None else args.out / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
