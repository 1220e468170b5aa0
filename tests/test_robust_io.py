"""Issue 14, the file and input classes: nothing lost when a write is cut short, hostile
files refused clearly, state dicts checked on load, and every file written the same way.

Each test can fail on the defect it guards: the old save() replaced links, FIFOs,
devices and read-only files, history.json was written in place, load() read any size
and called non-JSON "truncated", save() of a cycle never returned, a subset state dict
was a size mismatch, and optimizers accepted any buffer.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

import autograd_lite as al
from autograd_lite import nn, optim
from autograd_lite.files import read_file, write_file
from autograd_lite.serialization import SerializationError

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")

# -- data loss: one atomic writer, for every file ------------------------------------

_SAVER = textwrap.dedent("""
    import sys
    import autograd_lite as al
    path = sys.argv[1]
    states = [{"w": [float(i)] * 3000, "tag": i} for i in (1, 2)]
    print("ready", flush=True)
    k = 0
    while True:
        al.save(states[k % 2], path)
        k += 1
""")


def test_sigkill_during_repeated_saves_leaves_the_old_or_the_new_file(tmp_path):
    path = tmp_path / "model.json"
    al.save({"w": [0.0] * 3000, "tag": 0}, path)
    seen = set()
    for delay in (0.0, 0.01, 0.03, 0.07, 0.12, 0.2, 0.3, 0.45):
        child = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        child.stdout.close()
        state = al.load(path)  # always a whole, valid file
        assert state["w"] == [float(state["tag"])] * 3000
        seen.add(state["tag"])
    assert seen & {1, 2}  # the children did replace the file
    leftovers = [name for name in os.listdir(tmp_path) if name != "model.json"]
    assert len(leftovers) <= 8  # at most a temporary file per killed save (a crash cannot clean up)


def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    target = tmp_path / "real" / "model.json"
    target.parent.mkdir()
    al.save({"w": 1.0}, target)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    al.save({"w": 2.0}, link)
    assert link.is_symlink()  # open(link, "w") keeps the link and writes its target; so do we
    assert al.load(target) == {"w": 2.0}
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "new.json")
    al.save({"w": 3.0}, dangling)
    assert dangling.is_symlink() and al.load(tmp_path / "new.json") == {"w": 3.0}


def test_save_refuses_a_fifo_a_device_and_a_directory(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO") as err:
        al.save({"w": 1.0}, fifo)
    assert str(fifo) in str(err.value) and stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        al.save({"w": 1.0}, tmp_path)
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers, in our folder
    except PermissionError:
        pytest.skip("creating a device node needs root")
    with pytest.raises(OSError, match="character device"):
        al.save({"w": 1.0}, device)
    assert stat.S_ISCHR(os.stat(device).st_mode)  # still the device
    assert os.listdir(tmp_path) == sorted(os.listdir(tmp_path)) and len(os.listdir(tmp_path)) == 2


_AS_NOBODY = textwrap.dedent("""
    import os, sys
    import autograd_lite as al  # imported first: the user may not read this Python's files
    os.setgid(65534); os.setuid(65534)
    path = sys.argv[1]
    try:
        with open(path, "a"):
            pass
        opened = "ok"
    except PermissionError:
        opened = "refused"
    try:
        al.save({"w": 9.0}, path)
        saved = "ok"
    except PermissionError as e:
        saved = "refused" if path in str(e) else "refused without the path"
    print(opened, saved)
