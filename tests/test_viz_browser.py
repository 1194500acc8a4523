"""The draw_html page in headless Chromium: no request leaves it, the keyboard steps it, the gradients match.

Uses Debian's chromium (``apt-get install chromium``; ``.ci/run`` installs it)
driven by Playwright from PyPI; Playwright's own browser download is not needed.
"""

import math
import os
import random

import pytest
from conftest import seed_L, seed_neuron

from micrograd.engine import Value, topological_order
from micrograd.nn import MLP
from micrograd.viz import draw_html
from micrograd.viz.words import fill, number

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # the dev extra installs it

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """The page opened from file://, with every request it makes recorded (and all but the file refused)."""

    def __init__(self, browser, path):
        self.url = path.resolve().as_uri()
        self.context = browser.new_context()
        self.requests, self.errors = [], []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.route(
            "**/*", lambda route: route.continue_() if route.request.url == self.url else route.abort()
        )
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.goto(self.url)

    def step(self) -> int:
        return int(self.page.evaluate("document.body.dataset.step"))

    def grads(self) -> list[str]:
        return self.page.eval_on_selector_all("g.val text.grad", "els => els.map(e => e.textContent)")

    def datas(self) -> list[str]:
        return self.page.eval_on_selector_all("g.val text.data", "els => els.map(e => e.textContent)")

    def current(self) -> int | None:
        ids = self.page.eval_on_selector_all("g.val.now", "els => els.map(e => e.id)")
        assert len(ids) <= 1
        return int(ids[0][1:]) if ids else None

    def text(self, selector: str) -> str:
        return self.page.text_content(selector)

    def close(self):
        self.context.close()


def engine_grads(root) -> list[float]:
    """The engine's gradients, in the page's node order (topological order), on a fresh backward."""
    nodes = topological_order(root)
    for n in nodes:
        n.grad = 0
    root.backward()
    return [n.grad for n in nodes]


def check_gradient_text(formula: str, nodes, i: int, expected: list[float]) -> None:
    """The backward step's text against the engine: it ends in node i's gradient, and its products
    (the gradient of each use times a local derivative) hold the users' gradients and add up to it."""
    parts = formula.split(" = ")
    assert parts[-1] == number(expected[i])
    if i == len(nodes) - 1:
        assert parts == [parts[0], "1.0"]
        return
    products = [t.split(" · ") for t in parts[2].split(" + ")]
    users = [p for p, n in enumerate(nodes) for c in n._children if c is nodes[i]]
    assert sorted(g.strip("()") for g, _ in products) == sorted(number(expected[p]) for p in users)
    total = sum(float(g.strip("()")) * float(d.strip("()")) for g, d in products)
    assert total == pytest.approx(expected[i], abs=1e-3 * len(products))


@pytest.mark.parametrize(
    "make",
    [
        seed_L,
        seed_neuron,
        lambda: MLP(3, [4, 4, 1], activation="tanh", rng=random.Random(1))([2.0, 3.0, -1.0]),
    ],
    ids=["L", "neuron", "mlp"],
)
def test_keyboard_steps_through_backprop_and_shows_the_engines_gradients(browser, tmp_path, make):
    root = make()
    path = draw_html(root, tmp_path / "graph.html")
    nodes = topological_order(root)
    expected = engine_grads(root)
    interior = sum(1 for n in nodes if n._a is not None)
    page = Page(browser, path)
    try:
        assert page.step() == 0
        assert page.grads() == ["?"] * len(nodes)  # nothing known before the backward pass
        assert page.datas() == [f"{n.data:.4f}" if n._a is None else "?" for n in nodes]

        for k in range(interior):  # the forward pass: one value per key press
            page.page.keyboard.press("ArrowRight")
            assert page.step() == k + 1
            i = page.current()
            assert page.datas()[i] == f"{nodes[i].data:.4f}"
        assert page.datas() == [f"{n.data:.4f}" for n in nodes]
        assert page.grads() == ["?"] * len(nodes)

        seen = []
        for k in range(len(nodes)):  # the backward pass: one gradient per key press, output first
            page.page.keyboard.press("ArrowRight")
            assert page.step() == interior + 1 + k
            i = page.current()
            seen.append(i)
            shown = page.grads()
            assert float(shown[i]) == pytest.approx(expected[i], abs=5e-5)
            assert shown[i] == f"{expected[i]:.4f}"
            assert sum(g != "?" for g in shown) == k + 1  # the others are still to come
            check_gradient_text(page.text("#formula"), nodes, i, expected)
        assert seen[0] == len(nodes) - 1 and sorted(seen) == list(range(len(nodes)))
        assert [float(g) for g in page.grads()] == pytest.approx(expected, abs=5e-5)

        page.page.keyboard.press("ArrowRight")  # past the end: stays on the last step
        assert page.step() == interior + len(nodes)
        page.page.keyboard.press("Home")
        assert page.step() == 0 and page.grads() == ["?"] * len(nodes)
        page.page.fill("#slider", str(interior + 1))  # the slider jumps
        assert page.step() == interior + 1 and page.current() == len(nodes) - 1
        assert page.text("#counter") == f"step {interior + 1} / {interior + len(nodes)}"
        page.page.keyboard.press("End")
        assert page.grads() == [f"{g:.4f}" for g in expected]

        assert page.requests == [page.url], "the page asked for something besides itself"
        assert page.errors == []
    finally:
        page.close()


def test_chain_rule_text_as_in_the_lecture(browser, tmp_path):
    page = Page(browser, draw_html(seed_L(), tmp_path / "L.html"))
    try:
        formulas = []
        for _ in range(3 + 7):
            page.page.keyboard.press("ArrowRight")
            formulas.append(page.text("#formula"))
        assert "e = d + c = -6.0 + 10.0 = 4.0" in formulas
        assert "dL/dc = dL/de · de/dc = -2.0 · 1.0 = -2.0" in formulas
        page.page.click("#prev")
        assert page.step() == 9
    finally:
        page.close()


# --- the lab: the page recomputes, and its numbers are the engine's --------------------------------


def rebuild(make, leaves: dict[str, float]):
    """The graph ``make()`` builds, with these leaf values, computed by the Python engine."""
    root = make()
    for n in topological_order(root):
        if n._a is None and n.label in leaves:
            n.data = leaves[n.label]
    for n in topological_order(root):  # the forward pass again, by the engine's own primitives
        if n._a is not None:
            args = [c.data for c in n._children]
            n.data = n._prim.forward(*args)
    return root


def neuron_leaves(**changed) -> dict[str, float]:
    base = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    return {**base, **changed}


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def api(page, expr: str, *args):
    return page.page.evaluate(f"(args) => window.micrograd.{expr}(...args)", list(args))


@pytest.mark.parametrize("make", [seed_L, seed_neuron], ids=["L", "neuron"])
def test_setting_a_leaf_recomputes_every_value_gradient_and_text_as_the_engine_does(browser, tmp_path, make):
    page = Page(browser, draw_html(make(), tmp_path / "g.html"))
    try:
        names = api(page, "leaves")
        start = {k: api(page, "value", k) for k in names}
        for k in names:  # any change of any leaf, then the whole graph against a Python rebuild
            new = start[k] * 1.7 - 0.3
            api(page, "set", k, new)
            want = rebuild(make, {**start, k: new})
            nodes = topological_order(want)
            grads = engine_grads(want)
            for n, g in zip(nodes, grads, strict=True):
                if n.label:
                    assert close(api(page, "value", n.label), n.data), (k, n.label)
                    assert close(api(page, "grad", n.label), g), (k, n.label)
            # what the page says, at every step, is the Python page's text for those numbers
            model = read_model(draw_html(want, tmp_path / "want.html"))
            for s, step in enumerate(model["steps"]):
                page.page.fill("#slider", str(s))
                assert page.text("#formula") == step["formula"]
                assert (
                    page.page.eval_on_selector_all("#why li", "els => els.map(e => e.textContent)")
                    == step["why"]
                )
            api(page, "set", k, start[k])
        assert page.requests == [page.url] and page.errors == []
    finally:
        page.close()


def read_model(page_file) -> dict:
    """The written page's model with its templates filled in Python (micrograd.viz.words.fill)."""
    import json
    import re

    text = open(page_file, encoding="utf-8").read()
    model = json.loads(re.search(r'id="model">(.*?)</script>', text, re.S).group(1))
    num = [[float(x) if isinstance(x, str) else x for x in model[k]] for k in ("values", "grads", "local")]
    for s in model["steps"]:
        s["formula"] = fill(s["formula"], *num, model["parent"])
        s["why"] = [fill(t, *num, model["parent"]) for t in s["why"]]
    return model


@pytest.mark.parametrize("h", [1e-3, 1e-2, 1e-4])
def test_a_nudges_slope_agrees_with_the_gradient_within_the_finite_difference_error(browser, tmp_path, h):
    torch = pytest.importorskip("torch")
    page = Page(browser, draw_html(seed_neuron(), tmp_path / "n.html"))
    try:
        names = api(page, "leaves")
        start = neuron_leaves()
        t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in start.items()}
        o = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
        first = torch.autograd.grad(o, [t[k] for k in names], create_graph=True)
        for k, g1 in zip(names, first, strict=True):
            (g2,) = torch.autograd.grad(g1, t[k], retain_graph=True, allow_unused=True)
            curvature = 0.0 if g2 is None else abs(g2.item())
            slope, grad = api(page, "slope", k, h), api(page, "grad", k)
            assert grad == pytest.approx(g1.item(), rel=1e-12, abs=1e-15)
            # (f(x+h) - f(x))/h = f'(x) + h f''(x)/2 + O(h^2); rounding adds about 1e-16/h
            assert abs(slope - grad) <= 0.6 * h * curvature + 1e-12 / h, (k, slope, grad)
            # and the same slope from the Python engine, to rounding
            plus = rebuild(seed_neuron, {**start, k: start[k] + h}).data
            assert slope == pytest.approx((plus - o.item()) / h, abs=1e-13 / h)

        # the same through the controls: h in its field, +h on x1's row, the slope shown beside the grad
        page.page.fill("#h", str(h))
        page.page.dispatch_event("#h", "change")
        row = page.page.locator("#leaves tr").nth(names.index("w1"))
        assert row.locator("td").nth(3).text_content() == number(api(page, "slope", "w1", h))
        row.locator("button", has_text="+h").click()
        assert api(page, "value", "w1") == start["w1"] + h
        want = rebuild(seed_neuron, {**start, "w1": start["w1"] + h})
        assert page.text("#output") == f"o = {number(want.data)}"
        assert page.requests == [page.url] and page.errors == []
    finally:
        page.close()


@pytest.mark.parametrize("rate", [0.01, -0.01, 0.5, -2.0])
@pytest.mark.parametrize("make", [seed_L, seed_neuron], ids=["L", "neuron"])
def test_a_gradient_step_moves_the_output_as_the_engine_computes(browser, tmp_path, make, rate):
    root = make()
    page = Page(browser, draw_html(root, tmp_path / "g.html"))
    try:
        nodes = topological_order(root)
        grads = engine_grads(root)
        new = {n.label: n.data + rate * g for n, g in zip(nodes, grads, strict=True) if n._a is None}
        want = rebuild(make, new).data
        result = api(page, "step", rate)
        assert result["before"] == root.data
        assert close(result["after"], want)
        if abs(rate) <= 0.01:  # a small step goes the way the gradient says: up for a positive rate
            assert (result["after"] > result["before"]) == (rate > 0)
        for k, v in new.items():
            assert close(api(page, "value", k), v)
        assert page.text("#stepresult").startswith(
            f"{root.label}: {number(root.data)} → {number(result['after'])}"
        )

        api(page, "reset")  # and through the button, with the rate in its field
        page.page.fill("#rate", str(rate))
        page.page.click("#gradstep")
        assert close(api(page, "value", root.label), want)
        assert page.requests == [page.url] and page.errors == []
    finally:
        page.close()


