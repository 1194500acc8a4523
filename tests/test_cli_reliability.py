"""Issue 11's command-line defects, each pinned by a test that failed before the fix.

Divergence with --loss mse, labels spelled two ways, non-finite scores, the memory estimate,
`micrograd graph`'s exit codes and expression depth, and batched inference on many rows.
"""

from __future__ import annotations

import errno
import functools
import json
import math
import operator
import os
import re
import shutil
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


# --- item 4: what Graphviz cannot take is cut, refused, or reported by an error of ours -------------------

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def labelled(label: str):
    from micrograd.engine import Value

    x = Value(0.5, label=label)
    y = (x * 2).tanh()
    y.backward()
    return y


@needs_dot
@pytest.mark.parametrize("length", [16_385, 20_000, 1_000_000])
def test_draw_dot_cuts_a_very_long_label_and_says_how_long_it_was(length):
    pytest.importorskip("graphviz")
    from micrograd.viz import draw_dot
    from micrograd.viz.dot import MAX_LABEL

    svg = draw_dot(labelled("x" * length)).pipe().decode()
    assert f"({length} characters)" in svg
    assert "x" * MAX_LABEL in svg and "x" * (MAX_LABEL + 1) not in svg


def test_draw_dot_refuses_a_nul_in_a_label_with_our_error():
    pytest.importorskip("graphviz")
    from micrograd.viz import LabelError, draw_dot

    with pytest.raises(LabelError, match="NUL character.*remove it") as caught:
        draw_dot(labelled("a\0b"))
    assert isinstance(caught.value, ValueError)


@needs_dot
def test_what_graphviz_says_when_it_fails_is_one_error_of_ours(monkeypatch):
    pytest.importorskip("graphviz")
    from micrograd.viz import GraphvizError, draw_dot

    monkeypatch.setattr("micrograd.viz.dot.MAX_LABEL", 10**7)  # let the label through, as before the cut
    for length, said in [(20_000, "longer than 16384"), (1_000_000, "")]:
        with pytest.raises(GraphvizError, match=f"Graphviz could not draw the graph.*{said}") as caught:
            draw_dot(labelled("x" * length)).pipe()
        assert isinstance(caught.value, RuntimeError) and "\n" not in str(caught.value)


@needs_dot
def test_graph_cli_reports_a_graphviz_failure_on_one_line_with_status_2(tmp_path, monkeypatch, capsys):
    pytest.importorskip("graphviz")
    monkeypatch.setattr("micrograd.viz.dot.MAX_LABEL", 10**7)
    out = tmp_path / "g.svg"
    code = main(["graph", "tanh(x)", "--set", "x=1", "--name", "n" * 20_000, "--out", str(out)])
    err = one_line_error(capsys)
    assert code == 2 and f"--out {out}: Graphviz could not draw the graph" in err
    assert not out.exists()


def chain(n_values: int):
    from micrograd.engine import Value, topological_order

    y = Value(1.0, label="x")
    while len(topological_order(y)) < n_values:
        y = y * 1.0001 if len(topological_order(y)) + 2 <= n_values else y.tanh()
    assert len(topological_order(y)) == n_values
    return y


def test_draw_dot_refuses_a_graph_past_its_limit_unless_told():
    pytest.importorskip("graphviz")
    from micrograd.viz import GraphTooLargeError, draw_dot
    from micrograd.viz.dot import MAX_NODES

    assert draw_dot(chain(MAX_NODES)).source.count("shape=record") == MAX_NODES
    big = chain(MAX_NODES + 1)
    with pytest.raises(
        GraphTooLargeError, match=f"{MAX_NODES + 1} values, more than .* limit of {MAX_NODES}"
    ):
        draw_dot(big)
    assert isinstance(GraphTooLargeError("x"), ValueError)
    assert draw_dot(big, max_nodes=None).source.count("shape=record") == MAX_NODES + 1
    with pytest.raises(GraphTooLargeError, match="limit of 10\\b"):
        draw_dot(chain(11), max_nodes=10)


# --- item 11: `micrograd graph` names the user's file, exits 2, and limits nesting, not length -------------


