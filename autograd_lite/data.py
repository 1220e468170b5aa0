"""Toy datasets, a train/test split and a batch iterator: stdlib only, seeded.

Every function takes ``seed`` (an int, or a ``random.Random`` you own) and
draws from its own ``random.Random``, never the global random state, so the
same seed gives the same numbers in every run and every process.

Shapes: ``X`` is a list of samples, each a list of floats; ``y`` a list of
labels, one per sample.  Labels are class indices ``0 .. n_classes - 1`` by
default (sklearn's convention, what ``cross_entropy`` and a 0.5 threshold
expect).  Pass ``labels=(-1, 1)`` to get micrograd's convention for the
hinge loss instead: ``labels[k]`` replaces class ``k``.

>>> X, y = make_moons(4, noise=0.1, seed=0, labels=(-1, 1))
>>> len(X), len(X[0]), sorted(set(y))
(4, 2, [-1, 1])
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import TypeVar

__all__ = [
    "make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs",
    "relabel", "train_test_split", "batches", "DataLoader",
]

Seed = int | random.Random | None
Label = TypeVar("Label")


def _rng(seed: Seed) -> random.Random:
    """A private generator: an int seeds a new one; a Random is used as given."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()  # fresh OS entropy, still not the global state
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")
    return random.Random(seed)


def _check_n(n_samples: int, minimum: int = 1) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < minimum:
        raise ValueError(f"n_samples must be an int >= {minimum}, got {n_samples!r}")


def _shuffle(X: list, y: list, rng: random.Random) -> tuple[list, list]:
    """Shuffle samples and labels together."""
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _labelled(y: list[int], labels: Sequence | None, n_classes: int) -> list:
    """y with class k replaced by labels[k]; y itself when labels is None."""
    if labels is None:
        return y
    if len(labels) != n_classes:
        raise ValueError(f"labels needs one entry per class ({n_classes}), got {len(labels)}: {labels!r}")
    return relabel(y, labels)


def relabel(y: Sequence[int], labels: Sequence[Label]) -> list[Label]:
    """Replace each class index ``k`` in ``y`` by ``labels[k]``.

    >>> relabel([0, 1, 1, 0], (-1, 1))
    [-1, 1, 1, -1]
    """
    return [labels[k] for k in y]


def make_moons(n_samples: int = 100, noise: float | None = None, *, shuffle: bool = True,
               seed: Seed = 0, labels: Sequence | None = None) -> tuple[list[list[float]], list]:
    """Two interleaving half circles in 2-D: sklearn's ``make_moons`` construction.

    The upper moon (class 0) has ``n_samples // 2`` points evenly spaced on
    the unit half circle; the lower moon (class 1) has the rest, on the
    same half circle flipped and shifted by (1, -0.5).  Then the samples are
    shuffled and gaussian noise with standard deviation ``noise`` is added to
    every coordinate.  The distribution is sklearn's; the numbers are not
    (different generators).

    >>> X, y = make_moons(6, shuffle=False)
    >>> [round(v, 3) for v in X[0]], y
    ([1.0, 0.0], [0, 0, 0, 1, 1, 1])
    """
    _check_n(n_samples, 2)
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    X: list[list[float]] = []
    for i in range(n_out):
        t = math.pi * i / (n_out - 1) if n_out > 1 else 0.0
        X.append([math.cos(t), math.sin(t)])
    for i in range(n_in):
        t = math.pi * i / (n_in - 1) if n_in > 1 else 0.0
        X.append([1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5])
    y = [0] * n_out + [1] * n_in
    # sklearn shuffles first, then adds noise; keep that order.
    if shuffle:
        X, y = _shuffle(X, y, rng)
    _add_noise(X, noise, rng)
    return X, _labelled(y, labels, 2)


def make_circles(n_samples: int = 100, noise: float | None = None, *, factor: float = 0.8,
                 shuffle: bool = True, seed: Seed = 0,
                 labels: Sequence | None = None) -> tuple[list[list[float]], list]:
    """A small circle (class 1, radius ``factor``) inside a unit circle (class 0).

    >>> X, y = make_circles(8, factor=0.5, shuffle=False)
    >>> round(math.hypot(*X[0]), 6), round(math.hypot(*X[-1]), 6), y.count(0)
    (1.0, 0.5, 4)
    """
    _check_n(n_samples, 2)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    X = [[math.cos(2 * math.pi * i / n_out), math.sin(2 * math.pi * i / n_out)] for i in range(n_out)]
    X += [[factor * math.cos(2 * math.pi * i / n_in), factor * math.sin(2 * math.pi * i / n_in)]
          for i in range(n_in)]
    y = [0] * n_out + [1] * n_in
    if shuffle:
        X, y = _shuffle(X, y, rng)
    _add_noise(X, noise, rng)
    return X, _labelled(y, labels, 2)