""")


def test_a_read_only_file_is_refused_as_open_refuses_it(tmp_path):
    path = tmp_path / "model.json"
    al.save({"w": 1.0}, path)
    os.chmod(path, 0o444)
    # As the caller: save() refuses exactly when open(path, "a") would.
    try:
        with open(path, "a"):
            pass
        opened = True
    except PermissionError:
        opened = False
    try:
        al.save({"w": 2.0}, path)
        saved = True
    except PermissionError:
        saved = False
    assert saved == opened
    if os.geteuid() != 0:
        assert not saved and al.load(path) == {"w": 1.0}
        return
    # Root may write anything, so check a non-root user in a child process, in a folder that
    # user may write (pytest's own folders are private to root): only the file's mode protects it.
    folder = tempfile.mkdtemp(prefix="autograd_lite_readonly_")
    try:
        os.chmod(folder, 0o777)
        path = os.path.join(folder, "model.json")
        al.save({"w": 1.0}, path)
        os.chmod(path, 0o444)
        before = open(path, "rb").read()
        done = subprocess.run([sys.executable, "-c", _AS_NOBODY, path], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["refused", "refused"]
        assert open(path, "rb").read() == before and stat.S_IMODE(os.stat(path).st_mode) == 0o444
        assert os.listdir(folder) == ["model.json"]
    finally:
        shutil.rmtree(folder)


def test_a_save_keeps_the_files_permissions_and_names_the_users_path(tmp_path):
    path = tmp_path / "model.json"
    al.save({"w": 1.0}, path)
    os.chmod(path, 0o640)
    al.save({"w": 2.0}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    with pytest.raises(FileNotFoundError) as err:
        al.save({"w": 1.0}, tmp_path / "missing" / "x.json")
    assert "missing" in str(err.value) and ".tmp" not in str(err.value)


def test_an_interrupt_while_writing_history_json_keeps_the_previous_one(tmp_path, monkeypatch):
    import autograd_lite.files as files
    from autograd_lite.cli.commands import write_json

    path = tmp_path / "history.json"
    write_json({"loss": [1.0, 0.5]}, str(path))
    before = path.read_bytes()

    class Interrupted:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            raise KeyboardInterrupt  # Ctrl-C in the middle of the write

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    real_fdopen = os.fdopen
    monkeypatch.setattr(files.os, "fdopen", lambda *a, **k: Interrupted(real_fdopen(*a, **k)))
    with pytest.raises(KeyboardInterrupt):
        write_json({"loss": [9.0] * 1000}, str(path))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["history.json"]


@pytest.mark.parametrize("module, function", [
    ("autograd_lite.cli.commands", "write_json"), ("autograd_lite.cli.commands", "_save"),
    ("autograd_lite.cli.graph", "_graph"), ("autograd_lite.viz.render", "Graph.render"),
    ("autograd_lite.viz.animate", "BackwardAnimation.save"), ("autograd_lite.serialization", "save"),
])
def test_every_file_the_library_writes_goes_through_write_file(module, function):
    import inspect

    obj = importlib.import_module(module)
    for part in function.split("."):
        obj = getattr(obj, part)
    source = inspect.getsource(obj)
    assert "write_file(" in source
    assert 'open(path, "w' not in source and ".savefig(path" not in source


def test_write_file_and_read_file_round_trip_bytes_paths(tmp_path):
    path = os.fsencode(tmp_path / "notes.txt")
    write_file(path, "first")
    assert read_file(path, limit=10) == b"first"
    al.save({"w": 1.0}, path)
    assert al.load(path) == {"w": 1.0}
    with pytest.raises(TypeError, match="expected a path"):
        al.save({"w": 1.0}, 3.5)
    with pytest.raises(TypeError, match="expected a path"):
        al.load(None)


# -- hostile files for load() ------------------------------------------------------

def _hostile(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _good(state: str) -> bytes:
    return ('{"format": "autograd_lite.state_dict", "version": 1, "state": ' + state + "}").encode()


@pytest.mark.parametrize("content, problem", [
    (_good('{"w": ' + "[" * 100_000 + "]" * 100_000 + "}"), "nested too deeply"),
    (b"hello, this is not a state dict", "not JSON: it starts with 'hello"),
    (b"PK\x03\x04zipfile", "not JSON|not UTF-8"),
    (_good('{"w": 1.0}') + b" trailing garbage", "unexpected data after the JSON object"),
    (_good('{"w": NaN}'), "NaN is not valid"),
    (_good('{"w": Infinity}'), "Infinity is not valid"),
    (_good('{"w": -Infinity}'), "Infinity is not valid"),
    (_good('{"w": ' + "9" * 5000 + "}"), "integer of 5000 digits"),
    (_good('{"w": ' + "9" * 400 + "}"), "integer of 400 digits"),
    (_good('{"w": 1.0')[:-5], "truncated"),
])
def test_hostile_files_raise_serialization_error_naming_the_path(tmp_path, content, problem):
    path = _hostile(tmp_path, "hostile.json", content)
    with pytest.raises(SerializationError, match=problem) as err:
        al.load(path)
    assert str(path) in str(err.value) and ".tmp" not in str(err.value)


def test_load_caps_the_size_before_reading(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:  # a sparse 1 GiB file: no disk used, instant to make
        f.truncate((1 << 30) + 1)
    with pytest.raises(SerializationError, match="more than the limit") as err:
        al.load(path)
    assert str(path) in str(err.value) and "max_bytes" in str(err.value)
    small = tmp_path / "small.json"
    al.save({"w": [1.0] * 100}, small)
    with pytest.raises(SerializationError, match="more than the limit"):
        al.load(small, max_bytes=100)
    assert al.load(small, max_bytes=None) == {"w": [1.0] * 100}


def test_load_never_opens_a_fifo_or_a_device(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(SerializationError, match="FIFO"):
        al.load(fifo)  # opening it would block until a writer came
    link = tmp_path / "zeros.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(SerializationError, match="character device") as err:
        al.load(link)  # reading it would never end
    assert str(link) in str(err.value)


def test_save_of_a_circular_structure_fails_at_once(tmp_path):
    state: dict = {"w": [1.0]}
    state["w"].append(state)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="circular"):
        al.save(state, tmp_path / "x.json")
    assert time.perf_counter() - start < 30  # the old check never returned; generous for a loaded machine
    shared = [1.0, 2.0]
    al.save({"a": shared, "b": shared}, tmp_path / "shared.json")  # shared is not circular
    assert al.load(tmp_path / "shared.json") == {"a": shared, "b": shared}
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        al.save({"w": deep}, tmp_path / "deep.json")
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "deep.json").exists()


# -- state dicts checked on load ----------------------------------------------------

def test_load_state_dict_non_strict_loads_a_subset_and_reports_the_rest():
    source, target = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    full = source.state_dict()
    keys = list(full)[:4]
    result = target.load_state_dict({k: full[k] for k in keys}, strict=False)
    assert result.missing_keys == [k for k in full if k not in keys] and result.unexpected_keys == []
    loaded = dict(target.named_parameters())
    assert all(loaded[k].data == full[k] for k in keys)
    with pytest.raises(nn.StateDictError, match="size mismatch"):  # strict: still the clear mismatch
        target.load_state_dict({k: full[k] for k in keys})
    bigger = nn.MLP(2, [5, 1], seed=0).state_dict()
    with pytest.raises(nn.StateDictError, match="size mismatch"):  # a larger model's keys are no subset
        target.load_state_dict(bigger, strict=False)


@needs_torch
def test_load_state_dict_subset_as_torch():
    import torch

    lin = torch.nn.Linear(2, 1).double()
    result = lin.load_state_dict({"weight": torch.zeros(1, 2, dtype=torch.float64)}, strict=False)
    ours = nn.Neuron(2, seed=0).load_state_dict({"w.0": 0.0, "w.1": 0.0}, strict=False)
    assert result.missing_keys == ["bias"] and ours.missing_keys == ["b"]


@pytest.mark.parametrize("bad, error", [
    ("x", TypeError), (None, TypeError), (math.inf, ValueError), (math.nan, ValueError),
    (10 ** 400, ValueError), (True, TypeError),
], ids=["str", "None", "inf", "nan", "huge-int", "bool"])
def test_optimizer_load_state_dict_checks_buffers_before_step(bad, error):
    w = [al.Value(1.0), al.Value(2.0)]
    opt = optim.Adam(w, lr=0.1)
    for p in w:
        p.grad = 1.0
    opt.step()
    good = opt.state_dict()
    saved = json.loads(json.dumps(good))
    broken = json.loads(json.dumps(good))
    broken["state"]["exp_avg"][1] = bad
    with pytest.raises(error, match=r"exp_avg'\[1\]"):
        opt.load_state_dict(broken)
    assert opt.state_dict() == saved  # nothing changed
    for key, value, match in [("lr", "fast", "lr"), ("lr", 10 ** 400, "lr"), ("lr", -1.0, "lr"),
                              ("betas", [0.9, 2.0], "beta")]:
        wrong = json.loads(json.dumps(good))
        wrong[key] = value
        with pytest.raises((TypeError, ValueError), match=match):
            opt.load_state_dict(wrong)
    wrong = json.loads(json.dumps(good))
    wrong["state"]["exp_avg_sq"][0] = -1.0
    with pytest.raises(ValueError, match=">= 0"):
        opt.load_state_dict(wrong)
    wrong = json.loads(json.dumps(good))
    wrong["state"]["step"] = "1"
    with pytest.raises(TypeError, match="step"):
        opt.load_state_dict(wrong)
    opt.load_state_dict(good)
    opt.step()  # a valid state still loads and steps


def test_scheduler_load_state_dict_is_checked():
    opt = optim.GradientDescent([al.Value(1.0)], lr=1.0)
    sched = optim.StepLR(opt, step_size=2)
    for bad in ({"base_lr": "x", "last_epoch": 0}, {"base_lr": 1.0, "last_epoch": 1.5}, {"base_lr": 1.0}):
        with pytest.raises((TypeError, ValueError), match="load_state_dict"):
            sched.load_state_dict(bad)
    sched.load_state_dict({"base_lr": 0.5, "last_epoch": 2})
    assert opt.lr == 0.05


@needs_torch
def test_from_torch_refuses_complex_weights():
    import torch

    from autograd_lite.interop import from_torch

    seq = torch.nn.Sequential(torch.nn.Linear(2, 1).to(torch.complex128))
    with pytest.raises(ValueError, match="complex"):
        from_torch(seq)


def test_write_file_error_numbers_are_the_os_ones(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as err:
        write_file(fifo, "x")
    assert err.value.errno == errno.EINVAL and err.value.filename == str(fifo)
