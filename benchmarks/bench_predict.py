"""How long `micrograd predict` takes on a large CSV file, against just reading that file.

    python benchmarks/bench_predict.py                 # 200,000 rows, the demo's MLP(2, [16, 16, 1])
    python benchmarks/bench_predict.py --rows 50000 --repeat 3

Side by side in one run, interleaved, medians of --repeat runs, all in this process:
the baseline reads the file with the ``csv`` module and converts every cell to float;
``predict`` is ``micrograd predict --model M --csv F`` (standard output to a string), with
numpy (the batched path) and, for fewer rows, with numpy hidden (the engine, one row at a time).
Target (issue 11 item 14): predict within 8x the baseline at 200,000 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd import batched  # noqa: E402
from micrograd.classifier import Classifier  # noqa: E402
from micrograd.cli import main as cli  # noqa: E402
from micrograd.data import Standardizer  # noqa: E402
from micrograd.modelfile import save_model  # noqa: E402
from micrograd.nn import MLP  # noqa: E402


def write_data(path: Path, rows: int) -> None:
    rng = random.Random(0)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x0", "x1", "y"])
        for i in range(rows):
            w.writerow([rng.uniform(-1.5, 2.5), rng.uniform(-1, 1.5), i % 2])


def read_floats(path: Path) -> float:
    """Seconds to read the file with the csv module and convert its cells to float."""
    started = time.perf_counter()
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [[float(c) for c in row] for row in reader]
    assert rows
    return time.perf_counter() - started


def predict(model: Path, data: Path) -> float:
    """Seconds for `micrograd predict`, its output captured."""
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        status = cli(["predict", "--model", str(model), "--csv", str(data)])
    seconds = time.perf_counter() - started
    assert status == 0 and out.getvalue().count("\n") > 0
    return seconds


@contextlib.contextmanager
def without_numpy():
    """The engine path: ``micrograd.batched`` finds no numpy while this is open."""
    real = batched.numpy_or_none
    batched.numpy_or_none = lambda: None
    try:
        yield
    finally:
        batched.numpy_or_none = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the CSV file (default 200,000)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs of each (default 5)")
    parser.add_argument("--engine-rows", type=int, default=20_000, help="rows for the engine-path row")
    args = parser.parse_args()
    mlp = MLP(2, [16, 16, 1], rng=random.Random(1337))
    clf = Classifier(mlp, ["0", "1"], ["x0", "x1"], Standardizer([0.5, 0.25], [1.1, 0.7]), "hinge", "y")
    with tempfile.TemporaryDirectory() as tmp:
        model, big, small = Path(tmp) / "model.json", Path(tmp) / "big.csv", Path(tmp) / "small.csv"
        save_model(clf, model)
        write_data(big, args.rows)
        write_data(small, args.engine_rows)
        times: dict[str, list[float]] = {k: [] for k in ("read", "predict", "read small", "engine small")}
        for _ in range(args.repeat):
            times["read"].append(read_floats(big))
            times["predict"].append(predict(model, big))
            times["read small"].append(read_floats(small))
            with without_numpy():
                times["engine small"].append(predict(model, small))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.repeat} interleaved runs, medians")
    print("| rows | csv + float | micrograd predict | predict / read |")
    print("|---|---|---|---|")
    for label, read, run in (
        (f"{args.rows:,} (numpy)", "read", "predict"),
        (f"{args.engine_rows:,} (engine, no numpy)", "read small", "engine small"),
    ):
        print(f"| {label} | {med[read]:.3f} s | {med[run]:.3f} s | {med[run] / med[read]:.1f}x |")
    print(f"predict / read: {med['predict'] / med['read']:.2f}x (target: at most 8x)")


if __name__ == "__main__":
    main()
