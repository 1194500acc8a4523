"""Issue 11's command-line defects, each pinned by a test that failed before the fix.

Divergence with --loss mse, labels spelled two ways, non-finite scores, the memory estimate,
`micrograd graph`'s exit codes and expression depth, and batched inference on many rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd.cli import main

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# --- item 3: a diverging mse run stops like the other losses ------------------------------------------


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_diverging_mse_run_stops_with_the_loss_message(engine, tmp_path, capsys):
    pytest.importorskip("sklearn")
    if engine == "compiled":
        pytest.importorskip("numpy")
    # lr 100 grows the score past 1e154 within a few steps, so (p - t) ** 2 overflows a float
    args = ["train", "--loss", "mse", "--lr", "100", "--steps", "40", "--engine", engine]
    code = main([*args, "--no-progress", "--no-plots", "--out", str(tmp_path / "run")])
    err = one_line_error(capsys)
    assert code == 2
    assert "the loss became inf; try a smaller learning rate" in err
    assert not (tmp_path / "run" / "model.json").exists()


# --- item 9: one class per number, in the same order in every process -----------------------------------

LABELS_CSV = "a,b,y\n" + "".join(
    f"{i % 7 / 7},{i % 5 / 5},{label}\n" for i, label in enumerate(["1", "1.0", "0", "0.0", "1e0", "0"] * 4)
)


def test_numeric_spellings_of_one_label_are_one_class(tmp_path, capsys):
    data = write(tmp_path / "d.csv", LABELS_CSV)
    out = tmp_path / "run"
    code = main(
        ["train", "--csv", str(data), "--steps", "2", "--no-progress", "--no-plots", "--out", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    model = json.loads((out / "model.json").read_text())
    assert model["classes"] == ["0", "1"]
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out / "model.json"), "--csv", str(data)]) == 0
    said = capsys.readouterr()
    assert "never saw" not in said.err  # 1.0, 1e0 and 0.0 are the classes 1 and 0
    counted = [line for line in said.out.splitlines() if line.strip().startswith("class ")]
    assert [line.split(":")[0].strip() for line in counted] == ["class 0", "class 1"]
    assert sum(int(line.split()[-2]) for line in counted) == LABELS_CSV.count("\n") - 1


def test_the_same_data_and_seed_give_the_same_model_file_whatever_the_hash_seed(tmp_path):
    data = write(tmp_path / "d.csv", LABELS_CSV.replace("0.0", "2").replace(",0\n", ",2.00\n"))
    files = []
    for hash_seed in ("1", "2", "3"):
        out = tmp_path / f"run{hash_seed}"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(REPO))
        args = ["train", "--csv", str(data), "--steps", "3", "--no-progress", "--no-plots", "--out", str(out)]
        done = subprocess.run(
            [sys.executable, "-m", "micrograd", *args], env=env, capture_output=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        files.append((out / "model.json").read_bytes())
    assert files[0] == files[1] == files[2]
    assert json.loads(files[0])["classes"] == ["1", "2"]
