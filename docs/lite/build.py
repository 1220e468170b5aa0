"""Build the in-browser site (JupyterLite) into site/lite/, running from local files only.

JupyterLite's Python kernel runs on Pyodide, which by default it loads, with every package
the kernel needs, from a CDN at run time.  This script makes a self-contained copy instead:

1. Pyodide's core files from the npm package (the version the kernel expects), via ``npm pack``;
2. the pure-Python wheels the kernel loads at start-up (micropip, IPython and what it needs,
   jedi, comm), at the versions in Pyodide's own lock file, via ``pip download``;
3. autograd_lite's own wheel, built from this checkout;
4. a ``pyodide-lock.json`` listing exactly those files, so ``import autograd_lite`` in a
   notebook loads our wheel the way Pyodide loads any package it ships;
5. ``jupyter lite build`` with the settings in this folder (no PyPI fallback at run time).

Downloads are cached in build/lite-cache/, so a rebuild needs no network.  Run by `make lite`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / "build" / "lite-cache"
STAGE = ROOT / "build" / "lite"  # JupyterLite's "lite dir": its config, the content and static/pyodide
OUTPUT = ROOT / "site" / "lite"  # the default; the tests build elsewhere

PYODIDE_VERSION = "314.0.6"  # what jupyterlite-pyodide-kernel 0.8.6 loads
# Pyodide's core: the loader, the interpreter and the standard library (the npm package has no wheels).
PYODIDE_CORE = ("pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
# What the kernel loads as it starts, taken with their dependencies from Pyodide's lock file.
KERNEL_PACKAGES = ("micropip", "ipython", "jedi")
# Needed at start-up but absent from Pyodide's lock file: comm (pyodide-kernel imports it) and
# ipython-pygments-lexers (IPython 9 imports it; the lock's entry for IPython leaves it out).
NOT_IN_LOCK = {"comm": "0.2.3", "ipython-pygments-lexers": "1.1.1"}
EXTRA_DEPENDS = {"ipython": ["ipython-pygments-lexers"]}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run(*command: str | Path, cwd: Path | None = None) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=cwd, check=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pyodide_core() -> Path:
    """The unpacked npm package of Pyodide (downloaded once)."""
    unpacked = CACHE / f"pyodide-{PYODIDE_VERSION}"
    if (unpacked / "pyodide-lock.json").exists():
        return unpacked
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("make lite needs Node's npm, to fetch the Pyodide package (pyodide@"
                 f"{PYODIDE_VERSION}) from the npm registry: install Node.js (Debian: apt-get install npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    run(npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", CACHE, "--silent")
    with tarfile.open(CACHE / f"pyodide-{PYODIDE_VERSION}.tgz") as archive:
        archive.extractall(CACHE / "npm", filter="data")
    shutil.rmtree(unpacked, ignore_errors=True)
    (CACHE / "npm" / "package").rename(unpacked)
    return unpacked


def kernel_requirements(lock: dict) -> dict[str, str]:
    """name -> version of every wheel the kernel needs: KERNEL_PACKAGES closed over the lock's dependencies."""
    by_name = {normalize(key): key for key in lock["packages"]}
    wanted: dict[str, str] = dict(NOT_IN_LOCK)
    todo = list(KERNEL_PACKAGES)
    while todo:
        name = normalize(todo.pop())
        if name in wanted:
            continue
        entry = lock["packages"][by_name[name]]
        if not entry["file_name"].endswith("-none-any.whl"):
            raise SystemExit(f"{name} is not a pure-Python wheel in Pyodide's lock: cannot take it from PyPI")
        wanted[name] = entry["version"]
        todo += entry["depends"]
    return dict(sorted(wanted.items()))


def download_wheels(requirements: dict[str, str]) -> list[Path]:
    """The wheels, from PyPI through pip (each once): pure Python, for Pyodide's Python version."""
    folder = CACHE / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    missing = [f"{name}=={version}" for name, version in requirements.items() if not _find_wheel(folder, name, version)]
    if missing:
        run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            "--python-version", "3.14", "--dest", folder, *missing)
    return [_find_wheel(folder, name, version) or _missing(name, version) for name, version in requirements.items()]


