"""tools/mutation.py leaves nothing running: a test run that times out, or that is under way when
the tool stops, is killed with every process it started (a hanging test's child once computed
9 ** 387420489 for hours after its mutant had been given up)."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

# a run that starts a child which sleeps, writes the child's pid, then sleeps itself
PARENT = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
    "open('child.pid', 'w').write(str(child.pid))\n"
    "time.sleep(300)\n"
)


@pytest.fixture
def tool(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tools"))  # for its `from mutation_edits import ...`
    spec = importlib.util.spec_from_file_location("mutation_tool_under_test", ROOT / "tools" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except FileNotFoundError:
        return False


def child_of(tmp_path: Path) -> int:
    pid_file = tmp_path / "child.pid"
    for _ in range(600):
        if pid_file.exists() and pid_file.read_text():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError("the run never started its child")


def gone(pid: int) -> bool:
    for _ in range(100):  # SIGKILL is delivered asynchronously
        if not running(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)  # do not leave it behind either way
    return False


def test_a_timed_out_run_is_killed_with_its_children(tool, tmp_path):
    started = time.perf_counter()
    code, _ = tool.Sessions().run([sys.executable, "-c", PARENT], tmp_path, dict(os.environ), 3.0)
    assert code is None and time.perf_counter() - started < 60
    assert gone(child_of(tmp_path))


def test_stopping_kills_the_runs_under_way_with_their_children(tool, tmp_path):
    sessions, result = tool.Sessions(), []
    worker = threading.Thread(
        target=lambda: result.append(
            sessions.run([sys.executable, "-c", PARENT], tmp_path, dict(os.environ), 300)
        )
    )
    worker.start()
    pid = child_of(tmp_path)
    try:
        assert running(pid)
        sessions.stop()
        worker.join(30)
        assert not worker.is_alive() and result == [(None, "")]
    finally:
        assert gone(pid)  # (which kills it if it is not)
    # and nothing more starts
    assert sessions.run([sys.executable, "-c", "pass"], tmp_path, dict(os.environ), 30) == (None, "")


def test_a_run_that_ends_returns_its_code_and_output(tool, tmp_path):
    code, out = tool.Sessions().run(
        [sys.executable, "-c", "print('hi'); raise SystemExit(3)"], tmp_path, {}, 30
    )
    assert (code, out) == (3, "hi\n")
