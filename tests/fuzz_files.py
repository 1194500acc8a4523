"""Fuzzing the file readers: random mutations of valid model files, checkpoints and CSV files
must each end in a valid load or in our own error (ModelFileError, CheckpointError, DataError),
never in another exception.

tests/test_fuzz_files.py runs a few hundred examples through hypothesis; for thousands::

    python tests/fuzz_files.py --examples 5000 [--seed 0]

prints, for each kind of file, how many mutations loaded, how many were refused with our error,
and every other exception (the exit status is 1 if there was any).
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import random
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, as the tests are

from micrograd.checkpoint import CheckpointError, load_checkpoint, save_checkpoint  # noqa: E402
from micrograd.classifier import Classifier  # noqa: E402
from micrograd.data import DataError, Standardizer, load_csv, load_csv_features  # noqa: E402
from micrograd.modelfile import ModelFileError, load_model, save_model  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.optim import Adam  # noqa: E402
from micrograd.train import StepResult  # noqa: E402

# --- valid files to start from ----------------------------------------------------------


def valid_model_text() -> str:
    mlp = MLP(2, [3, 3], activation="tanh", rng=random.Random(0))
    clf = Classifier(mlp, ["a", "b", "c"], ["x0", "x1"], Standardizer([0.5, -1.0], [2.0, 0.25]), "hinge", "y")
    with tempfile.TemporaryDirectory() as d:
        save_model(clf, Path(d) / "m.json")
        return (Path(d) / "m.json").read_text()


def valid_checkpoint_text() -> str:
    mlp = MLP(2, [2, 1], rng=random.Random(0))
    history = [StepResult(i, 1.0 / (i + 1), 0.5, 0.1) for i in range(2)]
    with tempfile.TemporaryDirectory() as d:
        save_checkpoint(Path(d) / "c.json", mlp, Adam(mlp.parameters()), history)
        return (Path(d) / "c.json").read_text()


VALID_CSV = "x0,x1,y\n1.0,2.5,a\n-0.5,3,b\n0,1e-3,a\n7,8,c\n"


# --- mutations -----------------------------------------------------------------------------

ODD_VALUES: list[object] = [
    None, True, False, 0, -1, 1, 2, 10**300, -(10**300), 1e308, -1e-320, 5e-324, 0.5, "", "x", "\u0000",
    "1", "1.0", "nan", [], {}, [1], {"w": []}, [[[]]], "\ud800",
]  # fmt: skip
ODD_TEXTS = [
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", str(10**400), "7" * 5000, "[" * 5000 + "]" * 5000,
    '"\\ud800"', "1" * 309, "-0", "0.0e0", "[" * 100_000, "tru", '"', "\ufeff",
]  # fmt: skip


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (a tuple of keys and indices) to a node of a JSON value, iteratively."""
    out, stack = [], [(prefix, value)]
    while stack:
        path, node = stack.pop()
        out.append(path)
        if isinstance(node, dict):
            stack += [((*path, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [((*path, i), v) for i, v in enumerate(node)]
    return out


def _set(root: object, path: tuple, value: object) -> object:
    if not path:
        return value
    node = root
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return root


def _delete(root: object, path: tuple) -> object:
    if not path:
        return root
    node = root
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return root


MARK = "\u2603MARK\u2603"  # stands for a raw text to splice in after json.dumps


def mutate_json(text: str, rng: random.Random) -> str:
    """``text`` (valid JSON) with one to three structural changes, as JSON text (perhaps no longer valid)."""
    value = json.loads(text)
    raw = None
    for _ in range(rng.randint(1, 3)):
        paths = _paths(value)
        path = rng.choice(paths)
        kind = rng.randrange(6)
        if kind == 0:
            value = _set(value, path, copy.deepcopy(rng.choice(ODD_VALUES)))  # never the shared object
        elif kind == 1 and path:
            value = _delete(value, path)
        elif kind == 2:  # a copy of another node in its place (wrong shapes, repeated names)
            other = rng.choice(paths)
            node = value
            for key in other:
                node = node[key]
            value = _set(value, path, json.loads(json.dumps(node)))
        elif kind == 3 and raw is None:
            raw = rng.choice(ODD_TEXTS)
            value = _set(value, path, MARK)
        elif kind == 4:  # a number nudged
            value = _set(value, path, rng.choice([-1, 1]) * rng.choice([1, 2, 1e-300, 1e300, 3.5]))
        else:  # a list grown or shrunk
            node = value
            for key in path:
                node = node[key]
            if isinstance(node, list) and node:
                if rng.random() < 0.5:
                    node.pop(rng.randrange(len(node)))
                else:
                    node.append(json.loads(json.dumps(rng.choice(node))))
    out = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    return out.replace(json.dumps(MARK), raw) if raw is not None else out


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one to four byte-level changes: flips, cuts, insertions, repeats, a BOM."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(b) + 1)
        kind = rng.randrange(6)
        if kind == 0 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif kind == 1:
            del b[i : i + rng.randint(1, 20)]
        elif kind == 2:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3:
            b[i:i] = rng.choice([b",", b"\n", b'"', b"\r", b"\x00", b"\xef\xbb\xbf", b"1e999", b"nan", b",,"])
        elif kind == 4:
            j = rng.randrange(len(b) + 1)
            b[i:i] = b[min(i, j) : max(i, j)][:200]
        else:
            del b[i:]
    return bytes(b)


def mutated(text: str, rng: random.Random, *, structured: bool) -> bytes:
    if structured and rng.random() < 0.7:
        return mutate_json(text, rng).encode("utf-8", "surrogatepass")
    return mutate_bytes(text.encode("utf-8"), rng)


# --- what each reader may do ------------------------------------------------------------------


def try_model(path: Path) -> None:
    load_model(path)


def try_checkpoint(path: Path) -> None:
    checkpoint = load_checkpoint(path)
    mlp = MLP(2, [2, 1], rng=random.Random(0))
    checkpoint.restore(mlp, Adam(mlp.parameters()))


def try_csv(path: Path) -> None:
    load_csv(path, "y")
    load_csv_features(path, ["x0", "x1"])


READERS: dict[str, tuple[Callable[[], str], Callable[[Path], None], type[Exception], bool]] = {
    "model file": (valid_model_text, try_model, ModelFileError, True),
    "checkpoint": (valid_checkpoint_text, try_checkpoint, CheckpointError, True),
    "CSV file": (lambda: VALID_CSV, try_csv, DataError, False),
}


def outcome(kind: str, data: bytes, folder: Path) -> str:
    """'loaded', 'refused' (our error), or raise the unexpected exception."""
    _, read, ours, _ = READERS[kind]
    path = folder / "file"
    path.write_bytes(data)
    try:
        read(path)
    except ours:
        return "refused"
    return "loaded"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="mutations per kind of file")
    parser.add_argument("--seed", type=int, default=0, help="the first mutation's seed")
    args = parser.parse_args(argv)
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        for kind, (valid, _, ours, structured) in READERS.items():
            text, counts, unexpected, first = valid(), collections.Counter(), collections.Counter(), {}
            for seed in range(args.seed, args.seed + args.examples):
                data = mutated(text, random.Random(seed), structured=structured)
                try:
                    counts[outcome(kind, data, Path(d))] += 1
                except Exception as e:  # what the fuzzing looks for
                    counts["other exception"] += 1
                    where = traceback.extract_tb(e.__traceback__)[-1]
                    what = f"{type(e).__name__} at {Path(where.filename).name}:{where.lineno}"
                    unexpected[what] += 1
                    first.setdefault(what, seed)
            failures += counts["other exception"]
            print(
                f"{kind:<11} {args.examples} mutations: {counts['loaded']} loaded, {counts['refused']} "
                f"refused with {ours.__name__}, {counts['other exception']} other exceptions"
            )
            for what, n in unexpected.most_common(10):
                print(f"    {n} x {what} (the first with --seed {first[what]} --examples 1)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