def _find_wheel(folder: Path, name: str, version: str) -> Path | None:
    for wheel in folder.glob("*.whl"):
        wheel_name, wheel_version = wheel.name.split("-")[:2]
        if normalize(wheel_name) == name and wheel_version == version:
            return wheel
    return None


def _missing(name: str, version: str) -> Path:
    raise SystemExit(f"pip download did not produce a wheel for {name}=={version}")


def own_wheel() -> Path:
    """autograd_lite's wheel, built from this checkout (fresh each time: the code may have changed)."""
    folder = CACHE / "own"
    shutil.rmtree(folder, ignore_errors=True)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", folder, ROOT)
    (wheel,) = folder.glob("autograd_lite-*.whl")
    return wheel


def lock_entry(wheel: Path, imports: list[str], depends: list[str]) -> dict:
    name, version = wheel.name.split("-")[:2]
    return {
        "name": normalize(name), "version": version, "file_name": wheel.name, "install_dir": "site",
        "sha256": sha256(wheel), "package_type": "package", "imports": imports, "depends": depends,
        "unvendored_tests": False, "shared_library": False,
    }


def top_level_imports(wheel: Path) -> list[str]:
    """The importable names a wheel installs: its top-level packages and modules."""
    import zipfile

    names = set()
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            top = member.split("/")[0]
            if top.endswith((".dist-info", ".data")):
                continue
            if "/" in member or top.endswith(".py"):
                names.add(top.removesuffix(".py"))
    return sorted(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=OUTPUT, help="where the site goes (default: site/lite)")
    output = parser.parse_args().output_dir.resolve()

    core = pyodide_core()
    upstream = json.loads((core / "pyodide-lock.json").read_text())
    requirements = kernel_requirements(upstream)
    wheels = download_wheels(requirements) + [own_wheel()]

    # The lite dir, laid out fresh: our settings and content, and Pyodide where JupyterLite looks for it.
    shutil.rmtree(STAGE, ignore_errors=True)
    pyodide_dir = STAGE / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    shutil.copy(HERE / "jupyter-lite.json", STAGE / "jupyter-lite.json")
    # The output folder goes in the config file, not on the command line: `jupyter lite check` and
    # `jupyter lite serve` rebuild from the config file alone.
    config = json.loads((HERE / "jupyter_lite_config.json").read_text())
    config["LiteBuildConfig"]["output_dir"] = str(output)
    (STAGE / "jupyter_lite_config.json").write_text(json.dumps(config, indent=2) + "\n")
    shutil.copytree(HERE / "content", STAGE / "content")
    for name in PYODIDE_CORE:
        shutil.copy(core / name, pyodide_dir / name)

    by_name = {normalize(key): entry for key, entry in upstream["packages"].items()}
    packages = {}
    for wheel in wheels:
        name = normalize(wheel.name.split("-")[0])
        shutil.copy(wheel, pyodide_dir / wheel.name)
        known = by_name.get(name)
        depends = [normalize(d) for d in (known["depends"] if known else [])] + EXTRA_DEPENDS.get(name, [])
        imports = known["imports"] if known else top_level_imports(wheel)
        packages[name] = lock_entry(wheel, imports, depends)
    dangling = {d for entry in packages.values() for d in entry["depends"]} - set(packages)
    if dangling:
        raise SystemExit(f"the local lock file would name packages it does not have: {sorted(dangling)}")
    lock = {"info": upstream["info"], "packages": packages}
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")

    shutil.rmtree(output, ignore_errors=True)
    run(Path(sys.executable).with_name("jupyter"), "lite", "build", cwd=STAGE)
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    print(f"JupyterLite site in {output}: {size / 1e6:.0f} MB, "
          f"{len(packages)} wheels in its Pyodide lock file")


if __name__ == "__main__":
    main()
