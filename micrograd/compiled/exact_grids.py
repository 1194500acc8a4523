"""A grid of DOT nodes for ``exact=True``: its gradient order follows from its shape.

A grid (``matrices.py``) is node (x, p) = ``bias[p] + weights[p] . inputs[x]``.
Where its nodes were built row after row and, within a row, column after
column (as ``nn`` builds a layer over a batch), the eager ``backward()`` adds
the grid's contributions to weight (p, j) for x from the last row to the first,
to bias p likewise, and to input (x, j) for p from the last column to the
first: one run each, whose order is the grid's. So a grid needs no contribution
keys and no sort: its backward step writes each run straight into the rows of
an array, ``acc``, and the target's reduction adds those rows in order, after
the rows of the target's other contributions that come first in the eager
order (``before``, from the sorted contributions of the rest of the graph) and
before those that come last (``after``). Rows a target does not fill hold
-0.0, which adds exactly nothing. Values and gradients stay bit for bit those
of the eager engine.

A grid whose ranks do not grow along its axes, whose targets repeat or fall in
two sets, or one of whose targets receives another contribution in the middle
of the grid's run, is planned as a sum of products instead (``plan.plan_sum``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .lower import Group, Lowered, key
from .matrices import Grid
from .rules import add_rows
from .views import reader, strided

__all__ = ["Run", "GridSteps", "Targets", "grid_steps", "targets", "conflicts", "fill_runs"]


class Run:
    """One set of targets (a grid's weights, biases or inputs) and the run each receives.

    ``targets``: buffer positions, shaped like the run's rows; ``first``/``last``: each target's
    (flat) key of the run's first and last contribution; ``length``: the run's rows. ``acc``
    (before + run + after rows of contributions, the run's from row ``at``) is made by
    ``fill_runs``, once the other contributions are known."""

    __slots__ = ("targets", "first", "last", "length", "acc", "at")

    def __init__(self, targets: np.ndarray, first: np.ndarray, last: np.ndarray, length: int) -> None:
        self.targets, self.first, self.last, self.length = targets, first, last, length
        self.acc: np.ndarray | None = None
        self.at = 0


class GridSteps(NamedTuple):
    forward: Callable
    backward: Callable
    runs: tuple  # the weights', the biases' and the inputs' Run


def grid_steps(low: Lowered, val: np.ndarray, grad: np.ndarray, g: Group) -> GridSteps | None:
    """The forward and backward steps of the grid ``g.grid`` (the whole group ``g``), or None
    where its ranks do not grow along both axes (its runs would not follow its shape)."""
    gd: Grid = g.grid
    nodes = gd.nodes
    if (np.diff(nodes, axis=0) <= 0).any() or (np.diff(nodes, axis=1) <= 0).any():
        return None
    pos, width = low.layout.pos_of, low.graph.width
    rows, cols = nodes.shape
    nin = gd.inputs.shape[1]
    # everything reversed along both axes (x' = rows-1-x, p' = cols-1-p): the layout's order,
    # and the eager order of every run
    late = nodes[::-1, ::-1]
    x_ix, w_ix, b_ix = pos[gd.inputs[::-1]], pos[gd.weights[::-1]], pos[gd.bias[::-1]]
    rx, rw, rb = reader(val, x_ix), reader(val, w_ix), reader(val, b_ix)
    region = val[g.start : g.out].reshape(g.rows, rows, cols)
    sums = val[g.out : g.end]
    heads = grad[g.out : g.end].reshape(rows, cols)
    j = np.arange(nin)
    runs = (  # the bias is child 0, a weight w_j child 1 + j, an input x_j child nin + 1 + j
        Run(
            w_ix,
            key(late[0][:, None], 1 + j, width).ravel(),
            key(late[-1][:, None], 1 + j, width).ravel(),
            rows,
        ),
        Run(b_ix, key(late[0], 0, width), key(late[-1], 0, width), rows),
        Run(
            x_ix,
            key(late[:, :1], nin + 1 + j, width).ravel(),
            key(late[:, -1:], nin + 1 + j, width).ravel(),
            cols,
        ),
    )

    def forward() -> None:
        np.copyto(region[0], rb())  # the bias, a plain term
        w = rw()
        np.multiply(w.T[:, None, :], rx().T[:, :, None], out=region[1:])  # w_j * x_j, as the eager DOT
        add_rows(sums, region.reshape(g.rows, rows * cols))

    def backward() -> None:
        (w_runs, b_runs, x_runs), (w_at, b_at, x_at) = (r.acc for r in runs), (r.at for r in runs)
        np.multiply(heads[:, :, None], rx()[:, None, :], out=w_runs[w_at : w_at + rows])
        np.copyto(b_runs[b_at : b_at + rows], heads)
        np.multiply(rw()[:, None, :], heads.T[:, :, None], out=x_runs[x_at : x_at + cols])

    return GridSteps(forward, backward, runs)


class Targets(NamedTuple):
    """The targets of several grids' runs, sorted by position: each one's run (3 per grid:
    weights, biases, inputs), index in its run, and its run's first and last key."""

    pos: np.ndarray
    run: np.ndarray
    index: np.ndarray
    first: np.ndarray
    last: np.ndarray

    def find(self, positions: np.ndarray) -> np.ndarray:
        """The entry of each of ``positions``, -1 where it is no target."""
        if not self.pos.size:
            return np.full(positions.size, -1, np.int64)
        at = np.minimum(np.searchsorted(self.pos, positions), self.pos.size - 1)
        return np.where(self.pos[at] == positions, at, -1)


def targets(found: list[GridSteps]) -> Targets:
    """Every run's targets of the grids ``found``, sorted by position (a position that is
    the target of two runs is there twice)."""
    runs = [run for steps in found for run in steps.runs]
    sizes = [run.targets.size for run in runs]
    pos = np.concatenate([run.targets.ravel() for run in runs]) if runs else np.zeros(0, np.int64)
    by = np.argsort(pos, kind="stable")
    run = np.repeat(np.arange(len(runs)), sizes)
    index = np.concatenate([np.arange(n) for n in sizes]) if runs else pos
    first = np.concatenate([r.first for r in runs]) if runs else pos
    last = np.concatenate([r.last for r in runs]) if runs else pos
    return Targets(pos[by], run[by], index[by], first[by], last[by])


def conflicts(found: list[GridSteps], owner: np.ndarray, keys: np.ndarray, span) -> list[int]:
    """The grids of ``found`` whose runs cannot be added as runs: a target that repeats or is an
    earlier grid's, targets at more than one level (``span``: the level of each of an array of
    positions), or a target another contribution (``owner``, ``keys``: every other contribution)
    reaches in the middle of its run."""
    t = targets(found)
    grid = t.run // 3
    twice = np.flatnonzero(t.pos[1:] == t.pos[:-1])  # the later grid of the two (or the same one)
    bad = set(np.maximum(grid[twice], grid[twice + 1]).tolist())
    levels = span(t.pos)
    for r in range(3 * len(found)):
        at = levels[t.run == r]
        if at.size and (at != at[0]).any():
            bad.add(r // 3)
    i = t.find(owner)
    hit = i >= 0
    i, k = i[hit], keys[hit]
    inside = (k > t.first[i]) & (k < t.last[i])
    bad.update(grid[i[inside]].tolist())
    return sorted(bad)


def fill_runs(run: Run, k, s, t, pad: int, c: np.ndarray, grad: np.ndarray) -> Callable:
    """The reduction of ``run``'s targets: their other contributions (key ``k``, slot ``s`` in
    ``c``, target ``t``: its index in ``run.targets``; in eager order, target by target; ``pad``:
    a slot holding -0.0) before and after the run's rows, added row after row. Sets
    ``run.acc`` and ``run.at``."""
    targets = run.targets.ravel()
    first = k < run.first[t]
    before, after = (_rows_of(t[side], s[side], targets.size, pad) for side in (first, ~first))
    nb, na = before.shape[0], after.shape[0]
    length = run.length
    acc = run.acc = np.empty((nb + length + na, *run.targets.shape))
    run.at = nb
    flat = acc.reshape(acc.shape[0], targets.size)
    out = strided(grad, targets, writeable=True)
    total = out if out is not None else np.empty(targets.size)

    def add() -> None:
        if nb:
            np.take(c, before, out=flat[:nb])
        if na:
            np.take(c, after, out=flat[nb + length :])
        add_rows(total, flat)
        if out is None:
            grad[targets] = total

    return add


def _rows_of(t: np.ndarray, s: np.ndarray, n: int, pad: int) -> np.ndarray:
    """(most, n) slots: target i's slots ``s`` (those with ``t == i``, in order) down column i,
    the rest ``pad``."""
    if not t.size:
        return np.zeros((0, n), np.int64)
    counts = np.bincount(t, minlength=n)
    src = np.full((int(counts.max(initial=0)), n), pad, np.int64)
    by = np.argsort(t, kind="stable")
    ts = t[by]
    src[np.arange(ts.size) - (np.cumsum(counts) - counts)[ts], ts] = s[by]
    return src
