"""The ``autograd-lite`` command line (also ``python -m autograd_lite``).

examples:
  autograd-lite demo --out out/        micrograd's demo: train an MLP on moons to 100%, draw it
  autograd-lite train --dataset spirals --classes 3 --layers 16,16 --loss cross_entropy
  autograd-lite engine-demo            the engine alone: micrograd's README expression
  autograd-lite graph --expr "(a*b + c).tanh()" -o graph.svg
  autograd-lite graph --model --collapse neuron -o mlp.svg

Each command's options: autograd-lite COMMAND --help.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

# -- micrograd's demo ---------------------------------------------------------------

DEMO_STEPS = 100


def _demo(args: argparse.Namespace) -> int:
    from autograd_lite.data import make_moons
    from autograd_lite.nn import MLP
    from autograd_lite.optim import GradientDescent, LambdaLR
    from autograd_lite.train import fit

    _prepare_out_dir(args)
    print("micrograd's demo with autograd_lite: a 2-layer MLP learns to separate two moons\n")
    # As micrograd's demo.ipynb: 100 moons, noise 0.1, labels -1/+1 for the hinge loss;
    # seed=1337 gives the very weights micrograd draws after random.seed(1337).
    X, y = make_moons(100, noise=0.1, seed=1337, labels=(-1, 1))
    model = MLP(2, [16, 16, 1], seed=1337)
    print(f"model: {model}, {len(model.parameters())} parameters")
    print("loss: hinge (SVM max-margin) + 1e-4 * sum(p*p); full batch; lr = 1.0 - 0.9*k/100\n")
    optimizer = GradientDescent(model.parameters(), lr=1.0)
    scheduler = LambdaLR(optimizer, lambda k: 1.0 - 0.9 * k / DEMO_STEPS)
    steps = args.steps
    t0 = time.perf_counter()
    history = fit(model, X, y, loss="hinge", l2=1e-4, optimizer=optimizer, scheduler=scheduler,
                  epochs=steps, batch_size=None, shuffle=False, callbacks=[_print_every(steps)])
    seconds = time.perf_counter() - t0
    acc = history.accuracy[-1]
    # history holds the figures seen by each step's forward pass; score the final weights too.
    from autograd_lite.train import evaluate
    final = evaluate(model, X, y, loss="hinge")
    print(f"\n{_plural(steps, 'step')} in {seconds:.2f} s ({1e3 * seconds / max(steps, 1):.1f} ms per step)")
    if final["accuracy"] == 1.0:
        print("reached 100% training accuracy")
    else:
        print(f"training accuracy {final['accuracy']:.0%} (last step saw {acc:.0%}); "
              f"micrograd's demo reaches 100% after {DEMO_STEPS} steps")

    out = _out_dir(args.out)
    _write_plots(model, X, y, history, out, threshold=0.0, word="step",
                 title=f"micrograd's demo: moons, after {_plural(steps, 'step')}")
    # Draw the sample nearest the boundary (the largest hinge term), where gradients still flow.
    from autograd_lite.train import predict
    scores = predict(model, X)
    i = max(range(len(X)), key=lambda k: 1.0 - y[k] * scores[k])
    _write_graph_of_one_sample(model, X[i], y[i], out)
    write_json(history_dict(history), os.path.join(out, "history.json"))
    return 0


def _print_every(epochs: int, word: str = "step", loss: str = "loss", held_out: str = "val_",
                 bar: bool = True) -> Callable[[int, dict], None]:
    """A callback printing about ten progress lines, when no progress bar is drawn (``bar``: fit may draw one).

    ``loss`` names the figure ``fit`` records as History.loss, ``held_out`` prefixes the validation figures.
    """
    from autograd_lite.train import progress_bar_available

    if bar and progress_bar_available():
        return lambda epoch, figures: None
    every = max(1, epochs // 10)

    def report(epoch: int, figures: dict) -> None:
        n = epoch + 1  # counted from 1, as history.png and the progress bar count them
        if n == 1 or n % every == 0 or n == epochs:
            acc = figures.get("accuracy")
            line = f"{word} {n:4d}  {loss} {figures['loss']:.6g}"
            line += f"  accuracy {acc:.1%}" if acc is not None else ""
            if figures.get("val_loss") is not None:
                line += f"  {held_out}loss {figures['val_loss']:.6g}"
            if figures.get("val_accuracy") is not None:
                line += f"  {held_out}accuracy {figures['val_accuracy']:.1%}"
            print(line, flush=True)

    return report


# -- the files a run leaves behind --------------------------------------------------

def _prepare_out_dir(args: argparse.Namespace) -> None:
    """Create ``--out`` now, before training, or stop with a usage error saying why it cannot be."""
    path = args.out
    if os.path.exists(path) and not os.path.isdir(path):
        args._parser.error(f"--out {path}: exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        args._parser.error(f"--out {path}: cannot create this folder ({why_not_a_folder(path) or e.strerror})")
    if not os.access(path, os.W_OK):
        args._parser.error(f"--out {path}: the folder is not writable")


def why_not_a_folder(path: str) -> str | None:
    """'x is a file, not a folder' when a folder on the way to ``path`` is a file."""
    parent = os.path.dirname(path)
    while parent and parent != os.path.dirname(parent):
        if os.path.exists(parent) and not os.path.isdir(parent):
            return f"{parent} is a file, not a folder"
        parent = os.path.dirname(parent)
    return None


def _out_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    print(f"\nwriting into {os.path.abspath(path)}{os.sep}")
    return path


def write_json(obj: Any, path: str) -> None:
    """Write obj as JSON to path atomically, and print the file's name (as the other outputs are listed)."""
    from autograd_lite.files import write_file  # atomic: an interrupt leaves the previous file whole

    write_file(path, json.dumps(obj, indent=1) + "\n", who="write")
    print(f"  {os.path.basename(path)}")


