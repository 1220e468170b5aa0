"""save/load: JSON round trips, atomic writes, and clear errors for bad files."""

import json
import os

import pytest

import autograd_lite as al
from autograd_lite import nn, optim
from autograd_lite.nn import StateDictError
from autograd_lite.serialization import FORMAT, VERSION, SerializationError


def test_round_trip_model_and_optimizer(tmp_path):
    model = nn.MLP(2, [4, 1], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model([1.0, 2.0]).backward()
    opt.step()
    al.save(model.state_dict(), tmp_path / "model.json")
    al.save(opt.state_dict(), str(tmp_path / "opt.json"))
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    other = nn.MLP(2, [4, 1], seed=1)
    other.load_state_dict(al.load(tmp_path / "model.json"))
    assert other.state_dict() == model.state_dict()  # floats survive JSON exactly (repr round-trips)
    opt2 = optim.Adam(other.parameters())
    opt2.load_state_dict(al.load(tmp_path / "opt.json"))
    assert opt2.state_dict() == opt.state_dict()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_overwrite_keeps_permissions_and_leaves_no_temp(tmp_path):
    path = tmp_path / "m.json"
    al.save({"a": 1.0}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # as open() would make it, not mkstemp's 0600
    os.chmod(path, 0o640)
    al.save({"a": 2.0}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640  # an overwrite keeps the file's mode
    assert al.load(path) == {"a": 2.0}
    assert os.listdir(tmp_path) == ["m.json"]


def test_crash_mid_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    import autograd_lite.files as ser  # the one writer behind save()
    path = tmp_path / "model.json"
    old = nn.MLP(2, [8, 1], seed=0).state_dict()
    al.save(old, path)
    before = path.read_bytes()

    real_fdopen = os.fdopen

    class DiskFull:
        """A file whose second write fails, as on a full disk: half the JSON is in the temp file."""
        def __init__(self, f):
            self.f, self.writes = f, 0
        def write(self, s):
            self.writes += 1
            if self.writes > 1:
                raise OSError(28, "No space left on device")
            return self.f.write(s)
        def __getattr__(self, name):
            return getattr(self.f, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    monkeypatch.setattr(ser, "_CHUNK", 100)  # many writes for a small model
    monkeypatch.setattr(ser.os, "fdopen", lambda *a, **k: DiskFull(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="No space"):
        al.save(nn.MLP(2, [8, 1], seed=1).state_dict(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert al.load(path) == old
    assert os.listdir(tmp_path) == ["model.json"]  # the half-written temp file is gone


def test_save_refuses_what_json_cannot_hold(tmp_path):
    path = tmp_path / "x.json"
    with pytest.raises(ValueError, match=r"state\['w'\] is inf"):
        al.save({"w": float("inf")}, path)
    with pytest.raises(TypeError, match="call .state_dict"):
        al.save(nn.MLP(2, [1]), path)
    with pytest.raises(TypeError, match="only numbers"):
        al.save({"w": object()}, path)
    assert not path.exists()


def _write(tmp_path, content: bytes):
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    return p


GOOD = json.dumps({"format": FORMAT, "version": VERSION, "state": {"w": 1.0}}).encode()


@pytest.mark.parametrize("content,problem", [
    (GOOD[: len(GOOD) // 2], "truncated"),
    (b"", "empty"),
    (b"\x80\x04\x95 pickle", "not UTF-8"),
    (GOOD.replace(b"1.0", b"1.0 garbage"), "corrupt"),
    (b'{"w": 1.0}', "no format tag"),
    (b"[1, 2]", "no format tag"),
    (GOOD.replace(FORMAT.encode(), b"something.else"), "format is 'something.else'"),
    (GOOD.replace(b'"version": 1', b'"version": 99'), "newer autograd_lite"),
    (GOOD.replace(b'"version": 1', b'"version": "1"'), "bad format version"),
    (GOOD.replace(b'{"w": 1.0}', b"[1.0]"), '"state" must be a JSON object'),
    (GOOD.replace(b"1.0", b"NaN"), "NaN is not valid"),
    (GOOD.replace(b'{"w": 1.0}', b'{"w": 1.0, "w": 2.0}'), "duplicate key 'w'"),
])
def test_bad_files_raise_clear_errors(tmp_path, content, problem):
    p = _write(tmp_path, content)
    with pytest.raises(SerializationError, match=problem) as err:
        al.load(p)
    assert str(p) in str(err.value) and isinstance(err.value, ValueError)


def test_mismatched_file_is_caught_by_load_state_dict(tmp_path):
    path = tmp_path / "big.json"
    al.save(nn.MLP(2, [16, 1], seed=0).state_dict(), path)
    with pytest.raises(StateDictError, match="size mismatch for layers.0.neurons"):
        nn.MLP(2, [8, 1]).load_state_dict(al.load(path))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        al.load(tmp_path / "nope.json")


def test_import_is_fast_and_torch_free():
    """`import autograd_lite` (nn, optim, losses, save/load included) never imports torch."""
    import subprocess
    import sys
    code = ("import sys, autograd_lite; from autograd_lite import nn, optim, losses, save, load; "
            "import autograd_lite.interop; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_interop_without_torch_says_how_to_install(monkeypatch):
    import sys

    from autograd_lite.interop import to_torch
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match="pip install torch"):
        to_torch(nn.MLP(2, [1]))


def test_save_into_a_missing_folder_names_the_path_not_the_temp_file(tmp_path):
    path = tmp_path / "nonexistdir" / "x.json"
    with pytest.raises(FileNotFoundError) as exc:
        al.save({"w": 1.0}, path)
    message = str(exc.value)
    assert str(path) in message and "does not exist" in message and str(tmp_path / "nonexistdir") in message
    assert ".tmp" not in message and exc.value.filename == str(path)


def test_save_below_a_file_names_the_path_not_the_temp_file(tmp_path):
    (tmp_path / "afile").write_text("")
    path = tmp_path / "afile" / "x.json"
    with pytest.raises(NotADirectoryError) as exc:
        al.save({"w": 1.0}, path)
    message = str(exc.value)
    assert str(path) in message and "not a folder" in message and ".tmp" not in message