@pytest.mark.parametrize("suffix", [".svg", ".dot", ".html"])
def test_graph_into_a_missing_folder_names_it_and_exits_2(suffix, tmp_path, capsys):
    out = tmp_path / "missing" / f"g{suffix}"
    code = main(["graph", "x*2", "--set", "x=1", "--out", str(out)])
    err = one_line_error(capsys)
    assert code == 2
    assert f"--out {out}: the folder {out.parent} does not exist" in err
    assert "Errno" not in err and ".tmp" not in err


@pytest.mark.parametrize("error", [errno.EROFS, errno.ENOSPC, errno.EACCES])
@pytest.mark.parametrize("suffix", [".dot", ".html"])
def test_graph_on_an_unwritable_disk_names_the_file_and_exits_2(error, suffix, tmp_path, monkeypatch, capsys):
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):  # the file system refuses every new file in tmp_path
        if str(path).startswith(str(tmp_path)) and flags & os.O_CREAT:
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    out = tmp_path / f"g{suffix}"
    code = main(["graph", "x*2", "--set", "x=1", "--out", str(out)])
    err = one_line_error(capsys)
    assert code == 2
    assert f"--out {out}: cannot write the file ({os.strerror(error)})" in err
    assert "Errno" not in err and ".tmp" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root writes into read-only folders (the test above simulates it)"
)
def test_graph_into_a_read_only_folder_exits_2(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code = main(["graph", "x*2", "--set", "x=1", "--out", str(folder / "g.dot")])
    finally:
        folder.chmod(0o700)
    err = one_line_error(capsys)
    assert code == 2 and f"--out {folder / 'g.dot'}: cannot write the file" in err


def test_a_flat_sum_of_many_terms_is_not_too_deep(capsys):
    terms = [0.5 + k / 7 for k in range(2000)]
    names = [f"x{k}" for k in range(len(terms))]
    expression = " + ".join(f"{n}*{n}" for n in names[:401]) + " - " + " - ".join(names[401:])
    from micrograd.cli.expression import MAX_LENGTH, build

    expression = expression[: expression.rfind(" - ", 0, MAX_LENGTH)]
    used = [n for n in names if re.search(rf"\b{n}\b", expression)]
    assert len(used) > 401
    root = build(expression, dict(zip(names, terms, strict=True)))
    root.backward()
    values = dict(zip(names, terms, strict=True))
    expected = functools.reduce(
        operator.add,
        [values[n] * values[n] for n in used[:401]] + [-values[n] for n in used[401:]],
    )
    # the same additions in the same order as Python's floats do them (a - b is a + -b exactly)
    assert root.data == expected
    leaves = {v.label: v.grad for v in _leaves(root)}
    assert all(leaves[n] == 2 * values[n] for n in used[:401])
    assert all(leaves[n] == -1.0 for n in used[401:])


def _leaves(root):
    from micrograd.engine import topological_order

    return [v for v in topological_order(root) if not v._children]


def test_nesting_past_the_limit_is_refused_with_the_depth_and_the_limit(capsys):
    from micrograd.cli.expression import MAX_DEPTH

    ok = "tanh(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert main(["graph", ok, "--set", "x=0.5"]) == 0
    assert capsys.readouterr().out.startswith(f"out = {_nested_tanh(0.5, MAX_DEPTH)!r}")
    deep = "tanh(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    assert main(["graph", deep, "--set", "x=0.5"]) == 2
    err = one_line_error(capsys)
    assert f"nested {MAX_DEPTH + 1} levels deep" in err and f"the limit is {MAX_DEPTH}" in err


def _nested_tanh(x: float, times: int) -> float:
    for _ in range(times):
        x = math.tanh(x)
    return x


# --- items 6 and 14: many rows go through numpy in blocks; a score that is not finite is reported ----------


def engine_outputs(mlp, rows):
    from micrograd.classifier import output_data

    return [output_data(mlp(row)) for row in rows]


def random_rows(n: int, width: int, seed: int = 0, spread: float = 3.0) -> list[list[float]]:
    import random

    rng = random.Random(seed)
    return [[rng.gauss(0, spread) for _ in range(width)] for _ in range(n)]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("outputs", [1, 3])
def test_batched_outputs_equal_the_engine_within_1e_12(activation, outputs):
    np = pytest.importorskip("numpy")
    import random

    from micrograd import batched
    from micrograd.nn import MLP

    mlp = MLP(4, [16, 8, outputs], activation, rng=random.Random(3))
    rows = random_rows(500, 4, spread=5.0)
    got, size = batched.forward(batched.weights(mlp), np.array(rows))
    want = np.array(engine_outputs(mlp, rows)).reshape(len(rows), outputs)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= 1e-12 * np.maximum(np.abs(want), size)), np.max(np.abs(got - want))
    assert np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)) <= 1e-12 or activation == "relu"


