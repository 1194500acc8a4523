"""The benchmark scripts that time the compiler's phases still run (timings are not checked)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_compile_phases_runs():
    pytest.importorskip("sklearn")
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compile_phases.py"), "--repeats", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    phases = ("walk", "edges", "kinds", "lower", "plan", "total", "eager step", r"engine walk \(.*\)")
    phases += (r"plan, exact=False \(.*\)", "total, exact=False")
    for phase in (*phases, r"engine walk \+ numbering \(.*\)"):
        assert re.search(rf"^\| {phase} \| \d+\.\d\d ms \|$", out, re.M), (phase, out)
    assert re.search(r"^compile / eager step: \d+\.\d\dx", out, re.M), out
    assert re.search(r"^compile exact=False / eager step: \d+\.\d\dx", out, re.M), out
    assert re.search(r"^compiled walk / engine walk: \d+\.\d\dx", out, re.M), out
    assert re.search(r"^compiled walk / engine walk \+ numbering: \d+\.\d\dx", out, re.M), out


def test_bench_engine_runs_with_a_relative_original_dir(original):
    """`make bench` passes `--original-dir .venv/micrograd-0.1.0`; the runs start in a temp folder."""
    pytest.importorskip("sklearn")
    from conftest import ORIGINAL_DIR

    relative = os.path.relpath(ORIGINAL_DIR, ROOT)
    assert not Path(relative).is_absolute()
    out = subprocess.run(
        [sys.executable, "benchmarks/bench_engine.py", "--repeats", "1", "--steps", "1", "--chain", "100"]
        + ["--original-dir", relative],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert re.search(
        r"^\| full demo, 1 steps \(s\) \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\dx \|$", out, re.M
    ), out
    loss = re.search(r"^\| final loss \| (\S+) \| (\S+) \|", out, re.M)
    assert loss and loss[1] == loss[2], out  # the same numbers as the original
    assert re.search(r"^\| 100-node chain, backward \(s\) \| \d+\.\d\d \| \d+\.\d\d \|", out, re.M), out
