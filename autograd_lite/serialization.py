"""Save and load state dicts as JSON: never pickle, so loading a file cannot run code.

The file is ``{"format": "autograd_lite.state_dict", "version": 1, "state": {...}}``.
Saving writes a temporary file in the same directory and renames it over the
target (``os.replace`` is atomic), so a crash mid-save leaves the previous
file intact.  Loading checks the format tag, the version and the JSON itself,
and raises ``SerializationError`` (a ValueError) naming the problem and the path.

>>> import os, tempfile
>>> from autograd_lite.nn import MLP
>>> from autograd_lite import save, load
>>> model = MLP(2, [3, 1], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "model.json")
>>> save(model.state_dict(), path)
>>> MLP(2, [3, 1], seed=1).load_state_dict(load(path))
IncompatibleKeys(missing_keys=[], unexpected_keys=[])
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any, Union

__all__ = ["save", "load", "SerializationError", "FORMAT", "VERSION"]

FORMAT = "autograd_lite.state_dict"
VERSION = 1
PathLike = Union[str, "os.PathLike[str]"]
_CHUNK = 1 << 16  # bytes per write call


class SerializationError(ValueError):
    """A file that is not a valid autograd_lite state dict (corrupt, truncated, wrong format or version)."""


def _check_json_data(obj: Any, where: str) -> None:
    """Refuse what JSON cannot hold faithfully (NaN, inf, non-str keys, objects), naming the key."""
    stack = [(where, obj)]
    while stack:
        key, x = stack.pop()
        if isinstance(x, float):
            if not math.isfinite(x):
                raise ValueError(f"save: {key} is {x}; JSON cannot store NaN or infinity "
                                 f"(did training diverge?)")
        elif isinstance(x, dict):
            for k, v in x.items():
                if not isinstance(k, str):
                    raise TypeError(f"save: keys must be str, got {k!r} in {key}")
                stack.append((f"{key}[{k!r}]", v))
        elif isinstance(x, (list, tuple)):
            stack.extend((f"{key}[{i}]", v) for i, v in enumerate(x))
        elif not (x is None or isinstance(x, (str, int, bool))):
            raise TypeError(f"save: {key} is a {type(x).__name__}; only numbers, str, bool, None, lists "
                            f"and dicts can be saved (to save a model, pass model.state_dict())")


def save(state_dict: dict[str, Any], path: PathLike) -> None:
    """Write ``state_dict`` (a model's or an optimizer's) to ``path`` as JSON, atomically.

    >>> save({"w": float("nan")}, "unused.json")
    Traceback (most recent call last):
    ValueError: save: state['w'] is nan; JSON cannot store NaN or infinity (did training diverge?)
    """
    if not isinstance(state_dict, dict):
        hint = " (call .state_dict() on it first)" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"save expects a dict, got {type(state_dict).__name__}{hint}")
    _check_json_data(state_dict, "state")
    text = json.dumps({"format": FORMAT, "version": VERSION, "state": state_dict}, indent=1, allow_nan=False)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    # The temporary file must be in the same directory: os.replace is atomic only within one file system.
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    except OSError as e:  # the error would name the temporary file; name the user's path instead
        raise type(e)(e.errno, f"cannot save: {_folder_problem(directory, e)}", path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for i in range(0, len(text), _CHUNK):
                f.write(text[i:i + _CHUNK])
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, _file_mode(path))  # mkstemp makes it private (0600); give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _folder_problem(directory: str, error: OSError) -> str:
    if isinstance(error, FileNotFoundError) and not os.path.isdir(directory):
        return f"the folder {directory} does not exist"
    if isinstance(error, NotADirectoryError):
        if os.path.exists(directory):
            return f"{directory} is a file, not a folder"
        return f"the folder {directory} cannot exist: part of its path is a file, not a folder"
    return f"cannot create a file in the folder {directory} ({error.strerror})"


def _file_mode(path: str) -> int:
    """The existing file's permissions, or what open() would give a new file (0666 minus the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid in a state dict")


def _no_duplicates(pairs: list) -> dict:
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def load(path: PathLike) -> dict[str, Any]:
    """Read a state dict written by ``save``.

    Raises ``SerializationError`` for a file that is not valid UTF-8 JSON (for
    instance truncated), lacks the format tag, has another format or a newer
    version, or whose state is not a dict.  A missing file raises
    FileNotFoundError as usual.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()

    def fail(problem: str) -> SerializationError:
        return SerializationError(f"cannot load {path!r}: {problem}")

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(f"not UTF-8 text (byte {e.start}); is it an autograd_lite JSON file?") from None
    if not text.strip():
        raise fail("the file is empty")
    try:
        doc = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        # save writes one JSON object, so a file that stops before its closing brace was cut short
        end = text.rstrip()
        what = "truncated" if e.pos >= len(end) or not end.endswith("}") else "corrupt"
        raise fail(f"invalid JSON, the file looks {what} ({e.msg} at line {e.lineno} column {e.colno})") from None
    except ValueError as e:
        raise fail(f"invalid JSON ({e})") from None
    if not isinstance(doc, dict) or "format" not in doc:
        raise fail(f"no format tag; expected a JSON object with \"format\": {FORMAT!r}")
    if doc["format"] != FORMAT:
        raise fail(f"format is {doc['format']!r}, expected {FORMAT!r}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"bad format version {version!r}")
    if version > VERSION:
        raise fail(f"format version {version} was written by a newer autograd_lite; this one reads "
                   f"version {VERSION} (upgrade autograd_lite)")
    state = doc.get("state")
    if not isinstance(state, dict):
        raise fail(f"\"state\" must be a JSON object, got {type(state).__name__}")
    return state
