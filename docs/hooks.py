"""mkdocs hook: the site's pages come from the repository itself, so nothing here goes stale.

- The README is the home page.  Every repository file it links to is put on the site at the
  same path, so its links work unchanged: Markdown files and notebooks become pages, pictures
  are copied, any other file (``autograd_lite/engine.py``) gets a page showing its source, and
  a folder (``notebooks/``) gets a page listing its files.
- Every notebook in ``notebooks/`` is a page, with the outputs it was committed with.
- Every public module of the package gets an API page from its docstrings, found by walking
  the package folder: a module added tomorrow is documented without touching mkdocs.yml.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "autograd_lite"
HOME = "README.md"
PICTURES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
# Folders whose files are never part of the site (build output, environments, caches).
SKIP_DIRS = {"__pycache__", ".git", ".venv", "build", "site", ".cache", "node_modules", ".ipynb_checkpoints"}

# [text](target) and ![alt](target "title"), the text with at most one level of brackets inside
# ("MLP(2, [16, 16, 1])"); the target is everything up to a space or ")".
LINK = re.compile(r"(!?\[(?:[^\[\]]|\[[^\]]*\])*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
FENCE = re.compile(r"^\s*(```|~~~)")
LIST_ITEM = re.compile(r"^(?:[-*+]|\d+\.) ")


def public_modules() -> list[str]:
    """Every importable module of the package whose dotted name has no part starting with ``_``."""
    names = []
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if any(part.startswith("_") or part in SKIP_DIRS for part in parts):
            continue
        names.append(".".join(parts))
    return sorted(names, key=lambda name: (name != PACKAGE, name))


def notebooks() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb"))


def api_page(module: str) -> str:
    return f"api/{module}.md"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # The nav is written here, not in mkdocs.yml, so new notebooks and modules appear by themselves.
    config["nav"] = [
        {"Home": "index.md"},
        {"Try it in your browser": "try-it.md"},
        {"Notebooks": notebooks()},
        {"API reference": [{module: api_page(module)} for module in public_modules()]},
    ]
    return config


class _Site:
    """The generated files, and the work list of repository Markdown pages still to scan for links."""

    def __init__(self, config: MkDocsConfig, files: Files) -> None:
        self.config = config
        self.files = files
        self.pending: list[tuple[str, str]] = []  # (repository path, site path) of Markdown to rewrite

    def has(self, src_uri: str) -> bool:
        return self.files.get_file_from_path(src_uri) is not None

    def add(self, src_uri: str, *, content: str | None = None) -> None:
        """A generated page, or (no content) the repository file at the same path, read where it is."""
        if self.has(src_uri):
            return
        if content is not None:
            self.files.append(File.generated(self.config, src_uri, content=content))
        else:
            # A plain File rooted at the repository rather than File.generated: mkdocs-jupyter reads a
            # notebook through its src_dir, which a generated file does not have.
            self.files.append(File(src_uri, str(ROOT), self.config["site_dir"], self.config["use_directory_urls"]))

    def site_path(self, repo_path: str) -> str:
        """Where a repository file lives on the site (adding it, and what it links to, on first use)."""
        if repo_path == HOME:
            return "index.md"
        path = ROOT / repo_path
        if path.is_dir():
            self.add(f"{repo_path}/index.md", content=self.folder_page(repo_path))
            return f"{repo_path}/index.md"
        suffix = path.suffix.lower()
        if suffix == ".md":
            if not self.has(repo_path):
                self.pending.append((repo_path, repo_path))
                self.add(repo_path, content="")  # a placeholder, filled in once its links are rewritten
            return repo_path
        if suffix == ".ipynb" or suffix in PICTURES:
            self.add(repo_path)
            return repo_path
        self.add(f"{repo_path}.md", content=self.source_page(repo_path))
        return f"{repo_path}.md"

    def rewrite(self, text: str, repo_path: str, site_path: str) -> str:
        """The Markdown of a repository page with each link to a repository file pointed at its site page."""
        repo_dir, site_dir = posixpath.dirname(repo_path), posixpath.dirname(site_path)

        def fix(match: re.Match[str]) -> str:
            target = match.group(2)
            path, hash_, anchor = target.partition("#")
            if not path or "://" in path or path.startswith(("/", "mailto:")):
                return match.group(0)
            resolved = posixpath.normpath(posixpath.join(repo_dir, path))
            if resolved.startswith("..") or not (ROOT / resolved).exists() or _skipped(resolved):
                return match.group(0)  # not ours: mkdocs' own validation reports it
            new = posixpath.relpath(self.site_path(resolved), site_dir or ".")
            return f"{match.group(1)}{new}{hash_}{anchor}{match.group(3)}"

        out: list[str] = []
        fenced = False
        for line in text.splitlines(keepends=True):
            if FENCE.match(line):
                fenced = not fenced
            elif not fenced:
                # GitHub starts a list right after a line of text; Python-Markdown needs a blank line.
                if LIST_ITEM.match(line) and out and out[-1].strip() and not LIST_ITEM.match(out[-1]) \
                        and not out[-1].startswith((" ", "\t")):
                    out.append("\n")
                line = LINK.sub(fix, line)
            out.append(line)
        return "".join(out)

    def folder_page(self, repo_path: str) -> str:
        entries = sorted(p for p in (ROOT / repo_path).iterdir() if not _skipped(p.relative_to(ROOT).as_posix()))
        lines = [f"# {repo_path}/", ""]
        for entry in entries:
            rel = entry.relative_to(ROOT).as_posix()
            target = posixpath.relpath(self.site_path(rel), repo_path)
            lines.append(f"- [`{entry.name}`]({target})")
        return "\n".join(lines) + "\n"

    def source_page(self, repo_path: str) -> str:
        text = (ROOT / repo_path).read_text(encoding="utf-8")
        # A fence longer than any run of backticks in the file, so the file cannot close it.
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
        language = {".py": "python", ".toml": "toml", ".json": "json", ".yml": "yaml", ".yaml": "yaml",
                    ".sh": "bash", ".cfg": "ini"}.get(Path(repo_path).suffix, "text")
        # No table of contents beside the code: the page has no headings, and the code needs the width.
        lines = ["---", "hide:", "  - toc", "---", "", f"# `{repo_path}`", ""]
        module = repo_path[:-3].replace("/", ".").removesuffix(".__init__") if repo_path.endswith(".py") else ""
        if module in public_modules():
            api = posixpath.relpath(api_page(module), posixpath.dirname(f"{repo_path}.md"))
            lines += [f"Its documentation: [`{module}`]({api}).", ""]
        lines += [f"{fence}{language}", text.rstrip("\n"), fence, ""]
        return "\n".join(lines)


def _skipped(repo_path: str) -> bool:
    parts = repo_path.split("/")
    return any(part in SKIP_DIRS or part.endswith(".egg-info") for part in parts) or parts[-1].startswith(".")


# Before mkdocs-jupyter's on_files, which turns the .ipynb files it is given into pages.
@event_priority(100)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    site = _Site(config, files)
    site.pending.append((HOME, "index.md"))
    site.add("index.md", content="")
    for notebook in notebooks():
        site.site_path(notebook)
    for module in public_modules():
        title = f"# `{module}`\n\n"
        site.add(api_page(module), content=f"{title}::: {module}\n")
    # Each page's links may add more pages (a linked CONTRIBUTING.md linking LICENSE): a work list, no recursion.
    while site.pending:
        repo_path, site_path = site.pending.pop()
        text = site.rewrite((ROOT / repo_path).read_text(encoding="utf-8"), repo_path, site_path)
        placeholder = files.get_file_from_path(site_path)
        assert placeholder is not None
        files.remove(placeholder)
        files.append(File.generated(config, site_path, content=text))
    return files

