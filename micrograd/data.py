"""Data for training: scikit-learn's toy datasets, CSV files, splits, mini-batches, standardisation.

Everything here works on plain Python lists (rows of floats, lists of labels) so the
engine can take them directly. Randomness comes only from the generators passed in
(``random_state`` for scikit-learn, a ``random.Random`` for shuffling): nothing
touches the global ``random`` or ``numpy.random`` state.
"""

from __future__ import annotations

import csv
import functools
import math
import operator
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Rows = list[list[float]]


class DataError(ValueError):
    """A data file or dataset request that cannot be used, with the place and the reason."""


@dataclass
class Dataset:
    """Features ``X`` (one row of floats per example), class indices ``y`` and the class names.

    ``classes[y[i]]`` is the label of example i as the user wrote it; ``feature_names``
    name the columns of ``X``.
    """

    X: Rows
    y: list[int]
    classes: list[str]
    feature_names: list[str]
    name: str = "data"
    target: str | None = None  # the CSV column the classes came from

    def __len__(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        """The number of features (columns of X)."""
        return len(self.feature_names)

    def subset(self, indices: Sequence[int]) -> Dataset:
        """The examples at ``indices``, in that order."""
        return Dataset(
            [self.X[i] for i in indices],
            [self.y[i] for i in indices],
            self.classes,
            self.feature_names,
            self.name,
            self.target,
        )

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, {len(self)} examples, {self.n_features} features, "
            f"classes={self.classes!r})"
        )


# --- scikit-learn's generated datasets ---------------------------------------


def _sklearn_datasets():
    try:
        import sklearn.datasets
    except ImportError as e:  # an optional extra
        raise DataError(
            "the generated datasets need scikit-learn: pip install 'micrograd-plus[train]'"
        ) from e
    return sklearn.datasets


def _generate(name: str, **kwargs) -> Dataset:
    """``sklearn.datasets.make_<name>(**kwargs)`` as a Dataset; its complaints become DataErrors."""
    try:
        X, y = getattr(_sklearn_datasets(), f"make_{name}")(**kwargs)
    except ValueError as e:
        raise DataError(f"cannot make the {name} dataset: {e}") from None
    return _from_arrays(X, y, name)


def _from_arrays(X, y, name: str) -> Dataset:
    classes = sorted({int(v) for v in y})
    index = {c: i for i, c in enumerate(classes)}
    return Dataset(
        [[float(v) for v in row] for row in X],
        [index[int(v)] for v in y],
        [str(c) for c in classes],
        [f"x{j}" for j in range(len(X[0]))],
        name,
    )


def make_moons(n_samples: int = 100, noise: float = 0.1, random_state: int | None = 1337) -> Dataset:
    """Two interleaving half circles: ``sklearn.datasets.make_moons`` with the same arguments.

    ``make_moons(100, 0.1, 1337)`` is the seeds' data (they call ``np.random.seed(1337)``
    first; passing ``random_state`` gives the same numbers without touching global state).
    """
    return _generate("moons", n_samples=n_samples, noise=noise, random_state=random_state)


def make_circles(
    n_samples: int = 100, noise: float = 0.1, factor: float = 0.5, random_state: int | None = 1337
) -> Dataset:
    """A small circle inside a large one: ``sklearn.datasets.make_circles``."""
    return _generate("circles", n_samples=n_samples, noise=noise, factor=factor, random_state=random_state)


def make_blobs(
    n_samples: int = 100,
    centers: int = 3,
    cluster_std: float = 1.0,
    n_features: int = 2,
    random_state: int | None = 1337,
) -> Dataset:
    """Gaussian blobs, one class per centre: ``sklearn.datasets.make_blobs``."""
    return _generate(
        "blobs",
        n_samples=n_samples,
        centers=centers,
        cluster_std=cluster_std,
        n_features=n_features,
        random_state=random_state,
    )


# --- CSV files ------------------------------------------------------------------


def _number(cell: str, where: str) -> float:
    text = cell.strip()
    if not text:
        raise DataError(f"{where}: the cell is empty; every feature needs a number")
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: {cell!r} is not a finite number")
    return value


