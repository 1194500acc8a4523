"""Draw the pictures that docs/tutorial.md shows, into docs/images/.

Run from anywhere: ``python docs/make_images.py`` (needs numpy, matplotlib and
scikit-learn). It trains the tutorial's moons model (section 16, about ten
seconds) to draw its decision boundary, with the same seeds, so the picture is
the one the tutorial's own code produces.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import make_moons

from micrograd.engine import Value
from micrograd.nn import MLP

IMAGES = Path(__file__).resolve().parent / "images"


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


if __name__ == "__main__":
    parabola()
    tanh()
    moons_decision_boundary()
