"""Shared fixtures: the reference figures, the reference documents, and the original micrograd 0.1.0.

The tests compare against figures printed by write-ups of the moons demo of Karpathy's micrograd
notebook (the loss and accuracy of every training step, the sneak-peek numbers, ...). Those figures
live in ``tests/data/``, so a clone with nothing beside it passes every test. The documents
themselves sit outside the repository, in ``../shared/seeds``: the few tests that read or run them
carry the ``reference_docs`` mark and are skipped, with the reason, when the folder is missing.
``MICROGRAD_REQUIRE_REFERENCE_DOCS=1`` (set by ``.ci/run``) turns that skip into a failure.
"""

from __future__ import annotations

import csv
import functools
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from micrograd.engine import Value

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# MICROGRAD_REFERENCE_DOCS=<folder> points elsewhere (a worktree, a packager's copy)
REFERENCE_DOCS = Path(os.environ.get("MICROGRAD_REFERENCE_DOCS") or REPO.parent / "shared" / "seeds")
SEEDS = REFERENCE_DOCS  # the older name, for test files that still use it
REQUIRE_REFERENCE_DOCS = "MICROGRAD_REQUIRE_REFERENCE_DOCS"
ORIGINAL_DIR = REPO / ".venv" / "micrograd-0.1.0"


@functools.cache
def reference_figures() -> dict:
    """tests/data/reference_figures.json: what each reference document prints, by document number."""
    return json.loads((DATA / "reference_figures.json").read_text(encoding="utf-8"))


def moons_demo_trace() -> list[tuple[int, float, float]]:
    """(step, loss, accuracy %) for each of the 100 steps the notebook's moons demo printed."""
    with open(DATA / "moons_demo_trace.csv", newline="", encoding="utf-8") as f:
        trace = [(int(r["step"]), float(r["loss"]), float(r["accuracy_percent"])) for r in csv.DictReader(f)]
    assert [k for k, _, _ in trace] == list(range(100)), "tests/data/moons_demo_trace.csv: steps 0..99"
    return trace


seed_demo_trace = moons_demo_trace  # the older name


def reference_docs_missing() -> str | None:
    """Why the tests marked ``reference_docs`` cannot run here, or None when they can."""
    if sorted(REFERENCE_DOCS.glob("00[0-4]_*.txt")):
        return None
    return (
        f"the reference documents are not in {REFERENCE_DOCS} (a folder beside the clone, "
        "not part of the repository); the figures they print are checked from tests/data/ instead"
    )


def reference_text(prefix: str) -> str:
    """The text of the reference document whose file name starts with ``prefix`` (e.g. "003")."""
    matches = sorted(REFERENCE_DOCS.glob(f"{prefix}*.txt"))
    if not matches:
        pytest.fail(f"reference document {prefix}* not found in {REFERENCE_DOCS}")
    return matches[0].read_text(encoding="utf-8")


seed_text = reference_text  # the older name


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reference_docs: reads or runs the reference documents in ../shared/seeds "
        f"(skipped without them; {REQUIRE_REFERENCE_DOCS}=1 makes that a failure)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("reference_docs") is None:
        return
    missing = reference_docs_missing()
    if missing is None:
        return
    if os.environ.get(REQUIRE_REFERENCE_DOCS) == "1":
        pytest.fail(f"{REQUIRE_REFERENCE_DOCS}=1 but {missing}", pytrace=False)
    pytest.skip(missing)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line saying whether the tests that read the reference documents ran."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "reference_docs" in getattr(report, "keywords", {}):
                counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        figures = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        terminalreporter.write_line(f"reference documents ({REFERENCE_DOCS}): {figures}")


def _install_original() -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(ORIGINAL_DIR)]
        + ["micrograd==0.1.0"],
        check=True,
    )


@pytest.fixture(scope="session")
def original():
    """Karpathy's micrograd 0.1.0 from PyPI as ``original.engine`` / ``original.nn``.

    Its modules import ``micrograd.engine`` by absolute name, so they are loaded
    with ours moved out of ``sys.modules`` for the moment, then renamed.
    """
    if not (ORIGINAL_DIR / "micrograd" / "nn.py").exists():
        _install_original()
    ours = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] == "micrograd"}
    sys.path.insert(0, str(ORIGINAL_DIR))
    try:
        engine = importlib.import_module("micrograd.engine")
        nn = importlib.import_module("micrograd.nn")
        assert Path(engine.__file__).is_relative_to(ORIGINAL_DIR)
    finally:
        sys.path.remove(str(ORIGINAL_DIR))
        for k in [k for k in sys.modules if k.split(".")[0] == "micrograd"]:
            sys.modules["original_" + k] = sys.modules.pop(k)
        sys.modules.update(ours)
    return SimpleNamespace(engine=engine, nn=nn)


def notebook_L() -> Value:
    """The notebook's first expression: L = (a*b + c) * f, with its labels."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    d = a * b
    d.label = "d"
    e = d + c
    e.label = "e"
    L = e * f
    L.label = "L"
    return L


def notebook_neuron() -> Value:
    """The notebook's tanh neuron o = tanh(x1*w1 + x2*w2 + b), built with our Value, with its labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    sum_ = x1w1 + x2w2
    sum_.label = "x1*w1 + x2*w2"
    n = sum_ + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


seed_L, seed_neuron = notebook_L, notebook_neuron  # the older names
