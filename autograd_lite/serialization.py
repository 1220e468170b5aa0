"""Save and load state dicts as JSON: never pickle, so loading a file cannot run code.

The file is ``{"format": "autograd_lite.state_dict", "version": 1, "state": {...}}``.
Saving goes through ``files.write_file``: atomic (a crash mid-save leaves the
previous file intact), through symbolic links, never over a FIFO, a device or
a read-only file.  Loading reads at most ``max_bytes``, checks the JSON itself,
the format tag and the version, and raises ``SerializationError`` (a
ValueError) naming the problem and the path.

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
from typing import Any

from autograd_lite.files import PathLike, read_file, user_path, write_file

__all__ = ["save", "load", "SerializationError", "FORMAT", "VERSION", "MAX_BYTES"]

FORMAT = "autograd_lite.state_dict"
VERSION = 1
MAX_BYTES = 256 << 20  # load()'s default cap: ~10 million parameters, far beyond what scalar Values train
_MAX_INT_DIGITS = 30  # step counters and sizes; a longer integer is not something save() wrote


class SerializationError(ValueError):
    """A file that is not a valid autograd_lite state dict (corrupt, truncated, wrong format or version)."""


def _check_json_data(obj: Any, where: str) -> None:
    """Refuse what JSON cannot hold faithfully (NaN, inf, non-str keys, objects), naming the key."""
    stack: list = [(where, obj)]
    on_path: set[int] = set()  # the containers between the root and the item being checked
    done: set[int] = set()  # containers checked already (shared ones are checked once)
    while stack:
        key, x = stack.pop()
        if key is _LEAVE:
            on_path.discard(x)
            done.add(x)
            continue
        if isinstance(x, (dict, list, tuple)):
            if id(x) in on_path:
                raise ValueError(f"save: {key} contains itself (a circular reference); JSON cannot store it")
            if id(x) in done:
                continue
            on_path.add(id(x))
            stack.append((_LEAVE, id(x)))
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


_LEAVE = object()  # stack marker: the container below is checked


def save(state_dict: dict[str, Any], path: PathLike) -> None:
    """Write ``state_dict`` (a model's or an optimizer's) to ``path`` as JSON, atomically.

    A symbolic link is written through (its target is replaced); a FIFO, a
    device, a directory or a file you may not write is refused with an error
    naming ``path``.

    >>> save({"w": float("nan")}, "unused.json")
    Traceback (most recent call last):
    ValueError: save: state['w'] is nan; JSON cannot store NaN or infinity (did training diverge?)
    """
    if not isinstance(state_dict, dict):
        hint = " (call .state_dict() on it first)" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"save expects a dict, got {type(state_dict).__name__}{hint}")
    user_path(path, "save")  # a bad path fails before any work
    _check_json_data(state_dict, "state")
    try:
        text = json.dumps({"format": FORMAT, "version": VERSION, "state": state_dict}, indent=1, allow_nan=False)
    except RecursionError:
        raise ValueError("save: the state is nested too deeply for JSON") from None
    write_file(path, text, who="save")


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid in a state dict")


def _no_duplicates(pairs: list) -> dict:
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(digits.lstrip('-'))} digits")
    return int(digits)


def load(path: PathLike, *, max_bytes: int | None = MAX_BYTES) -> dict[str, Any]:
    """Read a state dict written by ``save``.

    Raises ``SerializationError`` naming ``path`` for a file that is larger
    than ``max_bytes`` (None: no limit), not a regular file, not UTF-8 JSON,
    truncated, with data after the JSON, nested too deeply, holding NaN,
    infinity or a huge integer, without the format tag, of another format or
    a newer version, or whose state is not a dict.  A missing file raises
    FileNotFoundError as usual.
    """
    path = user_path(path, "load")
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0):
        raise ValueError(f"load: max_bytes must be a non-negative int or None, got {max_bytes!r}")

    def fail(problem: str) -> SerializationError:
        return SerializationError(f"cannot load {path!r}: {problem}")

    try:
        raw = read_file(path, limit=max_bytes, who="load")
    except ValueError as e:
        problem = str(e).replace(f"load: {path} ", "", 1)
        hint = "; pass load(path, max_bytes=...) to allow more" if "limit" in problem else ""
        raise fail(problem + hint) from None

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(f"not UTF-8 text (byte {e.start}); is it an autograd_lite JSON file?") from None
    if not text.strip():
        raise fail("the file is empty")
    try:
        doc = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        where = f"at line {e.lineno} column {e.colno}"
        start = text.lstrip()[:20]
        if not start.startswith(("{", "[")):
            raise fail(f"not JSON: it starts with {start!r}, where save() writes '{{'; "
                       f"is it an autograd_lite state dict?") from None
        if e.msg == "Extra data":
            raise fail(f"invalid JSON, unexpected data after the JSON object {where}") from None
        # save writes one JSON object, so a file that stops before its closing brace was cut short
        end = text.rstrip()
        what = "truncated" if e.pos >= len(end) or not end.endswith("}") else "corrupt"
        raise fail(f"invalid JSON, the file looks {what} ({e.msg} {where})") from None
    except RecursionError:
        raise fail("JSON nested too deeply to be a state dict") from None
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
