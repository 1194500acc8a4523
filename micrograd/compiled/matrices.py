"""Recognising matrices in the scalar graph: a layer's DOT nodes as one matrix product.

A layer of neurons applied to a batch is, in the scalar graph, a grid of DOT
nodes: node (x, p) is ``dot(params[p], inputs[x])``, where the nodes of row x
share one tuple of inputs and the nodes of column p one tuple ``(b, w0, ...,
wn-1)`` (``nn.Layer`` and ``nn.Neuron`` share their tuples so; a graph built by
hand with ``dot()`` that shares its tuples alike is recognised the same way).
Such a grid's values are ``X @ W.T + b`` with X the rows' inputs and W the
columns' weights: one matrix product forward, two backward.

The tuples are the walk's tables (``walk.py``): a node's two tuples are two
table numbers, so grouping the DOT nodes by their input table and comparing
the parameter tables each input table meets finds every grid without looking
at a single ``Value``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .sorting import lexsort
from .walk import Tables

__all__ = ["Grid", "grids"]


class Grid(NamedTuple):
    """DOT nodes ``nodes[x, p] = bias[p] + weights[p] . inputs[x]`` (all as interior or leaf ids)."""

    level: int
    nodes: np.ndarray  # (rows, cols)
    inputs: np.ndarray  # (rows, nin)
    weights: np.ndarray  # (cols, nin)
    bias: np.ndarray  # (cols,)


def grids(t: Tables, leaf_id: np.ndarray, level_of: np.ndarray, min_size: int = 2) -> list[Grid]:
    """The grids of at least ``min_size`` DOT nodes (``t``: the DOT nodes' entries of the tables;
    ``leaf_id``: the k-th leaf met's final id; ``level_of``: by interior id): the nodes of one
    level whose input tables meet the same sequence of parameter tables. A DOT node in no such
    grid is left out."""
    if not t.node.size:
        return []
    node, ka, kb = t.node, t.ka, t.kb
    lv = level_of[node]
    by = lexsort((ka, kb, lv))  # by level, then input table, then parameter table
    node, ka, kb, lv = node[by], ka[by], kb[by], lv[by]
    # rows: one per input tuple and level; a row like the one before it (same level, same
    # parameter tables) continues its class, so the dict below sees only where classes change
    lo = np.flatnonzero(np.concatenate(([True], (np.diff(kb) != 0) | (np.diff(lv) != 0))))
    count = np.diff(np.append(lo, node.size))
    like = np.zeros(lo.size, bool)
    maybe = np.flatnonzero((count[1:] == count[:-1]) & (lv[lo[1:]] == lv[lo[:-1]])) + 1
    if maybe.size:
        n = count[maybe]
        at = np.repeat(lo[maybe] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        same = ka[at] == ka[at - np.repeat(n, n)]  # each entry against the row before's
        like[maybe] = np.logical_and.reduceat(same, np.cumsum(n) - n)
    classes: dict[tuple, list[int]] = {}
    ka_bytes = ka.tobytes()
    heads = np.flatnonzero(~like).tolist()
    for a, b in zip(heads, heads[1:] + [lo.size], strict=True):
        r0, r1 = int(lo[a]), int(lo[a] + count[a])
        classes.setdefault((int(lv[r0]), r1 - r0, ka_bytes[8 * r0 : 8 * r1]), []).extend(lo[a:b].tolist())
    items = t.final_items(leaf_id)
    out = []
    for (level, cols, _), firsts in classes.items():
        if len(firsts) * cols < min_size:
            continue
        rows = np.array(firsts)
        cells = rows[:, None] + np.arange(cols)
        params, ins = ka[rows[0] : rows[0] + cols], kb[rows]
        nin = int(t.length[ins[0]])
        if nin == 0 or np.any(t.length[params] != nin + 1):
            continue
        # rows and columns in the order their first nodes were built (the eager order)
        down, across = np.argsort(node[cells[:, 0]]), np.argsort(node[cells[0]])
        cells, params, ins = cells[down][:, across], params[across], ins[down]
        span = np.arange(nin)
        out.append(
            Grid(
                level,
                node[cells],
                items[t.start[ins][:, None] + span],
                items[t.start[params][:, None] + 1 + span],
                items[t.start[params]],
            )
        )
    return out
