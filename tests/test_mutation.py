"""The suite catches classic autodiff bugs: run tests/mutation/run_mutations.py (about 40 s).

Set AUTOGRAD_LITE_SKIP_MUTATION=1 to skip it while iterating locally.
"""

import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "mutation", "run_mutations.py")


@pytest.mark.skipif(os.environ.get("AUTOGRAD_LITE_SKIP_MUTATION") == "1", reason="AUTOGRAD_LITE_SKIP_MUTATION=1")
def test_every_mutant_of_the_engine_is_caught():
    proc = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, timeout=300)
    print(proc.stdout)  # the table: shown with `pytest -s`, and kept in the report on failure
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
