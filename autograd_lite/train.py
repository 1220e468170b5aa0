"""A training loop, ``fit``, and the measures around it: ``evaluate``, ``accuracy``, ``predict``.

``fit`` is the loop a learner writes by hand, once, with the bookkeeping
added: for each epoch, for each batch,

    outputs = [model(x) for x in X_batch]     # forward pass
    loss = loss_fn(outputs, y_batch)          # + l2 * sum(p * p), if asked
    optimizer.zero_grad()                     # gradients accumulate: clear them
    loss.backward()                           # backpropagation
    optimizer.step()                          # gradient descent

then ``scheduler.step()`` once per epoch, the epoch's figures into a
``History``, and a progress bar (tqdm, when installed and stdout is a
terminal).

>>> from autograd_lite.nn import MLP
>>> from autograd_lite.optim import SGD
>>> from autograd_lite.data import make_blobs
>>> X, y = make_blobs(40, centers=[[-2.0, 0.0], [2.0, 0.0]], cluster_std=0.5, seed=0, labels=(-1, 1))
>>> model = MLP(2, [4, 1], seed=0)
>>> history = fit(model, X, y, loss="hinge", optimizer=SGD(model, lr=0.1), epochs=20, progress=False)
>>> len(history.loss), history.loss[-1] < history.loss[0], history.accuracy[-1]
(20, True, 1.0)
"""

from __future__ import annotations

import itertools
import sys
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from autograd_lite.data import batches
from autograd_lite.engine import Value, no_grad
from autograd_lite.nary import sum as engine_sum

__all__ = ["fit", "evaluate", "accuracy", "predict", "History", "LOSSES", "progress_bar_available"]

# The names ``fit(loss=...)`` accepts, each a function of autograd_lite.losses.
LOSSES = {
    "mse": "mse",
    "hinge": "hinge",
    "bce": "binary_cross_entropy",
    "binary_cross_entropy": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits": "binary_cross_entropy_with_logits",
    "cross_entropy": "cross_entropy",
}

