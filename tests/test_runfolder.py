"""A run folder never mixes two runs (issue 11, item 8): `micrograd train` killed with SIGKILL while
writing its files, in another process, at the two worst moments."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from micrograd.cli.app import main
from micrograd.runfolder import STAGING_PREFIX, recover, staged_files

SMALL = ["--samples", "20", "--hidden", "2", "--steps", "3", "--no-plots", "--no-progress"]
RUN_A, RUN_B = [*SMALL, "--seed", "1"], [*SMALL, "--seed", "2", "--lr", "0.5"]

# Run `micrograd train` with a pause at a chosen moment: the process writes FLAG, then sleeps
# until it is killed. PAUSE_AFTER is "model.json written" (anywhere: in the run folder, or in
# its staging folder) or "first rename into the folder".
CHILD = """
import os, sys, time
from pathlib import Path
import micrograd.atomic as atomic
from micrograd.cli.app import main

flag, when, out, argv = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:]

def pause():
    Path(flag).write_text("paused")
    time.sleep(600)

real_write, real_replace = atomic.atomic_write_bytes, os.replace

def write(path, data):
    real_write(path, data)
    if when == "model.json written" and Path(path).name == "model.json":
        pause()

def replace(src, dst):
    real_replace(src, dst)
    if when == "first rename into the folder" and Path(dst).parent == out:
        pause()

atomic.atomic_write_bytes = write
os.replace = replace
sys.exit(main(["train", *argv, "--out", str(out)]))
"""


def killed_while_writing(tmp_path: Path, out: Path, when: str) -> None:
    """Run RUN_B into ``out`` in another process, SIGKILL it at ``when``."""
    flag = tmp_path / f"paused-{time.monotonic_ns()}"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(flag), when, str(out), *RUN_B],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, f"the run ended before pausing: {proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, "the run never reached the pause"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def run_files(out: Path) -> dict[str, object]:
    """What identifies a run in its folder: the model, the metrics and the config (without --out)."""
    config = json.loads((out / "config.json").read_text())
    config.pop("out")
    return {
        "model.json": (out / "model.json").read_bytes(),
        "metrics.csv": (out / "metrics.csv").read_bytes(),
        "config": config,
    }


@pytest.fixture
def runs(tmp_path):
    """Run A, finished in the folder the test kills run B in, and run B finished in a folder of its own."""
    a, b = tmp_path / "run", tmp_path / "reference-b"
    assert main(["train", *RUN_A, "--out", str(a)]) == 0
    assert main(["train", *RUN_B, "--out", str(b)]) == 0
    assert run_files(a) != run_files(b)
    return a, run_files(a), run_files(b)


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_killed_between_two_files_the_folder_keeps_the_last_run(tmp_path, runs, capsys):
    out, files_a, files_b = runs
    killed_while_writing(tmp_path, out, "model.json written")
    assert run_files(out) == files_a  # not model.json of B beside config.json and metrics.csv of A
    assert hidden(out)  # the killed run's partial files: reported and removed by the next run
    capsys.readouterr()
    assert main(["train", *RUN_B, "--out", str(out)]) == 0
    assert "note: removed .micrograd-staging-" in capsys.readouterr().err
    assert run_files(out) == files_b and hidden(out) == []


def test_killed_while_renaming_the_next_reader_finishes_the_run(tmp_path, runs, capsys):
    out, files_a, files_b = runs
    killed_while_writing(tmp_path, out, "first rename into the folder")
    csv = tmp_path / "rows.csv"
    csv.write_text("x0,x1\n0.5,0.5\n")
    assert main(["predict", "--model", str(out / "model.json"), "--csv", str(csv)]) == 0
    assert run_files(out) == files_b and hidden(out) == []


def test_killed_while_renaming_the_next_run_finishes_it_and_says_so(tmp_path, runs, capsys):
    out, files_a, files_b = runs
    killed_while_writing(tmp_path, out, "first rename into the folder")
    capsys.readouterr()
    assert main(["train", "--resume", str(out)]) == 0  # the folder holds the finished run B
    captured = capsys.readouterr()
    assert "note: finished replacing the files" in captured.err and "is finished" in captured.out
    assert run_files(out) == files_b and hidden(out) == []


def test_a_failure_while_staging_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.json").write_text("old")
    with pytest.raises(RuntimeError), staged_files(out, remove=["model.json"]) as stage:
        (stage / "model.json").write_text("new")
        raise RuntimeError("plotting failed")
    assert os.listdir(out) == ["model.json"] and (out / "model.json").read_text() == "old"
    with staged_files(out, remove=["loss.png", "model.json"]) as stage:
        (stage / "config.json").write_text("c")
    assert sorted(os.listdir(out)) == ["config.json"]  # model.json removed with the commit


def test_a_running_writers_files_are_left_alone(tmp_path):
    out = tmp_path / "run"
    mine = out / f"{STAGING_PREFIX}{os.getpid()}-abcd"  # this process is alive: it may be writing
    mine.mkdir(parents=True)
    (out / f".model.json.{os.getpid()}.0123abcd.tmp").write_text("x")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = int(gone.stdout)  # a process that has ended
    (out / f"{STAGING_PREFIX}{dead}-ef01").mkdir()
    (out / f".metrics.csv.{dead}.0123abcd.tmp").write_text("x")
    notes = recover(out)
    assert len(notes) == 2 and sorted(os.listdir(out)) == sorted(
        [mine.name, f".model.json.{os.getpid()}.0123abcd.tmp"]
    )


def test_a_full_disk_while_staging_names_the_users_file(tmp_path, monkeypatch):
    import errno

    from micrograd.atomic import atomic_write_text

    out = tmp_path / "run"
    real_fdopen = os.fdopen

    def full(fd, mode):
        f = real_fdopen(fd, mode)
        f.write = lambda data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
        return f

    with pytest.raises(OSError) as e, staged_files(out) as stage:
        monkeypatch.setattr(os, "fdopen", full)
        atomic_write_text(stage / "model.json", "x")
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(out / "model.json")
    assert os.listdir(out) == []