def read_csv(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows (each with its line number) of a CSV file.

    Raises DataError for an empty file, a file with no data rows, duplicate column
    names, or a row whose number of cells differs from the header's.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            lines = list(csv.reader(f))
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise DataError(f"{path}: not a readable CSV file ({e})") from None
    numbered = [(n, row) for n, row in enumerate(lines, start=1) if any(map(str.strip, row))]
    if not numbered:
        raise DataError(f"{path} is empty: expected a header row of column names, then data rows")
    header_line, header = numbered[0]
    header = [h.strip() for h in header]
    if any(not h for h in header):
        raise DataError(f"{path}, line {header_line}: the header has an empty column name")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise DataError(f"{path}, line {header_line}: duplicate column name(s) {', '.join(duplicates)}")
    rows = numbered[1:]
    if not rows:
        raise DataError(f"{path} has a header but no data rows")
    for n, row in rows:
        if len(row) != len(header):
            raise DataError(f"{path}, line {n}: {len(row)} cells, but the header has {len(header)} columns")
    return header, rows


def _column_index(path: Path, header: list[str], column: str) -> int:
    if column not in header:
        raise DataError(f"{path} has no column {column!r}; its columns are: {', '.join(header)}")
    return header.index(column)


def label_key(label: str) -> float | str:
    """What makes two class labels one class: the number they spell (``1``, ``1.0`` and ``1e0`` are
    one class), else the text itself."""
    try:
        value = float(label)
    except ValueError:
        return label
    return value if math.isfinite(value) else label  # 'nan' != 'nan' as a number: keep such text


def class_names(labels: Sequence[str]) -> tuple[list[str], dict[str, int]]:
    """The classes of ``labels`` and the class index of each distinct spelling.

    Spellings of one number are one class, named by the first of them in text order
    (``1`` for ``1`` and ``1.0``). The classes are sorted numerically when all are numbers,
    else as text. Nothing depends on set or hash order, so the same labels give the same
    classes in every process.
    """
    spellings: dict[float | str, list[str]] = {}
    for label in sorted(set(labels)):
        spellings.setdefault(label_key(label), []).append(label)
    keys = list(spellings)
    if all(isinstance(k, float) for k in keys):
        keys.sort()
    else:
        keys.sort(key=lambda k: spellings[k][0])
    index = {spelling: i for i, k in enumerate(keys) for spelling in spellings[k]}
    return [spellings[k][0] for k in keys], index


def load_csv(path: str | Path, target: str | None = None, features: Sequence[str] | None = None) -> Dataset:
    """A labelled dataset from a CSV file with a header row.

    ``target`` names the column holding the class of each row (default: the last
    column): numbers (such as 0/1) or names (such as ``setosa``). The features are
    ``features`` if given, else all other columns; they must hold numbers. Errors
    name the file, line and column.
    """
    path = Path(path)
    header, rows = read_csv(path)
    target = header[-1] if target is None else target
    t = _column_index(path, header, target)
    feature_names = list(features) if features is not None else [h for h in header if h != target]
    if not feature_names:
        raise DataError(f"{path} has only the target column {target!r}; there are no features to learn from")
    columns = [_column_index(path, header, name) for name in feature_names]
    X, labels = [], []
    for n, row in rows:
        label = row[t].strip()
        if not label:
            raise DataError(f"{path}, line {n}, column {target!r}: the target cell is empty")
        labels.append(label)
        X.append(_numbers(row, columns, header, path, n))
    classes, index = class_names(labels)
    if len(classes) < 2:
        raise DataError(f"{path}: column {target!r} holds a single class {classes[0]!r}; need at least two")
    return Dataset(X, [index[label] for label in labels], classes, feature_names, path.stem, target)


def load_csv_features(path: str | Path, feature_names: Sequence[str]) -> tuple[Rows, list[int]]:
    """The named feature columns of a CSV file (other columns are ignored), and each row's line number."""
    path = Path(path)
    header, rows = read_csv(path)
    missing = [name for name in feature_names if name not in header]
    if missing:
        raise DataError(
            f"{path} has no column {missing[0]!r}; needed are {', '.join(feature_names)}; "
            f"the file has {', '.join(header)}"
        )
    columns = [header.index(name) for name in feature_names]
    return [_numbers(row, columns, header, path, n) for n, row in rows], [n for n, _ in rows]


def _numbers(row: list[str], columns: list[int], header: list[str], path: Path, line: int) -> list[float]:
    """The cells ``columns`` of ``row`` as finite floats; a bad cell is a DataError naming it."""
    try:  # the common case at full speed: float() takes the spaces _number strips
        values = [float(row[j]) for j in columns]
        if math.isfinite(sum(values)):
            return values
    except ValueError:
        pass
    return [_number(row[j], f"{path}, line {line}, column {header[j]!r}") for j in columns]


# --- splits, batches, standardisation -------------------------------------------


def train_val_split(data: Dataset, val_fraction: float, rng: random.Random) -> tuple[Dataset, Dataset]:
    """Shuffle with ``rng`` and hold out ``round(val_fraction * len(data))`` examples for validation."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction!r}")
    n_val = round(val_fraction * len(data))
    if n_val < 1 or n_val >= len(data):
        raise ValueError(
            f"a validation fraction of {val_fraction} leaves {n_val} of {len(data)} examples for "
            "validation; both parts need at least one"
        )
    order = list(range(len(data)))
    rng.shuffle(order)
    return data.subset(sorted(order[n_val:])), data.subset(sorted(order[:n_val]))


def minibatches(n: int, batch_size: int, rng: random.Random) -> Iterator[list[int]]:
    """Endless index batches: each pass over ``range(n)`` is shuffled with ``rng`` and cut into batches.

    The last batch of a pass may be smaller; a ``batch_size`` of ``n`` or more gives the
    whole data set every time, unshuffled (the demo's full-batch training).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    if batch_size >= n:
        while True:
            yield list(range(n))
    while True:
        order = list(range(n))
        rng.shuffle(order)
        for start in range(0, n, batch_size):
            yield order[start : start + batch_size]


def _added_in_order(values) -> float:
    # one float after the other, as sum() did before Python 3.12 compensated: the same bits everywhere
    return functools.reduce(operator.add, values, 0.0)


@dataclass
class Standardizer:
    """Shifts and scales each feature to mean 0, standard deviation 1 (as scikit-learn's StandardScaler).

    A constant feature keeps scale 1 so it is never divided by zero.
    """

    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)

    @classmethod
    def fit(cls, X: Rows) -> Standardizer:
        """Measure the mean and the population standard deviation of each column of ``X``."""
        n = len(X)
        means = [_added_in_order(col) / n for col in zip(*X, strict=True)]
        stds = []
        for j, col in enumerate(zip(*X, strict=True)):
            s = math.sqrt(_added_in_order((v - means[j]) ** 2 for v in col) / n)
            stds.append(s if s > 0 else 1.0)
        return cls(means, stds)

    def transform(self, X: Rows) -> Rows:
        """``(x - mean) / std`` for every value, as new rows."""
        return [[(v - m) / s for v, m, s in zip(row, self.mean, self.std, strict=True)] for row in X]
