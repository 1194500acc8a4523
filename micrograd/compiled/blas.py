"""The plan for ``exact=False``: matrix products where the graph has them, gradients added in place.

``compile(..., exact=False)`` lowers the graph as for ``exact=True`` (``lower.py``),
then plans it differently:

* every grid of DOT nodes (``matrices.py``) is one matrix product forward and
  two backward (numpy's BLAS, which adds in its own order); a grid whose inputs
  are gathered is gathered into ``[X, 1]``, so that its bias is a column of the
  product; a bias's gradient is a product with ones, a one-column grid's input
  gradient an outer product (the products' closures: ``products.py``);
* n-ary sums are added in numpy's order (pairwise along a column);
* the nodes get a layout of their own, each group ordered after its operands
  (a grid row after row), so that an activation over a grid reads and writes
  contiguous stretches of the buffers, and a grid's inputs are a strided view;
* each group's gradient contributions are added straight into its operands'
  gradients (a view, a gather, or a bincount where targets repeat), level after
  level from the root down, instead of being stored and added up in the eager
  engine's order.

Values and gradients therefore differ from the eager engine's in the last bits
(tests: within 1e-12 relative). The elementwise rules are those of ``rules.py``
(the one table), so the values of the elementwise nodes are computed as with
``exact=True`` from their operands.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..primitives import PRIMITIVES
from .lower import Group, Layout, Lowered, dot_terms
from .matrices import Grid
from .plan import Buffers, Plan, replay
from .products import by_rows, gathered_grid, outer, row_blocks, strided_grid
from .rules import RULES
from .views import reader, strided

__all__ = ["plan_inexact", "into"]


def into(grad: np.ndarray, ix: np.ndarray, written: np.ndarray | None) -> Callable[[np.ndarray], None]:
    """A function adding an array of contributions (shaped like ``ix``) into ``grad[ix]``.

    Axes along which ``ix`` does not change are summed first; then the targets are
    a writable view, a gather (distinct targets) or a bincount (repeated ones).
    ``written`` marks the positions some earlier step writes (1: its first write
    assigns, 2: it adds): where no target is marked yet, the contributions are
    assigned instead of added, so the backward pass need not clear those targets
    first (it clears every position not marked 1); None: always add. The function's
    ``out`` is the view it assigns (a caller may compute straight into it), else None.
    """
    axes = tuple(d for d in range(ix.ndim) if ix.shape[d] > 1 and not np.any(np.diff(ix, axis=d)))
    if axes:
        ix = ix[tuple(slice(0, 1) if d in axes else slice(None) for d in range(ix.ndim))]
    flat = ix.ravel()
    lo, hi = int(flat.min()), int(flat.max()) + 1
    distinct = flat.size == 1 or int(np.bincount(flat - lo, minlength=hi - lo).max()) == 1
    targets = flat if distinct else slice(lo, hi)  # a bincount writes the whole span
    fresh = written is not None and not written[targets].any()
    if written is not None:
        first = written[targets]
        written[targets] = np.where(first == 0, 2, first) if not fresh else 1
    squeeze = (lambda c: np.sum(c, axis=axes, keepdims=True)) if axes else (lambda c: c)
    view = strided(grad, ix, writeable=True) if distinct else None
    if view is not None and fresh:
        fn = lambda c: np.copyto(view, squeeze(c))  # noqa: E731
        fn.out = None if axes else view
        return fn
    if view is not None:
        fn = lambda c: np.add(view, squeeze(c), out=view)  # noqa: E731
    elif distinct:
        ix = ix.copy()

        def fn(c: np.ndarray) -> None:
            if fresh:
                grad[ix] = squeeze(c)
            else:
                grad[ix] += squeeze(c)
    else:
        rel = flat - lo

        def fn(c: np.ndarray) -> None:
            weights = np.broadcast_to(squeeze(c), ix.shape).ravel()
            total = np.bincount(rel, weights=weights, minlength=hi - lo)
            if fresh:
                grad[lo:hi] = total
            else:
                grad[lo:hi] += total

    fn.out = None
    return fn


def _layout(low: Lowered, found: list[Grid]) -> tuple[Layout, list]:
    """The groups (each grid one, the other nodes in their groups), every group after its
    operands and ordered by them; leaves first, the constant 1.0 last."""
    g, lay, t, op = low.graph, low.layout, low.terms, low.operands
    n, nl = g.n, len(g.leaves)
    in_grid = np.zeros(n, bool)
    for grid in found:
        in_grid[grid.nodes.ravel()] = True
    todo = sorted(
        [(gr.level, 0, i) for i, gr in enumerate(lay.groups)]
        + [(gd.level, 1, i) for i, gd in enumerate(found)]
    )
    pos = np.full(g.plain + 1, -1, np.int64)
    pos[n : g.plain] = np.arange(nl)
    start, groups, grid_of = nl, [], []
    for level, is_grid, i in todo:
        if is_grid:
            gd = found[i]
            rows = np.argsort(pos[gd.inputs[:, 0]], kind="stable")
            cols = np.argsort(pos[gd.weights[:, 0]], kind="stable")
            gd = Grid(level, gd.nodes[rows][:, cols], gd.inputs[rows], gd.weights[cols], gd.bias[cols])
            group = Group("dot", level, gd.nodes.ravel(), 1, start)
        else:
            gr = lay.groups[i]
            ids = gr.ids[~in_grid[gr.ids]]
            if not ids.size:
                continue
            if gr.kind == "sum":
                at = low.term_start[ids][None, :] + np.arange(gr.rows)[:, None]
                ids = ids[np.argsort(pos[t.a[at]].max(axis=0), kind="stable")]
            else:
                ids = ids[np.lexsort((pos[op.b_of[ids]], pos[op.a_of[ids]]))]
            group, gd = Group(gr.kind, level, ids, gr.rows, start), None
        pos[group.ids] = np.arange(group.out, group.end)
        start = group.end
        groups.append(group)
        grid_of.append(gd)
    pos[g.plain] = start
    return Layout(groups, max((gr.level for gr in groups), default=0), pos, start, start + 1), grid_of


def plan_inexact(low: Lowered) -> Plan:
    """Every group's forward and backward steps, with the layout and the lowering they run on."""
    g = low.graph
    n, nl, npar = g.n, len(g.leaves), len(g.params)
    found = low.grids
    outside = low.dot.copy()  # the DOT nodes outside every grid run as sums of products
    for grid in found:
        outside[grid.nodes.ravel()] = False
    if outside.any():
        low = dot_terms(low, np.flatnonzero(outside))
    lay, grid_of = _layout(low, found)
    where = np.concatenate((np.where(low.where[:n] >= 0, lay.pos_of[:n], -1), g.leaf_id[::-1] - n))
    low = low._replace(layout=lay, where=where)
    buf = Buffers(lay.size, lay.one)
    buf.c = np.zeros(nl)  # the leaves' incoming grads
    written = np.zeros(lay.size, np.int8)
    leaf = np.zeros(lay.size, bool)
    leaf[npar:nl] = True  # the other leaves: their grads only for backward(), at its end
    fwd: list[Callable] = []
    bwd: dict[int, list[Callable]] = {lv: [] for lv in range(lay.top + 1)}
    rest: list[Callable] = []
    steps = sorted(zip(lay.groups, grid_of, strict=True), key=lambda pair: -pair[0].level)
    for group, gd in steps:  # backward order, so that ``written`` follows the run
        if gd is not None:
            f, b = _plan_grid(low, buf, group, gd, written, leaf)
        elif group.kind == "sum":
            f, b = _plan_sum(low, buf, group, written, leaf)
        else:
            f, b = _plan_op(low, buf, group, written, leaf)
        fwd.append(f)
        for step, deferred in b:
            (rest if deferred else bwd[group.level]).append(step)
    fwd.reverse()
    grad, c = buf.grad, buf.c
    # positions no step assigns first are cleared; the other leaves that only deferred steps
    # reach (inputs, constants) only when those run: backward(), not backward_array()
    later = np.zeros(lay.one, bool)
    later[npar:nl] = written[npar:nl] == 0
    clear = _runs(np.flatnonzero((written[: lay.one] != 1) & ~later))
    clear_later = _runs(np.flatnonzero(later))

    def reset() -> None:
        for span in clear:
            grad[span] = 0.0

    def reset_later() -> None:
        for span in clear_later:
            grad[span] = 0.0

    def params_in() -> None:
        grad[:npar] += c[:npar]

    def rest_in() -> None:
        grad[npar:nl] += c[npar:nl]

    gather = {lv: [] for lv in range(lay.top + 1)}
    gather[0] = [params_in]
    return Plan(buf, fwd, bwd, gather, [reset_later, *rest, rest_in], reset=(reset,), lowered=low)