@pytest.mark.parametrize("outputs", [1, 3])
def test_predictions_are_the_engines_even_next_to_a_tie(outputs, monkeypatch):
    pytest.importorskip("numpy")
    import random

    from micrograd.classifier import Classifier, decide
    from micrograd.data import Standardizer
    from micrograd.nn import MLP

    mlp = MLP(2, [outputs], rng=random.Random(5))  # one linear layer: rows can be put on its boundary
    w = [n.w[1].data for n in mlp.layers[0].neurons]
    rows = random_rows(300, 2, seed=1)
    for k, row in enumerate(rows[::2]):  # half of them on, or one ulp beside, a tie between two classes
        n0 = mlp.layers[0].neurons[0]
        if outputs == 1:
            row[1] = -(n0.b.data + n0.w[0].data * row[0]) / w[0]
        else:
            n1 = mlp.layers[0].neurons[1]
            row[1] = -(n0.w[0].data - n1.w[0].data) * row[0] / (w[0] - w[1])
        row[1] = math.nextafter(row[1], (-1) ** k * math.inf) if k % 3 else row[1]
    std = Standardizer([0.0, 0.0], [1.0, 1.0])
    clf = Classifier(mlp, [str(i) for i in range(max(outputs, 2))], standardizer=std)
    want = [decide(o) for o in engine_outputs(mlp, std.transform(rows))]
    assert clf.predict_indices(rows) == want
    monkeypatch.setattr("micrograd.batched.numpy_or_none", lambda: None)  # the engine path, no numpy
    assert clf.predict_indices(rows) == want