LossFn = Callable[[list, list], Value]
# A callback gets the epoch number (from 0) and that epoch's figures; a true result stops training.
Callback = Callable[[int, dict], bool | None]


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch (PyTorch Lightning / Keras style).

    ``loss`` and ``accuracy`` are over the epoch's training batches, as seen
    by the forward passes (before each batch's update); ``accuracy`` holds
    ``None`` when the targets are not class labels.  ``val_loss`` and
    ``val_accuracy`` are filled when ``fit`` is given ``validation_data``.
    ``time`` is each epoch's wall time in seconds, ``lr`` its learning rate.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs ran (fewer than asked if a callback stopped training)."""
        return len(self.loss)

    def last(self) -> dict[str, Any]:
        """The last epoch's figures as a dict (empty lists are left out)."""
        return {k: v[-1] for k, v in vars(self).items() if v}


def resolve_loss(loss: str | LossFn) -> tuple[LossFn, str]:
    """The loss function, and a name for it (which also picks the accuracy threshold)."""
    if callable(loss):
        return loss, getattr(loss, "__name__", "loss")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected a callable or one of: {', '.join(LOSSES)}")
    from autograd_lite import losses
    return getattr(losses, LOSSES[loss]), LOSSES[loss]


def _is_labels(y: Sequence) -> bool:
    """True when every target is a whole number (class labels, as -1/+1 or 0..k-1)."""
    return all(isinstance(t, (int, float)) and float(t).is_integer() for t in y)


def _threshold_for(loss_name: str) -> float | None:
    # Logits (and hinge scores) separate classes at 0; probabilities at 0.5;
    # None lets accuracy() decide from the labels.
    if loss_name in ("hinge", "binary_cross_entropy_with_logits"):
        return 0.0
    if loss_name == "binary_cross_entropy":
        return 0.5
    return None


def accuracy(outputs: Sequence, targets: Sequence, threshold: float | None = None) -> float:
    """The fraction of samples classified right.

    ``outputs`` holds one entry per sample: a score (a Value or a number) for
    binary problems, a list of scores for multi-class ones (argmax, first on
    ties).  A binary score predicts the larger class when it is above
    ``threshold``, which defaults to 0 when the labels are -1/+1 (a sign, as
    micrograd's demo) and to 0.5 when they are 0/1 (a probability).

    >>> accuracy([0.3, -2.0, 0.1], [1, -1, -1])
    0.6666666666666666
    >>> accuracy([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]], [1, 2])
    0.5
    """
    if len(outputs) != len(targets):
        raise ValueError(f"accuracy: {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError("accuracy: no samples")
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        right = 0
        for scores, t in zip(outputs, targets):
            values = [_data(s) for s in scores]
            right += values.index(max(values)) == t
        return right / len(targets)
    negative = any(t < 0 for t in targets)
    if threshold is None:
        threshold = 0.0 if negative else 0.5
    low, high = (-1, 1) if negative else (0, 1)
    right = sum((high if _data(s) > threshold else low) == t for s, t in zip(outputs, targets))
    return right / len(targets)


def _data(x: Any) -> float:
    return x.data if type(x) is Value else x


def predict(model: Callable, X: Sequence[Sequence[float]]) -> list:
    """The model's outputs as plain floats (lists of floats for several outputs), without a graph.

    Runs in evaluation mode (dropout off) and under ``no_grad``, then puts
    the model back in the mode it was in.

    >>> from autograd_lite.nn import MLP
    >>> model = MLP(2, [3, 2], seed=0)
    >>> out = predict(model, [[0.0, 1.0]]); len(out), len(out[0]), type(out[0][0]).__name__
    (1, 2, 'float')
    """
    with eval_mode(model), no_grad():
        out = [model(x) for x in X]
    return [[_data(v) for v in o] if isinstance(o, (list, tuple)) else _data(o) for o in out]


class eval_mode:
    """Put a Module in evaluation mode for a block; restore its mode afterwards."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.was_training = getattr(model, "training", None)

    def __enter__(self) -> None:
        if self.was_training is not None:
            self.model.eval()

    def __exit__(self, *exc: Any) -> None:
        if self.was_training is not None:
            self.model.train(self.was_training)


class Evaluation(TypedDict):
    """What ``evaluate`` returns (a plain dict): the loss, and the accuracy or None."""

    loss: float
    accuracy: float | None


def evaluate(model: Callable, X: Sequence, y: Sequence, loss: str | LossFn = "mse",
             threshold: float | None = None, compile: bool | str = False) -> Evaluation:
    """``{"loss": ..., "accuracy": ...}`` of a model on a dataset, without recording a graph.

    ``accuracy`` is None when the targets are not class labels.  ``compile``:
    True (or "python", "numpy") runs the forward passes as code compiled from
    one sample's graph, as ``fit(compile=...)`` runs its steps, with no
    backward pass; the compiled code is kept for the next call with the same
    model and loss (it reads the parameters' current values).  With the python
    backend the outputs, so the accuracy, are eager's to the bit, and the loss
    too for "hinge", "bce_with_logits" and "mse" (to rounding for
    "cross_entropy").  It needs a named loss.

    >>> from autograd_lite.nn import MLP
    >>> evaluate(MLP(2, [1], seed=0), [[0.0, 0.0]], [1], loss="hinge")
    {'loss': 1.0, 'accuracy': 0.0}
    """
    loss_fn, name = resolve_loss(loss)
    labels = _is_labels(y)
    with eval_mode(model):
        step = _evaluation_step(model, loss, loss_fn, name, labels, compile) if compile else None
        if step is not None:
            value, outputs = step(X, y, grad=False)
        else:
            with no_grad():
                outputs = [model(x) for x in X]
                value = _data(loss_fn(outputs, list(y)))
    acc = accuracy(outputs, y, _threshold_for(name) if threshold is None else threshold) if labels else None
    return {"loss": value, "accuracy": acc}


# evaluate(compile=...)'s compiled forward passes, per model: {(loss, backend, labels): (parameters, step)}
_EVALUATION_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _evaluation_step(model: Any, loss: Any, loss_fn: LossFn, loss_name: str, labels: bool,
                     compile: bool | str) -> Callable | None:
    """fit's compiled step for evaluate, made once per model and loss (None: evaluate eagerly)."""
    params = model.parameters() if hasattr(model, "parameters") else []
    key = (loss_name, "python" if compile is True else compile, labels)
    try:
        kept = _EVALUATION_STEPS.setdefault(model, {})
    except TypeError:  # a model that cannot be weakly referenced: compile for this call only
        kept = {}
    found = kept.get(key)
    # the parameters read by the kept code must still be the model's (a replaced layer makes new ones)
    if found is not None and len(found[0]) == len(params) and all(a is b for a, b in zip(found[0], params)):
        return found[1]
    step = _compiled_step(model, params, loss, loss_fn, loss_name, labels, 0.0, compile, "evaluate")
    kept[key] = (params, step)
    return step


def fit(model: Any, X: Sequence[Sequence[float]], y: Sequence, *, loss: str | LossFn = "mse",
        optimizer: Any = None, lr: float = 0.1, epochs: int = 100, batch_size: int | None = None,
        shuffle: bool = True, seed: int = 0, l2: float = 0.0, scheduler: Any = None,
        validation_data: tuple[Sequence, Sequence] | None = None, threshold: float | None = None,
        callbacks: Sequence[Callback] = (), progress: bool = True, compile: bool | str = False) -> History:
    """Train ``model`` on ``(X, y)`` by gradient descent; return the per-epoch ``History``.

    - ``loss``: a name from ``LOSSES`` ("mse", "hinge", "bce", "bce_with_logits",
      "cross_entropy") or a function ``loss(outputs, targets) -> Value`` taking
      the list of model outputs of a batch and its targets.
    - ``optimizer``: an ``autograd_lite.optim`` optimizer over the model's
      parameters; by default ``GradientDescent(model.parameters(), lr)``
      (``lr`` is used only then).
    - ``batch_size``: None for full batch (one step per epoch), 1 for
      stochastic gradient descent, anything else for mini-batches; with
      ``shuffle`` each epoch visits the samples in a new order drawn from ``seed``.
    - ``l2``: adds ``l2 * sum(p * p)`` over the parameters to every batch's loss
      (micrograd's demo uses 1e-4); the reported loss includes it.
    - ``scheduler``: a learning-rate scheduler, stepped once after each epoch.
    - ``validation_data``: ``(X_val, y_val)``, evaluated after each epoch.
    - ``callbacks``: functions ``cb(epoch, figures)`` called after each epoch
      with that epoch's figures (a dict); returning True stops training.
    - ``progress``: a tqdm bar over epochs showing loss and accuracy, shown
      only when stdout is a terminal and tqdm is installed (``pip install tqdm``).
    - ``compile``: True (or "python") runs each step as code generated by
      ``autograd_lite.compile`` from the graph of one sample, "numpy" on numpy
      arrays; same figures (to rounding), several times faster.  Needs a named
      loss; the model must build the same graph for every sample.  Dropout's
      masks are drawn as eager steps draw them and passed in as an argument.

    Accuracy is computed when the targets are class labels (see ``accuracy``;
    ``threshold`` overrides the binary cut, which otherwise follows the loss).
    """
    from autograd_lite.optim import GradientDescent

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
    if not len(X):
        raise ValueError("fit: got no samples")
    if not l2 >= 0.0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    loss_fn, loss_name = resolve_loss(loss)
    params = model.parameters()
    if optimizer is None:
        optimizer = GradientDescent(params, lr=lr)
    if threshold is None:
        threshold = _threshold_for(loss_name)
    labels = _is_labels(y)
    if hasattr(model, "train"):
        model.train()
    step = _compiled_step(model, params, loss, loss_fn, loss_name, labels, l2, compile) if compile else None

    history = History()
    bar = _progress_bar(epochs) if progress else None
    try:
        for epoch in range(epochs):
            t0 = time.perf_counter()
            epoch_lr = optimizer.lr
            total_loss = 0.0
            right = 0.0
            for Xb, yb in batches(X, y, batch_size, shuffle=shuffle, seed=seed, epoch=epoch):
                if step is not None:  # the same step, compiled: gradients accumulate as it runs
                    optimizer.zero_grad()
                    loss_value, outputs = step(Xb, yb)
                    optimizer.step()
                    total_loss += loss_value * len(yb)
                    if labels:
                        right += accuracy(outputs, yb, threshold) * len(yb)
                    continue
                # -- one training step --
                outputs = [model(x) for x in Xb]
                batch_loss = loss_fn(outputs, yb)
                if l2:
                    batch_loss = batch_loss + _l2(params, l2)
                optimizer.zero_grad()
                batch_loss.backward()
                optimizer.step()
                # -- bookkeeping: weight each batch by its size, so the figures are per sample --
                total_loss += batch_loss.data * len(yb)
                if labels:
                    right += accuracy(outputs, yb, threshold) * len(yb)
            if scheduler is not None:
                scheduler.step()

            history.loss.append(total_loss / len(X))
            history.accuracy.append(right / len(X) if labels else None)
            history.lr.append(epoch_lr)
            if validation_data is not None:
                val = evaluate(model, *validation_data, loss=loss_fn, threshold=threshold)
                history.val_loss.append(val["loss"])
                history.val_accuracy.append(val["accuracy"])
            history.time.append(time.perf_counter() - t0)
            figures = history.last()
            if bar is not None:
                bar.set_postfix(_postfix(figures), refresh=False)
                bar.update(1)
            if any([cb(epoch, figures) for cb in callbacks]):  # a list: every callback runs
                break
    finally:
        if bar is not None:
            bar.close()
    return history


def _compiled_step(model: Any, params: list, loss: Any, loss_fn: LossFn, loss_name: str, labels: bool, l2: float,
                   compile: bool | str, caller: str = "fit") -> Callable | None:
    """fit's step as compiled code: (Xb, yb) -> (the batch loss with its L2 term, the model's outputs).

    None (with a warning naming ``caller``) when the step must run eagerly.
    """
    import warnings

    level = 3 if caller == "fit" else 4  # the warning points at the line that called fit or evaluate

    from autograd_lite.compiler import compile as compile_fn

    if compile is True:
        compile = "python"
    if compile not in ("python", "numpy"):
        raise ValueError(f"compile must be False, True, 'python' or 'numpy', got {compile!r}")
    if callable(loss):
        raise ValueError("compile=True needs a named loss (a mean over samples); got a function")
    # A sample's term of each loss that can take its target as a traced number: the same ops, in the same
    # order, as autograd_lite.losses (tests/test_train.py checks the histories are equal to the bit).
    terms: dict[str, Callable[[Value, Any], Value]] = {
        "hinge": lambda x, t: (1.0 - x * t).relu(),
        "binary_cross_entropy_with_logits": lambda x, t: x.softplus() - x * t,
        "mse": lambda x, t: (x - t) * (x - t),
    }
    term = terms.get(loss_name)
    static = term is None  # the other losses take their targets as numbers: class labels, baked in
    ce_term: Callable[[Any, int], Value] | None = None
    if loss_name == "cross_entropy":
        # log(sum(exp(z - z[t]))) = logsumexp(z) - z[t], shifted by the target's logit instead of the
        # largest one (which losses.cross_entropy reads from .data, a decision a trace cannot replay): the
        # same value up to rounding; an overflow (a logit 709 above the target's) re-runs the step eagerly
        def shifted_ce(out: Any, t: int) -> Value:
            zt = out[t]
            return engine_sum([(z - zt).exp() for z in out]).log()

        ce_term = shifted_ce
    if static and not labels:
        warnings.warn(f"{caller}: compile needs class-label targets for {loss_name}; running eagerly", stacklevel=level)
        return None

    def per_sample(x: Any, t: Any) -> tuple:
        out = model(x)
        if term is not None and type(out) is Value:
            return term(out, t), [out]
        if ce_term is not None and type(out) is not Value:
            return ce_term(out, t), out
        return loss_fn([out], [t]), ([out] if type(out) is Value else out)

    # Dropout in training mode: each sample's masks become a third argument, drawn before the step in the
    # order eager forward passes draw them (sample by sample, each Dropout call in turn), so one program
    # serves every mask and the training is eager's, to the bit
    from autograd_lite.nn import Dropout, given_masks
    dropouts = [m for m in model.modules() if isinstance(m, Dropout) and m.p > 0.0 and m.training] \
        if hasattr(model, "modules") else []
    calls: list = []  # (Dropout, inputs) per call in one forward pass, found on the first step

    def per_sample_masked(x: Any, t: Any, masks: Any) -> tuple:
        with given_masks(masks):
            return per_sample(x, t)

    from autograd_lite.compiler import CompileError
    try:
        if dropouts:  # the parameters as a list: compile() refuses a model whose Dropout draws masks itself
            fast = compile_fn(per_sample_masked, params, backend=compile, has_aux=True)
        elif hasattr(model, "modules"):
            fast = compile_fn(per_sample, model, backend=compile, has_aux=True)
        else:
            fast = compile_fn(per_sample, params, backend=compile, has_aux=True)
    except CompileError as e:
        warnings.warn(f"{caller}: {e}; running eagerly", stacklevel=level)
        return None
    penalty = compile_fn(lambda: _l2(params, l2), params, backend=compile) if l2 else None

    def step(Xb: Sequence, yb: Sequence, grad: bool = True) -> tuple:
        targets = [int(t) for t in yb] if static else [float(t) if isinstance(t, (int, float)) else t for t in yb]
        outs: list = []
        cols = [list(Xb), targets]
        if dropouts:
            if not calls:  # which Dropouts one forward pass calls, on how many inputs (draws nothing)
                with no_grad(), given_masks(itertools.repeat(1.0)) as seen:
                    model(Xb[0])
                calls.extend(seen.calls)
            cols.append([[f for d, k in calls for f in d.mask(k)] for _ in yb])
        value = fast.run_columns(cols, "mean", outs, grad=grad)
        if penalty is not None:  # its terms added after the data loss's, as backward() over their sum does
            value = value + penalty.run_columns([], "sum", into=True)
        outputs = [o[0] if len(o) == 1 else list(o) for _, o in outs]
        return value, outputs

    return step


def _l2(params: list[Value], alpha: float) -> Value:
    from autograd_lite.losses import l2_penalty
    return l2_penalty(params, alpha)


def _postfix(figures: dict) -> dict[str, str]:
    shown = {"loss": figures["loss"]}
    for key in ("accuracy", "val_loss", "val_accuracy"):
        if figures.get(key) is not None:
            shown[key] = figures[key]
    return {k.replace("accuracy", "acc"): (f"{v:.1%}" if "accuracy" in k else f"{v:.4g}")
            for k, v in shown.items()}


def progress_bar_available() -> bool:
    """True when ``fit(progress=True)`` will draw a bar: stdout is a terminal and tqdm is installed."""
    if not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _progress_bar(epochs: int) -> Any:
    """A tqdm bar over epochs, or None (not a terminal, or tqdm missing: train without a bar)."""
    if not progress_bar_available():
        return None
    import shutil

    from tqdm import tqdm
    # A terminal that reports a size of 0 x 0 (some pseudo-terminals do) would get no bar
    # at all from tqdm; get_terminal_size falls back to a usable size instead.
    size = shutil.get_terminal_size((100, 24))
    return tqdm(total=epochs, unit="epoch", file=sys.stdout, ncols=min(size.columns, 120), nrows=size.lines,
                leave=True)

