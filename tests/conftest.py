"""Shared fixtures: the seeds, and the original micrograd 0.1.0 loaded under another name."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from micrograd.engine import Value

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
ORIGINAL_DIR = REPO / ".venv" / "micrograd-0.1.0"


def seed_text(prefix: str) -> str:
    """The text of the seed file whose name starts with ``prefix``."""
    matches = sorted(SEEDS.glob(f"{prefix}*.txt"))
    if not matches:
        pytest.fail(f"seed {prefix}* not found in {SEEDS}: the tests expect ../shared/seeds beside the repo")
    return matches[0].read_text(encoding="utf-8")


def seed_demo_trace() -> list[tuple[int, float, float]]:
    """(step, loss, accuracy %) for every step the notebook's moons demo printed."""
    pattern = re.compile(r"^step (\d+) loss ([0-9.e+-]+), accuracy ([0-9.]+)%$", re.M)
    trace = [(int(k), float(loss), float(acc)) for k, loss, acc in pattern.findall(seed_text("003_"))]
    assert [k for k, _, _ in trace] == list(range(100)), "the seed should print steps 0..99"
    return trace


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


def seed_L() -> Value:
    """The seeds' first example: L = (a*b + c) * f, labels as in the seed."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    d = a * b
    d.label = "d"
    e = d + c
    e.label = "e"
    L = e * f
    L.label = "L"
    return L


def seed_neuron() -> Value:
    """The seeds' activate_neuron(), built with our Value, labels as in the seed."""
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
