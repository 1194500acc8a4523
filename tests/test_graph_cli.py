"""`micrograd graph`: the safe expression parser, its errors, and the files it writes."""

import argparse
import html
import json
import re
import shutil
import subprocess
import sys

import pytest

from micrograd.cli import main as cli_main
from micrograd.cli.expression import ExpressionError, build, parse_assignments
from micrograd.cli.graph import add_graph_arguments
from micrograd.engine import topological_order

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def run_cli(capsys, *argv):
    status = cli_main(["graph", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_build_matches_torch():
    values = {"x": 0.7, "y": -1.3, "z": 2.0}
    expr = "tanh(x*y + 2) - exp(-x) / z + log(z) * sigmoid(y) + relu(x - y) ** 2 + z ** y + -x"
    root = build(expr, values)
    root.backward()
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    x, y, z = t["x"], t["y"], t["z"]
    ref = torch.tanh(x * y + 2) - torch.exp(-x) / z + torch.log(z) * torch.sigmoid(y) + torch.relu(x - y) ** 2
    ref = ref + z**y + -x
    ref.backward()
    assert root.data == pytest.approx(ref.item(), rel=1e-12)
    leaves = {n.label: n for n in topological_order(root) if not n._children}
    for k in values:
        assert leaves[k].grad == pytest.approx(t[k].grad.item(), rel=1e-12), k


def test_labels_variables_intermediates_and_numbers():
    root = build("tanh(x1*w1 + x2*w2 + b) * 2", {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 0.5}, name="o")
    labels = {n.label for n in topological_order(root)}
    assert {"x1", "w1", "x2", "w2", "b", "x1 * w1", "x2 * w2", "x1 * w1 + x2 * w2", "2", "o"} <= labels
    x = build("x", {"x": 3.0})
    assert x.label == "x"  # a bare variable keeps its name
    assert build("2 * 3 + 1", {}).data == 7.0  # numbers alone are folded into one leaf


@pytest.mark.parametrize(
    "expression, message",
    [
        ("a *", "cannot parse the expression"),
        ("(a", "was never closed"),
        ("", "the expression is empty"),
        ("__import__('os').system('touch PWNED')", "only the functions"),
        ("a.tanh()", "only the functions"),
        ("a[0]", "indexing"),
        ("a if b else 1", "if/else"),
        ("lambda: 1", "lambda"),
        ("a < b", "comparisons"),
        ("[a, b]", "lists"),
        ("'text'", "is not a number"),
        ("True * a", "is not a number"),
        ("a // b", "the operator // is not supported"),
        ("a % b", "the operator % is not supported"),
        ("not a", "the operator not is not supported"),
        ("sin(a)", "unknown function 'sin'"),
        ("tanh(a, b)", "takes exactly one argument"),
        ("tanh(x=a)", "takes exactly one argument"),
        ("tanh", "tanh is a function"),
        ("a * q", "unknown name 'q': give it a value with --set q=NUMBER"),
        ("a / (b - b)", "division by zero"),
        ("log(a - b)", "log is defined only for positive numbers"),
        ("10 ** 10 ** 10", "too large"),
        (" " + "-" * 100000 + "a", "the limit is"),
        ("(" * 300 + "a" + ")" * 300, "nested"),
        ("1" * 4400, "cannot parse the expression"),
    ],
)
def test_bad_expressions_are_one_line_errors_with_status_2(
    capsys, tmp_path, monkeypatch, expression, message
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli(capsys, expression, "--set", "a=2", "b=3")
    assert status == 2
    assert err.startswith("micrograd graph: error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing was written


@pytest.mark.parametrize(
    "assignment, message",
    [("a", "write NAME=NUMBER"), ("a=x", "'x' is not a number"), ("2a=1", "write NAME=NUMBER"),
     ("a=inf", "finite"), ("tanh=1", "is a function")],
)  # fmt: skip
def test_bad_assignments(assignment, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_assignments([assignment])


def test_a_fresh_process_prints_no_traceback(tmp_path):
    cmd = [sys.executable, "-m", "micrograd", "graph", "open('x').read()", "--set", "a=1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("micrograd graph: error: only the functions")
        and "Traceback" not in proc.stderr
    )


def test_prints_value_and_gradients(capsys):
    status, out, err = run_cli(capsys, *NEURON)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("out = 0.70710678")
    grads = {parts[0]: float(parts[1]) for parts in (line.split() for line in lines[2:])}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}, abs=1e-12)


@needs_dot
def test_writes_svg_with_gradients(capsys, tmp_path):
    out = tmp_path / "neuron.svg"
    status, stdout, _ = run_cli(capsys, *NEURON, "--out", str(out))
    assert status == 0 and stdout.endswith(f"wrote {out}\n")
    svg = html.unescape(out.read_text())  # dot writes '-' as &#45;
    for text in ("x1", "grad -1.5000", "w1", "grad 1.0000", "data 0.7071", "x1 * w1", "tanh"):
        assert f">{text}<" in svg, text


def test_writes_html_and_dot_without_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot
    html = tmp_path / "neuron.html"
    status, _, err = run_cli(capsys, *NEURON, "--out", str(html), "--name", "o")
    assert status == 0, err
    body = re.search(r'id="model">(.*?)</script>', html.read_text(), re.S).group(1)
    model = json.loads(body)
    grads = {n["name"]: n["grad"] for n in model["nodes"]}
    assert grads["x1"] == "-1.5000" and grads["o"] == "1.0000" and model["layout"] == "simple"
    status, _, _ = run_cli(capsys, *NEURON, "--out", str(tmp_path / "neuron.dot"), "--rankdir", "TB")
    assert status == 0 and "rankdir=TB" in (tmp_path / "neuron.dot").read_text()
    status, _, err = run_cli(capsys, *NEURON, "--out", str(tmp_path / "neuron.svg"))
    assert (
        status == 1 and "apt-get install graphviz" in err and ".html or .dot output needs no Graphviz" in err
    )
    assert err.count("\n") == 1 and not (tmp_path / "neuron.svg").exists()


def test_unknown_output_extension(capsys, tmp_path):
    status, _, err = run_cli(capsys, *NEURON, "--out", str(tmp_path / "neuron.txt"))
    assert status == 2 and "must end in one of .svg, .png" in err


def test_micrograd_graph_has_help_on_every_flag_and_runs(capsys):
    parser = argparse.ArgumentParser(prog="micrograd graph")
    add_graph_arguments(parser)
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, action.dest
    assert cli_main(["graph", "a * b", "--set", "a=2", "b=-3"]) == 0
    assert capsys.readouterr().out.startswith("out = -6.0\n")


def count_values(expression: str, values: dict) -> int:  # the graph's size, by the engine's own walk
    return len(topological_order(build(expression, values)))


@pytest.mark.parametrize("suffix, limit", [(".html", 2000), (".svg", 1000)])
def test_a_graph_past_the_drawing_limit_is_one_line_with_status_2_and_a_way_through(
    capsys, tmp_path, suffix, limit
):
    if suffix == ".svg" and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    expression = "+".join(["x*y"] * (limit // 2 + 1))  # a * node and a + node per term
    values = {"x": 1.5, "y": -2.0}
    n = count_values(expression, values)
    assert n > limit
    out = tmp_path / f"big{suffix}"
    status, _, err = run_cli(capsys, expression, "--set", "x=1.5", "y=-2", "--out", str(out))
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{n:,} values, more than the limit of {limit:,}" in err
    assert f"--max-nodes {n}" in err  # the option the message names exists and is enough
    assert not out.exists()
    if suffix == ".svg":
        return  # Graphviz would take minutes to lay out a graph this size
    status, _, err = run_cli(
        capsys, expression, "--set", "x=1.5", "y=-2", "--out", str(out), "--max-nodes", str(n)
    )
    assert status == 0, err
    assert out.stat().st_size > 0


def test_max_nodes_also_limits_a_dot_file_and_refuses_nonsense(capsys, tmp_path):
    out = tmp_path / "g.dot"
    status, _, err = run_cli(capsys, *NEURON, "--out", str(out), "--max-nodes", "3")
    assert status == 2 and "more than the limit of 3 for a .dot file" in err and not out.exists()
    for bad in ("0", "-4", "many"):
        status, _, err = run_cli(capsys, *NEURON, "--out", str(out), "--max-nodes", bad)
        assert status == 2 and "argument --max-nodes: expected a whole number >= 1" in err
