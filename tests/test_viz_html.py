"""draw_html: its numbers against PyTorch (float64), its layout, its self-containment."""

import html
import json
import math
import random
import re
import shutil

import pytest
from conftest import seed_L

from micrograd.engine import Value, topological_order
from micrograd.nn import MLP
from micrograd.viz import draw_html
from micrograd.viz.words import fill

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def read_model(path) -> dict:
    """The page's model, its step templates filled with the engine's numbers it carries (words.fill)."""
    text = open(path, encoding="utf-8").read()
    body = re.search(r'<script type="application/json" id="model">(.*?)</script>', text, re.S).group(1)
    model = json.loads(body)
    num = [[float(x) if isinstance(x, str) else x for x in model[k]] for k in ("values", "grads", "local")]
    for s in model["steps"]:
        s["formula"] = fill(s["formula"], *num, model["parent"])
        s["why"] = [fill(t, *num, model["parent"]) for t in s["why"]]
    return model


def steps_for(model, name):
    """The forward and the backward step of the node called ``name``."""
    i = next(k for k, n in enumerate(model["nodes"]) if n["name"] == name)
    node = model["nodes"][i]
    return model["steps"][node["fwd"]], model["steps"][node["bwd"]]


def test_L_chain_rule_in_words(tmp_path):
    L = seed_L()
    model = read_model(draw_html(L, tmp_path / "L.html"))
    # PyTorch float64 as the reference for every value and gradient
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
         [("a", 2.0), ("b", -3.0), ("c", 10.0), ("f", -2.0)]}  # fmt: skip
    t["d"] = t["a"] * t["b"]
    t["e"] = t["d"] + t["c"]
    t["L"] = t["e"] * t["f"]
    for v in t.values():
        v.retain_grad()
    t["L"].backward()
    shown = {n["name"]: n for n in model["nodes"]}
    assert set(shown) == set(t)
    for k, v in t.items():
        assert shown[k]["data"] == f"{v.item():.4f}" and shown[k]["grad"] == f"{v.grad.item():.4f}", k

    assert steps_for(model, "c")[1]["formula"] == "dL/dc = dL/de · de/dc = -2.0 · 1.0 = -2.0"
    assert steps_for(model, "a")[1]["formula"] == "dL/da = dL/dd · dd/da = -2.0 · (-3.0) = 6.0"
    # the output's own operation, so the local derivative is not written dL/de again
    assert steps_for(model, "e")[1]["formula"] == "dL/de = dL/dL · d(e * f)/de = 1.0 · (-2.0) = -2.0"
    assert steps_for(model, "L")[1]["formula"] == "dL/dL = 1.0"
    assert steps_for(model, "d")[0]["formula"] == "d = a * b = 2.0 * (-3.0) = -6.0"
    assert steps_for(model, "L")[0]["formula"] == "L = e * f = 4.0 * (-2.0) = -8.0"
    assert any("other factor, b" in w for w in steps_for(model, "a")[1]["why"])


def test_steps_are_topological_forward_then_backward(tmp_path):
    model = read_model(draw_html(seed_L(), tmp_path / "L.html"))
    steps, nodes = model["steps"], model["nodes"]
    assert len(steps) == 1 + 3 + 7  # the leaves, 3 operations forward, 7 gradients backward
    assert [s["phase"] for s in steps] == ["forward"] * 4 + ["backward"] * 7
    fwd = [s["node"] for s in steps[1:4]]
    assert [nodes[i]["name"] for i in fwd] == ["d", "e", "L"]
    bwd = [nodes[s["node"]]["name"] for s in steps[4:]]
    assert bwd[0] == "L" and sorted(bwd) == sorted(n["name"] for n in nodes)
    for s in steps[4:]:  # every gradient is computed after the gradients it is built from
        assert all(nodes[p]["bwd"] < nodes[s["node"]]["bwd"] for p in s["related"])


