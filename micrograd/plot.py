"""Pictures of a training run, saved as PNG: the loss and accuracy curves, and the decision boundary.

matplotlib (and numpy) are imported only when a picture is drawn. Figures are made
with ``matplotlib.figure.Figure`` and rendered by Agg, never through pyplot, so
nothing opens a window, needs a display, or changes matplotlib's global backend.
Each file is written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from .io import atomic_write_bytes


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("the plots need matplotlib: pip install 'micrograd-plus[train]'") from e
    return Figure


def _save(fig, path: str | Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())


def plot_history(
    steps: Sequence[int], losses: Sequence[float], accuracies: Sequence[float], path: str | Path
) -> None:
    """Loss (log scale) and accuracy against the step, side by side, saved as a PNG at ``path``."""
    Figure = _figure_class()
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(steps, losses, color="tab:blue")
    if min(losses) > 0:
        ax_loss.set_yscale("log")
    ax_loss.set(title="training loss", xlabel="step", ylabel="loss")
    ax_loss.grid(True, which="both", alpha=0.3)
    ax_acc.plot(steps, [100 * a for a in accuracies], color="tab:green")
    ax_acc.set(title="training accuracy", xlabel="step", ylabel="accuracy (%)", ylim=(0, 102))
    ax_acc.grid(True, alpha=0.3)
    _save(fig, path)


def plot_decision_boundary(
    classifier,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    path: str | Path,
    resolution: int = 50,
    title: str | None = None,
) -> None:
    """The classes a 2-feature ``classifier`` assigns over the plane, with the data points on top.

    ``X`` holds raw rows (the classifier standardises them itself), ``y`` their class
    indices. The plane spans the data with a margin of 1, as in the notebook's plot, on
    a ``resolution`` x ``resolution`` grid.
    """
    Figure = _figure_class()
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap

    if len(X[0]) != 2:
        raise ValueError(f"a decision boundary is drawn for 2 features, the data has {len(X[0])}")
    pts = np.asarray(X, dtype=float)
    (x_min, y_min), (x_max, y_max) = pts.min(axis=0) - 1, pts.max(axis=0) + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.c_[xx.ravel(), yy.ravel()].tolist()
    Z = np.array(classifier.predict_indices(grid)).reshape(xx.shape)

    n = len(classifier.classes)
    colors = ["#d7191c", "#2b83ba", "#fdae61", "#abdda4", "#5e3c99", "#e66101", "#1a9641", "#7b3294"]
    cmap = ListedColormap([colors[i % len(colors)] for i in range(n)])
    norm = BoundaryNorm(np.arange(n + 1) - 0.5, n)
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.subplots()
    ax.contourf(xx, yy, Z, levels=np.arange(n + 1) - 0.5, cmap=cmap, norm=norm, alpha=0.35)
    ys = np.asarray(y)
    for i, name in enumerate(classifier.classes):
        mask = ys == i
        ax.scatter(
            pts[mask, 0], pts[mask, 1], s=25, color=cmap(i), edgecolors="k", linewidths=0.5, label=name
        )
    ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), xlabel=classifier.feature_names[0])
    ax.set_ylabel(classifier.feature_names[1])
    ax.set_title(title or "decision boundary")
    ax.legend(title="class", loc="best", fontsize="small")
    _save(fig, path)
