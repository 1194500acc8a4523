"""Planning: every group as a forward and a backward step, and the gradients' sums in eager order.

Each step is a closure over precomputed index arrays and strided views into
three buffers: the values, the gradients, and ``c``, which holds every gradient
contribution (one per term and operand) until each node's are added up, in the
order the eager ``backward()`` adds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..primitives import PRIMITIVES
from .exact_grids import conflicts, fill_runs, grid_steps, targets
from .lower import Group, Lowered, dot_terms, key
from .rules import RULES, add_rows
from .sorting import lexsort
from .views import Reads

__all__ = ["Buffers", "Plan", "plan", "plan_op", "plan_sum", "reduction", "replay"]


class Buffers:
    """The values and gradients (one slot per placed node, then the constant 1.0) and ``c``, the
    contributions (allocated once planning knows their number)."""

    __slots__ = ("val", "grad", "c")

    def __init__(self, size: int, one: int) -> None:
        self.val = np.zeros(size)
        self.val[one] = 1.0
        self.grad = np.zeros(size)
        self.c = np.zeros(0)

    def block(self, start: int, n: int, shape: tuple) -> Callable:
        """A block of ``c``, reshaped, read when the step runs (``c`` exists only after planning)."""
        return lambda: self.c[start : start + n].reshape(shape)

    def __repr__(self) -> str:
        return f"Buffers(values={self.val.size}, contributions={self.c.size})"


class Plan(NamedTuple):
    """The steps: forward in level order; per level, its backward steps and the reductions of its
    grads (``gather[0]``: the params'); ``leaf_rest``: the other leaves' grads; ``reset``: steps
    run before the root's grad is set; ``lowered``: the lowering the steps run on, where the plan
    made a layout of its own (``exact=False``); ``shaped_grids``: how many grids of DOT nodes add
    their gradients in the order their shape gives (``exact_grids.py``)."""

    buffers: Buffers
    fwd: list
    bwd: dict
    gather: dict
    leaf_rest: list
    reset: tuple = ()
    lowered: Lowered | None = None
    shaped_grids: int = 0  # exact: the grids of DOT nodes whose gradients add in their shape's order


def replay(order: list, leaves: tuple) -> None:
    """Evaluate eagerly, in topological order, so the first refused input raises its exception.

    (Where several nodes fail, this is the first in the order ``backward()`` uses;
    rebuilding the graph eagerly would report the first one built.)
    """
    vals = {leaf: leaf.data for leaf in leaves}
    for node in order:  # children before parents, as the graph was built
        vals[node] = node._prim.forward(*[vals[child] for child in node._children])


def plan(low: Lowered) -> Plan:
    """Precompute every index array, view and buffer that the passes use."""
    g, lay = low.graph, low.layout
    buf = Buffers(lay.size, lay.one)
    nl, npar = len(g.leaves), len(g.params)
    # gradient contributions, each to a slot of c: (owners, eager keys, first slot);
    # c[0:nl] holds the leaves' incoming .grad, added first
    contributions: list[tuple] = [(np.arange(nl), np.full(nl, key(g.n + 1, 0, g.width)), 0)]
    nc = nl
    fwd: list[tuple[int, Callable]] = []
    bwd: dict[int, list[Callable]] = {}

    def add(group: Group) -> None:
        nonlocal nc, low
        dots = group.ids[low.dot[group.ids]]
        if dots.size:  # DOT nodes as sums of products: their terms, from their tables
            low = dot_terms(low, dots)
        f, b, nc = (plan_sum if group.kind == "sum" else plan_op)(low, buf, group, nc, contributions)
        fwd.append((group.level, f))
        bwd.setdefault(group.level, []).append(b)

    grids = []  # the grids whose runs follow their shape (exact_grids.py)
    for group in sorted(lay.groups, key=lambda gr: -gr.level):  # c laid out in backward order
        steps = None if group.grid is None else grid_steps(low, buf.val, buf.grad, group)
        if steps is None:
            add(group)
        else:
            grids.append((group, steps))
    starts = np.array([gr.start for gr in lay.groups], np.int64)
    group_levels = np.array([gr.level for gr in lay.groups], np.int64)

    def span(pos: np.ndarray) -> np.ndarray:
        """Each position's reduction: 0 for a param, -1 for another leaf, else its level."""
        out = np.where(pos < npar, 0, -1)
        inner = pos >= nl
        out[inner] = group_levels[np.searchsorted(starts, pos[inner], "right") - 1]
        return out

    while grids:  # a grid whose runs meet other contributions: a sum of products after all
        owner = np.concatenate([o for o, _, _ in contributions])
        bad = conflicts(
            [steps for _, steps in grids], owner, np.concatenate([k for _, k, _ in contributions]), span
        )
        if not bad:
            break
        for i in bad:
            add(grids[i][0])
        grids = [pair for i, pair in enumerate(grids) if i not in bad]
    for group, steps in grids:
        fwd.append((group.level, steps.forward))
        bwd.setdefault(group.level, []).append(steps.backward)
    fwd.sort(key=lambda pair: pair[0])
    buf.c = np.zeros(nc + 1)
    buf.c[nc] = -0.0  # adds exactly nothing: the rows a grid's target does not fill
    gather, rest = _gather(low, buf, contributions, grids, span, nc)
    return Plan(buf, [f for _, f in fwd], bwd, gather, rest, shaped_grids=len(grids))


def _gather(low: Lowered, buf: Buffers, contributions: list, grids: list, span, pad: int):
    """The steps adding every node's contributions, level by level (``gather[0]``: the params'),
    and the other leaves' (the array path skips them; the constant 1.0's are dropped).

    Which contributions add into which node, in eager order: all of them sorted by owner, then
    by key, once. The blocks of c follow one another, so a contribution's slot is its position
    in the concatenation. Buffer positions run params, other leaves, then level after level, so
    each level's owners are one stretch of the sorted owners. A grid's targets get theirs
    through its runs (``exact_grids.fill_runs``), after the level's other steps.
    """
    g, lay = low.graph, low.layout
    nl, npar = len(g.leaves), len(g.params)
    owner = np.concatenate([o for o, _, _ in contributions])
    keys = np.concatenate([k for _, k, _ in contributions])
    slot = lexsort((keys, owner))
    owner, keys = owner[slot], keys[slot]
    run_steps: dict[int, list[Callable]] = {}
    if grids:
        found = targets([steps for _, steps in grids])
        runs = [run for _, st in grids for run in st.runs]
        i = found.find(owner)
        of = np.where(i >= 0, found.run[i], -1)
        by = np.argsort(of, kind="stable")  # run by run, each in eager order
        bounds = np.searchsorted(of[by], np.arange(len(runs) + 1))
        for r, run in enumerate(runs):
            sel = by[bounds[r] : bounds[r + 1]]
            step = fill_runs(run, keys[sel], slot[sel], found.index[i[sel]], pad, buf.c, buf.grad)
            run_steps.setdefault(int(span(run.targets.ravel()[:1])[0]), []).append(step)
        keep = of < 0
        owner, keys, slot = owner[keep], keys[keep], slot[keep]
    bounds = {0: (0, nl)}
    for group in lay.groups:
        lo, hi = bounds.get(group.level, (group.start, group.end))
        bounds[group.level] = (min(lo, group.start), max(hi, group.end))

    def owned_by(lo: int, hi: int, lv: int) -> list[Callable]:
        """The steps adding the contributions to positions lo..hi-1."""
        a, b = np.searchsorted(owner, [lo, hi]).tolist()
        return reduction(buf, owner[a:b], keys[a:b], slot[a:b], lo, hi) + run_steps.get(lv, [])

    gather = {0: owned_by(0, npar, 0)}
    for lv in range(1, lay.top):
        gather[lv] = owned_by(*bounds[lv], lv)
    return gather, owned_by(npar, nl, -1)


def plan_op(low: Lowered, buf: Buffers, g: Group, nc: int, contributions: list):
    """One primitive on m nodes: z = f(a[, b]); contributions da * g and db * g."""
    val, grad, pos_of, rule = buf.val, buf.grad, low.layout.pos_of, RULES[g.kind]
    m = g.size
    ixs = [pos_of[low.operands.a_of[g.ids]]]
    if PRIMITIVES[g.kind].arity == 2:
        ixs.append(pos_of[low.operands.b_of[g.ids]])
    reads = Reads([(val, ix) for ix in ixs])
    shape, arity = reads.shape, len(ixs)
    z = val[g.start : g.end].reshape(shape)
    gz = grad[g.start : g.end].reshape(shape)
    extra = ()
    if g.kind == "pow_const":  # exponents: one number, or one per node
        ks = np.array([float(low.order[i]._prim.const) for i in g.ids.tolist()])
        extra = (float(ks[0]),) if np.all(ks == ks[0]) else (ks.reshape(shape),)
    order, leaves = low.order, low.graph.leaves
    blocks = []
    for slot, ix in enumerate(ixs):
        contributions.append((ix, key(g.ids, slot, low.graph.width), nc))
        blocks.append(buf.block(nc, m, shape))
        nc += m

    def forward() -> None:
        inputs = [reads.get(i) for i in range(arity)]
        rule.forward(z, *inputs, *extra)
        if rule.refuse is not None:
            if rule.refuse(z, *inputs, *extra).any():
                replay(order, leaves)

    def backward() -> None:
        inputs = [reads.get(i) for i in range(arity)]
        local = rule.derivative(z, *inputs, *extra)
        for d, block in zip(local if arity == 2 else (local,), blocks, strict=True):
            np.multiply(d, gz, out=block())

    return forward, backward, nc


def _runs(flags: list) -> list[tuple[int, int]]:
    """The runs r0:r1 of equal flags."""
    f = np.asarray(flags)
    bounds = [0, *(np.flatnonzero(f[1:] != f[:-1]) + 1).tolist(), f.size] if f.size else []
    return list(zip(bounds, bounds[1:]))


def plan_sum(low: Lowered, buf: Buffers, g: Group, nc: int, contributions: list):
    """n-ary sums of m heads with k terms each (products fused in), accumulated row by row."""
    val, grad, pos_of, one, k, m = buf.val, buf.grad, low.layout.pos_of, low.layout.one, g.rows, g.size
    # (k, m) tables: term j of head i in column i (a plain term's b is PLAIN: the constant 1.0)
    at = low.term_start[g.ids][None, :] + np.arange(k)[:, None]
    t = low.terms
    a_ix, b_ix, sign = pos_of[t.a[at]], pos_of[t.b[at]], t.sign[at]
    key_a, key_b = t.key_a[at], t.key_b[at]
    heads = np.arange(g.out, g.end)
    product = (b_ix != one).any(axis=1).tolist()
    region = val[g.start : g.out].reshape(k, m)
    sums = val[g.out : g.end]
    runs = []  # rows r0:r1 of one kind (plain terms, or products a * b)
    for r0, r1 in _runs(product):
        # every row reads the heads' grads: the pattern (m, 1) then (rows, 0)
        head_pattern = [(m, 1)] * (m > 1) + [(r1 - r0, 0)] * (r1 - r0 > 1)
        sources = [(val, a_ix[r0:r1]), (grad, np.broadcast_to(heads, (r1 - r0, m)), head_pattern)]
        if product[r0]:
            sources.append((val, b_ix[r0:r1]))
        reads = Reads(sources)
        n = (r1 - r0) * m
        sg = sign[r0:r1].reshape(reads.shape) if (sign[r0:r1] < 0).any() else None
        contributions.append((a_ix[r0:r1].ravel(), key_a[r0:r1].ravel(), nc))
        blocks = [buf.block(nc, n, reads.shape)]
        nc += n
        if product[r0]:
            contributions.append((b_ix[r0:r1].ravel(), key_b[r0:r1].ravel(), nc))
            blocks.append(buf.block(nc, n, reads.shape))
            nc += n
        runs.append((region[r0:r1].reshape(reads.shape), bool(product[r0]), reads, sg, blocks))

    def forward() -> None:
        for block, prod, reads, sg, _ in runs:
            if prod:
                np.multiply(reads.get(0), reads.get(2), out=block)
            else:
                np.copyto(block, reads.get(0))
            if sg is not None:
                block *= sg  # a subtracted term: x - y == x + (-y), exactly
        add_rows(sums, region)  # left to right, as the eager chain

    def backward() -> None:
        for _, prod, reads, sg, blocks in runs:
            gs = reads.get(1) if sg is None else reads.get(1) * sg  # +-1.0 * g, exactly
            if prod:  # the fused product's grad is gs; a gets b * gs, b gets a * gs
                np.multiply(reads.get(2), gs, out=blocks[0]())
                np.multiply(reads.get(0), gs, out=blocks[1]())
            else:
                np.copyto(blocks[0](), gs)

    return forward, backward, nc


def reduction(buf: Buffers, o, k, s, lo: int, hi: int) -> list[Callable]:
    """Steps setting the grad of each node o in lo..hi-1 to the sum of the contributions c[s] it
    owns, in eager order (given owner by owner, each in ascending key k): nodes with the same
    number of contributions are added row by row (sequential, exact); the rest by one ordered
    bincount. Positions in the range that own nothing may be written too (with 0.0)."""
    grad, c = buf.grad, buf.c
    if hi <= lo or not o.size:
        return []
    firsts = np.flatnonzero(np.concatenate(([True], o[1:] != o[:-1])))  # each owner's first
    owners = o[firsts]
    counts = np.diff(np.append(firsts, o.size))
    members = np.bincount(counts)  # how many nodes have 1, 2, ... contributions
    sizes = np.flatnonzero(members[1:]) + 1
    classes = sizes[np.argsort(-members[sizes], kind="stable")][:6].tolist()  # the biggest
    rest = np.ones(owners.size, bool)  # a few big classes row by row, the rest by bincount
    for n in classes:
        rest &= counts != n
    steps = []
    if rest.any():
        sel = np.repeat(rest, counts)
        ro, rs = o[sel], s[sel]
        same = ro[1:] == ro[:-1]
        in_order = bool(np.all(rs[1:][same] > rs[:-1][same]))
        perm = np.argsort(rs if in_order else k[sel], kind="stable")  # bincount adds in array order
        low, high = int(owners[rest][0]), int(owners[rest][-1]) + 1  # the span it writes
        ro, src = ro[perm] - low, rs[perm]
        if src.size and np.array_equal(src, np.arange(src[0], src[0] + src.size)):
            src = slice(int(src[0]), int(src[0]) + src.size)  # contiguous: no gather

        def bincount() -> None:
            grad[low:high] = np.bincount(ro, weights=c[src], minlength=high - low)

        steps.append(bincount)
    for n in classes:  # after the bincount, which writes its whole span
        targets = np.flatnonzero(counts == n)
        src2d = (firsts[targets][None, :] + np.arange(n)[:, None]).ravel()
        src2d = s[src2d].reshape(n, targets.size)
        steps.append(_rows(buf, src2d, owners[targets]))
    return steps


def _rows(buf: Buffers, src2d, pos) -> Callable:
    """A step adding the rows of c[src2d] (contributions x nodes) into grad[pos], row after row."""
    grad, c = buf.grad, buf.c
    per, t = src2d.shape
    if np.array_equal(pos, np.arange(pos[0], pos[0] + pos.size)):
        pos = slice(int(pos[0]), int(pos[0]) + pos.size)
    reads = Reads([(c, src2d)])
    rows = np.empty(src2d.shape)
    view = reads.view(0)
    if view is None:  # a gather
        ix = src2d.copy()

        def fill() -> None:
            np.take(c, ix, out=rows)
    else:
        shaped = rows.reshape(reads.shape)

        def fill() -> None:
            np.copyto(shaped, view)

    if t == 1:  # one node: a sequential running sum (add.reduce of a column could go pairwise)

        def add() -> None:
            fill()
            grad[pos] = np.add.accumulate(rows[:, 0])[-1]
    elif per == 1:

        def add() -> None:
            fill()
            grad[pos] = rows[0]
    else:  # np.add.reduce over the outer axis of a C-contiguous array adds row after row

        def add() -> None:
            fill()
            grad[pos] = np.add.reduce(rows, axis=0)

    return add