def test_all_primitives_and_reuse_match_torch(tmp_path):
    """Every primitive, a value used several times, a * a: each gradient and each chain-rule sum."""
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    z = (x * x + x / y - y**2 + (x**y).log() + (-x).exp() + y.tanh() + (x - y).relu() + (x * 2).sigmoid()) * y
    z.label = "z"
    model = read_model(draw_html(z, tmp_path / "z.html"))

    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    tz = (
        tx * tx + tx / ty - ty**2 + (tx**ty).log() + (-tx).exp() + ty.tanh() + (tx - ty).relu()
        + torch.sigmoid(tx * 2)
    ) * ty  # fmt: skip
    tz.backward()
    shown = {n["name"]: n for n in model["nodes"]}
    assert shown["x"]["grad"] == f"{tx.grad.item():.4f}" and shown["y"]["grad"] == f"{ty.grad.item():.4f}"
    assert shown["z"]["data"] == f"{tz.item():.4f}"
    # the chain-rule sum written for x adds up (in its own numbers) to the gradient shown
    formula = steps_for(model, "x")[1]["formula"]
    products, contributions = formula.split(" = ")[-3:-1]
    total = sum(float(a.strip("()")) * float(b.strip("()")) for a, b in
                (term.split(" · ") for term in products.split(" + ")))  # fmt: skip
    assert math.isclose(total, tx.grad.item(), abs_tol=5e-3)
    # then one contribution per use, each the product before it, adding up to the gradient
    paths = [float(c.strip("()")) for c in contributions.split(" + ")]
    assert len(paths) == len(products.split(" + ")) > 1
    assert math.isclose(sum(paths), tx.grad.item(), abs_tol=5e-3)
    assert "x is used" in " ".join(steps_for(model, "x")[1]["why"])


def test_gradients_are_left_as_they_were(tmp_path):
    L = seed_L()
    nodes = [L, *L._children, *L._children[0]._children]
    for k, n in enumerate(nodes):
        n.grad = 100.0 + k  # whatever the user had, e.g. from an earlier backward()
    model = read_model(draw_html(L, tmp_path / "L.html"))
    assert [n.grad for n in nodes] == [100.0 + k for k in range(len(nodes))]
    assert {n["name"]: n["grad"] for n in model["nodes"]}["a"] == "6.0000"  # not 6 + 100


def test_not_differentiable_graph_is_refused_and_grads_restored(tmp_path):
    a = Value(1.0, label="a")
    a.grad = 5.0
    odd = Value(2.0, (a,), "myop")
    with pytest.raises(TypeError, match="cannot differentiate through op 'myop'"):
        draw_html(odd, tmp_path / "odd.html")
    assert a.grad == 5.0 and not (tmp_path / "odd.html").exists()


def test_page_is_self_contained(tmp_path):
    text = (draw_html(seed_L(), tmp_path / "L.html")).read_text(encoding="utf-8")
    without_ns = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|@import|<link|src=", without_ns, re.I)
    assert re.findall(r"url\(([^)]*)\)", text) and all(
        u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", text)
    )
    assert "default-src 'none'" in text  # the browser refuses any load the page might attempt


def boxes(path) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of every drawn node in the page's SVG."""
    text = open(path, encoding="utf-8").read()
    out = []
    for x, y, w, h in re.findall(
        r'class="val[^"]*" transform="translate\(([-\d.]+),([-\d.]+)\)"><rect class="box" width="([\d.]+)" '
        r'height="([\d.]+)"',
        text,
    ):
        x, y, w, h = map(float, (x, y, w, h))
        out.append((x, y, x + w, y + h))
    for cx, cy, rx, ry in re.findall(
        r'<ellipse cx="([-\d.]+)" cy="([-\d.]+)" rx="([\d.]+)" ry="([\d.]+)"', text
    ):
        cx, cy, rx, ry = map(float, (cx, cy, rx, ry))
        out.append((cx - rx, cy - ry, cx + rx, cy + ry))
    return out


def mlp_output():
    return MLP(3, [4, 4, 1], activation="tanh", rng=random.Random(0))([2.0, 3.0, -1.0])


@pytest.mark.parametrize("layout", ["simple", pytest.param("dot", marks=needs_dot)])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("make", [seed_L, mlp_output])
def test_layout_has_no_overlapping_nodes(tmp_path, layout, rankdir, make):
    root = make()
    path = draw_html(root, tmp_path / "g.html", layout=layout, rankdir=rankdir)
    assert read_model(path)["layout"] == layout
    drawn = boxes(path)
    nodes = topological_order(root)
    assert len(drawn) == len(nodes) + sum(1 for n in nodes if n._a is not None)
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5
            assert not overlap, (a, b)


