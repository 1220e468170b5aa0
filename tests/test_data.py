"""autograd_lite.data: shapes, label sets, seeding across processes, splits and batches."""

import json
import math
import os
import subprocess
import sys

import pytest

from autograd_lite import data

MAKERS = {
    "moons": lambda seed: data.make_moons(40, noise=0.1, seed=seed),
    "circles": lambda seed: data.make_circles(40, noise=0.05, seed=seed),
    "spirals": lambda seed: data.make_spirals(40, n_classes=3, seed=seed),
    "xor": lambda seed: data.make_xor(40, noise=0.1, seed=seed),
    "blobs": lambda seed: data.make_blobs(40, centers=4, n_features=3, seed=seed),
}
CLASSES = {"moons": 2, "circles": 2, "spirals": 3, "xor": 2, "blobs": 4}


@pytest.mark.parametrize("name", MAKERS)
def test_shapes_and_labels(name):
    X, y = MAKERS[name](0)
    width = 3 if name == "blobs" else 2
    assert len(X) == len(y) == 40
    assert all(type(row) is list and len(row) == width for row in X)
    assert all(type(v) is float and math.isfinite(v) for row in X for v in row)
    assert set(y) == set(range(CLASSES[name]))


@pytest.mark.parametrize("name", MAKERS)
def test_seeded(name):
    assert MAKERS[name](1) == MAKERS[name](1)
    assert MAKERS[name](1) != MAKERS[name](2)


def test_does_not_touch_global_random_state():
    import random
    random.seed(123)
    expected = random.random()
    random.seed(123)
    for make in MAKERS.values():
        make(5)
    list(data.batches(*MAKERS["moons"](0), batch_size=3, shuffle=True))
    data.train_test_split(*MAKERS["moons"](0), stratify=True)
    assert random.random() == expected


_SNIPPET = """
import json
from autograd_lite import data
out = [data.make_moons(30, noise=0.1, seed=7), data.make_spirals(12, 3, seed=7),
       data.make_blobs(9, seed=7), data.make_xor(5, seed=7), data.make_circles(6, noise=0.1, seed=7),
       data.train_test_split(*data.make_moons(20, seed=7), stratify=True, seed=3),
       [b for b in data.batches(list(range(10)), list(range(10)), 3, shuffle=True, seed=4, epoch=2)]]
print(json.dumps(out))
"""


def test_reproducible_across_processes():
    runs = []
    for hashseed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        res = subprocess.run([sys.executable, "-c", _SNIPPET], env=env, capture_output=True, text=True, check=True)
        runs.append(json.loads(res.stdout))
    assert runs[0] == runs[1]
    # and the same numbers as in this process (floats survive JSON exactly)
    assert runs[0][0] == [list(part) for part in data.make_moons(30, noise=0.1, seed=7)]


def test_moons_geometry_without_noise():
    X, y = data.make_moons(10, shuffle=False)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper half of the unit circle
            assert math.isclose(math.hypot(a, b), 1.0) and b >= -1e-12
        else:  # the same half circle flipped and moved to (1, 0.5)
            assert math.isclose(math.hypot(a - 1.0, b - 0.5), 1.0) and b <= 0.5 + 1e-12
    assert y.count(0) == 5 and y.count(1) == 5


def test_moons_noise_is_gaussian_with_the_given_scale():
    clean, yc = data.make_moons(2000, shuffle=False)
    noisy, yn = data.make_moons(2000, noise=0.1, shuffle=False, seed=3)
    diffs = [n - c for rn, rc in zip(noisy, clean) for n, c in zip(rn, rc)]
    mean = sum(diffs) / len(diffs)
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / len(diffs))
    assert abs(mean) < 0.01 and abs(std - 0.1) < 0.005


def test_labels_option_and_relabel():
    X, y = data.make_moons(20, seed=0, labels=(-1, 1))
    assert set(y) == {-1, 1}
    X2, y2 = data.make_moons(20, seed=0)
    assert X == X2 and y == data.relabel(y2, (-1, 1))
    with pytest.raises(ValueError, match="one entry per class"):
        data.make_spirals(10, n_classes=3, labels=(-1, 1))


@pytest.mark.parametrize("bad", [0, -3, 1.5, True])
def test_bad_sizes(bad):
    with pytest.raises(ValueError):
        data.make_moons(bad)


@pytest.mark.parametrize("test_size,n_test", [(0.25, 25), (0.2, 20), (0.33, 33), (10, 10)])
def test_split_sizes(test_size, n_test):
    X, y = data.make_moons(100, seed=0)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=test_size, seed=1)
    assert len(Xte) == len(yte) == n_test and len(Xtr) == len(ytr) == 100 - n_test
    # a partition: every sample lands in exactly one part, with its own label
    pairs = sorted(map(repr, zip(X, y)))
    assert sorted(map(repr, list(zip(Xtr, ytr)) + list(zip(Xte, yte)))) == pairs


def test_split_stratified_keeps_proportions():
    X, y = data.make_blobs(90, centers=3, seed=0)  # 30 per class
    X, y = X[:70], y[:70]
    _, _, ytr, yte = data.train_test_split(X, y, test_size=0.3, stratify=True, seed=0)
    assert len(yte) == 21
    for k in set(y):
        assert abs(yte.count(k) - 0.3 * y.count(k)) < 1.0


def test_split_bad_sizes():
    X, y = data.make_moons(10)
    for bad in (0.0, 1.0, 0, 10):
        with pytest.raises(ValueError):
            data.train_test_split(X, y, test_size=bad)
    with pytest.raises(ValueError, match="different lengths"):
        data.train_test_split(X, y[:5])


@pytest.mark.parametrize("batch_size", [None, 1, 3, 7, 10, 50])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_cover_each_sample_once(batch_size, shuffle):
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    for epoch in range(3):
        got = list(data.batches(X, y, batch_size, shuffle=shuffle, seed=1, epoch=epoch))
        seen = [label for _, yb in got for label in yb]
        assert sorted(seen) == y
        assert all(xb[i][0] == yb[i] for xb, yb in got for i in range(len(yb)))  # pairs stay together
        expected = 1 if batch_size is None else math.ceil(10 / batch_size)
        assert len(got) == expected


def test_batches_shuffle_differs_by_epoch_and_is_reproducible():
    y = list(range(20))
    order = lambda epoch: [v for _, yb in data.batches(y, y, 4, shuffle=True, seed=0, epoch=epoch) for v in yb]  # noqa: E731
    assert order(0) == order(0) and order(0) != order(1) and order(0) != y


def test_dataloader_epochs_and_drop_last():
    X = list(range(10))
    loader = data.DataLoader(X, X, batch_size=4, shuffle=True, seed=0, drop_last=True)
    assert len(loader) == 2
    first = [v for _, yb in loader for v in yb]
    second = [v for _, yb in loader for v in yb]
    assert len(first) == len(second) == 8 and first != second
    assert len(data.DataLoader(X, X)) == 1
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(X, X, batch_size=0)
