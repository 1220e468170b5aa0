"""Optimizers and learning-rate schedules with PyTorch's names, defaults and update equations.

An optimizer holds a list of parameter Values; ``step()`` reads each ``.grad``
(filled by ``loss.backward()``) and updates ``.data`` in place, with plain
floats (no graph).  ``zero_grad()`` clears the gradients before the next
backward.  The equations are those of the ``torch.optim`` documentation, and
the tests compare 30-step trajectories with ``torch.optim`` in float64.

>>> from autograd_lite import Value
>>> from autograd_lite.optim import GradientDescent
>>> w = Value(3.0)
>>> opt = GradientDescent([w], lr=0.1)
>>> loss = w * w
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> w.data                                            # 3 - 0.1 * 6
2.4
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from autograd_lite._validate import count, flag, fraction, non_negative, positive, real
from autograd_lite.engine import Value

__all__ = ["Optimizer", "GradientDescent", "SGD", "RMSprop", "Adam", "AdamW",
           "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]


class Optimizer:
    """Base class: keeps ``params`` and ``lr``; subclasses define ``step()``.

    ``params`` is a list of Values (``model.parameters()``) or a Module.
    ``state`` holds per-parameter buffers (lists aligned with ``params``).
    """

    def __init__(self, params: Iterable[Value] | Any, lr: float) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        if isinstance(params, Value):
            raise TypeError("params must be an iterable of Values, e.g. model.parameters(), not a single Value")
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if type(p) is not Value:
                raise TypeError(f"optimizer params must be Values, got {type(p).__name__}")
        if len(set(self.params)) != len(self.params):
            raise ValueError("some parameters appear more than once in the parameter list")
        self.lr: float = positive(lr, f"{type(self).__name__}: learning rate (lr)")
        self.state: dict[str, Any] = {}

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``grad``."""
        raise NotImplementedError

    # -- checkpointing: hyperparameters and buffers as JSON-ready data --------

    def _hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr}

    def state_dict(self) -> dict[str, Any]:
        """{"type", hyperparameters, "state": buffers}: plain data, ready for ``autograd_lite.save``."""
        state = {k: (list(v) if isinstance(v, list) else v) for k, v in self.state.items()}
        return {"type": type(self).__name__, **self._hyperparameters(), "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``lr``, the other hyperparameters and the buffers saved by ``state_dict()``."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: state_dict must be a dict "
                            f"(from optimizer.state_dict()), got {type(state_dict).__name__}")
        if state_dict.get("type") != type(self).__name__:
            raise ValueError(f"{type(self).__name__}.load_state_dict: this state is for {state_dict.get('type')!r}")
        state = state_dict.get("state")
        if not isinstance(state, dict):
            raise ValueError(f"{type(self).__name__}.load_state_dict: missing 'state'")
        hyper = {k: v for k, v in state_dict.items() if k not in ("type", "state")}
        if set(hyper) != set(self._hyperparameters()):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected hyperparameters "
                             f"{sorted(self._hyperparameters())}, got {sorted(hyper)}")
        # Everything is checked before anything changes, so a bad file fails here,
        # not later inside step(): the hyperparameters by the constructor's own checks...
        for k, v in hyper.items():
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 2 ** 1023:
                    raise ValueError(f"{type(self).__name__}.load_state_dict: {k!r} is an integer too large "
                                     f"for a float")
        try:
            kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in hyper.items()}
            checked = type(self)(self.params, **kwargs)
        except (TypeError, ValueError, OverflowError) as e:  # OverflowError: an int too large for a float
            kind = TypeError if isinstance(e, TypeError) else ValueError
            raise kind(f"{type(self).__name__}.load_state_dict: {e}") from None
        # ...and the buffers by what step() needs of them.
        buffers = {key: _checked_buffer(type(self).__name__, key, buf, len(self.params)) for key, buf in state.items()}
        for k in hyper:
            setattr(self, k, getattr(checked, k))
        self.state = buffers

    def __repr__(self) -> str:
        # _hyperparameters holds JSON data (lists); shown as the constructor takes them, betas=(0.9, 0.999)
        args = ", ".join(f"{k}={tuple(v) if isinstance(v, list) else v!r}"
                         for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {args})"


