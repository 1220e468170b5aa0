"""The command line: the demo trains to 100% and writes its files; bad arguments are usage errors."""

import builtins
import json
import os
import subprocess
import sys

import pytest

from autograd_lite.cli import main


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_demo_trains_to_100_percent_and_writes_its_files(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0  # the real 100 steps (a few seconds)
    text = capsys.readouterr().out
    assert "reached 100% training accuracy" in text
    assert str(out) in text  # it names the folder
    files = set(os.listdir(out))
    assert {"graph.dot", "history.json"} <= files <= {"graph.dot", "graph.svg", "history.json",
                                                      "decision_boundary.png", "history.png"}
    if _has_matplotlib():  # without it the pictures are skipped (tested below)
        for png in ("decision_boundary.png", "history.png"):
            assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = (out / "graph.dot").read_text()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}") and "->" in dot
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 100 and history["accuracy"][-1] == 1.0


def test_demo_without_matplotlib_skips_the_picture_and_says_how_to_install(tmp_path, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert main(["demo", "--out", str(tmp_path), "--steps", "3"]) == 0
    text = capsys.readouterr().out
    assert "pip install matplotlib" in text and "Traceback" not in text
    files = set(os.listdir(tmp_path))
    assert {"graph.dot", "history.json"} <= files and not any(f.endswith(".png") for f in files)


def test_train_writes_history_and_model(tmp_path, capsys):
    args = ["train", "--dataset", "spirals", "--classes", "3", "--loss", "cross_entropy", "--layers", "8",
            "--optimizer", "adam", "--lr", "0.05", "--epochs", "3", "--batch-size", "10", "--test-size", "0.2",
            "--samples", "30", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "held-out" in text
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["loss"]) == len(history["val_loss"]) == 3
    import autograd_lite
    from autograd_lite.nn import MLP
    state = autograd_lite.load(tmp_path / "model.json")
    assert len(state) == (2 * 8 + 8) + (8 * 3 + 3)
    MLP(2, [8, 3]).load_state_dict(state)  # strict: same names and sizes


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["engine-demo"]])
def test_help_works(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main(command + ["--help"])
    assert exc.value.code == 0 and "usage: autograd-lite" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    [],
    ["nonsense"],
    ["train", "--epochs", "0"],
    ["train", "--epochs", "many"],
    ["train", "--lr", "-1"],
    ["train", "--lr", "nan"],
    ["train", "--layers", "16,x"],
    ["train", "--dataset", "mnist"],
    ["train", "--loss", "hinge", "--dataset", "spirals", "--classes", "3"],
    ["train", "--dataset", "moons", "--classes", "3", "--loss", "cross_entropy"],
    ["train", "--batch-size", "0"],
    ["train", "--test-size", "1"],
    ["demo", "--steps", "0"],
])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: autograd-lite" in err and "error:" in err and "Traceback" not in err


def test_out_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(f)])
    assert exc.value.code == 2 and "not a folder" in capsys.readouterr().err