def test_a_long_prediction_shows_a_bar_only_when_asked(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    import random

    from micrograd.classifier import Classifier
    from micrograd.nn import MLP

    clf = Classifier(MLP(2, [4, 1], rng=random.Random(0)), ["a", "b"])
    rows = random_rows(3000, 2)
    monkeypatch.setattr("micrograd.classifier.PROGRESS_ROWS", 1000)
    monkeypatch.setattr("micrograd.classifier.BLOCK", 500)
    quiet = clf.predict(rows)
    assert capsys.readouterr().err == ""
    assert clf.predict(rows, progress=True) == quiet
    assert "3.00k/3.00k" in capsys.readouterr().err
    clf.predict(rows[:999], progress=True)  # short work: no bar
    assert capsys.readouterr().err == ""


HUGE = "x0,x1,y\n0.5,1,0\n1e308,1e308,1\n-1,2,1\n-1e308,1e308,0\n1e308,-1e308,1\n3,-2,0\n"


@pytest.fixture
def overflowing_model(tmp_path):
    import random

    from micrograd.classifier import Classifier
    from micrograd.data import Standardizer
    from micrograd.modelfile import save_model
    from micrograd.nn import MLP

    clf = Classifier(
        MLP(2, [8, 1], rng=random.Random(0)), ["0", "1"], ["x0", "x1"], Standardizer([0, 0], [0.5, 0.5])
    )
    save_model(clf, tmp_path / "model.json")
    rows = [[float(c) for c in line.split(",")[:2]] for line in HUGE.splitlines()[1:]]
    bad = [i for i, o in enumerate(engine_outputs(clf.mlp, clf.prepare(rows))) if not math.isfinite(o)]
    assert bad  # the engine's own scores for these rows are inf or nan
    return clf, tmp_path / "model.json", write(tmp_path / "huge.csv", HUGE), rows, bad


@pytest.mark.parametrize("numpy", [True, False])
def test_rows_whose_score_is_not_finite_raise_naming_them(numpy, overflowing_model, monkeypatch):
    from micrograd.classifier import NonFiniteScoreError

    clf, _, _, rows, bad = overflowing_model
    if numpy:
        pytest.importorskip("numpy")
        monkeypatch.setattr("micrograd.classifier.BATCHED_ROWS", 1)
    else:
        monkeypatch.setattr("micrograd.batched.numpy_or_none", lambda: None)
    with pytest.raises(NonFiniteScoreError, match="not a finite number") as caught:
        clf.predict(rows)
    assert caught.value.rows == bad and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_report_the_lines_whose_score_is_not_finite(command, overflowing_model, capsys):
    _, model, data, _, bad = overflowing_model
    code = main(
        [command, "--model", str(model), "--csv", str(data), *(["--target", "y"] * (command == "evaluate"))]
    )
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = ", ".join(str(i + 2) for i in bad)  # line 1 is the header
    assert f"for {len(bad)} row(s), on line(s) {lines}, so they have no class" in captured.err
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1


def test_predict_on_many_rows_equals_the_engine_row_by_row(tmp_path, capsys, monkeypatch):
    pytest.importorskip("numpy")
    import random

    from micrograd.classifier import Classifier, decide
    from micrograd.data import Standardizer
    from micrograd.modelfile import save_model
    from micrograd.nn import MLP

    mlp = MLP(3, [8, 8, 3], "tanh", rng=random.Random(2))
    std = Standardizer([0.1, -0.2, 0.3], [1.5, 0.5, 2.0])
    save_model(Classifier(mlp, ["a", "b", "c"], ["p", "q", "r"], std), tmp_path / "m.json")
    rows = random_rows(5000, 3, seed=4)
    write(tmp_path / "d.csv", "p,q,r\n" + "".join(",".join(map(repr, row)) + "\n" for row in rows))
    monkeypatch.setattr("micrograd.classifier.BLOCK", 1234)  # several blocks, the last one short
    assert main(["predict", "--model", str(tmp_path / "m.json"), "--csv", str(tmp_path / "d.csv")]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no bar: stderr is not a terminal
    want = ["abc"[decide(o)] for o in engine_outputs(mlp, std.transform(rows))]
    assert captured.out.split() == want


def test_the_predict_benchmark_runs_and_prints_its_table():
    pytest.importorskip("numpy")
    args = ["--rows", "3000", "--engine-rows", "300", "--repeat", "1"]
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_predict.py"), *args],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    assert re.search(r"^\| 3,000 \(numpy\) \| \d+\.\d{3} s \| \d+\.\d{3} s \| \d+\.\dx \|$", out, re.M), out
    assert re.search(r"^predict / read: \d+\.\d\dx \(target: at most 8x\)$", out, re.M), out


# --- item 5: a run that cannot fit in memory is refused before its graph is built, saying what fits --------

GB = 10**9


def fake_memory(monkeypatch, available: int | None) -> None:
    monkeypatch.setattr("micrograd.memory.available_bytes", lambda *a: available)


def test_a_model_far_too_large_is_refused_at_once(tmp_path):
    """In a process held to 3 GB of address space, so that without the check it fails fast
    (MemoryError) instead of taking the machine's memory; the estimate (about 24,000 GB)
    exceeds any machine's memory, so no fake limit is needed."""
    pytest.importorskip("sklearn")
    resource = pytest.importorskip("resource")
    from micrograd import memory

    def held() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * GB, 3 * GB))

    args = [
        "train",
        "--hidden",
        "100000000",
        "--no-progress",
        "--engine",
        "eager",
        "--out",
        str(tmp_path / "r"),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "micrograd", *args],
        env=dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1"),
        capture_output=True, text=True, timeout=300, preexec_fn=held,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    need = memory.gigabytes(memory.step_bytes(2, [100000000, 1], 100))
    assert f"MLP(2, [100000000, 1]) on 100 examples with the eager engine needs about {need}" in done.stderr
    assert "the model alone does not fit: choose smaller layers (--hidden)" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def many_rows(tmp_path: Path, n: int) -> Path:
    rows = random_rows(n, 3, seed=7)
    return write(
        tmp_path / "big.csv", "a,b,c,y\n" + "".join(f"{a},{b},{c},{int(a > b)}\n" for a, b, c in rows)
    )


