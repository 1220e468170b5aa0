"""autograd_lite.train: fit trains, History has per-epoch figures, accuracy/evaluate/predict."""

import math

import pytest

from autograd_lite import Value
from autograd_lite.data import make_blobs, make_moons
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD, GradientDescent, LambdaLR
from autograd_lite.train import History, accuracy, evaluate, fit, predict


def easy_problem(labels=(-1, 1)):
    # two well separated blobs: any reasonable training run separates them
    return make_blobs(40, centers=[[-2.0, -1.0], [2.0, 1.0]], cluster_std=0.4, seed=0, labels=labels)


@pytest.mark.parametrize("batch_size", [None, 8, 1])
def test_fit_reduces_loss_and_records_each_epoch(batch_size):
    X, y = easy_problem()
    model = MLP(2, [8, 1], seed=1)
    before = evaluate(model, X, y, loss="hinge")["loss"]
    h = fit(model, X, y, loss="hinge", optimizer=SGD(model, lr=0.05), epochs=6, batch_size=batch_size,
            progress=False)
    assert isinstance(h, History) and h.epochs == 6
    for field in (h.loss, h.accuracy, h.time, h.lr):
        assert len(field) == 6
    assert all(t > 0 for t in h.time) and h.lr == [0.05] * 6
    assert all(0.0 <= a <= 1.0 for a in h.accuracy)
    after = evaluate(model, X, y, loss="hinge")
    assert after["loss"] < before and after["accuracy"] >= 0.9
    assert h.val_loss == [] and "val_loss" not in h.last()


def test_full_batch_fit_is_the_hand_written_loop():
    X, y = make_moons(30, noise=0.1, seed=2, labels=(-1, 1))
    by_fit, by_hand = MLP(2, [4, 1], seed=3), MLP(2, [4, 1], seed=3)
    opt = GradientDescent(by_fit, lr=1.0)
    h = fit(by_fit, X, y, loss="hinge", l2=1e-4, optimizer=opt, scheduler=LambdaLR(opt, lambda k: 1 - 0.9 * k / 100),
            epochs=5, progress=False, shuffle=False)
    params = by_hand.parameters()
    for k in range(5):
        scores = [by_hand(x) for x in X]
        losses = [(1.0 - s * t).relu() for s, t in zip(scores, y)]
        loss = sum(losses) / len(losses) + 1e-4 * sum(p * p for p in params)
        by_hand.zero_grad()
        loss.backward()
        for p in params:
            p.data -= (1 - 0.9 * k / 100) * p.grad
        assert math.isclose(h.loss[k], loss.data, rel_tol=1e-12)
        assert math.isclose(h.lr[k], 1 - 0.9 * k / 100)
    for a, b in zip(by_fit.parameters(), params):
        assert math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)


def test_fit_is_reproducible_with_a_seed():
    X, y = make_moons(24, noise=0.1, seed=0, labels=(-1, 1))
    runs = []
    for _ in range(2):
        model = MLP(2, [4, 1], seed=0)
        runs.append(fit(model, X, y, loss="hinge", lr=0.1, epochs=3, batch_size=5, seed=7, progress=False).loss)
    assert runs[0] == runs[1]


def test_multiclass_cross_entropy_and_validation():
    X, y = make_blobs(45, centers=[[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], cluster_std=0.5, seed=1)
    model = MLP(2, [8, 3], seed=0)
    h = fit(model, X, y, loss="cross_entropy", optimizer=SGD(model, lr=0.1, momentum=0.9), epochs=15,
            validation_data=(X[:9], y[:9]), progress=False)
    assert len(h.val_loss) == len(h.val_accuracy) == 15
    assert h.loss[-1] < h.loss[0] and h.accuracy[-1] > 0.9 and h.val_accuracy[-1] > 0.8


def test_regression_targets_have_no_accuracy():
    X = [[x / 10] for x in range(10)]
    y = [0.5 * x[0] + 0.25 for x in X]
    model = MLP(1, [1], seed=0)
    h = fit(model, X, y, loss="mse", lr=0.5, epochs=40, progress=False)
    assert h.accuracy == [None] * 40 and h.loss[-1] < 1e-3


def test_callback_can_stop_and_custom_loss():
    X, y = easy_problem()
    seen = []

    def stop_at_two(epoch, figures):
        seen.append((epoch, sorted(figures)))
        return epoch == 1

    def my_loss(outputs, targets):
        return sum((1.0 - o * t).relu() for o, t in zip(outputs, targets)) / len(targets)

    h = fit(MLP(2, [2, 1], seed=0), X, y, loss=my_loss, epochs=10, callbacks=[stop_at_two], progress=False)
    assert h.epochs == 2 and [e for e, _ in seen] == [0, 1]
    assert seen[0][1] == ["accuracy", "loss", "lr", "time"]


def test_fit_bad_arguments():
    X, y = easy_problem()
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="unknown loss"):
        fit(model, X, y, loss="nope", progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, X, y, epochs=-1, progress=False)
    with pytest.raises(ValueError, match="different lengths"):
        fit(model, X, y[:-1], progress=False)


