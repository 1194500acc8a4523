"""Datasets, CSV files, splits, batches and standardisation; scikit-learn is the reference."""

import math
import random

import pytest

from micrograd.data import (
    DataError,
    Dataset,
    Standardizer,
    load_csv,
    load_csv_features,
    make_blobs,
    make_circles,
    make_moons,
    minibatches,
    train_val_split,
)

np = pytest.importorskip("numpy")
datasets = pytest.importorskip("sklearn.datasets")


def test_make_moons_is_the_seeds_data_without_touching_global_state():
    random.seed(5)
    np.random.seed(5)
    before = (random.getstate(), np.random.get_state()[1].copy())
    ours = make_moons(100, 0.1, random_state=1337)
    assert random.getstate() == before[0]
    assert (np.random.get_state()[1] == before[1]).all()
    np.random.seed(1337)  # the seeds' way
    X, y = datasets.make_moons(n_samples=100, noise=0.1)
    assert ours.X == X.tolist() and ours.y == y.tolist()
    assert ours.classes == ["0", "1"] and ours.feature_names == ["x0", "x1"]


def test_make_circles_and_blobs_match_sklearn():
    X, y = datasets.make_circles(n_samples=60, noise=0.05, factor=0.5, random_state=3)
    ours = make_circles(60, 0.05, random_state=3)
    assert ours.X == X.tolist() and ours.y == y.tolist()
    X, y = datasets.make_blobs(n_samples=90, centers=4, cluster_std=0.7, random_state=4)
    ours = make_blobs(90, centers=4, cluster_std=0.7, random_state=4)
    assert ours.X == X.tolist() and ours.y == y.tolist() and ours.classes == ["0", "1", "2", "3"]


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_class_names(tmp_path):
    path = write(tmp_path, "a,b,kind\n1,2,cat\n3,4.5,dog\n-1e-3,0,cat\n\n")
    data = load_csv(path, "kind")
    assert data.X == [[1.0, 2.0], [3.0, 4.5], [-0.001, 0.0]]
    assert data.classes == ["cat", "dog"] and data.y == [0, 1, 0]
    assert data.feature_names == ["a", "b"] and data.target == "kind" and data.name == "data"


def test_csv_with_numeric_classes_sorts_them_by_value(tmp_path):
    path = write(tmp_path, "label,x\n10,1\n2,2\n-1,3\n2,4\n")
    data = load_csv(path, "label")
    assert data.classes == ["-1", "2", "10"] and data.y == [2, 1, 0, 1]
    assert data.X == [[1.0], [2.0], [3.0], [4.0]]


def test_csv_features_by_name_ignore_other_columns(tmp_path):
    path = write(tmp_path, "z,y,x\n1,2,3\n4,5,6\n")
    X, lines = load_csv_features(path, ["x", "z"])
    assert X == [[3.0, 1.0], [6.0, 4.0]] and lines == [2, 3]


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("", "y", r"data.csv is empty"),
        ("   \n\n", "y", r"data.csv is empty"),
        ("a,y\n", "y", r"data.csv has a header but no data rows"),
        ("a,b\n1,2\n", "y", r"data.csv has no column 'y'; its columns are: a, b"),
        ("a,y\n1,0\nabc,1\n", "y", r"data.csv, line 3, column 'a': 'abc' is not a number"),
        ("a,b,y\n1,2,0\n1,,1\n", "y", r"data.csv, line 3, column 'b': the cell is empty"),
        ("a,y\n1,0\nnan,1\n", "y", r"line 3, column 'a': 'nan' is not a finite number"),
        ("a,y\n1,0\n2\n", "y", r"line 3: 1 cells, but the header has 2 columns"),
        ("a,y\n1,0\n2,\n", "y", r"line 3, column 'y': the target cell is empty"),
        ("a,y\n1,0\n2,0\n", "y", r"single class '0'"),
        ("a,a,y\n1,2,0\n", "y", r"duplicate column name\(s\) a"),
        ("y\n1\n0\n", "y", r"no features"),
    ],
)
def test_csv_errors_name_the_file_line_and_column(tmp_path, text, target, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message):
        load_csv(path, target)


def test_non_utf8_csv_is_a_data_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,y\n\xff\xfe,1\n")
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        load_csv(path, "y")


def small(n=10):
    return Dataset([[float(i)] for i in range(n)], [i % 2 for i in range(n)], ["a", "b"], ["x"])


def test_split_is_a_reproducible_partition():
    data = small(10)
    state = random.getstate()
    train, val = train_val_split(data, 0.3, random.Random(1))
    assert random.getstate() == state
    assert len(train) == 7 and len(val) == 3
    assert sorted(train.X + val.X) == data.X
    again = train_val_split(data, 0.3, random.Random(1))
    assert again[0].X == train.X and again[1].X == val.X
    for part in (train, val):  # labels travel with their rows
        assert all(part.y[i] == int(part.X[i][0]) % 2 for i in range(len(part)))
    with pytest.raises(ValueError, match="both parts"):
        train_val_split(small(2), 0.1, random.Random(0))


def test_minibatches_cover_every_example_once_per_pass():
    batches = minibatches(10, 4, random.Random(0))
    for _ in range(3):
        epoch = [next(batches) for _ in range(3)]
        assert [len(b) for b in epoch] == [4, 4, 2]
        assert sorted(i for b in epoch for i in b) == list(range(10))
    full = minibatches(5, 8, random.Random(0))
    assert next(full) == next(full) == [0, 1, 2, 3, 4]


def test_standardizer_matches_sklearn():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    rng = random.Random(2)
    X = [[rng.gauss(3, 2), rng.uniform(-5, 5), 7.0] for _ in range(25)]
    ours = Standardizer.fit(X)
    ref = preprocessing.StandardScaler().fit(X)
    assert ours.mean == pytest.approx(ref.mean_.tolist(), rel=1e-12)
    assert ours.std == pytest.approx(ref.scale_.tolist(), rel=1e-12)  # sklearn also keeps 1 for a constant
    assert np.allclose(ours.transform(X), ref.transform(X), rtol=1e-12, atol=1e-12)


def test_standardizer_adds_in_order_on_every_python():
    """The mean is the row-after-row sum (numpy's cumsum), not Python 3.12's compensated sum(), so a
    model file standardises alike on every Python version."""
    col = [1e16, 1.0, -1e16, 3.0, 0.1, 2.5e-3] * 7
    means = Standardizer.fit([[v] for v in col]).mean
    assert means == [float(np.cumsum(col)[-1]) / len(col)]
    assert means != [math.fsum(col) / len(col)]  # the data tell the two sums apart