# The buffers the optimizers keep: per-parameter lists of floats ("sq": never
# negative, since step() takes their square root), and Adam's step count.
_BUFFERS = {"momentum_buffer": "float", "grad_avg": "float", "exp_avg": "float",
            "square_avg": "sq", "exp_avg_sq": "sq", "max_exp_avg_sq": "sq"}
_COUNTERS = ("step",)


def _checked_buffer(owner: str, key: Any, buf: Any, n: int) -> Any:
    """A saved buffer, checked and copied: a list of n finite floats, or a count."""
    where = f"{owner}.load_state_dict: buffer {key!r}"
    if key in _COUNTERS:
        if isinstance(buf, bool) or not isinstance(buf, int):
            raise TypeError(f"{where} must be a step count (an int >= 0), got {type(buf).__name__}")
        if not 0 <= buf < 2 ** 53:
            raise ValueError(f"{where} must be a step count (an int >= 0 below 2**53), got {buf!r}")
        return buf
    if key not in _BUFFERS:
        raise ValueError(f"{where} is not one this library writes (expected one of "
                         f"{', '.join(sorted(_BUFFERS) + list(_COUNTERS))})")
    if not isinstance(buf, list):
        raise TypeError(f"{where} must be a list of {n} floats, got {type(buf).__name__}")
    if len(buf) != n:
        raise ValueError(f"{where} has {len(buf)} entries, the optimizer has {n} parameters")
    out = []
    for i, v in enumerate(buf):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{where}[{i}] must be a float, got {type(v).__name__}")
        try:
            f = float(v)
        except OverflowError:
            raise ValueError(f"{where}[{i}] is an integer too large for a float") from None
        if not math.isfinite(f) or (_BUFFERS[key] == "sq" and f < 0.0):
            what = "finite" if not math.isfinite(f) else ">= 0 (it is a mean of squares)"
            raise ValueError(f"{where}[{i}] is {f}; it must be {what}")
        out.append(f)
    return out