def _runs(ix: np.ndarray, most: int = 16) -> list:
    """Sorted positions as the slices of their consecutive runs (a few stores instead of a
    scatter), or as one index array where there are more than ``most`` runs."""
    if not ix.size:
        return []
    cuts = np.flatnonzero(np.diff(ix) != 1) + 1
    if cuts.size >= most:
        return [ix]
    starts, ends = np.concatenate(([0], cuts)), np.concatenate((cuts, [ix.size]))
    return [slice(int(ix[a]), int(ix[b - 1]) + 1) for a, b in zip(starts, ends, strict=True)]


def _targets(pos_ix: np.ndarray, leaf: np.ndarray) -> bool:
    """Whether every target is one of the other leaves (its step is deferred to backward()'s end)."""
    return bool(leaf[pos_ix].all())


def _plan_op(low: Lowered, buf: Buffers, g: Group, written, leaf):
    """One primitive on m nodes: z = f(a[, b]); a and b receive da * gz and db * gz."""
    val, grad, pos, rule = buf.val, buf.grad, low.layout.pos_of, RULES[g.kind]
    ixs = [pos[low.operands.a_of[g.ids]]]
    if PRIMITIVES[g.kind].arity == 2:
        ixs.append(pos[low.operands.b_of[g.ids]])
    reads = [reader(val, ix) for ix in ixs]
    z, gz = val[g.start : g.end], grad[g.start : g.end]
    extra = ()
    if g.kind == "pow_const":  # exponents: one number, or one per node
        ks = np.array([float(low.order[i]._prim.const) for i in g.ids.tolist()])
        extra = (float(ks[0]),) if np.all(ks == ks[0]) else (ks,)
    order, leaves = low.order, low.graph.leaves
    if g.kind == "relu":  # max(a, 0) in one pass: the rule's value, but for the sign of a zero
        return _plan_relu(buf, g, ixs[0], reads[0], written, leaf)

    def forward() -> None:
        inputs = [r() for r in reads]
        rule.forward(z, *inputs, *extra)
        if rule.refuse is not None and rule.refuse(z, *inputs, *extra).any():
            replay(order, leaves)

    deferred = [_targets(ix, leaf) for ix in ixs]
    steps = []
    for want in (False, True):
        slots = [i for i, d in enumerate(deferred) if d == want]
        if not slots:
            continue
        adds = {i: into(grad, ixs[i], None if want else written) for i in slots}

        def backward(adds=adds) -> None:
            local = rule.derivative(z, *[r() for r in reads], *extra)
            local = local if len(reads) == 2 else (local,)
            for i, add in adds.items():
                d = local[i]
                add(gz if type(d) is float and d == 1.0 else d * gz)

        steps.append((backward, want))
    return forward, steps


