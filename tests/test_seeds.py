"""The reference documents (write-ups of Karpathy's micrograd lecture, in ../shared/seeds): their
snippets run unchanged and print their numbers, and the figures carried into tests/data/ are theirs.
Then the moons demo against those figures, and the original micrograd's own tests with our Value."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import REPO, moons_demo_trace, reference_figures, reference_text

from micrograd.engine import Value


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- the documents themselves (skipped without ../shared/seeds; .ci/run requires them) -------


@pytest.mark.reference_docs
def test_sneak_peek_snippet_prints_its_numbers():
    text = reference_text("000_")
    code = text[text.index("from micrograd.engine import Value") : text.index("Here what we are doing")]
    printed = run_python(code).split()
    # the document writes what each print shows in a comment: "# prints 24.7041, ..."
    expected = re.findall(r"# prints ([0-9.]+)", code)
    assert expected == reference_figures()["printed"]["000"]
    assert printed == expected


@pytest.mark.reference_docs
def test_the_moons_trace_in_tests_data_is_the_notebooks():
    pattern = re.compile(r"^step (\d+) loss ([0-9.e+-]+), accuracy ([0-9.]+)%$", re.M)
    printed = [(int(k), float(loss), float(acc)) for k, loss, acc in pattern.findall(reference_text("003_"))]
    assert printed == moons_demo_trace()


@pytest.mark.reference_docs
@pytest.mark.parametrize("document", sorted(reference_figures()["printed"]))
def test_each_figure_in_tests_data_is_printed_by_its_document(document: str):
    text = reference_text(document + "_")
    entries = reference_figures()["printed"][document] + reference_figures()["printed_rounded"].get(
        document, []
    )
    as_written = [entry[0] if isinstance(entry, list) else entry for entry in entries]
    assert as_written, f"no figures for document {document}"
    missing = [s for s in as_written if s not in text]
    assert not missing, f"not printed by reference document {document}: {missing}"


def test_reference_figures_cover_every_document():
    figures = reference_figures()
    assert sorted(figures["printed"]) == sorted(figures["documents"]) == ["000", "001", "002", "003", "004"]


# --- the demo against the notebook's figures ------------------------------------------------


def test_moons_demo_reproduces_the_notebooks_trace():
    out = run_python(open(REPO / "examples" / "moons_demo.py").read())
    got = [
        (int(k), float(loss), float(acc))
        for k, loss, acc in re.findall(r"^step (\d+) loss ([0-9.e+-]+), accuracy ([0-9.]+)%$", out, re.M)
    ]
    want = moons_demo_trace()
    assert [k for k, _, _ in got] == [k for k, _, _ in want]
    worst = max(abs(a[1] - b[1]) for a, b in zip(got, want))
    assert worst <= 1e-9, f"largest loss difference from the notebook: {worst}"
    assert [a[2] for a in got] == [b[2] for b in want]
    assert got[-1][2] == 100.0
    assert "number of parameters 337" in out
    assert "Value(data=0.8958441028683222, grad=0) 0.5" in out


# micrograd's own test_engine.py, with our Value
def test_sanity_check():
    torch = pytest.importorskip("torch")
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    assert ymg.data == ypt.data.item()
    assert xmg.grad == xpt.grad.item()


def test_more_ops():
    torch = pytest.importorskip("torch")
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    tol = 1e-6
    assert abs(gmg.data - gpt.data.item()) < tol
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol
    # and tighter than the original asked: float64 throughout
    assert gmg.data == pytest.approx(gpt.item(), rel=1e-14)
    assert (amg.grad, bmg.grad) == pytest.approx((apt.grad.item(), bpt.grad.item()), rel=1e-13)


def test_tanh_neuron_of_the_tutorial():
    torch = pytest.importorskip("torch")
    # the notebook's neuron: o = tanh(x1*w1 + x2*w2 + b) with b chosen so that o = 1/sqrt(2)
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432).items()
    }
    to = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
    to.backward()
    assert o.data == pytest.approx(to.item(), rel=1e-15)
    for v in (x1, x2, w1, w2, b):
        assert v.grad == pytest.approx(t[v.label].grad.item(), rel=1e-14, abs=1e-300)
    assert f"{o.data:.4f}" == "0.7071" and f"{x1.grad:.1f}" == "-1.5" and f"{w1.grad:.1f}" == "1.0"