def test_python_dash_m_reports_bad_arguments_without_a_traceback():
    res = subprocess.run([sys.executable, "-m", "autograd_lite", "train", "--optimizer", "lbfgs"],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "usage:" in res.stderr and "invalid choice" in res.stderr and "Traceback" not in res.stderr


def test_out_that_is_a_file_shows_the_subcommands_usage(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(f)])
    assert exc.value.code == 2
    assert "usage: autograd-lite demo" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["graph", "--expr", "a*"],
    ["graph", "--expr", "__import__('os')"],
    ["graph", "--set", "a=x"],
    ["graph", "--expr", "a/b", "--set", "b=0"],
    ["graph", "--expr", "log(a)", "--set", "a=-1"],
    ["graph", "--expr", "a*b", "--collapse", "layer"],
])
def test_bad_graph_input_is_a_usage_error(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["-o", str(tmp_path / "g"), "-f", "dot"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: autograd-lite graph" in err and "error:" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def _a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("")
    return f


@pytest.mark.parametrize("command", [["demo"], ["train", "--no-progress"]])
def test_out_below_a_file_is_a_usage_error_before_training(command, tmp_path, capsys):
    out = _a_file(tmp_path) / "sub"
    with pytest.raises(SystemExit) as exc:
        main(command + ["--out", str(out)])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before training, not after 100 steps
    assert f"usage: autograd-lite {command[0]}" in captured.err and "Traceback" not in captured.err
    assert str(out) in captured.err and f"{tmp_path / 'afile'} is a file, not a folder" in captured.err


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no folder can be made")
def test_out_that_cannot_be_created_is_a_usage_error_naming_it(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", "/proc/x"])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--out /proc/x: cannot create this folder" in captured.err


def test_out_folder_is_created_before_training(tmp_path, monkeypatch):
    import autograd_lite.train

    out = tmp_path / "a" / "b"

    def fit(*args, **kwargs):
        assert out.is_dir()
        raise KeyboardInterrupt  # enough: stop there
    monkeypatch.setattr(autograd_lite.train, "fit", fit)
    assert main(["demo", "--out", str(out)]) == 130


def test_progress_lines_count_epochs_from_1_as_history_png(tmp_path, capsys):
    assert main(["train", "--epochs", "20", "--samples", "20", "--out", str(tmp_path), "--no-progress"]) == 0
    numbers = [int(line.split()[1]) for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert numbers == [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    assert main(["demo", "--steps", "3", "--out", str(tmp_path)]) == 0
    numbers = [int(line.split()[1]) for line in capsys.readouterr().out.splitlines() if line.startswith("step ")]
    assert numbers == [1, 2, 3]


def test_train_labels_its_two_losses(tmp_path, capsys):
    args = ["train", "--epochs", "5", "--samples", "20", "--batch-size", "5", "--test-size", "0.25",
            "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    progress = [line for line in lines if line.startswith("epoch ")]
    history = json.loads((tmp_path / "history.json").read_text())
    # the progress lines: the mean of the epoch's mini-batch losses, penalty included (History.loss)
    assert all("mean batch loss (with L2 penalty) " in line for line in progress)
    assert f"mean batch loss (with L2 penalty) {history['loss'][-1]:.6g} " in progress[-1]
    assert f"held-out loss {history['val_loss'][-1]:.6g} " in progress[-1]
    # the summary: the data loss of the final weights (evaluate), no penalty
    summary = [line for line in lines if "training loss" in line]
    assert len(summary) == 1 and "training loss (data only, after the last step) " in summary[0]
    assert main(args + ["--l2", "0"]) == 0
    progress = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert all("mean batch loss " in line and "penalty" not in line for line in progress)


def test_no_progress_on_a_terminal_prints_progress_lines_instead_of_a_bar(tmp_path, capsys, monkeypatch):
    import autograd_lite.train
    monkeypatch.setattr(autograd_lite.train, "progress_bar_available", lambda: True)  # as on a terminal with tqdm
    assert main(["train", "--epochs", "3", "--samples", "20", "--out", str(tmp_path), "--no-progress"]) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")] \
        == ["1", "2", "3"]


def _help(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main(command + ["--help"])
    return capsys.readouterr().out


def _option_helps(text):
    """{'--dataset': 'its help text, joined into one line', ...} from a help's options section."""
    helps, current = {}, None
    for line in text.split("options:", 1)[1].split("\n\n")[0].splitlines():
        if line.startswith("  -"):  # "  -o OUTPUT, --output OUTPUT   help...": the invocation, 2+ spaces, the help
            invocation, _, help_text = line.strip().partition("  ")
            current = [word.rstrip(",") for word in invocation.split() if word.startswith("--")][0]
            helps[current] = help_text.strip()
        elif line.strip():  # the help's next line
            helps[current] = (helps[current] + " " + line.strip()).strip()
    return helps


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["engine-demo"], ["graph"]])
def test_help_has_no_rest_markup_and_every_option_is_explained(command, capsys, monkeypatch):
    text = _help(command, capsys, monkeypatch)
    assert "``" not in text and "%%" not in text
    if command:
        assert text.split("\n\n")[1].strip(), "a description under the usage line"
    for option, help_text in _option_helps(text).items():
        assert help_text, f"{option} has no help"
        assert "(default: None)" not in help_text and "(default: False)" not in help_text, help_text
        assert help_text.count("default") <= 1, help_text


def test_top_level_help_shows_an_example_of_every_command(capsys, monkeypatch):
    text = _help([], capsys, monkeypatch)
    for command in ("demo", "train", "engine-demo", "graph"):
        assert f"  autograd-lite {command}" in text


def test_train_help_shows_every_default_as_typed(capsys, monkeypatch):
    helps = _option_helps(_help(["train"], capsys, monkeypatch))
    for option, default in [("--dataset", "moons"), ("--activation", "relu"), ("--loss", "hinge"),
                            ("--optimizer", "sgd"), ("--epochs", "100"), ("--layers", "16,16"),
                            ("--samples", "100"), ("--lr", "0.1"),
                            ("--out", "out/train-DATASET, e.g. out/train-moons")]:
        assert f"(default: {default})" in helps[option], helps[option]
    assert "full batch" in helps["--batch-size"]


# -- make demo: only what the demo needs ---------------------------------------------

@pytest.mark.skipif(not __import__("shutil").which("make"), reason="make is not installed")
def test_make_demo_installs_only_the_demo_extra_and_make_venv_what_the_tests_need(tmp_path):
    import shutil
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(os.path.join(root, name), tmp_path / name)

    def dry_run(target):  # the commands make would run in a fresh clone, without running them
        res = subprocess.run(["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, check=True)
        assert "warning" not in res.stderr
        return res.stdout

    demo = dry_run("demo")
    assert "-m venv .venv" in demo and '-e ".[demo]"' in demo and "-m autograd_lite demo" in demo
    assert "[test" not in demo and "notebooks" not in demo
    for target in ("venv", "test"):  # .ci/run: make venv, pip install torch, make test
        assert "-m venv .venv" in dry_run(target) and '-e ".[test,viz,notebooks]"' in dry_run(target)
    assert "pytest" in dry_run("test")


# -- graph: the output name decides, mistakes are explained, nothing is assumed in silence ------------

def _usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    assert exc.value.code == 2 and captured.out == "" and "Traceback" not in captured.err
    return captured.err


def test_graph_dash_o_dash_prints_to_stdout(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "-f", "txt", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1].startswith("out v") and "# a" in captured.out
    assert "assumed a=2 b=-3 c=10" in captured.err   # the notes go to stderr: stdout is the text view alone
    assert main(["graph", "-f", "dot", "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("digraph")
    assert os.listdir(tmp_path) == []   # no file named "-" or "-.txt"


@pytest.mark.parametrize("output, fmt, written", [("g.dot", None, "g.dot"), ("g.txt", None, "g.txt"),
                                                  ("g", "dot", "g.dot"), ("g.gv", "dot", "g.gv"),
                                                  ("sub/g.txt", None, "sub/g.txt")])
def test_graph_output_name_decides_the_format(tmp_path, capsys, monkeypatch, output, fmt, written):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "-o", output] + (["-f", fmt] if fmt else [])) == 0
    assert capsys.readouterr().out.splitlines()[-1] == written
    text = (tmp_path / written).read_text()
    assert text.startswith("digraph") if written.endswith(("dot", "gv")) else text.startswith("in  v0")


def test_graph_output_mistakes_are_usage_errors_that_say_what_is_wrong(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("")
    assert ".jpg is not a format" in _usage_error(["graph", "-o", "g.jpg"], capsys)
    assert "-o g.svg asks for svg, -f asks for png" in _usage_error(["graph", "-o", "g.svg", "-f", "png"], capsys)
    for folder in ("adir", "adir/", "new/"):
        assert f"-o {folder}: is a folder; give a file name" in _usage_error(["graph", "-o", folder], capsys)
    assert "afile is a file, not a folder" in _usage_error(["graph", "-o", "afile/x.svg"], capsys)
    assert sorted(os.listdir(tmp_path)) == ["adir", "afile"] and os.listdir(tmp_path / "adir") == []


def test_graph_says_which_values_it_assumed_and_refuses_unused_names(tmp_path, capsys):
    out = tmp_path / "g.txt"
    assert main(["graph", "--expr", "a*b + c*d + e", "--set", "c=5", "-o", str(out)]) == 0
    said = capsys.readouterr().err
    assert "assumed a=2 b=-3 d=-2 e=0.5" in said   # the lecture's a, b, (c set), f's -2 for d, then 0.5
    leaves = dict(line.split("#")[1].strip() and (line.split("#")[1].strip(), line.split()[2])
                  for line in out.read_text().splitlines() if line.startswith("in "))
    assert leaves == {"a": "data=2", "b": "data=-3", "c": "data=5", "d": "data=-2", "e": "data=0.5"}
    err = _usage_error(["graph", "--expr", "a*b", "--set", "z=1", "-o", str(out)], capsys)
    assert "--set z: not in the expression 'a*b' (it uses a, b)" in err
    assert "--set is for --expr" in _usage_error(["graph", "--model", "--set", "a=1"], capsys)
    main(["graph", "--set", "a=1", "b=2", "c=3", "-o", str(out)])
    captured = capsys.readouterr()
    assert "assumed" not in captured.out + captured.err


def test_graph_help_names_the_lectures_values(capsys, monkeypatch):
    helps = _option_helps(_help(["graph"], capsys, monkeypatch))
    assert "micrograd's lecture, 2, -3, 10, -2" in helps["--set"] and "README" not in helps["--set"]


def test_version(capsys):
    import autograd_lite

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out == f"autograd-lite {autograd_lite.__version__}\n"


# -- train: its own folder, plurals, a linear model said, overfitting said, Ctrl-C saves ----------------

def test_train_writes_into_its_own_folder_and_counts_in_good_english(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "circles", "--epochs", "1", "--samples", "20", "--layers", "",
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / "out")) == ["train-circles"]
    assert "model.json" in os.listdir(tmp_path / "out" / "train-circles")
    assert "1 epoch in" in text and "; 1 epoch\n" in text and "1 epochs" not in text
    assert "(no hidden layer: a linear model" in text


def test_graph_repr_counts_in_good_english():
    from autograd_lite import Value
    from autograd_lite.viz import draw_dot

    assert "Graph: 1 node;" in repr(draw_dot(Value(1.0)))
    assert "Graph: 2 nodes;" in repr(draw_dot(Value(1.0) * 2, color="grad"))   # two boxes; the colour key is none


def test_train_says_when_the_held_out_loss_rose(capsys):
    from autograd_lite.cli.commands import say_if_overfitting
    from autograd_lite.train import History

    say_if_overfitting(History(val_loss=[1.0, 0.5, 0.9]))
    assert "held-out loss was lowest at epoch 2 (0.5) and ended at 0.9: the model overfits" in capsys.readouterr().out
    say_if_overfitting(History(val_loss=[1.0, 0.5, 0.52]))
    assert capsys.readouterr().out == ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_during_train_stops_after_the_step_and_saves(tmp_path):
    import signal

    from autograd_lite import load
    from autograd_lite.nn import MLP

    proc = subprocess.Popen([sys.executable, "-u", "-m", "autograd_lite", "train", "--epochs", "100000",
                             "--samples", "40", "--no-progress", "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    for line in proc.stdout:   # wait until training runs
        if line.startswith("epoch "):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Ctrl-C: stopping after this step, then saving" in err and "Traceback" not in err
    assert "interrupted (Ctrl-C) after" in out and "of 100000" in out
    history = json.loads((tmp_path / "history.json").read_text())
    completed = int(out.split("interrupted (Ctrl-C) after ")[1].split()[0])
    assert 1 <= completed < 100000 and len(history["loss"]) == completed
    model = MLP(2, [16, 16, 1], seed=0)
    model.load_state_dict(load(tmp_path / "model.json"))   # a whole, loadable model
@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_train_compile_gives_the_eager_figures(backend, tmp_path, capsys):
    if backend == "numpy":
        pytest.importorskip("numpy")
    common = ["train", "--epochs", "5", "--batch-size", "20", "--samples", "60", "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "eager")]) == 0
    assert main(common + ["--out", str(tmp_path / "compiled"), "--compile", "--backend", backend]) == 0
    assert f"compiled steps ({backend} backend)" in capsys.readouterr().out
    eager = json.loads((tmp_path / "eager" / "history.json").read_text())
    compiled = json.loads((tmp_path / "compiled" / "history.json").read_text())
    assert compiled["accuracy"] == eager["accuracy"]
    assert all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(compiled["loss"], eager["loss"]))


def test_train_backend_without_compile_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--backend", "numpy", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "add --compile" in capsys.readouterr().err