def primitive_cases() -> list[tuple[str, list[float], float | None]]:
    """Inputs for every primitive: random ones, and the edges (signs, zeros, branches, overflow)."""
    rng = random.Random(14)
    r = lambda lo=-5.0, hi=5.0: rng.uniform(lo, hi)  # noqa: E731
    cases = []
    for _ in range(60):
        cases += [("add", [r(), r()], None), ("sub", [r(), r()], None), ("mul", [r(), r()], None)]
        cases += [("div", [r(), r()], None), ("neg", [r()], None), ("exp", [r(-50, 50)], None)]
        cases += [
            ("log", [r(1e-9, 1e3)], None),
            ("tanh", [r(-20, 20)], None),
            ("sigmoid", [r(-60, 60)], None),
        ]
        cases += [("relu", [r()], None), ("pow", [r(0.01, 5), r(-3, 3)], None)]
        cases += [
            ("pow", [r(-5, -0.01), float(rng.randint(-4, 4))], None),
            ("pow_const", [r()], rng.choice([2, 3, -1, 0.5, 1])),
        ]
        n = rng.randint(1, 4)
        cases += [
            ("sum", [r() for _ in range(rng.randint(1, 6))], None),
            ("dot", [r() for _ in range(2 * n + 1)], None),
        ]
    edges = [
        ("pow", [-2.0, 3.0]), ("pow", [-2.0, 0.5]), ("pow", [0.0, -1.0]), ("pow", [0.0, 0.5]),
        ("pow", [0.0, 2.0]), ("pow", [1.0, 7.5]), ("pow", [-3.0, -2.0]), ("pow", [10.0, 400.0]),
        ("pow", [2.0, 1.0]),
        ("relu", [0.0]), ("relu", [-0.0]), ("relu", [-1e-300]), ("relu", [3.0]),
        ("log", [0.0]), ("log", [-1.0]), ("log", [1e-300]), ("log", [1.0]),
        ("sigmoid", [0.0]), ("sigmoid", [-800.0]), ("sigmoid", [800.0]), ("sigmoid", [-1e-9]),
        ("sigmoid", [36.5]),
        ("exp", [709.0]), ("exp", [710.0]), ("exp", [-800.0]), ("exp", [0.0]),
        ("tanh", [0.0]), ("tanh", [30.0]), ("tanh", [-1e-10]),
        ("div", [1.0, 0.0]), ("div", [0.0, -3.0]), ("div", [1e-300, 1e300]),
    ]  # fmt: skip
    cases += [(name, xs, None) for name, xs in edges]
    cases += [
        ("pow_const", [0.0], -1),
        ("pow_const", [0.0], 0.5),
        ("pow_const", [-8.0], 1 / 3),
        ("pow_const", [-2.0], 3),
    ]
    cases += [("pow_const", [0.0], 1), ("pow_const", [1e200], 2)]
    # a ** b over the whole domain, as tests/test_compiled_pow_domain.py holds the engines to it
    inf, nan = math.inf, math.nan
    bases = [0.0, -0.0, 2.0, -2.0, 0.5, -0.5, 1e300, -1e300, inf, -inf, nan, 1.0, -1.0]
    exponents = [0.0, 1.0, -1.0, 2.0, 3.0, -3.0, 0.5, -0.5, 2.5, 400.0, 401.0, inf, -inf, nan]
    cases += [("pow", [a, b], None) for a in bases for b in exponents]
    cases += [("pow_const", [a], b) for a in bases for b in exponents if math.isfinite(b)]
    return cases


def python_primitive(name: str, xs: list[float], k):
    """The value and local derivatives by micrograd.primitives, or the error it raises."""
    from micrograd.primitives import PRIMITIVES, pow_const

    prim = pow_const(k) if name == "pow_const" else PRIMITIVES[name]
    try:
        z = prim.forward(*xs)
    except OverflowError as exc:
        return {"error": str(exc), "overflow": True}
    except (ArithmeticError, ValueError) as exc:
        return {"error": str(exc)}
    d = prim.derivative(z, *xs)
    return {"value": z, "derivative": list(d) if isinstance(d, tuple) else [d]}


