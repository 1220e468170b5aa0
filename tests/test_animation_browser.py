"""The backward animation's slider, driven in a real browser (headless Chromium through selenium).

The animation is HTML with a few lines of JavaScript; nothing else runs that
JavaScript, so only a browser can tell whether moving the slider changes the
frame.  Two pages are opened from local files (no network): the animation
notebook 3 commits (what a reader of the notebook gets) and a fresh
``animate_backward(...).save(path)``.  Skips, with the reason, where Chromium,
its driver, selenium or a Graphviz renderer is missing (CI installs Debian's
``chromium`` and ``chromium-driver`` in .ci/run).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from autograd_lite import Value
from autograd_lite.viz import animate_backward
from autograd_lite.viz import render as render_module

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "03_training_an_mlp.ipynb"
# Chromium flags that work in a container, as root, with no display and no network wanted.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def _browser() -> tuple[str, str] | None:
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _has_renderer() -> bool:
    try:
        render_module.render_source("digraph { a }", "svg")
        return True
    except render_module.RenderError:
        return False


pytestmark = [
    pytest.mark.skipif(_browser() is None, reason="no headless browser: apt-get install chromium chromium-driver"),
    pytest.mark.skipif(not _has_renderer(), reason='no Graphviz renderer: pip install "autograd_lite[viz]"'),
]


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason='selenium is missing: pip install -e ".[test]"')
    browser, chromedriver = _browser()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")  # fresh profile
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})   # the console, for get_log("browser")
    service = webdriver.ChromeService(executable_path=chromedriver, log_output=str(tmp_path_factory.mktemp("log")
                                                                                 / "chromedriver.log"))
    d = webdriver.Chrome(options=options, service=service)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


def _notebook_animation(tmp_path: Path) -> tuple[Path, list[str]]:
    """Notebook 3's committed animation as a page, and its log lines (the frame-by-frame text cell)."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    html = log = None
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "BackwardAnimation" in "".join(data.get("text/plain", [])) and "text/html" in data:
                html = "".join(data["text/html"])
            text = "".join(out.get("text", []))
            if out.get("output_type") == "stream" and text.startswith("frame  1: "):
                log = [re.sub(r"^frame\s+\d+: ", "", line) for line in text.splitlines()]
    assert html and log, "notebook 3 must hold the animation and its log among its outputs"
    page = tmp_path / "notebook3_animation.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{html}</body></html>',
                    encoding="utf-8")
    return page, log


def _fresh_animation(tmp_path: Path) -> tuple[Path, list[str]]:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    loss = ((a * b + a).tanh() * a).relu()
    loss.label = "loss"
    anim = animate_backward(loss)
    return Path(anim.save(tmp_path / "fresh")), anim.log


def _state(driver) -> dict:
    """What the page shows now: the slider, the caption and every gradient text."""
    return driver.execute_script("""
        var texts = Array.prototype.slice.call(document.querySelectorAll("text[data-step]"));
        return {
          value: +document.querySelector("input[type=range]").value,
          max: +document.querySelector("input[type=range]").max,
          caption: document.querySelector("span").textContent,
          grads: texts.map(function(t) { return [+t.getAttribute("data-step"), t.textContent,
                                                 t.getAttribute("data-grad"), t.getAttribute("fill")]; })
        };""")


@pytest.mark.parametrize("source", [_notebook_animation, _fresh_animation], ids=["notebook3", "fresh"])
def test_the_slider_steps_through_the_backward_pass(driver, tmp_path, source):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    page, log = source(tmp_path)
    driver.get(page.as_uri())
    driver.get_log("browser")   # start the console record at this page
    n = len(log)

    start = _state(driver)   # opens on the last frame: every gradient shown
    assert start["max"] == start["value"] == n
    assert len(start["grads"]) == n and all(shown == grad for _, shown, grad, _ in start["grads"])
    assert start["caption"] == f"step {n}/{n}: {log[-1]}"

    slider = driver.find_element(By.CSS_SELECTOR, "input[type=range]")
    slider.send_keys(Keys.HOME)   # the keyboard moves a range input as a hand would: an input event each time
    empty = _state(driver)
    assert empty["value"] == 0 and empty["caption"] == f"step 0/{n}: before backward: no gradients yet"
    assert all(shown == "grad ?" for _, shown, _, _ in empty["grads"])

    seen = []
    for k in range(1, n + 1):
        slider.send_keys(Keys.ARROW_RIGHT)
        now = _state(driver)
        assert now["value"] == k and now["caption"] == f"step {k}/{n}: {log[k - 1]}"
        for step, shown, grad, fill in now["grads"]:
            assert shown == (grad if step <= k else "grad ?")
            assert (fill == "#e31a1c") == (step == k)   # the newest gradient in red
        seen.append([shown for _, shown, _, _ in now["grads"]])
    assert all(a != b for a, b in zip(seen, seen[1:]))   # every step changes what is shown

    # the play button runs from the start to the end on its own
    driver.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(driver, 5 + 0.7 * n * 3).until(lambda d: _state(d)["value"] == n and "▶" in
                                                 d.find_element(By.TAG_NAME, "button").text)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []
