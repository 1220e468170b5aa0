"""Hypothesis profiles, and a guard that the mutation run imports the mutant.

`ci` (the default) is deterministic: derandomized, no example database, no
deadline (shared CI machines are noisy), and modest sizes so `make test` stays
fast.  `HYPOTHESIS_PROFILE=thorough make test` runs many more examples.
"""

import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))  # `from cases import ...` however pytest is started

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=40,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=1000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_mutant = os.environ.get("AUTOGRAD_LITE_MUTANT_DIR")
if _mutant:
    # tests/mutation/run_mutations.py runs the suite against a mutated copy: make sure
    # that copy, not the installed package, is what the tests exercise
    import autograd_lite

    if not os.path.abspath(autograd_lite.__file__).startswith(os.path.abspath(_mutant)):
        raise RuntimeError(f"mutation run imported {autograd_lite.__file__}, not the mutant in {_mutant}")
