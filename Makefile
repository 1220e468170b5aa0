# Two commands for a newcomer: `make demo` and `make test`.  Both set up a local
# virtual environment (.venv) on first use; only python3 (3.10+) and make are needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Stamp files, so each step runs once (and again when pyproject.toml changes): BASE, the bare
# virtual environment; STAMP, the package with what the tests need; DEMO, with what the demo needs;
# DOCSENV, with what the two sites need (the tests build them too).
BASE   := $(VENV)/.created
STAMP  := $(VENV)/.installed
DEMO   := $(VENV)/.demo-installed
DOCSENV := $(VENV)/.docs-installed

.PHONY: demo test lint venv notebooks torch bench bench-demo bench-compile docs lite clean

# The demo plots (matplotlib), draws its graph (pygraphviz) and shows a tqdm bar: the `demo` extra only.
demo: $(DEMO)
	$(PY) -m autograd_lite demo

$(DEMO): pyproject.toml | $(BASE)
	$(PY) -m pip install -q -e ".[demo]"
	touch $@

test: lint $(DOCSENV)
	$(PY) -m pytest -q

# Lint, in seconds: ruff (style, likely bugs, imports) and mypy (types) on what pyproject.toml names.
lint: $(STAMP)
	$(PY) -m ruff check
	$(PY) -m mypy

# The environment the tests run in (CI: `make venv`, then PyTorch into it, then `make test`).
venv: $(STAMP) $(DOCSENV)

# __init__.py too: it holds the version, which the installed metadata copies.
$(STAMP): pyproject.toml $(wildcard autograd_lite/__init__.py) | $(BASE)
	$(PY) -m pip install -q -e ".[test,viz,notebooks]"
	touch $@

$(BASE):
	$(PYTHON) -m venv $(VENV)
	touch $@

# Re-run every notebook in notebooks/ with full settings and rewrite its outputs in
# place (seeded: the same numbers each time).  `make test` runs them quick, into a temp folder.
notebooks: $(STAMP)
	$(PY) notebooks/run.py

# Optional: PyTorch for the cross-check tests and benchmarks (CI does this).
# On machines without a local wheel this downloads several GB.
torch: $(STAMP)
	$(PY) -m pip install -q torch==2.13.0

# Benchmarks against micrograd (and PyTorch when installed); prints ratios.
bench: $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) benchmarks/chain.py

# micrograd's demo step: micrograd vs autograd_lite vs plain floats (vs PyTorch when installed).
bench-demo: $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) benchmarks/demo_step.py

# autograd_lite.compile: the demo step compiled vs the float step, and the numpy backend vs PyTorch (when installed).
bench-compile: $(STAMP)
	$(PY) -m pip install -q -e ".[bench,compile]"
	$(PY) benchmarks/compile_step.py

# The documentation site into site/: the README as home page, the notebooks with their committed
# outputs, an API page per public module (mkdocs.yml, docs/hooks.py).  --strict: a warning, such as
# a broken link, fails the build.  Open site/index.html, or serve it: python3 -m http.server -d site
docs: $(DOCSENV)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

$(DOCSENV): pyproject.toml | $(BASE)
	$(PY) -m pip install -q -e ".[docs]"
	touch $@

# The in-browser site into site/lite/ (JupyterLite on Pyodide, run from local files only), beside the
# docs, which link to it.  Needs Node's npm, which fetches the Pyodide package (docs/lite/build.py).
# Serve it over HTTP (a browser will not run it from file://): python3 -m http.server -d site
lite: docs
	$(PY) docs/lite/build.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache site .cache