def test_the_pages_evaluator_equals_the_engine_on_every_primitive(browser, tmp_path):
    from micrograd.primitives import PRIMITIVES

    page = Page(browser, draw_html(seed_L(), tmp_path / "L.html"))
    try:
        assert sorted(api(page, "primitives")) == sorted(PRIMITIVES)
        cases = primitive_cases()
        assert {name for name, _, _ in cases} == set(PRIMITIVES)
        got = page.page.evaluate(
            "cases => cases.map(([n, xs, k]) => window.micrograd.evaluate(n, xs, k))",
            [list(c) for c in cases],
        )
        for (name, xs, k), js in zip(cases, got, strict=True):
            py = python_primitive(name, xs, k)
            where = (name, xs, k, js, py)
            if py.get("overflow"):  # an engine that refuses overflow: the page follows IEEE (inf), as
                assert math.isinf(js["value"]), where  # the engine's one overflow rule does (issue 11)
                continue
            assert ("error" in js) == ("error" in py), where
            if "error" in py:
                continue
            assert close(js["value"], py["value"]), where
            assert len(js["derivative"]) == len(py["derivative"]), where
            assert all(close(a, b) for a, b in zip(js["derivative"], py["derivative"], strict=True)), where
        assert page.errors == []
    finally:
        page.close()


def test_the_pages_table_covers_every_primitive_without_a_browser():
    """Static: the JavaScript table in page.html names exactly the primitives of primitives.py."""
    import re
    from importlib import resources

    from micrograd.primitives import PRIMITIVES

    text = resources.files("micrograd.viz").joinpath("page.html").read_text(encoding="utf-8")
    table = re.search(r"const PRIMS = \{(.*?)\n  \};", text, re.S).group(1)
    assert set(re.findall(r"^    (\w+): \[", table, re.M)) == set(PRIMITIVES)


HOSTILE = [
    "<!--<script>",
    "</script>",
    'say "hi"',
    "{x}",
    "a&amp;b",
    "__SVG__",
    "__MODEL__",
    "\u2028line",
    "ÿ😀",
    "'",
]


def test_hostile_labels_show_as_text_and_the_page_works(browser, tmp_path):
    leaves = [Value(float(k + 1), label=label) for k, label in enumerate(HOSTILE)]
    total = leaves[0]
    for v in leaves[1:]:
        total = total * v + 1
    total.label = "</script><!--<script>{out}"
    path = draw_html(total, tmp_path / "hostile.html", title="<b>__SVG__</b> </title>")
    page = Page(browser, path)
    try:
        assert page.errors == []
        assert [k for k in api(page, "leaves") if k in HOSTILE] == HOSTILE  # the others: the constants 1
        assert page.page.title() == "<b>__SVG__</b> </title>"
        assert page.text("h1") == "<b>__SVG__</b> </title>"
        names = page.page.eval_on_selector_all("g.val text.name", "els => els.map(e => e.textContent)")
        assert set(HOSTILE) | {total.label} <= set(names)
        assert page.page.locator("script").count() == 2  # the model and the page's own script, no more
        api(page, "set", "{x}", 10.0)
        want = rebuild(lambda: total, {"{x}": 10.0})
        assert close(api(page, "value", total.label), want.data)
        cells = page.page.eval_on_selector_all("#leaves td.leafname", "els => els.map(e => e.textContent)")
        assert [c for c in cells if c in HOSTILE] == HOSTILE
        page.page.keyboard.press("End")  # the last step: the gradient of the first leaf, named as it is
        assert page.text("#title").endswith("gradient of " + HOSTILE[0])
        assert page.text("#formula").startswith(f"d({total.label})/d({HOSTILE[0]}) = ")
        assert page.requests == [page.url] and page.errors == []
    finally:
        page.close()


