"""Draw the pictures that the README and docs/*.md show, into docs/images/.

Run from anywhere: ``python docs/make_images.py`` (needs the dev extra: numpy,
matplotlib, scikit-learn, graphviz and the Graphviz program, Playwright and
chromium). It trains the tutorial's moons model (section 16, about ten
seconds) to draw its decision boundary, with the same random seeds, so the picture is
the one the tutorial's own code produces.

The graph pictures are not drawn here from a copy of the code: the script runs
the documents themselves (with tests/test_docs.py's runner, in a scratch
directory) and keeps the SVG files their own blocks write, listed in
``DOC_PICTURES``. tests/test_docs.py checks, whenever it runs a document, that
such a file still shows the same labels and numbers as the committed picture.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import make_moons

from micrograd.engine import Value
from micrograd.nn import MLP

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"

# document -> the pictures its own code blocks write into its scratch directory (same names here)
DOC_PICTURES = {
    "../README.md": ["readme_neuron.svg"],
    "tutorial.md": [
        "graph_L.svg",
        "graph_L_grads.svg",
        "neuron.svg",
        "tiny_mlp.svg",
        "tiny_mlp_unfused.svg",
        "moons_loss.png",
    ],
    "visualisation.md": ["expression_lr.svg", "expression_tb.svg"],
}


def save(fig: Figure, name: str) -> None:
    """Write ``fig`` to docs/images/``name`` (to a temporary name first, then renamed)."""
    IMAGES.mkdir(exist_ok=True)
    tmp = IMAGES / f".{name}.tmp.png"
    fig.savefig(tmp, dpi=100, bbox_inches="tight")
    tmp.replace(IMAGES / name)
    print("wrote", IMAGES / name)


def parabola() -> None:
    xs = np.arange(-5, 5, 0.25)
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.plot(xs, 3 * xs**2 - 4 * xs + 5)
    ax.set_xlabel("x")
    ax.set_ylabel("y = 3x² - 4x + 5")
    ax.grid(True)
    save(fig, "parabola.png")


def tanh() -> None:
    xs = np.arange(-5, 5, 0.2)
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.plot(xs, np.tanh(xs))
    ax.set_xlabel("n")
    ax.set_ylabel("tanh(n)")
    ax.grid(True)
    save(fig, "tanh.png")


def moons_decision_boundary() -> None:
    """Sections 16 and 17 of the tutorial: train on the moons, colour the plane by the sign of the score."""
    saved = random.getstate(), np.random.get_state()  # seeded below; restored at the end
    try:
        np.random.seed(1337)
        random.seed(1337)
        X, y = make_moons(n_samples=100, noise=0.1)
        y = y * 2 - 1
        model = MLP(2, [16, 16, 1])
        inputs = [list(map(Value, row)) for row in X]
        for k in range(100):
            scores = list(map(model, inputs))
            losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
            loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
        print("final loss", loss.data)
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])

    h = 0.25
    xx, yy = np.meshgrid(
        np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h), np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    )
    Z = np.array([model([Value(a), Value(b)]).data > 0 for a, b in zip(xx.ravel(), yy.ravel())])
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.contourf(xx, yy, Z.reshape(xx.shape), cmap="Spectral", alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap="Spectral", edgecolors="k", linewidths=0.5)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title("MLP(2, [16, 16, 1]) after 100 steps")
    save(fig, "moons_decision_boundary.png")


def doc_pictures() -> None:
    """Run each document of ``DOC_PICTURES`` and keep the pictures its blocks draw."""
    sys.path.insert(0, str(DOCS.parent / "tests"))
    from test_docs import run_markdown  # the doc-test runner: the same code, run the same way

    for doc, names in DOC_PICTURES.items():
        with tempfile.TemporaryDirectory() as scratch:
            run_markdown(DOCS / doc, Path(scratch))
            for name in names:
                tmp = IMAGES / f".{name}.tmp"
                shutil.copyfile(Path(scratch) / name, tmp)
                tmp.replace(IMAGES / name)
                print("wrote", IMAGES / name)


def html_screenshot() -> None:
    """A screenshot of draw_html's page for the tutorial's neuron, stopped at a backward step."""
    from playwright.sync_api import sync_playwright

    from micrograd import draw_html
    from micrograd.viz import trace

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1x2w2 = x1 * w1 + x2 * w2
    x1w1x2w2.label = "x1*w1 + x2*w2"  # as the lecture labels it, so the step text reads well
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as p:
        page_file = draw_html(o, Path(scratch) / "neuron.html")
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(page_file.resolve().as_uri())
        nodes, _ = trace(o)
        forward = sum(1 for v in nodes if v._a is not None)  # one step per computed value
        for _ in range(forward + 4):  # through the forward pass, then four backward steps
            page.keyboard.press("ArrowRight")
        tmp = IMAGES / ".draw_html.tmp.png"
        page.screenshot(path=str(tmp), full_page=True)
        browser.close()
    tmp.replace(IMAGES / "draw_html.png")
    print("wrote", IMAGES / "draw_html.png")


if __name__ == "__main__":
    parabola()
    tanh()
    moons_decision_boundary()
    doc_pictures()
    html_screenshot()
