"""``micrograd predict``: the predicted class of each row of a CSV file, printed or written to a CSV file."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from ..atomic import atomic_write_text
from ..classifier import Classifier, NonFiniteScoreError
from ..data import load_csv_features
from ..modelfile import load_model
from .common import Command, CommandError


def add_model_and_csv(p: argparse.ArgumentParser) -> None:
    """``--model`` and ``--csv``, the two options every command that uses a trained model takes."""
    p.add_argument("--model", metavar="PATH", required=True, help="a model.json written by 'micrograd train'")
    p.add_argument(
        "--csv",
        metavar="PATH",
        required=True,
        help="a CSV file with a header row holding the model's feature columns (others are ignored)",
    )


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    """Declare ``predict``'s options on ``p``."""
    add_model_and_csv(p)
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the predictions to this CSV file (column 'prediction') instead of printing them",
    )


def classify(clf: Classifier, X: list[list[float]], lines: list[int], csv_path: str) -> list[int]:
    """The class index of each row, with a bar on long work when stderr is a terminal; rows
    whose score is not a finite number are a ``CommandError`` naming their lines."""
    try:
        return clf.predict_indices(X, progress=sys.stderr.isatty())
    except NonFiniteScoreError as e:
        bad = [lines[i] for i in e.rows]
        shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise CommandError(
            f"{csv_path}: the model's score is not a finite number (inf or nan) for {len(bad)} row(s), "
            f"on line(s) {shown}, so they have no class; their features are too large for this model"
        ) from None


def run_predict(args: argparse.Namespace) -> int:
    """Print (or write) the predicted class of each row of the CSV file."""
    if args.out is not None and not Path(args.out).parent.is_dir():
        raise CommandError(f"--out {args.out}: the directory {Path(args.out).parent} does not exist")
    clf = load_model(args.model)
    X, lines = load_csv_features(args.csv, clf.feature_names)
    predictions = [clf.classes[i] for i in classify(clf, X, lines, args.csv)]
    if args.out is None:
        print("\n".join(predictions))
        return 0
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["prediction"])
    w.writerows([p] for p in predictions)
    atomic_write_text(args.out, buf.getvalue())
    print(f"wrote {len(predictions)} predictions to {args.out}", file=sys.stderr)
    return 0


PREDICT = Command(
    "predict", "print the predicted class of each row of a CSV file", add_predict_arguments, run_predict
)