def test_an_operation_the_page_cannot_compute_still_steps_with_the_lab_off(browser, tmp_path):
    from micrograd.primitives import Primitive

    x = Value(1.5, label="x")
    cube = Value(x.data**3, (x,), "myop")  # built by hand, as a user's own operation is
    cube._prim = Primitive("cube", "cube", 1, lambda a: a**3, lambda z, a: 3 * a * a)
    cube.label = "y"
    out = cube * 2
    out.label = "out"
    page = Page(browser, draw_html(out, tmp_path / "odd.html"))
    try:
        assert api(page, "canCompute") is False
        assert "cube" in page.text("#labnote") and page.page.is_visible("#labnote")
        assert page.page.is_disabled("#gradstep")
        assert all(page.page.locator("#leaves input").evaluate_all("els => els.map(e => e.disabled)"))
        with pytest.raises(Exception, match="lab is off"):
            api(page, "set", "x", 2.0)
        page.page.keyboard.press("End")  # stepping still shows the engine's numbers
        expected = engine_grads(out)
        assert page.grads() == [f"{g:.4f}" for g in expected] and expected[0] == 2 * 3 * 1.5**2
        assert page.text("#formula") == "dout/dx = dout/dy · dy/dx = 2.0 · 6.75 = 13.5"
        assert api(page, "grad", "x") == 13.5 and page.errors == []
        assert page.requests == [page.url]
    finally:
        page.close()


def test_phone_keeps_the_current_step_in_view_with_controls_big_enough_to_touch(browser, tmp_path):
    root = MLP(3, [4, 4, 1], activation="tanh", rng=random.Random(1))([2.0, 3.0, -1.0])
    path = draw_html(root, tmp_path / "mlp.html")
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(path.resolve().as_uri())
        last = int(page.eval_on_selector("#slider", "e => e.max"))
        for k in range(1, last + 1):
            page.click("#next")
            inside = page.evaluate(
                """() => { const c = document.getElementById("graph").getBoundingClientRect();
                           const n = document.querySelector("g.val.now"); if (!n) return true;
                           const r = n.getBoundingClientRect();
                           return r.left >= c.left - 1 && r.right <= c.right + 1
                                  && r.top >= c.top - 1 && r.bottom <= c.bottom + 1; }"""
            )
            assert inside, f"step {k}: the current node is out of view"
        sizes = page.eval_on_selector_all("button", "els => els.map(e => [e.offsetWidth, e.offsetHeight])")
        assert min(h for _, h in sizes) >= 44 and min(w for w, _ in sizes) >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    finally:
        context.close()


def test_inline_in_jupyter_the_page_works_in_its_iframe(browser, tmp_path):
    shown = draw_html(seed_L())  # no path: nothing written, an object Jupyter shows
    assert shown.path is None and list(tmp_path.iterdir()) == []
    html = shown._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "sandbox=" in html
    context = browser.new_context()
    requests = []
    context.on("request", lambda r: requests.append(r.url))
    context.route("**/*", lambda route: route.abort())
    page = context.new_page()
    try:
        page.set_content(f"<!doctype html><body>{html}</body>")
        frame = page.frame_locator("iframe")
        frame.locator("#next").click()
        assert frame.locator("#formula").text_content() == "d = a * b = 2.0 * (-3.0) = -6.0"
        assert page.frames[1].evaluate("window.micrograd.set('a', 3.0)") == (3.0 * -3.0 + 10.0) * -2.0
        assert requests == []
    finally:
        context.close()


def every_primitive(x0: float = 0.7, y0: float = 1.3):
    """One graph through every primitive of the table, with values used several times."""
    from micrograd.engine import dot, sum_of

    x, y = Value(x0, label="x"), Value(y0, label="y")
    w = Value(-0.4, label="w")
    parts = [x * x, x / y, -(y**2), (x**y).log(), (-x).exp(), y.tanh(), (x - y).relu(), (x * 2).sigmoid()]
    z = sum_of(parts) * dot((w, x, y), (y, w)) + y ** Value(0.5)
    z.label = "z"
    return z