def test_too_many_rows_for_one_step_suggests_a_batch_size_that_fits(monkeypatch, tmp_path, capsys):
    from micrograd import memory

    data = many_rows(tmp_path, 2000)
    full = memory.step_bytes(3, [16, 16, 1], 2000)
    fake_memory(monkeypatch, full // 3)
    args = ["train", "--csv", str(data), "--steps", "2", "--no-progress", "--no-plots", "--engine", "eager"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 2
    err = one_line_error(capsys)
    suggested = int(re.search(r"--batch-size ([\d,]+) or smaller fits", err).group(1).replace(",", ""))
    assert f"on 2,000 examples with the eager engine needs about {memory.gigabytes(full)}" in err
    assert 1 <= suggested < 2000 and memory.step_bytes(3, [16, 16, 1], suggested) <= full // 3
    assert memory.step_bytes(3, [16, 16, 1], suggested + 1) > full // 3  # the largest that fits
    assert main([*args, "--batch-size", str(suggested), "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "model.json").exists()


def test_the_compiled_engine_is_refused_where_the_eager_one_fits(monkeypatch, tmp_path, capsys):
    pytest.importorskip("numpy")
    from micrograd import memory

    data = many_rows(tmp_path, 500)
    eager, compiled = (memory.step_bytes(3, [16, 16, 1], 500, e) for e in ("eager", "compiled"))
    assert eager < compiled
    fake_memory(monkeypatch, (eager + compiled) // 2)
    args = ["train", "--csv", str(data), "--steps", "1", "--no-progress", "--no-plots", "--loss", "hinge"]
    assert main([*args, "--engine", "compiled", "--out", str(tmp_path / "a")]) == 2
    assert f"use --engine eager (about {memory.gigabytes(eager)})" in one_line_error(capsys)
    assert main([*args, "--engine", "eager", "--out", str(tmp_path / "b")]) == 0
    fake_memory(monkeypatch, None)  # memory unknown: nothing is refused
    assert main([*args, "--engine", "compiled", "--out", str(tmp_path / "c")]) == 0


@pytest.mark.parametrize("engine", ["eager", "compiled"])
@pytest.mark.parametrize("nin, hidden, batch", [(2, [16, 16], 400), (2, [400], 10), (10, [8, 8], 300)])
def test_the_estimate_is_at_least_what_a_step_takes(engine, nin, hidden, batch):
    """tracemalloc's peak over a real training step (forward, backward, update) against the estimate."""
    if engine == "compiled":
        pytest.importorskip("numpy")
    import gc
    import random
    import tracemalloc

    from micrograd import memory
    from micrograd.nn import MLP
    from micrograd.optim import SGD
    from micrograd.train import ENGINES, Objective

    X, y = random_rows(batch, nin), [i % 2 for i in range(batch)]
    gc.collect()
    tracemalloc.start()
    try:
        mlp = MLP(nin, [*hidden, 1], rng=random.Random(0))
        optimizer = SGD(mlp.parameters(), 0.1)
        ENGINES[engine](Objective(mlp, "hinge", 1e-4)).forward_backward(X, y)
        optimizer.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = memory.step_bytes(nin, [*hidden, 1], batch, engine)
    assert peak <= estimate <= 4 * peak, (peak, estimate)


def test_available_memory_is_read_from_meminfo_else_sysconf(tmp_path, monkeypatch):
    from micrograd import memory

    monkeypatch.setattr(memory, "_cgroup_room", lambda: None)
    info = write(tmp_path / "meminfo", "MemTotal:       16000000 kB\nMemAvailable:    5000000 kB\n")
    assert memory.available_bytes(info) == 5_000_000 * 1024
    pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert abs(memory.available_bytes(tmp_path / "missing") - pages) < 2 * GB  # free memory moves a bit
    monkeypatch.setattr(memory, "_cgroup_room", lambda: 1234)
    assert memory.available_bytes(info) == 1234  # a container's limit comes first


@pytest.mark.parametrize("flag, shown", [([], True), (["--no-progress"], False)])
def test_the_final_accuracy_pass_follows_no_progress(tmp_path, monkeypatch, flag, shown):
    from micrograd.classifier import Classifier

    asked = []
    score = Classifier.predict_indices

    def recording(self, X, progress=False):
        asked.append(progress)
        return score(self, X)

    monkeypatch.setattr(Classifier, "predict_indices", recording)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    args = ["train", "--steps", "2", "--samples", "20", "--no-plots", "--out", str(tmp_path / "run"), *flag]
    assert main(args) == 0
    assert asked and all(p is shown for p in asked), asked