def history_dict(history: Any) -> dict:
    return {k: v for k, v in vars(history).items() if v}


def _write_plots(model: Any, X: list, y: list, history: Any, out: str, threshold: float, *, word: str,
                 title: str, validation: tuple | None = None) -> None:
    """decision_boundary.png and history.png (matplotlib; skipped, with the fix, when missing).

    ``word`` is what the console counts ("step" or "epoch"), so history.png counts the same;
    ``validation`` (X_test, y_test) is drawn as held-out points, its accuracy in the title.
    """
    try:
        import matplotlib
    except ImportError:
        print("  decision_boundary.png and history.png skipped: matplotlib is not installed "
              "(pip install matplotlib, or pip install 'autograd_lite[demo]')")
        return
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    from autograd_lite.train import eval_mode
    from autograd_lite.viz import plot_decision_boundary, plot_history

    with eval_mode(model):  # dropout off while the grid is evaluated
        X_test, y_test = validation if validation else (None, None)
        fig = plot_decision_boundary(model, X, y, X_test=X_test, y_test=y_test, threshold=threshold, title=title)
    _save(plt, fig, os.path.join(out, "decision_boundary.png"))
    _save(plt, plot_history(history, xlabel=word, title=title), os.path.join(out, "history.png"))


def _save(plt: Any, fig: Any, path: str) -> None:
    import io

    from autograd_lite.files import write_file

    buffer = io.BytesIO()  # drawn in memory, then written atomically like every file the library writes
    fig.savefig(buffer, format=os.path.splitext(path)[1].lstrip(".") or "png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_file(path, buffer.getvalue(), who="write")
    print(f"  {os.path.basename(path)}")


def _write_graph_of_one_sample(model: Any, x: list, target: Any, out: str, loss: str = "hinge") -> None:
    """The computation graph of one sample's loss, after backward: graph.dot, and graph.svg when it can.

    The drawing gathers each neuron into one node (the full graph has some
    400 nodes, too many to read); the DOT file holds the same drawing's
    source, for Graphviz users.
    """
    from autograd_lite.engine import Value
    from autograd_lite.train import eval_mode, resolve_loss
    from autograd_lite.viz import RenderError, draw_dot

    loss_fn, _ = resolve_loss(loss)
    inputs = [Value(v, label=f"x{i + 1}") for i, v in enumerate(x)]  # labelled leaves, for the drawing
    with eval_mode(model):
        root = loss_fn([model(inputs)], [target])
    root.label = "loss"
    model.zero_grad()
    root.backward()
    graph = draw_dot(root, collapse=model, level="neuron", title="one sample's loss, after backward")
    print(f"  {os.path.basename(graph.render(os.path.join(out, 'graph.dot')))}")
    try:
        print(f"  {os.path.basename(graph.render(os.path.join(out, 'graph.svg')))}")
    except RenderError as e:
        print(f"  graph.svg skipped: {str(e).splitlines()[0]} (pip install 'autograd_lite[demo]')")
    model.zero_grad()  # leave no gradients behind from this extra backward


# -- train: the same loop, every choice on the command line ---------------------------

DATASETS = ("moons", "circles", "spirals", "xor", "blobs")
OPTIMIZERS = ("gd", "sgd", "rmsprop", "adam", "adamw")
BINARY_LOSSES = ("hinge", "mse", "bce_with_logits", "bce")


def _train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from autograd_lite import data, save
    from autograd_lite.nn import MLP
    from autograd_lite.train import evaluate

    n_classes = args.classes
    if args.out is None:   # its own folder: never over the demo's pictures, nor another dataset's run
        args.out = os.path.join("out", f"train-{args.dataset}")
    if args.dataset in ("moons", "circles", "xor") and n_classes != 2:
        parser.error(f"--classes: {args.dataset} has 2 classes, got {n_classes}")
    if args.loss != "cross_entropy" and n_classes != 2:
        parser.error(f"--loss {args.loss} is for 2 classes; use --loss cross_entropy for {n_classes}")
    if args.backend != "python" and not args.compile:
        parser.error("--backend chooses how --compile runs the step; add --compile")
    if args.compile and args.backend == "numpy" and importlib.util.find_spec("numpy") is None:
        parser.error("--backend numpy needs numpy: pip install 'autograd_lite[compile]'")
    _check_size(args, parser)
    _prepare_out_dir(args)
    # Labels follow the loss: -1/+1 for hinge and mse (a sign), 0/1 for the
    # binary cross-entropies, 0..k-1 for cross_entropy.
    labels = (-1, 1) if args.loss in ("hinge", "mse") else None
    makers = {
        "moons": lambda: data.make_moons(args.samples, noise=args.noise, seed=args.seed, labels=labels),
        "circles": lambda: data.make_circles(args.samples, noise=args.noise, factor=0.5, seed=args.seed,
                                             labels=labels),
        "spirals": lambda: data.make_spirals(args.samples, n_classes, noise=args.noise, seed=args.seed,
                                             labels=labels),
        "xor": lambda: data.make_xor(args.samples, noise=args.noise, seed=args.seed, labels=labels),
        "blobs": lambda: data.make_blobs(args.samples, n_classes, cluster_std=max(args.noise, 1e-3) * 10,
                                         seed=args.seed, labels=labels),
    }
    validation = None
    try:
        X, y = makers[args.dataset]()
        if args.test_size:
            X, X_test, y, y_test = data.train_test_split(X, y, test_size=args.test_size, stratify=True,
                                                         seed=args.seed)
            validation = (X_test, y_test)
    except ValueError as e:  # a split or a dataset these sizes cannot make: the arguments' fault
        parser.error(f"--samples {args.samples}, --test-size {args.test_size:g}: {e}")

    nout = n_classes if args.loss == "cross_entropy" else 1
    model = MLP(2, args.layers + [nout], activation=args.activation,
                output_activation="sigmoid" if args.loss == "bce" else "linear", seed=args.seed)
    optimizer = _make_optimizer(args, model)
    print(f"{args.dataset}: {len(X)} training samples" + (f", {len(validation[0])} held out" if validation else ""))
    linear = "" if args.layers else " (no hidden layer: a linear model, straight decision boundaries)"
    print(f"model: {model}, {len(model.parameters())} parameters{linear}")
    print(f"loss {args.loss}" + (f" + {args.l2:g} * sum(p*p)" if args.l2 else "")
          + f"; optimizer {optimizer!r}; batch size {args.batch_size or 'full'}; {_plural(args.epochs, 'epoch')}"
          + (f"; compiled steps ({args.backend} backend)" if args.compile else "") + "\n")
    # Two losses, named apart.  Each progress line shows what fit records in History.loss: the
    # epoch's mini-batch losses (the L2 penalty included), each from the forward pass before that
    # batch's update, averaged per sample; accuracy likewise.  The held-out figures are evaluated
    # after the epoch's last update.  The summary below evaluates the final weights: data loss only.
    batch_loss = "mean batch loss" + (" (with L2 penalty)" if args.l2 else "")
    t0 = time.perf_counter()
    history, interrupted = _fit_until_interrupted(
        model, X, y, loss=args.loss, optimizer=optimizer, epochs=args.epochs,
        batch_size=args.batch_size, shuffle=True, seed=args.seed, l2=args.l2,
        validation_data=validation,
        callbacks=[_print_every(args.epochs, "epoch", loss=batch_loss, held_out="held-out ",
                                bar=not args.no_progress)],
        progress=not args.no_progress, compile=args.backend if args.compile else False)
    seconds = time.perf_counter() - t0
    final = evaluate(model, X, y, loss=args.loss)
    if interrupted:
        print(f"\ninterrupted (Ctrl-C) after {_plural(history.epochs, 'complete epoch')} of {args.epochs}, "
              f"{seconds:.2f} s: the model below is the one after the last step, saved with the history so far")
    else:
        print(f"\n{_plural(history.epochs, 'epoch')} in {seconds:.2f} s")
    print(f"training loss (data only, after the last step) {final['loss']:.6g}, accuracy {final['accuracy']:.1%}")
    if not math.isfinite(final["loss"]):
        print(f"the loss diverged: try a smaller --lr (now {args.lr:g})")
    if validation:
        val = evaluate(model, *validation, loss=args.loss)
        print(f"held-out loss (data only, after the last step) {val['loss']:.6g}, accuracy {val['accuracy']:.1%}")
        say_if_overfitting(history)

    out = _out_dir(args.out)
    _write_plots(model, X, y, history, out, threshold=0.5 if args.loss == "bce" else 0.0, word="epoch",
                 validation=validation,
                 title=f"{args.dataset}, {model}, after {_plural(history.epochs, 'epoch')}")
    write_json(history_dict(history), os.path.join(out, "history.json"))
    path = os.path.join(out, "model.json")
    try:
        save(model.state_dict(), path)  # autograd_lite's JSON format: autograd_lite.load(path) reads it back
        print(f"  model.json (load it with model.load_state_dict(autograd_lite.load({path!r})))")
    except ValueError as e:  # NaN weights after a diverged run cannot be stored
        print(f"  model.json skipped: {e}")
    return 130 if interrupted else 0


# What one training step may hold: every sample of a batch keeps its own graph, about
# one float edge per parameter (~40 bytes with its tuple slots), until backward.
MAX_SAMPLES = 1_000_000
MAX_PARAMETERS = 1_000_000
MAX_EDGES_PER_STEP = 50_000_000  # ~2 GB


def _check_size(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse sizes that would exhaust memory, before allocating anything (usage errors)."""
    if args.samples > MAX_SAMPLES:
        parser.error(f"--samples {args.samples:,}: at most {MAX_SAMPLES:,} (scalar autodiff is slow: "
                     f"even {MAX_SAMPLES:,} samples take minutes per epoch)")
    nout = args.classes if args.loss == "cross_entropy" else 1
    sizes = [2] + list(args.layers) + [nout]
    params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if params > MAX_PARAMETERS:
        parser.error(f"--layers {','.join(map(str, args.layers))}: {params:,} parameters, at most "
                     f"{MAX_PARAMETERS:,}; use smaller hidden layers")
    batch = args.batch_size or args.samples
    if params * batch > MAX_EDGES_PER_STEP:
        gigabytes = params * batch * 40 / 1e9
        parser.error(f"{params:,} parameters x {batch:,} samples per step would need ~{gigabytes:.0f} GB "
                     f"for one step's graph; use --batch-size {max(1, MAX_EDGES_PER_STEP // params):,} or less, "
                     f"or smaller --layers")


class _Interrupted(Exception):
    """Raised from the optimizer's step after Ctrl-C: training stops between two steps."""


class _StopAfterStep:
    """The optimizer fit is given: each step() is the real optimizer's, then stops training if Ctrl-C came."""

    def __init__(self, optimizer: Any) -> None:
        self._optimizer = optimizer
        self.requested = False

    def __getattr__(self, name: str) -> Any:  # lr, zero_grad, state_dict, ...: the real optimizer's
        return getattr(self._optimizer, name)

    def step(self) -> None:
        self._optimizer.step()
        if self.requested:
            raise _Interrupted


def _fit_until_interrupted(model: Any, X: list, y: list, *, optimizer: Any, callbacks: list,
                           **options: Any) -> tuple[Any, bool]:
    """fit(...), except that Ctrl-C stops it after the current step: (the history so far, interrupted?).

    The first Ctrl-C only asks to stop (the step under way completes, so the weights are those of a
    whole step); a second one quits at once.  The history holds the epochs that completed.
    """
    import signal

    from autograd_lite.train import History, fit

    stopper = _StopAfterStep(optimizer)
    epochs: list[dict] = []   # each completed epoch's figures, the history if fit does not return

    def record(epoch: int, figures: dict) -> None:
        epochs.append(dict(figures))

    def on_ctrl_c(signum: int, frame: Any) -> None:
        if stopper.requested:
            raise KeyboardInterrupt
        stopper.requested = True
        print("\nCtrl-C: stopping after this step, then saving (Ctrl-C again to quit now)", file=sys.stderr,
              flush=True)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        return fit(model, X, y, optimizer=stopper, callbacks=[record, *callbacks], **options), False
    except _Interrupted:
        history = History()
        for figures in epochs:
            for key, value in figures.items():
                getattr(history, key).append(value)
        return history, True
    finally:
        signal.signal(signal.SIGINT, previous)


def say_if_overfitting(history: Any) -> None:
    """A line when the held-out loss ended well above its lowest: the model memorised its training set."""
    val = [v for v in history.val_loss if v is not None and math.isfinite(v)]
    if len(val) < 2:
        return
    best = min(range(len(val)), key=val.__getitem__)
    if val[-1] > 1.1 * val[best]:
        print(f"held-out loss was lowest at epoch {best + 1} ({val[best]:.3g}) and ended at {val[-1]:.3g}: "
              f"the model overfits its {_plural(len(val), 'epoch')} of training; fewer --epochs, a larger --l2 "
              f"or more --samples would help")


def _plural(n: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _make_optimizer(args: argparse.Namespace, model: Any) -> Any:
    from autograd_lite import optim

    params = model.parameters()
    if args.optimizer == "gd":
        return optim.GradientDescent(params, lr=args.lr)
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=args.lr, momentum=args.momentum)
    if args.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=args.lr, momentum=args.momentum)
    if args.optimizer == "adam":
        return optim.Adam(params, lr=args.lr)
    return optim.AdamW(params, lr=args.lr)


# -- the engine alone ----------------------------------------------------------------

def _engine_demo(args: argparse.Namespace) -> int:
    from autograd_lite import Value, grad
    from autograd_lite.engine import reverse_topological

    print("autograd_lite engine demo: micrograd's example expression, differentiated\n")
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    print(f"g = {g.data:.4f}          (forward pass)")
    print(f"dg/da = {a.grad:.4f}    dg/db = {b.grad:.4f}   (backward pass)")
    print(f"the same graph as micrograd's README, {len(reverse_topological(g))} nodes\n")

    x = Value(0.0)
    for _ in range(100_000):
        x = x * 1.0000001 + 0.5
    x.backward()
    print("a 100,000-step chain, with no recursion limit: "
          f"x = {x.data:.6g}")
    f3 = lambda t: t.tanh()  # noqa: E731
    print(f"higher order: tanh'''(0.5) = {grad(grad(grad(f3)))(0.5):.6f}")
    return 0


# -- argument parsing: bad arguments are usage errors (exit 2), never tracebacks -------

def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {n}")
        return n
    parse.__name__ = "int"
    return parse


def _int_between(low: int, high: int) -> Callable[[str], int]:
    at_least = _int_at_least(low)

    def parse(text: str) -> int:
        n = at_least(text)
        if n > high:
            raise argparse.ArgumentTypeError(f"expected an integer in [{low}, {high}], got {n}")
        return n
    parse.__name__ = "int"
    return parse


def _float_in(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
        if not ok:
            lb, hb = "(" if low_open else "[", ")" if high_open else "]"
            raise argparse.ArgumentTypeError(f"expected a number in {lb}{low:g}, {high:g}{hb}, got {text}")
        return v
    parse.__name__ = "float"
    return parse


def _layer_sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; '' or 'none' -> [] (no hidden layer: a linear model)."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated hidden layer sizes such as 16,16, got {text!r}") \
            from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def _plain(text: str) -> str:
    """A docstring's text as help shows it: without reST's ``literal`` quotes."""
    return text.replace("``", "")


def build_parser() -> argparse.ArgumentParser:
    intro, _, examples = __doc__.partition("\n\n")
    parser = argparse.ArgumentParser(prog="autograd-lite", description=_plain(intro),
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_plain(examples))
    from autograd_lite import __version__
    parser.add_argument("--version", action="version", version=f"autograd-lite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        # summary: its line in the top-level help; description: the top of its own --help
        return sub.add_parser(name, help=summary, description=description)

    out_help = "output folder, created if needed (default: %(default)s)"
    demo = command("demo", "micrograd's demo: an MLP learns the moons to 100%%, then draws it",
                   "micrograd's demo: MLP(2, [16, 16, 1]) learns to separate two moons (hinge loss + 1e-4 L2, "
                   "100 full-batch steps) to 100% training accuracy, then writes decision_boundary.png, "
                   "history.png, graph.svg/.dot and history.json into --out.")
    demo.add_argument("--out", default="out", metavar="DIR", help=out_help)
    # For tests: fewer steps.  Hidden, since the demo is defined by its 100 steps.
    # At most DEMO_STEPS: the demo's learning rate, 1 - 0.9*k/100, turns negative after step 111.
    demo.add_argument("--steps", type=_int_between(1, DEMO_STEPS), default=DEMO_STEPS, help=argparse.SUPPRESS)
    demo.set_defaults(run=_demo)

    train = command("train", "train an MLP on a toy dataset, every choice on the command line",
                    "Train an MLP on a toy dataset, every choice on the command line, then write "
                    "decision_boundary.png, history.png, history.json and model.json into --out.")
    train.add_argument("--dataset", choices=DATASETS, default="moons", help="the toy dataset (default: %(default)s)")
    train.add_argument("--samples", type=_int_at_least(4), default=100, metavar="N",
                       help="number of samples (default: %(default)s)")
    train.add_argument("--noise", type=_float_in(0.0, 10.0), default=0.1, metavar="X",
                       help="noise level; blobs: cluster spread / 10 (default: %(default)s)")
    train.add_argument("--classes", type=_int_at_least(2), default=2, metavar="K",
                       help="number of classes, for spirals and blobs (default: %(default)s)")
    train.add_argument("--test-size", type=_float_in(0.0, 1.0, high_open=True), default=0.0, metavar="FRACTION",
                       help="fraction of the samples held out for validation (default: %(default)s, none)")
    # A string default goes through type=, so help shows it as typed: 16,16
    train.add_argument("--layers", type=_layer_sizes, default="16,16", metavar="SIZES",
                       help="hidden layer sizes, comma-separated; 'none' for a linear model (default: %(default)s)")
    train.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu"), default="relu",
                       help="hidden layers' activation (default: %(default)s)")
    train.add_argument("--loss", choices=BINARY_LOSSES + ("cross_entropy",), default="hinge",
                       help="cross_entropy for more than 2 classes (default: %(default)s)")
    train.add_argument("--l2", type=_float_in(0.0, 1e9), default=1e-4, metavar="ALPHA",
                       help="L2 penalty added to each batch's loss: alpha * sum(p*p) (default: %(default)s)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                       help="gd: plain gradient descent; the others as torch.optim (default: %(default)s)")
    train.add_argument("--lr", type=_float_in(0.0, 1e6, low_open=True), default=0.1,
                       help="learning rate (default: %(default)s)")
    train.add_argument("--momentum", type=_float_in(0.0, 1.0, high_open=True), default=0.9, metavar="M",
                       help="momentum, for sgd and rmsprop (default: %(default)s)")
    train.add_argument("--epochs", type=_int_at_least(1), default=100, metavar="N",
                       help="passes over the training samples (default: %(default)s)")
    train.add_argument("--batch-size", type=_int_at_least(1), default=None, metavar="N",
                       help="samples per step: 1 for stochastic gradient descent (default: the full batch)")
    train.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N",
                       help="seeds the data, the weights and the shuffling (default: %(default)s)")
    train.add_argument("--out", default=None, metavar="DIR",
                       help="output folder, created if needed (default: out/train-DATASET, e.g. out/train-moons)")
    train.add_argument("--no-progress", action="store_true",
                       help="print about ten progress lines instead of a progress bar")
    train.add_argument("--compile", action="store_true",
                       help="run each step as code generated once from one sample's graph (autograd_lite.compile): "
                            "the same training, several times faster")
    train.add_argument("--backend", choices=("python", "numpy"), default="python",
                       help="with --compile: python, or numpy to run the step on arrays, one layer a matrix "
                            "product (needs numpy) (default: %(default)s)")
    train.set_defaults(run=lambda args: _train(args, train))

    engine = command("engine-demo", "the engine alone: micrograd's README expression and more",
                     "The engine alone: micrograd's README expression with its gradients, "
                     "a 100,000-step chain, a third derivative.")
    engine.set_defaults(run=_engine_demo)

    _add_graph_command(sub)
    for subparser in sub.choices.values():  # usage errors then show the subcommand's usage line
        subparser.set_defaults(_parser=subparser)
    return parser


def _add_graph_command(sub) -> None:
    # `autograd-lite graph` has its own module (autograd_lite/cli/graph.py), with its expression parser
    from autograd_lite.cli.graph import add_graph_command
    add_graph_command(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