def _plan_relu(buf: Buffers, g: Group, ix: np.ndarray, read: Callable, written, leaf):
    """relu on m nodes: z = max(a, 0); a receives gz where z > 0 (the rule's 1.0 or 0.0, as a mask)."""
    z, gz = buf.val[g.start : g.end], buf.grad[g.start : g.end]
    deferred = _targets(ix, leaf)
    add = into(buf.grad, ix, None if deferred else written)

    if z.size < 32768:  # fewer nodes: the mask in the backward pass (as fast, one call fewer)

        def forward() -> None:
            np.maximum(read(), 0.0, out=z)

        def backward() -> None:
            if add.out is not None:
                np.multiply(gz, z > 0, out=add.out)
            else:
                add(gz * (z > 0))

        return forward, [(backward, deferred)]
    mask = np.empty(z.shape, bool)  # z > 0, taken in the forward pass while z is in cache

    def forward() -> None:
        np.maximum(read(), 0.0, out=z)
        np.greater(z, 0.0, out=mask)

    def backward() -> None:
        if add.out is not None:
            np.multiply(gz, mask, out=add.out)
        else:
            add(gz * mask)

    return forward, [(backward, deferred)]


def _plan_sum(low: Lowered, buf: Buffers, g: Group, written, leaf):
    """n-ary sums of m heads with k terms each (products fused in), added row by row."""
    val, grad, pos, one, k, m = buf.val, buf.grad, low.layout.pos_of, low.layout.one, g.rows, g.size
    at = low.term_start[g.ids][None, :] + np.arange(k)[:, None]
    t = low.terms
    a_ix, b_ix, sign = pos[t.a[at]], pos[t.b[at]], t.sign[at]
    product = (b_ix != one).any(axis=1).tolist()
    region = val[g.start : g.out].reshape(k, m)
    sums, gh = val[g.out : g.end], grad[g.out : g.end]
    runs, steps = [], []
    r0 = 0
    while r0 < k:  # rows r0:r1 of one kind (plain terms, or products a * b)
        r1 = r0 + 1
        while r1 < k and product[r1] == product[r0]:
            r1 += 1
        prod = bool(product[r0])
        sg = sign[r0:r1] if (sign[r0:r1] < 0).any() else None
        ra = reader(val, a_ix[r0:r1])
        rb = reader(val, b_ix[r0:r1]) if prod else None
        runs.append((region[r0:r1], prod, ra, rb, sg))
        for ix, other in ((a_ix[r0:r1], rb), (b_ix[r0:r1], ra)) if prod else ((a_ix[r0:r1], None),):
            deferred = _targets(ix, leaf)
            add = into(grad, ix, None if deferred else written)

            # the heads' grads for every row: a fixed broadcast view (made once: it is slow to make)
            spread = np.broadcast_to(gh, (r1 - r0, m))

            def backward(add=add, other=other, sg=sg, spread=spread) -> None:
                gs = spread if sg is None else gh * sg
                add(gs if other is None else other() * gs)

            steps.append((backward, deferred))
        r0 = r1

    def forward() -> None:
        for block, prod, ra, rb, sg in runs:
            if prod:
                np.multiply(ra(), rb(), out=block)
            else:
                np.copyto(block, ra())
            if sg is not None:
                block *= sg
        np.add.reduce(region, axis=0, out=sums)  # in numpy's order (pairwise along a column)

    return forward, steps


