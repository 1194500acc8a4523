"""draw_dot and trace: the pictures of Karpathy's micrograd lecture, checked against PyTorch (float64)."""

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import seed_neuron

from micrograd.engine import Value
from micrograd.viz import GraphvizNotFoundError, draw_dot, trace

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def torch_neuron() -> dict[str, tuple[float, float]]:
    """The same neuron in PyTorch float64: label -> (data, grad), every intermediate kept."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
         [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432)]}  # fmt: skip
    t["x1*w1"] = t["x1"] * t["w1"]
    t["x2*w2"] = t["x2"] * t["w2"]
    t["x1*w1 + x2*w2"] = t["x1*w1"] + t["x2*w2"]
    t["n"] = t["x1*w1 + x2*w2"] + t["b"]
    t["o"] = torch.tanh(t["n"])
    for v in t.values():
        v.retain_grad()
    t["o"].backward()
    return {k: (v.item(), v.grad.item()) for k, v in t.items()}


def svg_records(svg: bytes) -> dict[str, list[str]]:
    """Each record node of a dot SVG as its texts, keyed by the first (the label)."""
    records = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") != "node":
            continue
        texts = [t.text or "" for t in g.iter(SVG + "text")]
        if len(texts) == 3:  # label | data | grad
            records[texts[0]] = texts[1:]
    return records


def test_trace_orders_children_first_and_keeps_edge_order():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    nodes, edges = trace(c)
    assert nodes[-1] is c and len(nodes) == 4 and len(set(map(id, nodes))) == 4
    position = {id(n): i for i, n in enumerate(nodes)}
    assert all(position[id(child)] < position[id(parent)] for child, parent in edges)
    mul = c._children[0]
    assert [(x.label or x._op, y._op) for x, y in edges] == [("a", "*"), ("b", "*"), ("*", "+"), ("a", "+")]
    assert edges[0] == (a, mul)
    sq = a * a  # one edge per input slot
    assert trace(sq)[1] == [(a, sq), (a, sq)]


def test_trace_is_iterative():
    x = Value(1.0)
    y = x
    for _ in range(sys.getrecursionlimit() * 3):
        y = y + 1.0
    nodes, edges = trace(y)
    assert len(nodes) == 2 * sys.getrecursionlimit() * 3 + 1
    assert len(edges) == 2 * sys.getrecursionlimit() * 3


def test_trace_and_draw_dot_reject_non_values():
    with pytest.raises(TypeError, match=r"trace\(\) needs a Value, got float"):
        trace(1.0)
    with pytest.raises(TypeError, match=r"draw_dot\(\) needs a Value, got list"):
        draw_dot([Value(1.0)])


def test_source_matches_the_lecture_records_without_dot():
    o = seed_neuron()
    o.backward()
    src = draw_dot(o).source
    assert "rankdir=LR" in src
    expected = torch_neuron()
    for label, (data, grad) in expected.items():
        assert f"{{ {label} | data {data:.4f} | grad {grad:.4f} }}" in src, label
    assert src.count("shape=record") == len(expected)
    for op in ("*", "+", "tanh"):
        assert f'label="{op}"' in src or f"label={op}" in src


@needs_dot
def test_svg_of_seed_neuron_shows_every_value_with_data_and_grad():
    o = seed_neuron()
    o.backward()
    records = svg_records(draw_dot(o).pipe(format="svg"))
    expected = torch_neuron()
    assert set(records) == set(expected)
    for label, (data, grad) in expected.items():
        assert records[label] == [f"data {data:.4f}", f"grad {grad:.4f}"], label
    # the numbers printed in the lecture and notebook, as a second, human-checked reference
    assert records["o"][0] == "data 0.7071"
    assert records["n"][1] == "grad 0.5000"
    assert records["x1"][1] == "grad -1.5000"
    assert records["w1"][1] == "grad 1.0000"
    assert records["x2"][1] == "grad 0.5000"
    assert records["w2"][1] == "grad 0.0000"


@needs_dot
def test_png_and_tb_render():
    o = seed_neuron()
    png = draw_dot(o, format="png", rankdir="TB").pipe()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "rankdir=TB" in draw_dot(o, rankdir="TB").source


@needs_dot
def test_render_writes_a_file(tmp_path):
    o = seed_neuron()
    out = draw_dot(o).render(tmp_path / "neuron", cleanup=True)
    assert out.endswith("neuron.svg") and b"<svg" in open(out, "rb").read()


def test_bad_rankdir_and_format():
    o = seed_neuron()
    with pytest.raises(ValueError, match="rankdir must be 'LR'.*or 'TB'"):
        draw_dot(o, rankdir="RL")
    with pytest.raises(ValueError, match="unknown output format 'svgz2'"):
        draw_dot(o, format="svgz2")


def test_labels_with_record_syntax_are_escaped():
    v = Value(1.0, label="a|b{c}<d>")
    assert r"a\|b\{c\}\<d\>" in draw_dot(v).source


def test_missing_dot_says_how_to_install(monkeypatch, tmp_path):
    graphviz = pytest.importorskip("graphviz")
    o = seed_neuron()
    g = draw_dot(o)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot anywhere
    for call in (g.pipe, lambda: g.render(tmp_path / "x"), g._repr_image_svg_xml):
        with pytest.raises(GraphvizNotFoundError) as info:
            call()
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "'dot'" in message and ".source" in message
        assert isinstance(info.value, graphviz.ExecutableNotFound)  # old except clauses still catch it
    assert "x1*w1" in g.source  # the DOT text needs no dot


def test_missing_dot_in_a_fresh_process(tmp_path):
    code = (
        "from micrograd.engine import Value\nfrom micrograd import draw_dot\n"
        "g = draw_dot(Value(2.0, label='x') * 3)\nassert 'label=\"*\"' in g.source or 'label=*' in g.source\n"
        "g.pipe()\n"
    )
    env = {"PATH": str(tmp_path), "PYTHONPATH": ":".join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("micrograd.viz.GraphvizNotFoundError: cannot render the graph")
    assert "apt-get install graphviz" in last and "brew install graphviz" in last


def fresh_python(code: str) -> str:
    """What ``code`` prints in a new interpreter (so nothing imported here counts)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_import_micrograd_does_not_import_graphviz():
    code = (
        "import sys, micrograd\nassert 'graphviz' not in sys.modules, 'eager'\n"
        "micrograd.draw_dot\nassert 'graphviz' not in sys.modules, 'on attribute'\n"
        "from micrograd import draw_dot, draw_html\nprint('ok')\n"
    )
    assert fresh_python(code) == "ok"


def test_import_micrograd_viz_loads_only_the_pictures():
    others = ("graphviz", "micrograd.classifier", "micrograd.data", "micrograd.modelfile")
    code = f"import sys, micrograd.viz\nprint([m for m in {others!r} if m in sys.modules])\n"
    assert fresh_python(code) == "[]"


def test_big_graphs_get_capped_layout_settings():
    small = Value(1.0) * 2
    assert "nslimit" not in draw_dot(small).source
    x = Value(1.0)
    y = x
    for _ in range(1000):
        y = y * 1.0001
    src = draw_dot(y, max_nodes=None).source
    assert "nslimit=" in src and "splines=line" in src
