"""`micrograd train --resume`, called in-process through ``main``: a run stopped by Ctrl-C (a
``KeyboardInterrupt`` raised inside a step, as the signal would) and resumed writes the files of
the uninterrupted run, byte for byte."""

import json
import re
from pathlib import Path

import pytest

import micrograd.train
from micrograd.cli import main

pytest.importorskip("sklearn")

SMALL = ["--steps", "12", "--hidden", "5,3", "--no-progress", "--no-plots"]
RUNS = {
    "the demo (sgd)": ["--no-progress", "--no-plots"],
    "sgd with momentum": [*SMALL, "--momentum", "0.9", "--nesterov", "--weight-decay", "0.01"],
    "adam": [*SMALL, "--optimizer", "adam", "--schedule", "cosine"],
    "adamw, mini-batches": [*SMALL, "--optimizer", "adamw", "--batch-size", "16", "--val-fraction", "0.2"],
    "compiled, mse": [*SMALL, "--engine", "compiled", "--loss", "mse", "--optimizer", "adam"],
    "blobs, cross-entropy": [*SMALL, "--dataset", "blobs", "--optimizer", "adamw", "--standardize"],
}
RESULTS = ("metrics.csv", "model.json")


def stop_at(monkeypatch, step: int, *, after_update: bool) -> None:
    """Make step ``step`` raise KeyboardInterrupt: before it starts, or after its update (mid-step
    for the run: the parameters have moved, the step is not recorded)."""
    real = micrograd.train.train_step
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == step + 1:
            if after_update:
                real(*args)
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(micrograd.train, "train_step", interrupted)


def config_without_out(out: Path) -> dict:
    config = json.loads((out / "config.json").read_text())
    return {k: v for k, v in config.items() if k != "out"}