def test_auto_layout_falls_back_without_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert read_model(draw_html(seed_L(), tmp_path / "L.html"))["layout"] == "simple"
    with pytest.raises(RuntimeError, match="apt-get install graphviz.*layout='simple'"):
        draw_html(seed_L(), tmp_path / "L2.html", layout="dot")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="rankdir"):
        draw_html(seed_L(), tmp_path / "x.html", rankdir="BT")
    with pytest.raises(ValueError, match="layout must be one of"):
        draw_html(seed_L(), tmp_path / "x.html", layout="neato")
    with pytest.raises(TypeError, match="needs a Value"):
        draw_html(3.0, tmp_path / "x.html")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        draw_html(seed_L(), tmp_path / "missing" / "x.html")


def test_words_without_tautologies_or_doubled_parentheses(tmp_path):
    from conftest import seed_neuron  # the lecture's labels: 'x1*w1', 'x1*w1 + x2*w2'

    model = read_model(draw_html(seed_neuron(), tmp_path / "n.html"))
    texts = [s["formula"] for s in model["steps"]] + [w for s in model["steps"] for w in s["why"]]
    assert steps_for(model, "x1*w1")[0]["formula"] == "x1*w1 = 2.0 * (-3.0) = -6.0"
    assert steps_for(model, "o")[0]["formula"] == "o = tanh(n) = tanh(0.8814) = 0.7071"
    assert not any("x1 * w1 = x1 * w1" in t or "x1*w1 = x1 * w1" in t for t in texts)
    assert not any("since x2*w2 = x2 * w2" in t for t in texts)
    assert not any("((" in t for t in texts), [t for t in texts if "((" in t]
    tanh_why = steps_for(model, "n")[1]["why"][0]
    assert tanh_why.endswith("that is 1 - o² = 1 - 0.7071² = 0.5")
    assert math.isclose(1 - 0.7071067811865476**2, 0.5, abs_tol=5e-5)
    why_x2 = " ".join(steps_for(model, "x2")[1]["why"])
    assert "the other factor, w2 = 1.0" in why_x2


def test_title_names_the_output_and_the_subtitle_follows_the_direction(tmp_path):
    L = seed_L()
    lr = draw_html(L, tmp_path / "lr.html").read_text(encoding="utf-8")
    tb = draw_html(L, tmp_path / "tb.html", rankdir="TB").read_text(encoding="utf-8")
    assert "<title>Backpropagation through L</title>" in lr
    assert "(values, left to right), then the backward pass (gradients, right to left" in lr
    assert "(values, top to bottom), then the backward pass (gradients, bottom to top" in tb
    assert "left to right" not in tb
    x = Value(2.0)
    assert read_model(draw_html(x * x, tmp_path / "u.html"))["title"] == "Backpropagation through the output"


def test_several_paths_into_one_node_are_added_explicitly(tmp_path):
    x = Value(3.0, label="x")
    p, q = x * 2, x + 1
    p.label, q.label = "p", "q"
    y = p * q
    y.label = "y"
    model = read_model(draw_html(y, tmp_path / "y.html"))
    # dy/dx = q * 2 + p * 1 = 8 + 6 = 14, written as each path's contribution, then their sum
    t = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ((t * 2) * (t + 1)).backward()
    formula = steps_for(model, "x")[1]["formula"]
    assert formula == "dy/dx = dy/dq · dq/dx + dy/dp · dp/dx = 6.0 · 1.0 + 4.0 · 2.0 = 6.0 + 8.0 = 14.0"
    assert t.grad.item() == 14.0
    assert steps_for(model, "x")[1]["why"][-1] == (
        "x is used 2 times, so backward() adds one contribution per use: "
        "6.0 (through q) + 8.0 (through p) = 14.0"
    )


def test_labels_are_text_in_the_html_and_the_script_data(tmp_path):
    a = Value(1.0, label="<!--<script>")
    b = Value(2.0, label="__MODEL__ </script> & \u2028")
    c = a * b
    c.label = "__SVG__"
    text = draw_html(c, tmp_path / "h.html", title="__MODEL__").read_text(encoding="utf-8")
    body = re.search(r'<script type="application/json" id="model">(.*?)</script>', text, re.S).group(1)
    assert not re.search("[<>&\u2028\u2029]", body)  # nothing in the data can end or change the script
    assert json.loads(body)["nodes"][0]["name"] == "<!--<script>"
    assert text.count('<svg id="svg"') == 1 and text.count('id="model"') == 1  # the template filled once
    assert "&lt;!--&lt;script&gt;" in text and "<!--<script>" not in text.split("<body>")[1]