def test_no_progress_bar_when_stdout_is_not_a_terminal(capsys):
    X, y = easy_problem()
    fit(MLP(2, [1], seed=0), X, y, loss="hinge", epochs=2, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_falls_back_when_tqdm_is_missing(monkeypatch):
    import builtins
    import sys

    from autograd_lite import train

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm" or name.startswith("tqdm."):
            raise ImportError("No module named 'tqdm'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    assert train.progress_bar_available() is False
    X, y = easy_problem()
    assert fit(MLP(2, [1], seed=0), X, y, loss="hinge", epochs=2).epochs == 2


def test_accuracy_conventions():
    assert accuracy([Value(0.2), Value(-0.1)], [1, -1]) == 1.0  # sign for -1/+1
    assert accuracy([0.6, 0.4], [1, 0]) == 1.0  # 0.5 for 0/1 probabilities
    assert accuracy([0.2, -0.1], [1, 0], threshold=0.0) == 1.0  # logits
    assert accuracy([[1.0, 3.0, 2.0], [Value(5.0), Value(0.0), Value(1.0)]], [1, 0]) == 1.0
    with pytest.raises(ValueError):
        accuracy([0.1], [1, 0])


def test_predict_and_evaluate_do_not_build_graphs_or_change_mode():
    model = MLP(2, [4, 2], seed=0, dropout=0.5)
    out = predict(model, [[0.1, 0.2], [0.3, 0.4]])
    assert all(type(v) is float for row in out for v in row)
    assert model.training  # put back in training mode
    assert predict(model, [[0.1, 0.2]]) == predict(model, [[0.1, 0.2]])  # dropout off while predicting
    res = evaluate(MLP(2, [1], seed=0), [[0.0, 0.0]], [1], loss="hinge")
    assert res == {"loss": 1.0, "accuracy": 0.0}


def test_import_autograd_lite_does_not_import_optional_dependencies():
    import subprocess
    import sys
    code = ("import sys, autograd_lite, autograd_lite.train, autograd_lite.data, autograd_lite.cli; "
            "print(sorted(m for m in ('tqdm', 'matplotlib', 'torch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_readme_training_section_runs():
    import re
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Training, data and the command line", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    ns: dict = {}
    exec(block, ns)
    assert ns["history"].epochs == 30 and ns["history"].accuracy[-1] > 0.9


# -- fit(compile=...): the same training as eager, with compiled steps ------------------------------

def _train(loss, labels, compile, batch_size=16, l2=1e-3):
    from autograd_lite.optim import Adam
    X, y = make_moons(60, noise=0.2, seed=1, labels=labels)
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=0.01), epochs=8,
                  batch_size=batch_size, l2=l2, progress=False, compile=compile)
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize("loss, labels", [("hinge", (-1, 1)), ("bce_with_logits", None), ("mse", (-1, 1))])
@pytest.mark.parametrize("batch_size", [None, 16, 1])
def test_compiled_fit_is_eager_fit_to_the_bit(loss, labels, batch_size):
    # the python backend sums every gradient term in the order backward() does: the same weights, exactly
    eager, w_eager = _train(loss, labels, False, batch_size)
    compiled, w_compiled = _train(loss, labels, True, batch_size)
    assert compiled.loss == eager.loss and compiled.accuracy == eager.accuracy
    assert w_compiled == w_eager


def test_compiled_fit_on_numpy_matches_eager_to_rounding():
    pytest.importorskip("numpy")
    eager, w_eager = _train("hinge", (-1, 1), False)
    compiled, w_compiled = _train("hinge", (-1, 1), "numpy")
    assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(compiled.loss, eager.loss))
    assert all(math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-12) for a, b in zip(w_compiled, w_eager))


def test_compiled_fit_with_class_labels_and_bad_options():
    X, y = make_blobs(40, centers=[[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0]], cluster_std=0.5, seed=0)
    model = MLP(2, [4, 3], seed=0)
    eager = fit(MLP(2, [4, 3], seed=0), X, y, loss="cross_entropy", epochs=3, batch_size=8, progress=False)
    # cross_entropy compiled: shifted by the target's logit, the same figures up to rounding
    history = fit(model, X, y, loss="cross_entropy", epochs=3, batch_size=8, progress=False, compile=True)
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(history.loss, eager.loss))
    assert history.accuracy == eager.accuracy
    with pytest.raises(ValueError, match="compile must be"):
        fit(model, X, y, loss="cross_entropy", epochs=1, progress=False, compile="cuda")
    with pytest.raises(ValueError, match="named loss"):
        fit(model, X, y, loss=lambda out, t: out[0][0], epochs=1, progress=False, compile=True)