class GradientDescent(Optimizer):
    """Plain gradient descent: ``p.data -= lr * p.grad``, nothing else (micrograd's update).

    >>> w = Value(1.0); w.grad = 0.5
    >>> GradientDescent([w], lr=0.2).step(); w.data
    0.9
    """

    def step(self) -> None:
        lr = self.lr
        for p in self.params:
            p.data -= lr * p.grad


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, weight decay and Nesterov, as ``torch.optim.SGD``.

    Per parameter, with g its gradient and b its momentum buffer::

        g = g + weight_decay * p
        b = g (first step), else momentum * b + (1 - dampening) * g
        g = g + momentum * b (nesterov), else b
        p = p - lr * g

    >>> w = Value(1.0); w.grad = 1.0
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> opt.step(); opt.step(); round(w.data, 10)     # 1 - 0.1 - 0.1 * 1.9
    0.71
    """

    def __init__(self, params: Iterable[Value] | Any, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = non_negative(momentum, "SGD: momentum")
        self.dampening = real(dampening, "SGD: dampening")
        self.weight_decay = non_negative(weight_decay, "SGD: weight_decay")
        flag(nesterov, "SGD: nesterov")
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError("SGD: nesterov=True requires a momentum > 0 and zero dampening")
        self.nesterov = nesterov

    def _hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "weight_decay": self.weight_decay, "nesterov": self.nesterov}

    def step(self) -> None:
        lr, mu, damp, wd, nesterov = self.lr, self.momentum, self.dampening, self.weight_decay, self.nesterov
        bufs: list[float] = self.state.get("momentum_buffer") or []  # params are never empty, nor a buffer
        first = not bufs
        if mu != 0.0 and first:
            bufs = self.state["momentum_buffer"] = [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                g = g + wd * p.data
            if mu != 0.0:
                b = g if first else mu * bufs[i] + (1.0 - damp) * g
                bufs[i] = b
                g = g + mu * b if nesterov else b
            p.data -= lr * g


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (lr=1e-2, alpha=0.99, eps=1e-8)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        centered: a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a**2) + eps,  else d = sqrt(v) + eps
        momentum > 0: b = momentum * b + g / d;  p = p - lr * b,  else p = p - lr * g / d

    >>> w = Value(1.0); w.grad = 2.0
    >>> RMSprop([w], lr=0.01).step(); round(w.data, 6)    # 1 - 0.01 * 2 / (0.1 * 2)
    0.9
    """

    def __init__(self, params: Iterable[Value] | Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, lr)
        self.alpha = fraction(alpha, "RMSprop: alpha")
        self.eps = positive(eps, "RMSprop: epsilon value (eps)")
        self.weight_decay = non_negative(weight_decay, "RMSprop: weight_decay")
        self.momentum = non_negative(momentum, "RMSprop: momentum")
        self.centered = flag(centered, "RMSprop: centered")

    def _hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps, "weight_decay": self.weight_decay,
                "momentum": self.momentum, "centered": self.centered}

    def step(self) -> None:
        n = len(self.params)
        st = self.state
        sq = st.setdefault("square_avg", [0.0] * n)
        ga = st.setdefault("grad_avg", [0.0] * n) if self.centered else None
        buf = st.setdefault("momentum_buffer", [0.0] * n) if self.momentum > 0.0 else None
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                g = g + wd * p.data
            v = sq[i] = alpha * sq[i] + (1.0 - alpha) * g * g
            if ga is not None:
                a = ga[i] = alpha * ga[i] + (1.0 - alpha) * g
                d = math.sqrt(v - a * a) + eps
            else:
                d = math.sqrt(v) + eps
            if buf is not None:
                b = buf[i] = mu * buf[i] + g / d
                p.data -= lr * b
            else:
                p.data -= lr * g / d


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (lr=1e-3, betas=(0.9, 0.999), eps=1e-8), with its L2 ``weight_decay``::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``amsgrad=True`` uses the running maximum of v.  (For decoupled weight
    decay use ``AdamW``.)

    >>> w = Value(1.0); w.grad = 5.0
    >>> Adam([w], lr=0.1).step(); round(w.data, 6)     # the first step moves by lr, whatever the gradient
    0.9
    """

    def __init__(self, params: Iterable[Value] | Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {len(betas)} values: {betas!r}")
        self.betas = (fraction(betas[0], f"{name}: beta parameter at index 0"),
                      fraction(betas[1], f"{name}: beta parameter at index 1"))
        self.eps = positive(eps, f"{name}: epsilon value (eps)")
        self.weight_decay = non_negative(weight_decay, f"{name}: weight_decay")
        self.amsgrad = flag(amsgrad, f"{name}: amsgrad")

    _decoupled = False  # AdamW: decay the weights directly instead of adding to the gradient

    def _hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay,
                "amsgrad": self.amsgrad}

    def step(self) -> None:
        n = len(self.params)
        st = self.state
        t = st["step"] = st.get("step", 0) + 1
        m_ = st.setdefault("exp_avg", [0.0] * n)
        v_ = st.setdefault("exp_avg_sq", [0.0] * n)
        vmax = st.setdefault("max_exp_avg_sq", [0.0] * n) if self.amsgrad else None
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        step_size = lr / (1.0 - beta1 ** t)
        bc2_sqrt = math.sqrt(1.0 - beta2 ** t)
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                if self._decoupled:
                    p.data *= 1.0 - lr * wd
                else:
                    g = g + wd * p.data
            m = m_[i] = beta1 * m_[i] + (1.0 - beta1) * g
            v = v_[i] = beta2 * v_[i] + (1.0 - beta2) * g * g
            if vmax is not None:
                v = vmax[i] = max(vmax[i], v)
            p.data -= step_size * m / (math.sqrt(v) / bc2_sqrt + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW`` (weight_decay=1e-2 by default)::

        p = p * (1 - lr * weight_decay), then Adam's step without weight decay

    >>> w = Value(1.0); w.grad = 0.0
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); w.data    # only the decay: 1 * (1 - 0.05)
    0.95
    """

    _decoupled = True

    def __init__(self, params: Iterable[Value] | Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


# -- learning-rate schedules ---------------------------------------------------------

class LRScheduler:
    """Base class: sets ``optimizer.lr`` from the initial lr and the epoch count, as ``torch.optim.lr_scheduler``.

    Call ``scheduler.step()`` after ``optimizer.step()``.  Each schedule is a
    closed-form function of ``last_epoch`` (0 right after construction).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr
        self.last_epoch = count(last_epoch, f"{type(self).__name__}: last_epoch", minimum=-1)
        self.step()  # epoch 0: the initial lr, as PyTorch

    def lr_at(self, epoch: int) -> float:
        """The learning rate at ``epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's lr."""
        self.last_epoch += 1
        lr = self.lr_at(self.last_epoch)
        if not (lr > 0.0 or lr == 0.0) or math.isinf(lr):
            raise ValueError(f"{type(self).__name__}: the learning rate became {lr} at epoch {self.last_epoch}")
        self.optimizer.lr = lr

    def get_last_lr(self) -> list[float]:
        """[the current lr] (a list, one per parameter group, as PyTorch)."""
        return [self.optimizer.lr]

    def state_dict(self) -> dict[str, Any]:
        """{"base_lr", "last_epoch"}."""
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``base_lr`` and ``last_epoch`` saved by ``state_dict()`` (checked first)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"base_lr", "last_epoch"}:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'base_lr' and 'last_epoch'")
        try:
            base_lr = positive(state_dict["base_lr"], "base_lr")
        except (TypeError, ValueError, OverflowError) as e:
            kind = TypeError if isinstance(e, TypeError) else ValueError
            raise kind(f"{name}.load_state_dict: {e}") from None
        epoch = state_dict["last_epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            raise TypeError(f"{name}.load_state_dict: last_epoch must be an int, got {type(epoch).__name__}")
        if not -1 <= epoch < 2 ** 53:
            raise ValueError(f"{name}.load_state_dict: last_epoch must be an int >= -1, got {epoch!r}")
        self.base_lr, self.last_epoch = base_lr, epoch
        self.optimizer.lr = self.lr_at(self.last_epoch)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size).

    >>> opt = GradientDescent([Value(0.0)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.lr); opt.step(); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = count(step_size, "StepLR: step_size")
        self.gamma = positive(gamma, "StepLR: gamma")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch.

    >>> opt = GradientDescent([Value(0.0)], lr=1.0); sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = positive(gamma, "ExponentialLR: gamma")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    >>> opt = GradientDescent([Value(0.0)], lr=1.0); sched = CosineAnnealingLR(opt, T_max=4)
    >>> sched.step(); sched.step(); round(opt.lr, 12)
    0.5
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = count(T_max, "CosineAnnealingLR: T_max")
        self.eta_min = non_negative(eta_min, "CosineAnnealingLR: eta_min")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch).  micrograd's demo schedule is ``lambda k: 1.0 - 0.9 * k / 100``.

    >>> opt = GradientDescent([Value(0.0)], lr=1.0)
    >>> sched = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    >>> for _ in range(50): sched.step()
    >>> opt.lr
    0.55
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float], last_epoch: int = -1) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be callable, got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.lr_lambda(epoch)
