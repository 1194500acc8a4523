"""``micrograd evaluate``: a trained model's accuracy on a labelled CSV file, overall and per class."""

from __future__ import annotations

import argparse
import sys

from ..data import DataError, label_key, load_csv_features, read_csv
from ..modelfile import load_model
from .common import Command, CommandError
from .predict import add_model_and_csv, classify


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """Declare ``evaluate``'s options on ``p``."""
    add_model_and_csv(p)
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="the column holding the true classes (default: the one the model was trained on)",
    )


def class_indices(labels: list[str], classes: list[str]) -> list[int | None]:
    """The index of each label among the model's classes (numbers compare by value: 1 == 1.0), else None."""
    index: dict[float | str, int] = {}
    for i, c in enumerate(classes):
        index.setdefault(label_key(c), i)
    return [index.get(label_key(label)) for label in labels]


def run_evaluate(args: argparse.Namespace) -> int:
    """Report the model's accuracy on a labelled CSV file, overall and per class."""
    clf = load_model(args.model)
    target = args.target or clf.target
    if target is None:
        raise CommandError("the model does not record its target column: give --target COLUMN")
    header, rows = read_csv(args.csv)
    if target not in header:
        raise DataError(f"{args.csv} has no column {target!r}; its columns are: {', '.join(header)}")
    X, lines = load_csv_features(args.csv, clf.feature_names)
    labels = [row[header.index(target)].strip() for _, row in rows]
    truth = class_indices(labels, clf.classes)
    unknown = sorted({label for label, t in zip(labels, truth, strict=True) if t is None})
    predicted = classify(clf, X, lines, args.csv)
    right = sum(p == t for p, t in zip(predicted, truth, strict=True))
    print(f"accuracy {100 * right / len(rows):.2f}% ({right} of {len(rows)} rows of {args.csv})")
    for i, name in enumerate(clf.classes):
        of_class = [p for p, t in zip(predicted, truth, strict=True) if t == i]
        if of_class:
            hits = sum(p == i for p in of_class)
            print(f"  class {name}: {hits} of {len(of_class)} right")
    if unknown:
        print(f"note: labels the model never saw (counted as wrong): {', '.join(unknown)}", file=sys.stderr)
    return 0


EVALUATE = Command(
    "evaluate", "report a model's accuracy on a labelled CSV file", add_evaluate_arguments, run_evaluate
)