@pytest.mark.parametrize("after_update", [False, True], ids=["between steps", "mid-step"])
@pytest.mark.parametrize("name", list(RUNS))
def test_a_resumed_run_writes_the_uninterrupted_runs_files(name, after_update, tmp_path, monkeypatch, capsys):
    argv = ["train", *RUNS[name]]
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    assert main([*argv, "--out", str(whole)]) == 0
    steps = config_without_out(whole)["steps"]

    with monkeypatch.context() as m:
        stop_at(m, 7, after_update=after_update)
        assert main([*argv, "--out", str(stopped)]) == 130
    err = capsys.readouterr().err
    assert f"interrupted after 7 of {steps} steps" in err
    assert f"resume with `micrograd train --resume {stopped}`" in err
    assert sorted(p.name for p in stopped.iterdir()) == ["checkpoint.json", "config.json"]

    assert main(["train", "--resume", str(stopped), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"resuming at step 7 of {steps}" in out and f"trained steps 7 to {steps - 1}" in out
    for result in RESULTS:
        assert (stopped / result).read_bytes() == (whole / result).read_bytes(), result
    assert config_without_out(stopped) == config_without_out(whole)
    assert not (stopped / "checkpoint.json").exists()  # finished: nothing left to resume
    assert main(["train", "--resume", str(stopped)]) == 0
    assert "is finished" in capsys.readouterr().out


def test_stopped_twice_and_with_periodic_checkpoints(tmp_path, monkeypatch, capsys):
    argv = ["train", *SMALL, "--optimizer", "adam", "--batch-size", "10"]
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    assert main([*argv, "--out", str(whole)]) == 0
    with monkeypatch.context() as m:
        stop_at(m, 0, after_update=True)  # in the first step: a checkpoint of no steps
        assert main([*argv, "--checkpoint-every", "4", "--out", str(stopped)]) == 130
    assert json.loads((stopped / "checkpoint.json").read_text())["step"] == 0
    with monkeypatch.context() as m:
        stop_at(m, 5, after_update=False)
        assert main(["train", "--resume", str(stopped), "--checkpoint-every", "4", "--no-progress"]) == 130
    assert json.loads((stopped / "checkpoint.json").read_text())["step"] == 5
    assert main(["train", "--resume", str(stopped), "--no-progress", "--no-plots"]) == 0
    for result in RESULTS:
        assert (stopped / result).read_bytes() == (whole / result).read_bytes(), result

    # --checkpoint-every alone: the file written at step 8 of a run killed with no chance to save
    killed = tmp_path / "killed"
    with monkeypatch.context() as m:
        m.setattr("micrograd.cli.resume.RunKeeper.save", lambda self: 0)  # as if killed: no save
        stop_at(m, 10, after_update=False)
        main([*argv, "--checkpoint-every", "4", "--out", str(killed)])
    assert json.loads((killed / "checkpoint.json").read_text())["step"] == 8
    assert main(["train", "--resume", str(killed), "--no-progress", "--no-plots"]) == 0
    for result in RESULTS:
        assert (killed / result).read_bytes() == (whole / result).read_bytes(), result


@pytest.fixture
def stopped_run(tmp_path, monkeypatch):
    """A run stopped after 3 of 12 steps, and the bytes of its two files."""
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        stop_at(m, 3, after_update=False)
        assert main(["train", *SMALL, "--out", str(out)]) == 130
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def _edit(out: Path, name: str, change) -> None:
    path = out / name
    path.write_text(change(path.read_text()))


BAD_RESUMES = {
    "options that change results": (None, ["--lr", "0.5", "--steps", "50"], r"--lr, --steps cannot be given"),
    "--out": (None, ["--out", "elsewhere"], r"--out cannot be given with it"),
    "truncated checkpoint": (
        lambda o: _edit(o, "checkpoint.json", lambda t: t[:100]),
        [],
        r"checkpoint\.json: not a valid checkpoint \(bad JSON",
    ),
    "missing checkpoint and model": (lambda o: (o / "checkpoint.json").unlink(), [], r"no checkpoint\.json"),
    "truncated config": (
        lambda o: _edit(o, "config.json", lambda t: t[:30]),
        [],
        r"config\.json: not valid JSON",
    ),
    "config missing a setting": (
        lambda o: _edit(o, "config.json", lambda t: t.replace('"l2"', '"l3"')),
        [],
        r"not a configuration of micrograd train \(missing 'l2'\)",
    ),
    "config with a bad value": (
        lambda o: _edit(o, "config.json", lambda t: t.replace('"sgd"', '"rmsprop"')),
        [],
        r"config\.json: argument --optimizer: invalid choice",
    ),
    "config edited by hand": (
        lambda o: _edit(o, "config.json", lambda t: t.replace('"engine": "compiled"', '"engine": "auto"')),
        [],
        r"not as micrograd train writes it \(see engine\)",
    ),
    "checkpoint of another model": (
        lambda o: _edit(o, "config.json", lambda t: t.replace("5,\n    3", "5,\n    4")),
        [],
        r"checkpoint\.json does not fit the run of config\.json: Error\(s\) in loading state_dict",
    ),
    "checkpoint with other settings": (
        lambda o: _edit(
            o,
            "config.json",
            lambda t: t.replace('"l2": 0.0001', '"l2": 0.0001').replace(
                '"weight_decay": 0.0', '"weight_decay": 0.5'
            ),
        ),
        [],
        r"the optimizer's weight_decay differ from config\.json's",
    ),
}


@pytest.mark.parametrize("case", list(BAD_RESUMES))
def test_a_bad_resume_is_one_line_status_2_and_loses_nothing(case, stopped_run, capsys):
    out, before = stopped_run
    damage, extra, message = BAD_RESUMES[case]
    if damage is not None:
        damage(out)
    damaged = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["train", "--resume", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert err.startswith("micrograd train: error: ") and len(err.strip().splitlines()) == 1, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == damaged  # nothing written or removed
    if damage is None:
        assert damaged == before


def test_resume_needs_the_folder_of_a_run(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "no config.json there" in capsys.readouterr().err


def test_stop_after_splits_a_run_into_sessions(tmp_path, capsys):
    argv = ["train", *SMALL, "--optimizer", "adamw", "--batch-size", "20"]
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert main([*argv, "--out", str(whole)]) == 0
    assert main([*argv, "--stop-after", "5", "--out", str(split)]) == 0
    out = capsys.readouterr().out
    assert "stopped after 5 of 12 steps, as --stop-after asked" in out
    assert f"resume with: micrograd train --resume {split}" in out
    assert main(["train", "--resume", str(split), "--stop-after", "4", "--no-progress"]) == 0
    assert "stopped after 9 of 12 steps" in capsys.readouterr().out
    assert main(["train", "--resume", str(split), "--stop-after", "4", "--no-progress"]) == 0  # only 3 left
    assert "trained steps 9 to 11" in capsys.readouterr().out
    for result in RESULTS:
        assert (split / result).read_bytes() == (whole / result).read_bytes(), result


def test_a_real_ctrl_c_in_another_process(tmp_path):
    """SIGINT, as Ctrl-C sends it, to `python -m micrograd train` once it has printed step 5
    (300 steps: about 2 s still to go, far more than the signal takes)."""
    import os
    import signal
    import subprocess
    import sys

    argv = [
        "train",
        "--engine",
        "eager",
        "--steps",
        "300",
        "--hidden",
        "4",
        "--optimizer",
        "adam",
        "--no-plots",
    ]
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    assert main([*argv, "--no-progress", "--out", str(whole)]) == 0
    repo = str(Path(__file__).resolve().parents[1])
    env = dict(
        os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    command = [sys.executable, "-m", "micrograd", *argv, "--print-every", "1", "--out", str(stopped)]
    # a runner started in the background (`cmd &` without job control) ignores SIGINT, and its
    # children inherit that: give the child the default, as a terminal's foreground job has
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for line in proc.stdout:
        if line.startswith("step 5 "):
            proc.send_signal(signal.SIGINT)
            break
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert re.search(r"interrupted after \d+ of 300 steps", err) and "Traceback" not in err, err
    assert main(["train", "--resume", str(stopped), "--no-progress"]) == 0
    for result in RESULTS:
        assert (stopped / result).read_bytes() == (whole / result).read_bytes(), result
