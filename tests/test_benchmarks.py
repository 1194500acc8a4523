"""The benchmark scripts that time the compiler's phases still run (timings are not checked)."""

from __future__ import annotations

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