@pytest.mark.parametrize(
    "make",
    [every_primitive, lambda: MLP(3, [4, 4, 1], activation="tanh", rng=random.Random(3))([2.0, 3.0, -1.0])],
    ids=["every-primitive", "mlp"],
)
def test_whole_graphs_recomputed_by_the_page_equal_the_engine(browser, tmp_path, make):
    from micrograd.viz.steps import node_names

    root = make()
    nodes = topological_order(root)
    names = node_names(nodes)
    page = Page(browser, draw_html(root, tmp_path / "g.html"))
    try:
        rng = random.Random(5)
        leaves = [i for i, n in enumerate(nodes) if n._a is None]
        assert api(page, "leaves") == [names[i] for i in leaves]
        for _ in range(4):
            chosen = rng.sample(leaves, min(3, len(leaves)))
            for i in chosen:  # the same change in the page and in Python
                nodes[i].data = nodes[i].data * rng.uniform(0.5, 1.5)
                api(page, "set", names[i], nodes[i].data)
            for n in nodes:
                if n._a is not None:
                    n.data = n._prim.forward(*[c.data for c in n._children])
            grads = engine_grads(root)
            got = page.page.evaluate("ns => ns.map(n => [micrograd.value(n), micrograd.grad(n)])", names)
            for name, n, g, (v, d) in zip(names, nodes, grads, got, strict=True):
                assert close(v, n.data) and close(d, g), (name, v, n.data, d, g)
        assert page.requests == [page.url] and page.errors == []
    finally:
        page.close()


def test_a_single_leaf_graph(browser, tmp_path):
    x = Value(3.0, label="x")
    page = Page(browser, draw_html(x, tmp_path / "x.html"))
    try:
        assert api(page, "leaves") == ["x"] and api(page, "grad", "x") == 1.0
        assert api(page, "set", "x", 5.0) == 5.0 and api(page, "grad", "x") == 1.0
        assert api(page, "slope", "x", 0.5) == 1.0
        page.page.keyboard.press("End")
        assert page.text("#formula") == "dx/dx = 1.0" and page.errors == []
    finally:
        page.close()


def test_the_page_benchmark_runs():
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_page.py"
    out = subprocess.run(
        [sys.executable, str(script), "--sizes", "40", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^\s+42\s+\d+\.\d\ds\s+\d+\.\d\s+\d+\.\d\ds\s+\d+ms\s+\d+\.\d\ds$", out, re.M), out


@pytest.mark.parametrize(
    "a, b, c, f",
    [
        (0.03125, -0.09375, 2.5e-05, -0.0),  # ties at the 4th decimal (Python rounds them to even), tiny, -0
        (1e21, 3.0, -1.2345e-7, 0.5),  # past toFixed's plain range, a tiny negative
        (0.00015625, 1 / 3, 10.0, -2.0),
    ],
)
def test_the_page_writes_numbers_as_python_does(browser, tmp_path, a, b, c, f):
    page = Page(browser, draw_html(seed_L(), tmp_path / "L.html"))
    try:
        for k, v in zip("abcf", (a, b, c, f), strict=True):
            api(page, "set", k, v)
        want = rebuild(seed_L, {"a": a, "b": b, "c": c, "f": f})
        page.page.keyboard.press("End")  # every number known
        names = page.page.eval_on_selector_all("g.val text.name", "els => els.map(e => e.textContent)")
        shown = dict(zip(names, zip(page.datas(), page.grads(), strict=True), strict=True))
        grads = dict(zip([n.label for n in topological_order(want)], engine_grads(want)))
        for n in topological_order(want):
            assert shown[n.label] == (f"{n.data:.4f}", f"{grads[n.label]:.4f}"), n.label
        page.page.keyboard.press("Home")
        assert page.text("#formula") == f"a = {number(a)}, b = {number(b)}, c = {number(c)}, f = {number(f)}"
    finally:
        page.close()