def make_spirals(n_samples: int = 100, n_classes: int = 2, noise: float = 0.2, *, turns: float = 1.0,
                 shuffle: bool = True, seed: Seed = 0,
                 labels: Sequence | None = None) -> tuple[list[list[float]], list]:
    """``n_classes`` interleaved spiral arms in 2-D (the CS231n toy problem).

    Arm ``k`` runs from the origin outward to radius 1, turning ``turns``
    times; the angle gets gaussian noise of standard deviation ``noise``
    (radians), so the arms blur into each other as noise grows.  Samples are
    split as evenly as possible between arms (the first arms get the extra).

    >>> X, y = make_spirals(9, n_classes=3, seed=1)
    >>> len(X), sorted(set(y)), [y.count(k) for k in range(3)]
    (9, [0, 1, 2], [3, 3, 3])
    """
    _check_n(n_samples, 1)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be an int >= 1, got {n_classes!r}")
    rng = _rng(seed)
    X: list[list[float]] = []
    y: list[int] = []
    for k, n in enumerate(_split_evenly(n_samples, n_classes)):
        for i in range(n):
            r = (i + 1) / n  # start just off the origin, where every arm meets
            t = 2 * math.pi * (turns * r + k / n_classes) + (rng.gauss(0.0, noise) if noise else 0.0)
            X.append([r * math.cos(t), r * math.sin(t)])
            y.append(k)
    if shuffle:
        X, y = _shuffle(X, y, rng)
    return X, _labelled(y, labels, n_classes)


def make_xor(n_samples: int = 100, noise: float | None = None, *, shuffle: bool = True, seed: Seed = 0,
             labels: Sequence | None = None) -> tuple[list[list[float]], list]:
    """Points uniform in the square [-1, 1]², class 1 where the signs of x and y differ.

    The label is decided before the gaussian ``noise`` is added, so with
    noise some points cross the axes (a non-separable XOR).  ``shuffle`` has
    nothing to do here (the points are drawn in random order already); it is
    accepted for a uniform signature.

    >>> X, y = make_xor(50, seed=3)
    >>> all((a * b < 0) == (c == 1) for (a, b), c in zip(X, y))
    True
    """
    _check_n(n_samples, 1)
    rng = _rng(seed)
    X = []
    y = []
    for _ in range(n_samples):
        a, b = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        X.append([a, b])
        y.append(1 if a * b < 0.0 else 0)
    _add_noise(X, noise, rng)
    return X, _labelled(y, labels, 2)


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3, *,
               n_features: int = 2, cluster_std: float = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0), shuffle: bool = True,
               seed: Seed = 0, labels: Sequence | None = None) -> tuple[list[list[float]], list]:
    """Isotropic gaussian blobs, one class per center (sklearn's ``make_blobs``).

    ``centers`` is a number of centers (drawn uniformly in ``center_box``) or
    the list of centers itself.  Samples are split as evenly as possible
    between centers, the first getting the extra ones.

    >>> X, y = make_blobs(10, centers=[[0.0, 0.0], [5.0, 5.0]], cluster_std=0.1, shuffle=False)
    >>> y, [round(v) for v in X[-1]]
    ([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [5, 5])
    """
    _check_n(n_samples, 1)
    rng = _rng(seed)
    if isinstance(centers, bool):
        raise TypeError(f"centers must be a number of centers or a list of points, got {centers!r}")
    if isinstance(centers, int):
        if centers < 1:
            raise ValueError(f"centers must be >= 1, got {centers}")
        lo, hi = center_box
        cs = [[rng.uniform(lo, hi) for _ in range(n_features)] for _ in range(centers)]
    else:
        cs = [[float(v) for v in c] for c in centers]
        if not cs or len({len(c) for c in cs}) != 1:
            raise ValueError("centers must be a non-empty list of points of equal length")
    X = []
    y = []
    for k, n in enumerate(_split_evenly(n_samples, len(cs))):
        for _ in range(n):
            X.append([c + rng.gauss(0.0, cluster_std) for c in cs[k]])
            y.append(k)
    if shuffle:
        X, y = _shuffle(X, y, rng)
    return X, _labelled(y, labels, len(cs))


