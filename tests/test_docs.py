"""The documentation site and the in-browser (JupyterLite) site: built, link-checked and run.

Both sites are built once per session into a temporary folder, exactly as `make docs` and
`make lite` build them (mkdocs --strict; docs/lite/build.py).  Then:
- the docs site has a home page, a page per notebook and an API page per public module,
  its README links and pictures resolve, and linkchecker finds no broken link;
- headless Chromium opens the try-it notebook from 127.0.0.1, runs every cell with Pyodide,
  and each cell prints what the same code prints in CPython; every request the browser makes
  to a host other than 127.0.0.1 goes to a recording proxy, and the test fails if there is one.
Each part skips with a reason when its tools are missing (the `docs` extra, npm, Chromium).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import pkgutil
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest

import autograd_lite

ROOT = Path(__file__).resolve().parent.parent
TRY_IT = ROOT / "docs" / "lite" / "content" / "try_it.ipynb"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000",
                  "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate"]
# Chromium's own services, which it calls whatever page is open (sign-in, component updates, the
# default search engine's preconnect) and which no flag above turns off completely.  They go to
# the recording proxy too and are refused; they are not requests of the pages under test.
CHROMIUM_OWN_HOSTS = {"accounts.google.com", "clients2.google.com", "update.googleapis.com",
                      "content-autofill.googleapis.com", "optimizationguide-pa.googleapis.com",
                      "start.duckduckgo.com"}


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: the docs tests need the `docs` extra (pip install -e '.[docs]')")


@pytest.fixture(scope="session")
def build_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="autograd_lite_docs_") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def docs_site(build_dir: Path) -> Path:
    """The docs site, built with --strict as `make docs` builds it."""
    _need("mkdocs")
    _need("mkdocs_jupyter")
    site = build_dir / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    return site


@pytest.fixture(scope="session")
def lite_site(docs_site: Path) -> Path:
    """The JupyterLite site inside the docs site, as `make lite` builds it."""
    _need("jupyterlite_core")
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the JupyterLite build takes Pyodide from its npm package")
    lite = docs_site / "lite"
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "lite" / "build.py"), "--output-dir", str(lite)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"the JupyterLite build failed:\n{result.stdout}\n{result.stderr}"
    return lite


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    served: list[str] = []  # every path asked for, in order
    # Module scripts and WebAssembly need their own types, which older mimetypes tables lack.
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".svg": "image/svg+xml"}

    def log_message(self, format: str, *args: Any) -> None:
        self.served.append(self.path)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


@contextlib.contextmanager
def _serve(handler: Any) -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def served(docs_site: Path) -> Iterator[str]:
    with _serve(functools.partial(_QuietHandler, directory=str(docs_site))) as port:
        yield f"http://127.0.0.1:{port}/"


# --- the docs site -----------------------------------------------------------------------------

def _public_modules() -> list[str]:
    """Found by importing, independently of the site's own hook (which walks the files)."""
    names = [autograd_lite.__name__]
    for info in pkgutil.walk_packages(autograd_lite.__path__, prefix="autograd_lite."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def test_every_public_module_has_an_api_page(docs_site: Path) -> None:
    modules = _public_modules()
    assert "autograd_lite.engine" in modules and "autograd_lite.viz.text" in modules
    for module in modules:
        page = docs_site / "api" / module / "index.html"
        assert page.is_file(), f"no API page for {module}"
    # Docstrings come through: a function's own docstring sentence is on its module's page.
    assert "Check backward()" in (docs_site / "api" / "autograd_lite.check" / "index.html").read_text()


def test_doctests_are_shown_as_code(docs_site: Path) -> None:
    html = (docs_site / "api" / "autograd_lite.functional" / "index.html").read_text()
    # The docstring example `>>> grad(lambda x: x ** 3)(2.0)` with its output 12.0, inside a code block.
    blocks = [html_unescape(re.sub(r"<[^>]+>", "", block)) for block in re.findall(r"<pre.*?</pre>", html, re.S)]
    assert any(">>> grad(lambda x: x ** 3)(2.0)\n12.0" in block for block in blocks)
    assert not re.search(r"<blockquote>\s*<p>\s*&gt;", html), "a doctest rendered as a block quote"


def test_notebooks_are_pages_with_their_outputs(docs_site: Path) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        page = docs_site / "notebooks" / notebook.stem / "index.html"
        assert page.is_file(), f"{notebook.name} is not on the site"
        # One committed stream output, as text on the page (outputs are shown, not re-run).
        cells = json.loads(notebook.read_text())["cells"]
        streams = ["".join(o["text"]) for c in cells for o in c.get("outputs", []) if o.get("name") == "stdout"]
        line = next(line for text in streams for line in text.splitlines() if len(line.strip()) > 10)
        html = page.read_text()
        assert _escape(line.strip()) in html, f"{notebook.name}: output line {line!r} missing"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_readme_is_the_home_page_and_its_links_resolve(docs_site: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    html = (docs_site / "index.html").read_text()
    assert readme.splitlines()[0].lstrip("# ").strip() in html
    targets = re.findall(r"\]\(([^)\s#]+)", readme)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    assert any(t.endswith(".svg") for t in local) and any(t.endswith(".py") for t in local)
    hrefs = set(re.findall(r'(?:href|src)="([^"#]+)', html))
    for target in local:
        # Each repository link is on the home page as a link to a file that exists in the site.
        # (a notebook or Markdown file becomes a page: notebooks/01_x.ipynb -> notebooks/01_x/)
        stem = re.sub(r"\.(ipynb|md)$", "", target).rstrip("/")
        candidates = [h for h in hrefs if h.rstrip("/") == stem or h.startswith(stem + "/")]
        assert candidates, f"README link {target} is not on the home page"
        for href in candidates:
            path = docs_site / href
            assert (path / "index.html").is_file() or path.is_file(), f"README link {target} -> {href} is broken"


def test_the_site_has_no_broken_links(docs_site: Path, served: str, request: pytest.FixtureRequest) -> None:
    if shutil.which("linkchecker", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("linkchecker is not installed (the `docs` extra)")
    command = [str(Path(sys.executable).with_name("linkchecker")), "--no-status", "--no-warnings",
               "--no-follow-url=/lite/", served]
    if not (docs_site / "lite" / "index.html").exists():
        # Without npm there is no Lite site: check everything else.
        command[-1:-1] = ["--ignore-url=/lite/"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]
    assert re.search(r"\b0 errors found", result.stdout), result.stdout[-2000:]


# --- the in-browser site -------------------------------------------------------------------------

class _RecordingProxy(http.server.BaseHTTPRequestHandler):
    """Chromium's proxy for every host but loopback: writes down the host and refuses the request."""

    hosts: list[str] = []

    def _refuse(self) -> None:
        target = self.path if self.command == "CONNECT" else self.headers.get("Host", self.path)
        self.hosts.append(re.sub(r"^[a-z]+://|[:/].*$", "", target))
        with contextlib.suppress(OSError):
            self.send_error(403, "no network in this test")

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_CONNECT = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def browser() -> Iterator[tuple[Any, list[str]]]:
    """Headless Chromium whose traffic to any host other than loopback goes to a recording proxy."""
    _need("selenium")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    hosts: list[str] = []
    proxy = type("Proxy", (_RecordingProxy,), {"hosts": hosts})
    with _serve(proxy) as proxy_port, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        # Loopback bypasses the proxy (Chromium's default); everything else is recorded and refused.
        options.add_argument(f"--proxy-server=http://127.0.0.1:{proxy_port}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            yield driver, hosts
        finally:
            driver.quit()


def _requested_hosts(driver: Any) -> set[str]:
    """The hosts of every request the page and its workers made, from Chromium's DevTools log."""
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            match = re.match(r"(?:https?|wss?)://([^/:]+)", url)
            if match:
                hosts.add(match.group(1))
    return hosts


def _cpython_outputs(notebook: Path) -> list[str]:
    """What each code cell prints when the cells run in order in a fresh CPython process."""
    script = r"""
import contextlib, io, json, sys
cells = [c for c in json.load(open(sys.argv[1]))["cells"] if c["cell_type"] == "code"]
namespace, outputs = {}, []
for cell in cells:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile("".join(cell["source"]), "<cell>", "exec"), namespace)
    outputs.append(buffer.getvalue())
print(json.dumps(outputs))
"""
    result = subprocess.run([sys.executable, "-c", script, str(notebook)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


_RUN_ALL = """
const done = arguments[arguments.length - 1];
(async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  await app.commands.execute("notebook:run-all-cells");
  done("started");
})().catch(error => done("error: " + error));
"""

_STATE = """
const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (!panel || !panel.content || !panel.sessionContext || !panel.sessionContext.session) return null;
const kernel = panel.sessionContext.session.kernel;
const cells = [];
for (const cell of panel.content.widgets) {
  if (cell.model.type !== "code") continue;
  cells.push({count: cell.model.executionCount, outputs: cell.model.outputs.toJSON()});
}
return {status: kernel ? kernel.status : "none", cells: cells};
"""


def _wait(driver: Any, script: str, ready: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script(script)
        if ready(state):
            return state
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last state: {state}")


def test_try_it_notebook_runs_in_the_browser(lite_site: Path, served: str, browser: tuple[Any, list[str]]) -> None:
    driver, proxied = browser
    expected = _cpython_outputs(TRY_IT)
    assert any("gradcheck: True" in out for out in expected)
    driver.set_script_timeout(120)
    driver.get(served + "lite/notebooks/index.html?path=try_it.ipynb")
    _wait(driver, _STATE, lambda s: s is not None and s["status"] == "idle", 180, "the Pyodide kernel to start")
    assert driver.execute_async_script(_RUN_ALL) == "started"

    def finished(state: Any) -> bool:
        return state is not None and state["status"] == "idle" and all(c["count"] for c in state["cells"])

    state = _wait(driver, _STATE, finished, 240, "every cell to run")
    errors = [o for c in state["cells"] for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"a cell raised in the browser: {errors[0]['ename']}: {errors[0]['evalue']}"
    printed = ["".join("".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                       for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stdout")
               for cell in state["cells"]]
    # The same text as CPython, line for line: autograd_lite computes the same floats in Pyodide.
    assert printed == expected
    screenshot = os.environ.get("AUTOGRAD_LITE_LITE_SCREENSHOT")
    if screenshot:
        driver.save_screenshot(screenshot)
    # Pyodide and the wheels came from our server (the kernel's worker fetches them, out of the page's log)...
    assert any(path.endswith("/pyodide.asm.wasm") for path in _QuietHandler.served)
    assert any(re.search(r"/autograd_lite-[^/]+\.whl$", path) for path in _QuietHandler.served)
    # ...and nothing went anywhere else: not from the page, its workers, nor its service worker.
    assert set(proxied) <= CHROMIUM_OWN_HOSTS, f"the site tried to reach other hosts: {sorted(set(proxied))}"
    assert _requested_hosts(driver) <= {"127.0.0.1"}


@pytest.mark.parametrize("page", ["", "notebooks/03_training_an_mlp/", "api/autograd_lite.engine/", "try-it/"])
def test_docs_pages_load_nothing_from_other_hosts(docs_site: Path, served: str, browser: tuple[Any, list[str]],
                                                   page: str) -> None:
    driver, proxied = browser
    driver.get_log("performance")  # drop what earlier pages logged
    proxied.clear()
    driver.get(served + page)
    _wait(driver, "return document.readyState", lambda s: s == "complete", 60, "the page to load")
    time.sleep(1)  # scripts that start requests after the load event
    assert set(proxied) <= CHROMIUM_OWN_HOSTS, f"{page or 'home'} tried to reach other hosts: {sorted(set(proxied))}"
    assert _requested_hosts(driver) <= {"127.0.0.1"}


def test_the_proxy_catches_a_request_to_another_host(browser: tuple[Any, list[str]]) -> None:
    # The guard above can fail: a page asking another host for a picture is seen and refused.
    driver, proxied = browser
    proxied.clear()
    driver.get("data:text/html,<img src='http://autograd-lite-test.invalid/x.png'>")
    _wait(driver, "return document.readyState", lambda s: s == "complete", 60, "the page to load")
    assert "autograd-lite-test.invalid" in proxied