def _plan_grid(low: Lowered, buf: Buffers, g: Group, gd: Grid, written, leaf):
    """A grid of DOT nodes: Z = X @ W.T + b; W gets gZ.T @ X, b the columns' sums, X gets gZ @ W."""
    val, grad, pos = buf.val, buf.grad, low.layout.pos_of
    rows, cols = gd.nodes.shape
    z = val[g.start : g.end].reshape(rows, cols)
    gz = grad[g.start : g.end].reshape(rows, cols)
    x_ix, w_ix, b_ix = pos[gd.inputs], pos[gd.weights], pos[gd.bias]
    rw, rb = reader(val, w_ix), reader(val, b_ix)
    to_w = into(grad, w_ix, written)
    to_b = into(grad, b_ix, written)
    x = strided(val, x_ix)
    if x is None:  # X is gathered anyway: into [X, 1], with b as W's last column
        forward, backward = gathered_grid(val, x_ix, rw, rb, z, gz, to_w, to_b)
    else:
        forward, backward = strided_grid(x, rw, rb, z, gz, to_w, to_b)
    deferred = _targets(x_ix, leaf)
    to_x = into(grad, x_ix, None if deferred else written)
    nin = x_ix.shape[1]
    if cols == 1:  # gZ @ W is an outer product: one pass, einsum's where the rows are many
        times = outer if rows * nin >= 32768 else np.multiply
    else:
        times = by_rows(row_blocks(rows, cols * nin), (rows, nin))

    def backward_inputs() -> None:
        if to_x.out is not None:
            times(gz, rw(), out=to_x.out)
        else:
            to_x(times(gz, rw()))

    return forward, [(backward, False), (backward_inputs, deferred)]
