"""Levels: a node's level is one more than its deepest operand's (a leaf's is 0).

The nodes of one level and one kind run as one vectorised operation (``lower.layout``).
"""

from __future__ import annotations

import numpy as np

from .walk import Tables

__all__ = ["levels"]


def levels(members, start, count, term_a, term_b, n: int, shared: Tables | None = None) -> np.ndarray:
    """The level of each of ``members`` (interior ids in the eager order): one more than the
    deepest operand (``term_a``/``term_b`` of its ``count`` terms from ``start``; ids >= n are
    leaves, level 0).

    Every member's level is recomputed from all operands at once, pass after pass,
    until nothing changes: a pass settles one more level. A deep graph (a long
    chain) would take one pass per level: after a few, the plain loop in the
    eager order finishes instead.

    ``shared``: members whose operands are the items of their two tables (DOT nodes;
    items are walk ids, a leaf's negative). A pass finds each table's deepest item
    once, however many nodes share the table.
    """
    out = np.zeros(members.size, np.int64)
    tabled = shared is not None and shared.node.size > 0
    if tabled:
        snodes, ka, kb, items, tstart, tlen = shared
        alone = np.ones(n, bool)
        alone[snodes] = False
        alone = alone[members]
        members, start, count = members[alone], start[alone], count[alone]
        items = np.where(items < 0, n, items)
        full = tlen > 0
        item_seg = tstart[full]
    else:
        alone = slice(None)
    # the operands member after member, the interior ones only, plus each member's first
    first = np.cumsum(count) - count
    terms = np.repeat(start - first, count) + np.arange(int(count.sum()))
    ops = np.stack((term_a[terms], term_b[terms]), axis=1).ravel()
    keep = ops < n
    keep[2 * first] = True  # every member keeps an operand (a leaf has level 0)
    seg = (np.cumsum(keep) - 1)[2 * first]
    ops = ops[keep]
    level = np.zeros(max(n, 1) + 1, np.int64)
    ops[ops >= n] = n  # every leaf and PLAIN: one slot, level 0
    table_level = np.zeros(len(tlen), np.int64) if tabled else None
    for _ in range(32):
        new = 1 + np.maximum.reduceat(level[ops], seg) if members.size else members
        changed = not np.array_equal(new, level[members])
        level[members] = new
        if table_level is not None:
            table_level[full] = np.maximum.reduceat(level[items], item_seg)
            new_shared = 1 + np.maximum(table_level[ka], table_level[kb])
            changed |= not np.array_equal(new_shared, level[snodes])
            level[snodes] = new_shared
        if not changed:
            break
    else:  # deep: one member at a time, operands first
        lv = level.tolist()
        ops_list, bounds = ops.tolist(), [*seg.tolist(), ops.size]
        todo = [(i, ops_list[bounds[j] : bounds[j + 1]]) for j, i in enumerate(members.tolist())]
        if table_level is not None:
            ends = (tstart + tlen).tolist()
            lists = [items[a:b].tolist() for a, b in zip(tstart.tolist(), ends, strict=True)]
            pairs = zip(snodes.tolist(), ka.tolist(), kb.tolist(), strict=True)
            todo += [(i, lists[a] + lists[b]) for i, a, b in pairs]
            todo.sort()
        for i, operands in todo:
            lv[i] = 1 + max(map(lv.__getitem__, operands))
        level = np.array(lv, np.int64)
    out[alone] = level[members]
    if table_level is not None:
        out[~alone] = level[snodes]
    return out