def test_the_returned_page_stands_for_the_file_and_shows_inline(tmp_path):
    import os

    target = tmp_path / "L.html"
    page = draw_html(seed_L(), target)
    assert os.fspath(page) == str(target) and str(page) == str(target) and page == target
    assert page.path == target and page.exists() and page.read_text(encoding="utf-8") == page.html
    assert page.resolve().as_uri() == target.resolve().as_uri()
    inline = draw_html(seed_L())
    assert inline.path is None and list(tmp_path.iterdir()) == [target]
    frame = inline._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == inline.html == page.html
    with pytest.raises(TypeError, match="not written to a file"):
        os.fspath(inline)
    with pytest.raises(AttributeError, match="not written to a file"):
        inline.read_text()
    assert inline.save(tmp_path / "later.html").read_text(encoding="utf-8") == inline.html


def test_a_graph_past_the_limit_is_refused_with_its_size(tmp_path):
    from micrograd.engine import sum_of
    from micrograd.viz.page import MAX_NODES, PageTooLargeError

    xs = [Value(float(i)) for i in range(MAX_NODES)]
    big = sum_of(xs)
    big.label = "total"
    with pytest.raises(
        PageTooLargeError, match=f"total has {MAX_NODES + 1:,} values, more than .* {MAX_NODES:,}"
    ):
        draw_html(big, tmp_path / "big.html")
    assert not (tmp_path / "big.html").exists()
    with pytest.raises(PageTooLargeError, match="pass max_nodes=7"):
        draw_html(seed_L(), tmp_path / "L.html", max_nodes=6)
    assert draw_html(seed_L(), tmp_path / "L.html", max_nodes=7).exists()


def test_cli_says_how_to_open_the_page(tmp_path, capsys):
    from micrograd.cli.app import main

    out = tmp_path / "L.html"
    assert main(["graph", "a*b + c", "--set", "a=2", "b=-3", "c=10", "--name", "L", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[-1] == f"wrote {out}"
    assert (
        out.resolve().as_uri() in printed.err
        and "arrow keys" in printed.err
        and "Home and End" in printed.err
    )


def test_a_node_with_its_own_backward_is_drawn_with_the_derivative_it_computes(tmp_path):
    """The lecture's way of adding an op (a _backward of one's own, here on a subclass): the page
    takes the local derivative from that _backward, and turns its lab off for the graph."""

    class Exp(Value):
        __slots__ = ()

        def _backward(self):
            self._a.grad += self.data * self.grad

    x = Value(0.5, label="x")
    e = Exp(math.exp(x.data), (x,), "exp")
    e.label = "e"
    out = e * 3.0
    out.label = "out"
    x.grad = 7.0  # left as it was
    model = read_model(draw_html(out, tmp_path / "e.html"))
    assert x.grad == 7.0 and e.grad == 0
    assert model["unknown"] == ["exp"]
    t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (torch.exp(t) * 3.0).backward()
    assert {n["name"]: n["grad"] for n in model["nodes"]}["x"] == f"{t.grad.item():.4f}"
    assert model["local"][0] == math.exp(0.5)  # the edge x -> e, from Exp._backward
    assert steps_for(model, "x")[1]["formula"] == "dout/dx = dout/de · de/dx = 3.0 · 1.6487 = 4.9462"


def test_the_lectures_hand_written_backward_is_drawn_with_its_derivative(tmp_path):
    """``out._backward = fn`` on a hand-built node (where the engine allows it, issue 13)."""
    x = Value(0.5, label="x")
    out = Value(math.exp(x.data), (x,), "myexp")
    out.label = "e"

    def _backward():
        x.grad += out.data * out.grad

    try:
        out._backward = _backward
    except AttributeError:
        pytest.skip("this engine's Value._backward cannot be assigned")
    y = out * 3.0
    y.label = "y"
    model = read_model(draw_html(y, tmp_path / "e.html"))
    assert model["unknown"] == ["myexp"] and model["local"][0] == math.exp(0.5)
    t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (torch.exp(t) * 3.0).backward()
    assert {n["name"]: n["grad"] for n in model["nodes"]}["x"] == f"{t.grad.item():.4f}"
