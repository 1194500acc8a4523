"""The benchmark scripts that reach into private functions still run (timings are not checked)."""

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
    for phase in ("walk", "edges", "kinds", "build", "plan", "total", "eager step"):
        assert re.search(rf"^\| {phase} \| \d+\.\d\d ms \|$", out, re.M), (phase, out)
    assert re.search(r"^compile / eager step: \d+\.\d\dx", out, re.M), out
