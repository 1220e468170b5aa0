"""The version is written once, as ``autograd_lite.__version__``; pyproject, the installed metadata,
``autograd-lite --version`` and the CHANGELOG all read or name that one string."""

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import autograd_lite

ROOT = Path(__file__).resolve().parent.parent


def _project_table() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    return text.split("\n[project]\n", 1)[1].split("\n[", 1)[0]


def test_pyproject_reads_the_version_from_the_package_instead_of_writing_it():
    text = (ROOT / "pyproject.toml").read_text()
    project = _project_table()
    assert not re.search(r"^version\s*=", project, re.M), "pyproject.toml writes the version a second time"
    assert re.search(r'^dynamic = \["version"\]', project, re.M)
    assert re.search(r'^version = \{ attr = "autograd_lite.__version__" \}', text, re.M)


def test_the_version_is_a_plain_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", autograd_lite.__version__)


def test_the_installed_metadata_agrees():
    installed = importlib.metadata.version("autograd_lite")
    assert installed == autograd_lite.__version__, (
        f"installed metadata says {installed}: reinstall (make venv, or pip install -e .) after changing __version__")


def test_the_command_line_prints_it():
    out = subprocess.run([sys.executable, "-m", "autograd_lite", "--version"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout == f"autograd-lite {autograd_lite.__version__}\n"


def test_the_changelog_has_a_section_for_it():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(autograd_lite.__version__)}\b", changelog, re.M)
    assert re.search(r"^## Unreleased\b", changelog, re.M), "the changes since the last release go under Unreleased"


def test_license_is_mit_as_pyproject_says():
    assert 'license = { text = "MIT" }' in _project_table()
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 The autograd_lite developers" in text