def _split_evenly(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


def _add_noise(X: list[list[float]], noise: float | None, rng: random.Random) -> None:
    if noise is None or noise == 0.0:
        return
    if not noise > 0.0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    for row in X:
        for j in range(len(row)):
            row[j] += rng.gauss(0.0, noise)


# -- splitting and batching ----------------------------------------------------------

def train_test_split(X: Sequence, y: Sequence, test_size: float | int = 0.25, *, shuffle: bool = True,
                     stratify: bool = False, seed: Seed = 0) -> tuple[list, list, list, list]:
    """Split into ``X_train, X_test, y_train, y_test`` (sklearn's order).

    ``test_size`` is a fraction in (0, 1) (the test set gets ``ceil(fraction *
    n)`` samples, as in sklearn) or a count.  With ``stratify=True`` each
    class keeps its proportion in both parts (up to rounding).

    >>> X, y = make_moons(10, seed=0)
    >>> Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=True, seed=0)
    >>> len(Xtr), len(Xte), sorted(yte)
    (8, 2, [0, 1])
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y have different lengths: {n} and {len(y)}")
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, int) and not isinstance(test_size, bool):
        n_test = test_size
    else:
        raise TypeError(f"test_size must be a float fraction or an int count, got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} leaves {n_test} test and {n - n_test} training "
                         f"samples out of {n}; both must be at least 1")
    rng = _rng(seed)
    if not stratify:
        order = list(range(n))
        if shuffle:
            rng.shuffle(order)
        test = set(order[n - n_test:])
    else:
        if not shuffle:
            raise ValueError("stratify=True needs shuffle=True (as in sklearn)")
        by_class: dict = {}
        for i, label in enumerate(y):
            by_class.setdefault(label, []).append(i)
        classes = sorted(by_class, key=repr)  # a fixed order, whatever the label type
        # Largest-remainder rounding: the per-class test counts add up to n_test exactly.
        exact = [n_test * len(by_class[c]) / n for c in classes]
        counts = [math.floor(e) for e in exact]
        for k in sorted(range(len(classes)), key=lambda k: (counts[k] - exact[k], k))[:n_test - sum(counts)]:
            counts[k] += 1
        test = set()
        for c, k in zip(classes, counts):
            members = by_class[c][:]
            rng.shuffle(members)
            test.update(members[:k])
        order = list(range(n))
        rng.shuffle(order)
    train_idx = [i for i in order if i not in test]
    test_idx = [i for i in order if i in test]
    return ([X[i] for i in train_idx], [X[i] for i in test_idx],
            [y[i] for i in train_idx], [y[i] for i in test_idx])


def batches(X: Sequence, y: Sequence, batch_size: int | None = None, *, shuffle: bool = False,
            seed: int = 0, epoch: int = 0, drop_last: bool = False) -> Iterator[tuple[list, list]]:
    """Yield ``(X_batch, y_batch)`` pairs covering every sample once: one epoch.

    ``batch_size=None`` is full-batch gradient descent (one batch of
    everything), ``batch_size=1`` stochastic, anything between mini-batch;
    the last batch is smaller unless ``drop_last``.  With ``shuffle`` the
    order is a permutation drawn from ``(seed, epoch)``, so each epoch gets a
    different but reproducible order.

    >>> [yb for _, yb in batches([[0], [1], [2]], [0, 1, 2], batch_size=2)]
    [[0, 1], [2]]
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y have different lengths: {n} and {len(y)}")
    if batch_size is None:
        batch_size = max(n, 1)
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be None (full batch) or an int >= 1, got {batch_size!r}")
    order = list(range(n))
    if shuffle:
        # A string seed hashes with sha512 inside random.seed: the same in every process.
        random.Random(f"batches:{seed}:{epoch}").shuffle(order)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        if drop_last and len(idx) < batch_size:
            return
        yield [X[i] for i in idx], [y[i] for i in idx]


class DataLoader:
    """Re-iterable batches, PyTorch-style: each ``for`` loop over it is one epoch.

    The epoch counter advances on every iteration, so with ``shuffle=True``
    each epoch sees a new (seeded, reproducible) order.  ``batch_size=None``
    means full batch.

    >>> loader = DataLoader([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1], batch_size=2, shuffle=True, seed=0)
    >>> len(loader), sum(len(yb) for _, yb in loader)
    (2, 4)
    """

    def __init__(self, X: Sequence, y: Sequence, batch_size: int | None = None, *, shuffle: bool = False,
                 seed: int = 0, drop_last: bool = False) -> None:
        if len(X) != len(y):
            raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
        next(iter(batches([], [], batch_size)), None)  # validate batch_size now, not on first use
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        self.epoch = 0

    def __iter__(self) -> Iterator[tuple[list, list]]:
        epoch = self.epoch
        self.epoch += 1
        return batches(self.X, self.y, self.batch_size, shuffle=self.shuffle, seed=self.seed,
                       epoch=epoch, drop_last=self.drop_last)

    def __len__(self) -> int:
        n = len(self.X)
        size = self.batch_size or max(n, 1)
        return n // size if self.drop_last else -(-n // size)