def _train_with_dropout(loss, labels, compile, batch_size, momentum):
    X, y = make_moons(40, noise=0.3, seed=1, labels=labels)
    model = MLP(2, [8, 8, 1], dropout=0.25, seed=0)
    seen = []  # an evaluation between epochs (dropout off) must not disturb the masks' random stream

    def watch(epoch, figures):
        seen.append(evaluate(model, X, y, loss=loss))

    history = fit(model, X, y, loss=loss, optimizer=SGD(model, lr=0.02, momentum=momentum), epochs=6,
                  batch_size=batch_size, l2=1e-3, seed=2, callbacks=[watch], progress=False, compile=compile)
    return history.loss, history.accuracy, seen, [p.data for p in model.parameters()]


@pytest.mark.parametrize("loss, labels", [("hinge", (-1, 1)), ("bce_with_logits", None), ("mse", (-1, 1))])
@pytest.mark.parametrize("batch_size", [None, 8, 1])
def test_compiled_fit_with_dropout_is_eager_fit_to_the_bit(loss, labels, batch_size, recwarn):
    # each sample's masks are drawn as eager forward passes draw them and passed in as an argument; a
    # dropped input is multiplied by 0.0 instead of left out, which adds only exact zeros
    eager = _train_with_dropout(loss, labels, False, batch_size, 0.5)
    compiled = _train_with_dropout(loss, labels, True, batch_size, 0.5)
    assert compiled == eager
    assert not [w for w in recwarn if "eager" in str(w.message)]  # it did not fall back to eager steps
    assert eager != _train_with_dropout(loss, labels, False, batch_size, 0.0)  # the comparison can fail


def test_compiled_fit_with_dropout_and_several_outputs():
    X, y = make_blobs(45, centers=[[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0]], cluster_std=0.6, seed=0)
    runs = []
    for compile in (False, True):
        model = MLP(2, [6, 6, 3], dropout=0.3, seed=1)
        h = fit(model, X, y, loss="cross_entropy", epochs=4, batch_size=8, progress=False, compile=compile)
        runs.append((h, [p.data for p in model.parameters()]))
    (eager, w_eager), (compiled, w_compiled) = runs
    # cross_entropy's compiled term is shifted by the target's logit: the same training up to rounding
    assert compiled.accuracy == eager.accuracy
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(compiled.loss, eager.loss))
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(w_compiled, w_eager))


@pytest.mark.parametrize("loss, labels", [("hinge", (-1, 1)), ("bce_with_logits", None), ("mse", (-1, 1))])
def test_compiled_evaluate_is_eager_evaluate_to_the_bit(loss, labels):
    X, y = make_moons(50, noise=0.3, seed=3, labels=labels)
    model = MLP(2, [8, 8, 1], dropout=0.2, seed=0)
    grads = [p.grad for p in model.parameters()]
    for _ in range(3):  # the compiled code is kept and reads the parameters' new values after each update
        fit(model, X, y, loss=loss, optimizer=SGD(model, lr=0.1), epochs=2, batch_size=10, progress=False)
        grads = [p.grad for p in model.parameters()]
        assert evaluate(model, X, y, loss=loss, compile=True) == evaluate(model, X, y, loss=loss)
        assert model.training  # back in training mode, with the gradients untouched
        assert [p.grad for p in model.parameters()] == grads


def test_compiled_evaluate_with_class_labels_and_bad_options():
    X, y = make_blobs(45, centers=[[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0]], cluster_std=0.6, seed=0)
    model = MLP(2, [6, 3], seed=1)
    fit(model, X, y, loss="cross_entropy", epochs=2, batch_size=8, progress=False)
    eager = evaluate(model, X, y, loss="cross_entropy")
    compiled = evaluate(model, X, y, loss="cross_entropy", compile=True)
    assert compiled["accuracy"] == eager["accuracy"]  # the outputs are eager's to the bit
    assert math.isclose(compiled["loss"], eager["loss"], rel_tol=1e-12)  # shifted log-sum-exp: to rounding
    model.layers[0] = MLP(2, [6, 3], seed=2).layers[0]  # new parameters: compiled again, not stale code
    again = evaluate(model, X, y, loss="cross_entropy", compile=True)
    assert again["accuracy"] == evaluate(model, X, y, loss="cross_entropy")["accuracy"]
    assert math.isclose(again["loss"], evaluate(model, X, y, loss="cross_entropy")["loss"], rel_tol=1e-12)
    assert not math.isclose(again["loss"], compiled["loss"], rel_tol=1e-6)
    with pytest.raises(ValueError, match="named loss"):
        evaluate(model, X, y, loss=lambda out, t: out[0][0], compile=True)
    with pytest.raises(ValueError, match="compile must be"):
        evaluate(model, X, y, loss="cross_entropy", compile="cuda")
