"""The draw_html page in headless Chromium: no request leaves it, the keyboard steps it, the gradients match.

Uses Debian's chromium (``apt-get install chromium``; ``.ci/run`` installs it)
driven by Playwright from PyPI; Playwright's own browser download is not needed.
"""

import os
import random

import pytest
from conftest import seed_L, seed_neuron

from micrograd.engine import topological_order
from micrograd.nn import MLP
from micrograd.viz import draw_html

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
            assert page.text("#formula").endswith(" = " + page.text("#formula").split(" = ")[-1])
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
