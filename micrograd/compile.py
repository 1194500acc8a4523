"""The compiled backend: a static scalar graph re-executed as a few vectorised numpy operations.

``micrograd.compile(root)`` records the graph under ``root`` once and returns a
:class:`Program`. ``prog.forward()`` recomputes every node from the leaves'
current ``.data``; ``prog.backward()`` adds d(root)/d(leaf) to every leaf's
``.grad`` exactly like ``root.backward()``. Training keeps the graph's shape
from step to step (same model, same batch), so one compiled program serves
every step: write the parameters, ``forward()``, ``backward()``, read grads.

How it runs. Nodes are grouped by depth (a node's level is one more than its
deepest input) and, within a level, by primitive; each group is one numpy
operation on index arrays into a single value buffer. Chains of ``+``/``-``
(Python's ``sum``) are flattened into n-ary sums with their single-use products
fused in, and a neuron's DOT node is one too, so the demo's 7,577 interior
nodes run as 9 levels of 10 groups. Where an index array is an arithmetic pattern (the same
weights for every point of a batch) it becomes a strided view instead of a
gather.

Training with it (full batch, so the graph's shape never changes)::

    scores, loss = ...                            # build the graph once, eagerly
    prog = micrograd.compile(loss, model.parameters())
    for k in range(steps):
        value = prog.forward()                    # reads the parameters' current .data
        accuracy = ((prog.values(scores) > 0) == (y > 0)).mean()
        model.zero_grad()
        prog.backward()                           # fills every leaf's .grad
        for p in model.parameters():
            p.data -= lr * p.grad

The same loop on arrays (no per-Value attribute traffic; bit-identical): the
params live in ``prog.param_data`` and the other leaves keep the values read
once::

    prog.read_leaves()
    for k in range(steps):
        value = prog.forward_array()
        prog.backward_array()                     # param_grad, as after zero_grad() + backward()
        prog.param_data -= lr * prog.param_grad
    prog.sync_to_values()                         # p.data and p.grad, for the model's users

Exactness. Results are bit for bit those of the eager engine (float64; the
eager engine keeps Python ints where every input is an int): an n-ary sum adds
its terms left to right, the order of the eager chain; every node's gradient
adds its contributions in the order the eager ``backward()`` does (fixed at
compile time; ``np.bincount`` and ``np.add.reduce`` over the outer axis add in
array order); ``exp``, ``log``, ``tanh`` and ``**`` take the C library's
result, as Python's ``math`` does (numpy's own differ in the last bit for a few
percent of inputs), at about 50 ns per element.

Errors. A forward pass raises the eager engine's exceptions (division by zero,
log of a non-positive number, exp or ``**`` overflow, a negative base to a
fractional power), checked after each vectorised operation. Gradients that the
eager engine would refuse with OverflowError (``x ** k`` whose derivative
overflows) come out as ``inf`` here.
"""

from __future__ import annotations

import gc
import math
import operator
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain as _chain
from itertools import repeat
from operator import attrgetter

try:
    import numpy as np
    from numpy.lib.stride_tricks import as_strided
except ImportError as exc:  # numpy is an optional extra
    raise ImportError(
        "micrograd.compile needs numpy: pip install 'micrograd-plus[fast]' (or pip install numpy)"
    ) from exc

from .engine import Value
from .primitives import PRIMITIVES

__all__ = ["compile", "Program", "CompileError", "RULES", "Rule"]


class CompileError(TypeError):
    """The graph cannot be compiled (an op outside the primitive table, or not a Value graph)."""


# --- the primitive table, vectorised ------------------------------------------
# The same table as ``primitives.py``, one rule per primitive name: the forward
# writes into ``out``; the local derivative(s) mirror the eager formulas term for
# term so results agree to the last bit; ``refuse`` marks the elements whose
# eager forward raises. Then the graph is re-evaluated with the eager forwards in
# topological order, so the eager exception, with its message, is raised.


@dataclass(frozen=True)
class Rule:
    """The vectorised forward, local derivative(s) and domain check of one primitive.

    ``forward(out, *inputs)`` writes the outputs into ``out``; ``derivative(z,
    *inputs)`` returns dz/da (unary) or (dz/da, dz/db) (binary) as arrays or
    scalars; ``refuse(z, *inputs)`` returns a mask of the elements that the
    eager engine refuses with an exception, or is None where it refuses none.
    ``pow_const`` takes its exponents ``k`` (a scalar or per-node array) as the
    last input.
    """

    forward: Callable
    derivative: Callable
    refuse: Callable | None = None


def _libm(np_fn: Callable, py_fn: Callable) -> Callable:
    """np_fn, with the C library's result (what Python's float ops give) on every finite element.

    numpy's own exp, log, tanh and power differ from the C library's in the last
    bit for a few percent of inputs; the eager engine uses the C library, so the
    compiled values do too. Non-finite elements keep numpy's inf/nan (where the
    eager engine would raise, ``refuse`` catches them).
    """

    def exact(*args):
        z = np.array(np_fn(*args), dtype=float)
        ok = np.isfinite(z)
        if ok.any():
            z[ok] = list(map(py_fn, *(np.broadcast_to(x, z.shape)[ok].tolist() for x in args)))
        return z

    return exact


_exp = _libm(np.exp, math.exp)
_log = _libm(np.log, math.log)
_tanh = _libm(np.tanh, math.tanh)
_pow = _libm(np.power, operator.pow)


def _sigmoid(out, a):
    e = _exp(-np.abs(a))  # exp(-a) where a >= 0, exp(a) where a < 0: never overflows
    np.copyto(out, np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _base_derivative(a, b):
    """b * a**(b-1), +inf where that power divides by zero (as the eager engine returns)."""
    d = b * _pow(a, b - 1)
    return np.where((a == 0) & (np.asarray(b) - 1 < 0), math.inf, d)


def _exponent_derivative(z, a):
    """a**b * log(a) for a > 0, 0 at a == 0, nan below (PyTorch's convention, as eager)."""
    return np.where(a > 0, z * _log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, math.nan))


def _overflowed(z, *inputs):
    """Non-finite outputs from finite inputs: where Python's float ops raise."""
    bad = ~np.isfinite(z)
    for x in inputs:
        bad &= np.isfinite(x)
    return bad


def _sum_rows(out, terms):
    """Add the rows of ``terms`` (k, m) into ``out`` (m,) left to right, as the eager chain does."""
    if terms.shape[1] > 1:  # np.add.reduce over the outer axis of a C-contiguous array adds row
        np.add.reduce(terms, axis=0, out=out)  # after row (tests guard this)
    else:
        out[0] = np.add.accumulate(terms[:, 0])[-1]


RULES: dict[str, Rule] = {
    # n-ary sums (SUM nodes and flattened +/- chains) run as "sum" groups in Program._plan_sum,
    # and so does DOT: the sum of its bias and the products w_i * x_i
    "sum": Rule(_sum_rows, lambda z, *terms: 1.0),
    "dot": Rule(_sum_rows, lambda z, *terms: 1.0),
    "add": Rule(lambda out, a, b: np.add(a, b, out=out), lambda z, a, b: (1.0, 1.0)),
    "sub": Rule(lambda out, a, b: np.subtract(a, b, out=out), lambda z, a, b: (1.0, -1.0)),
    "mul": Rule(lambda out, a, b: np.multiply(a, b, out=out), lambda z, a, b: (b, a)),
    "div": Rule(
        lambda out, a, b: np.divide(a, b, out=out),
        lambda z, a, b: (1.0 / b, -z / b),
        lambda z, a, b: b == 0,
    ),
    "pow": Rule(
        lambda out, a, b: np.copyto(out, _pow(a, b)),
        lambda z, a, b: (_base_derivative(a, b), _exponent_derivative(z, a)),
        _overflowed,
    ),
    "neg": Rule(lambda out, a: np.negative(a, out=out), lambda z, a: -1.0),
    "pow_const": Rule(
        lambda out, a, k: np.copyto(out, _pow(a, k)),
        lambda z, a, k: _base_derivative(a, k),
        lambda z, a, k: _overflowed(z, a),
    ),
    "exp": Rule(lambda out, a: np.copyto(out, _exp(a)), lambda z, a: z, _overflowed),
    "log": Rule(lambda out, a: np.copyto(out, _log(a)), lambda z, a: 1.0 / a, lambda z, a: a <= 0),
    "tanh": Rule(lambda out, a: np.copyto(out, _tanh(a)), lambda z, a: 1.0 - z * z),
    "sigmoid": Rule(_sigmoid, lambda z, a: z * (1.0 - z)),
    "relu": Rule(
        lambda out, a: np.copyto(out, np.where(a < 0, 0.0, a)),
        lambda z, a: np.where(z > 0, 1.0, 0.0),
    ),
}


# --- strided views for index arrays that are arithmetic patterns ----------------


def _affine_dims(idx) -> list[tuple[int, int]] | None:
    """[(size, stride), ...] innermost first, with idx.ravel()[i] = idx[0] + sum(i_d * stride_d), or None.

    Each dimension is the longest run of equal steps at the front; the array
    fits it when every row of that length steps the same way (one comparison
    over a strided view of the steps), and the rows' first elements are then
    fitted in turn.
    """
    flat = idx.ravel()
    dims = []
    while flat.size > 1:
        steps = np.diff(flat)
        step = steps[0]
        off = steps != step
        run = int(off.argmax()) + 1 if off[off.argmax()] else flat.size
        if flat.size % run:
            return None
        if run < flat.size:  # each row's inner steps (every step but the one between rows)
            inner = as_strided(steps, (flat.size // run, run - 1), (run * steps.itemsize, steps.itemsize))
            if not (inner == step).all():
                return None
        dims.append((run, int(step)))
        flat = flat[::run]
    return dims


def _split(dims: list[tuple[int, int]], cuts: list[int]) -> list[tuple[int, int]]:
    """The same pattern over finer dimensions whose running sizes are ``cuts`` (innermost first)."""
    out, lo = [], 1
    for size, stride in dims:
        hi = lo * size
        for c in (c for c in cuts if lo <= c < hi):
            nxt = min(x for x in cuts + [hi] if x > c)
            out.append((nxt // c, stride * (c // lo)))
        lo = hi
    return out


def _common_shape(patterns: list[list[tuple[int, int]]], n: int) -> list[int] | None:
    """Running sizes (innermost first) that refine every pattern, or None if they do not nest."""
    cuts = sorted({1, n}.union(*({_prod(d[: i + 1]) for i in range(len(d))} for d in patterns)))
    if any(b % a for a, b in zip(cuts, cuts[1:], strict=False)):
        return None
    return cuts[:-1]


def _prod(dims) -> int:
    return math.prod(size for size, _ in dims)


class _Reads:
    """Readers of several same-length index arrays (each into its own buffer), in one shared shape.

    Arithmetic patterns become strided views (no copy); the rest are gathered on
    each ``get``. ``shape`` is the shape every reader returns and every output
    block is reshaped to. A source is ``(buffer, index array)``, or ``(buffer,
    index array, pattern)`` where the caller knows the pattern.
    """

    def __init__(self, sources: list[tuple]) -> None:
        n = sources[0][1].size
        pats = [src[2] if len(src) == 3 else _affine_dims(src[1]) for src in sources]
        cuts = _common_shape([p for p in pats if p is not None], n)
        if cuts is None:  # patterns that do not nest: keep the first, gather the others
            keep = next(i for i, p in enumerate(pats) if p is not None)
            pats = [p if i == keep else None for i, p in enumerate(pats)]
            cuts = _common_shape([pats[keep]], n)
        sizes = [b // a for a, b in zip(cuts, cuts[1:] + [n], strict=False)]
        self.shape = tuple(reversed(sizes))
        self.readers = []
        for (buf, ix, *_), pat in zip(sources, pats, strict=False):
            if pat is None:
                self.readers.append((buf, None, ix.reshape(self.shape)))
            else:
                strides = tuple(s * buf.itemsize for _, s in reversed(_split(pat, cuts)))
                view = as_strided(buf[int(ix.flat[0]) :], self.shape, strides, writeable=False)
                self.readers.append((buf, view, None))

    def get(self, i: int):
        buf, view, ix = self.readers[i]
        return view if view is not None else buf[ix]


# --- the program ---------------------------------------------------------------


@dataclass
class _Group:
    """One vectorised operation: the nodes of one level made by one primitive (or n-ary sums)."""

    kind: str  # a primitive name, or "sum" for flattened +/- chains with fused products
    level: int
    ids: np.ndarray  # the output nodes' ids (their ranks in the eager order), latest first
    rows: int = 1  # "sum": terms per head; the region holds the k rows of terms, then the heads
    start: int = 0  # first index of the group's region in the value buffer

    @property
    def size(self) -> int:
        """How many nodes the group computes (sum heads for "sum")."""
        return self.ids.size

    @property
    def out(self) -> int:
        """Index of the first output node."""
        return self.start + (self.rows * self.size if self.kind == "sum" else 0)

    @property
    def end(self) -> int:
        return self.out + self.size


def _key(rank: int, slot: int, width: int):
    """Sort key of a gradient contribution: eager backward visits later nodes first, and a
    node's children in order (``slot`` < ``width``, the most children any node has)."""
    return -width * rank + slot


def _owner_then_key(owner, key) -> np.ndarray:
    """The permutation sorting by owner, then by key (as ``np.lexsort((key, owner))``), through one
    sort of a combined integer where it fits in 63 bits (half the time of the two-key sort)."""
    if owner.size == 0:
        return np.zeros(0, np.int64)
    k0, span = key.min(), int(key.max() - key.min()) + 1
    if (int(owner.max()) + 1) * span >= 2**62:
        return np.lexsort((key, owner))
    return np.argsort(owner * span + (key - k0), kind="stable")


# kind codes: the primitive names (and "sum") in sorted order, so sorting codes sorts names
_KINDS = sorted(RULES)
_KIND = {name: code for code, name in enumerate(_KINDS)}


def _walk(root: Value) -> tuple[list[Value], list[list[int]], dict[Value, int], list[Value], list, list]:
    """The interior nodes under ``root`` in the eager engine's order, and every child's id.

    The same depth-first walk as ``engine.topological_order(root, leaves=False)`` (children
    in order, each node after all of its children), numbering the nodes as it
    goes: an interior node's id is its rank in that order, a leaf's is ``~k`` for
    the k-th leaf met. Returns the order, each node's children's ids, the ids,
    the leaves as met, and the n-ary nodes' children: an n-ary node keeps its
    children as two tuples, which nodes share (a neuron's weights, a layer's
    inputs), so each tuple's ids are listed once in ``tables`` and an n-ary node
    is the triple (its id, its two tables) in ``pairs`` (flat), with no
    children of its own in ``children``. (Looking each child up while it is at
    hand saves a second pass over the graph's objects, which costs milliseconds
    in cache misses alone on a graph of tens of thousands of nodes.)
    """
    order: list[Value] = []
    children: list[list[int]] = []
    ids: dict[Value, int] = {}
    leaves: list[Value] = []
    tables: list[list[int]] = [[]]  # the ids of each tuple of children met, once
    table_of: dict[int, int] = {id(()): 0}  # id(tuple) -> its table
    pairs: list[int] = []  # an n-ary node's id and its two tables, node after node
    if root._a is None:
        return order, children, ids, leaves, tables, pairs
    get, table = ids.get, table_of.get
    none: list[int] = []
    stack = [(root, iter(root._children), [])]
    while stack:
        node, rest, done = stack[-1]
        for child in rest:
            i = get(child)
            if i is None:  # new (a child met before is done: the graph has no cycles)
                a, b = child._a, child._b
                if a is None:
                    i = ids[child] = ~len(leaves)
                    leaves.append(child)
                elif type(a) is not tuple and (ia := get(a)) is not None and (b is None or b in ids):
                    # its children are numbered already: it is done at once (what pushing it
                    # would come to; most products w * x take this path)
                    i = ids[child] = len(order)
                    order.append(child)
                    children.append([ia] if b is None else [ia, ids[b]])
                elif (
                    type(a) is tuple and (ka := table(id(a))) is not None and (kb := table(id(b))) is not None
                ):
                    i = ids[child] = len(order)  # the same, for an n-ary node whose tuples are known
                    order.append(child)
                    children.append(none)
                    pairs += (i, ka, kb)
                elif (
                    type(a) is not tuple
                    and type(aa := a._a) is tuple
                    and (b is None or b in ids)
                    and a not in ids
                    and None is not (ka := table(id(aa)))
                    and None is not (kb := table(id(a._b)))
                ):  # its one new child is an n-ary node whose tuples are known (an activation
                    # over a neuron's DOT): that node, then this one
                    ia = ids[a] = len(order)
                    order.append(a)
                    children.append(none)
                    pairs += (ia, ka, kb)
                    i = ids[child] = len(order)
                    order.append(child)
                    children.append([ia] if b is None else [ia, ids[b]])
                else:
                    stack.append((child, iter(child._children), []))
                    break  # back to this node's next child when that one is done
            done.append(i)
        else:  # every child is done
            stack.pop()
            i = ids[node] = len(order)
            order.append(node)
            a = node._a
            if type(a) is tuple:
                keys = []
                for t, t_ids in ((a, done[: len(a)]), (node._b, done[len(a) :])):
                    k = table(id(t))
                    if k is None:
                        k = table_of[id(t)] = len(tables)
                        tables.append(t_ids)
                    keys.append(k)
                children.append(none)
                pairs += (i, *keys)
            else:
                children.append(done)
            if stack:
                stack[-1][2].append(i)
    return order, children, ids, leaves, tables, pairs


def _edges(children: list[list[int]], tables: list[list[int]], pairs: list[int]) -> tuple:
    """Every node's number of children, and all the children's ids, node after node (from ``_walk``).

    The n-ary nodes' children are copied from their tuples' tables by one gather.
    The third result is the tables as arrays, for ``_levels``: (the n-ary nodes,
    their two tables, the tables' items end to end, each table's start and
    length), or None.
    """
    n = len(children)
    lens = np.fromiter(map(len, children), np.int64, n)
    plain = np.fromiter(_chain.from_iterable(children), np.int64, int(lens.sum()))
    if not pairs:
        return lens, plain, None
    node, ka, kb = np.array(pairs, np.int64).reshape(-1, 3).T
    tlen = np.fromiter(map(len, tables), np.int64, len(tables))
    tstart = np.cumsum(tlen) - tlen
    flat = np.fromiter(_chain.from_iterable(tables), np.int64, int(tlen.sum()))
    lens[node] = tlen[ka] + tlen[kb]
    # the tuples' runs, a then b for each n-ary node (in id order, as the edges are)
    run_len = np.stack((tlen[ka], tlen[kb]), axis=1).ravel()
    run_from = np.stack((tstart[ka], tstart[kb]), axis=1).ravel()
    total = int(run_len.sum())
    source = np.repeat(run_from - (np.cumsum(run_len) - run_len), run_len) + np.arange(total)
    child = np.empty(int(lens.sum()), np.int64)
    nary = np.zeros(n, bool)
    nary[node] = True
    nary_edge = np.repeat(nary, lens)
    child[nary_edge] = flat[source]
    child[~nary_edge] = plain
    return lens, child, (node, ka, kb, flat, tstart, tlen)


def _kinds(order: list[Value]) -> np.ndarray:
    """The kind code of every node's primitive, or CompileError for the first that has no rule."""
    try:
        return np.fromiter(map(_KIND.__getitem__, map(_prim_name, order)), np.int64, len(order))
    except (AttributeError, KeyError):  # a node without a primitive, or with one outside the table
        for node in order:
            prim = node._prim
            if prim is None or prim.name not in RULES:
                name = "none" if prim is None else f"{prim.name!r} (symbol {prim.symbol!r})"
                raise CompileError(
                    f"cannot compile a node with op {name}: only the primitives "
                    f"{', '.join(PRIMITIVES)} compile; build the graph from Value operations"
                ) from None
        raise


def _levels(members, start, count, term_a, term_b, n: int, shared=None) -> np.ndarray:
    """The level of each of ``members`` (interior ids in the eager order): one more than the
    deepest operand (``term_a``/``term_b`` of its ``count`` terms from ``start``; ids >= n are
    leaves, level 0).

    Every member's level is recomputed from all operands at once, pass after pass,
    until nothing changes: a pass settles one more level, so the demo takes ten
    vectorised passes. A deep graph (a long chain) would take one pass per level:
    after a few, the plain loop in the eager order finishes instead.

    ``shared`` = (nodes, ka, kb, items, tstart, tlen): members whose operands are the
    items of their two tables (DOT nodes; items are walk ids, a leaf's negative). A
    pass finds each table's deepest item once, however many nodes share the table.
    """
    out = np.zeros(members.size, np.int64)
    tabled = shared is not None and shared[0].size > 0
    if tabled:
        snodes, ka, kb, items, tstart, tlen = shared
        alone = ~np.isin(members, snodes, assume_unique=True)  # members: ascending, like snodes
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


class Program:
    """A compiled static graph: ``forward()`` and ``backward()`` re-run it on the leaves' current data.

    Made by ``micrograd.compile(root)``. ``leaves`` lists the graph's leaves in
    the program's order (the ``params`` given to ``compile`` first).
    """

    def __init__(self, root: Value, params: Sequence[Value] | None = None) -> None:
        if not isinstance(root, Value):
            raise CompileError(f"compile() needs the Value at the top of a graph, got {type(root).__name__}")
        self.root = root
        with _no_gc():  # collections would rescan the whole graph: 2-3x the compile time
            try:
                order, children, ids, met, tables, pairs = _walk(root)
            except AttributeError as exc:
                raise CompileError(f"the graph holds a child that is not a Value ({exc})") from None
            lens, child, tabled = _edges(children, tables, pairs)
            self._build(order, lens, child, tabled, ids, met, _kinds(order), list(params or ()))
            self._plan()

    # -- compile time: levels and groups --------------------------------------------
    # Every node gets an integer id (interior nodes: their rank in the eager order;
    # then the leaves; then PLAIN, the "no second operand" of a plain term), and the
    # per-node and per-edge facts live in flat numpy arrays indexed by id or by edge.
    # Python loops run only over the few thousand nodes that remain after flattening.
    def _build(
        self,
        order: list[Value],
        lens: np.ndarray,
        child: np.ndarray,
        tabled: tuple | None,
        ids: dict[Value, int],
        met: list[Value],
        kind: np.ndarray,
        params: list,
    ) -> None:
        n = len(order)
        # the edges: edge e goes from child[e] into parent[e] at position slot[e]
        starts = np.zeros(n + 1, np.int64)
        np.cumsum(lens, out=starts[1:])

        # leaves: the given params first (also those the root does not depend on: their
        # grads stay as they are), then the rest in order of first use (parents in
        # order, children in order)
        for p in params:
            if not isinstance(p, Value) or p._a is not None:
                raise CompileError(f"params must be leaf Values (e.g. model.parameters()), got {p!r}")
        leaves = list(dict.fromkeys(params))
        given = set(leaves)
        leaf_edge = child < 0
        met_k = ~child[leaf_edge]  # the k of the k-th leaf met, edge after edge
        new = np.fromiter(map(given.__contains__, met), bool, len(met))
        np.logical_not(new, out=new)
        new_k = met_k[new[met_k]]
        met_at, first = np.unique(new_k, return_index=True)  # every leaf met is used
        leaves += map(met.__getitem__, met_at[np.argsort(first)].tolist())
        if not order:  # the root is a leaf
            leaves = [self.root]
            given &= {self.root}
        self.leaves = tuple(leaves)
        self.params = tuple(leaves[: len(given)])
        nl = len(leaves)
        plain = n + nl
        final = dict(zip(leaves, range(n, plain)))  # a leaf's id: after the interior nodes
        leaf_id = np.fromiter(map(final.__getitem__, met), np.int64, len(met))
        child[leaf_edge] = leaf_id[met_k]

        parent = np.repeat(np.arange(n), lens)
        slot = np.arange(child.size) - starts[parent]
        width = self._width = max(2, int(lens.max(initial=2)))

        # per-node facts, padded to every id (leaves and PLAIN are none of these)
        def per_id(values) -> np.ndarray:
            out = np.zeros(plain + 1, values.dtype)
            out[:n] = values
            return out

        a_of = per_id(child[starts[:-1]] if n else np.zeros(0, np.int64))
        b_of = per_id(np.where(lens >= 2, child[np.minimum(starts[:-1] + 1, child.size - 1)], plain))
        uses = np.bincount(child, minlength=plain + 1)  # the root is nobody's child: 0 uses
        binary_sum = per_id((kind == _KIND["add"]) | (kind == _KIND["sub"]))
        n_ary = per_id(kind == _KIND["sum"])
        product = per_id(kind == _KIND["mul"]) & (uses == 1)

        # flatten +/- chains: a single-use +/- left child joins its parent's sum, and
        # single-use products among the terms of a sum are fused in; summed left to right,
        # the partial sums are the chain's links, so every rounding is the eager one
        absorbed = np.zeros(plain + 1, bool)
        link = a_of[np.flatnonzero(binary_sum)]
        absorbed[link[binary_sum[link] & (uses[link] == 1)]] = True
        fused = np.zeros(plain + 1, bool)
        fused[child[product[child] & (binary_sum | n_ary)[parent]]] = True
        grouped = ~(fused | absorbed)[:n]
        head = binary_sum[:n] & grouped
        plain_op = head & ~(absorbed | fused)[a_of[:n]] & ~fused[b_of[:n]]  # a + b stays binary
        chain_heads = np.flatnonzero(head & ~plain_op).tolist()

        # +/- chains (a few hundred nodes in all): walked down by id from each head; their
        # terms come after the edges'. The vanished nodes, as ids, become Values on first
        # use (see _vanished): (links, heads, rows) and (fused products in chains, heads, signs)
        term_start, rows = starts[:-1].copy(), lens.copy()  # each node's terms (operands)
        self._chain_links = self._chain_products = (np.zeros(0, np.int64),) * 3
        by_ = np.zeros(0, np.int64)  # per chain term, the chain node it comes from
        if chain_heads:
            up = np.flatnonzero(binary_sum[:n] & absorbed[a_of[:n]])  # nodes whose left child is a link
            below = dict(zip(up.tolist(), a_of[up].tolist()))
            by: list[int] = []  # the bottom link twice (its a and its b), then each node's b
            firsts = []  # where each chain starts in ``by``
            for h in chain_heads:
                chain = [h]
                while chain[-1] in below:
                    chain.append(below[chain[-1]])
                chain.reverse()  # bottom link first; link j (0-based) is the partial sum in row j + 2
                firsts.append(len(by))
                by.append(chain[0])
                by += chain
            by_ = np.array(by)
            heads = np.array(chain_heads)
            first = np.array(firsts)
            count = np.diff(np.append(first, by_.size))
            head_of = np.repeat(heads, count)
            sl = np.ones(by_.size, np.int64)  # the slot the term has in its node: a (0) or b (1)
            sl[first] = 0
            term_start[heads], rows[heads] = child.size + first, count
            it = np.where(sl == 0, a_of[by_], b_of[by_])
            sg = np.where((sl == 1) & (kind[by_] == _KIND["sub"]), -1.0, 1.0)
            row = np.arange(by_.size) - np.repeat(first, count)  # the term's row in its sum
            link = (sl == 1) & (by_ != head_of)  # every chain node but the head is a link
            self._chain_links = by_[link], head_of[link], row[link] + 1
            f = fused[it]  # a fused product: its operands, keyed by its own rank
            self._chain_products = it[f], head_of[f], sg[f]

        # terms: one per edge (a node's operands), then the chains'. An edge into an n-ary
        # SUM from a fused product is that product's operands; otherwise its child with
        # PLAIN, or with a DOT's input (below). Sort keys: _key.
        e = child.size
        size = e + by_.size
        term_a, term_b = np.empty(size, np.int64), np.full(size, plain)
        term_key_a, term_key_b = np.empty(size, np.int64), np.zeros(size, np.int64)
        term_sign = np.ones(size)
        term_a[:e] = child
        np.multiply(parent, -width, out=term_key_a[:e])
        term_key_a[:e] += slot
        in_sum = np.flatnonzero(fused[child] & n_ary[parent])
        fused_child = child[in_sum]
        term_a[in_sum], term_b[in_sum] = a_of[fused_child], b_of[fused_child]
        term_key_a[in_sum], term_key_b[in_sum] = -width * fused_child, 1 - width * fused_child
        if by_.size:
            term_a[e:] = np.where(f, a_of[it], it)
            term_b[e:][f] = b_of[it[f]]
            term_sign[e:] = sg
            term_key_a[e:] = np.where(f, -width * it, sl - width * by_)
            term_key_b[e:][f] = 1 - width * it[f]

        # DOT (b, w0.., x0..): a sum of the terms b, w0 * x0, w1 * x1, ...; its first n + 1
        # edges become the terms, each weight paired with the input n edges further on
        dot = kind == _KIND["dot"]
        if dot.any():  # every DOT node is in the tables
            node, _, kb, _, _, tlen = tabled
            dn = node[dot[node]]
            inputs = tlen[kb[dot[node]]]
            after = np.repeat(inputs, inputs)  # how far each weight's input is
            weight = np.repeat(starts[dn] + 1 - (np.cumsum(inputs) - inputs), inputs) + np.arange(after.size)
            term_b[weight] = child[weight + after]
            term_key_b[weight] = term_key_a[weight] + after
            rows[dn] = inputs + 1
        sum_kind = n_ary[:n] | dot
        sum_kind[chain_heads] = True
        kind[sum_kind] = _KIND["sum"]
        self._in_sum = child[in_sum], parent[in_sum]  # products fused into a SUM, and their heads

        # levels: a node's level is one more than its deepest operand (leaves: 0)
        members = np.flatnonzero(grouped)
        shared = None  # DOT nodes: their operands are their tuples' items, levelled by table
        if tabled is not None:
            node, ka, kb, *rest = tabled
            is_dot = dot[node]
            shared = (node[is_dot], ka[is_dot], kb[is_dot], *rest)
        levels = _levels(members, term_start[members], rows[members], term_a, term_b, n, shared)

        # groups: one per (level, kind, rows), nodes latest first (their gradient
        # contributions then fall in eager order)
        member_rows = np.where(sum_kind[members], rows[members], 1)
        kinds = kind[members]
        by = np.lexsort((-members, member_rows, kinds, levels))
        members, member_rows, kinds, levels = members[by], member_rows[by], kinds[by], levels[by]
        cuts = np.flatnonzero(np.diff(levels) | np.diff(kinds) | np.diff(member_rows)) + 1
        bounds = [0, *cuts.tolist(), members.size] if members.size else []
        self._groups = []
        pos_of = np.zeros(plain + 1, np.int64)  # id -> position in the value buffer
        pos_of[n:plain] = np.arange(nl)
        pos = nl
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            ix = members[lo:hi]
            g = _Group(_KINDS[kinds[lo]], int(levels[lo]), ix, int(member_rows[lo]), pos)
            pos_of[ix] = np.arange(g.out, g.end)
            pos = g.end
            self._groups.append(g)
        self._top = max((g.level for g in self._groups), default=0)

        # the value buffer: leaves, then each group's region in level order, then a constant 1.0
        self._one = pos_of[plain] = pos
        self._val = np.zeros(pos + 1)
        self._val[self._one] = 1.0
        self._grad = np.zeros(pos + 1)
        # where each node is: by its walk id (interior: its rank; the k-th leaf met: ~k, read
        # from the end), -1 for a node that vanished into a sum; given params outside the graph
        # (and a root that is a leaf) in a dict
        self._ids = ids
        self._where = np.concatenate((np.where(grouped, pos_of[:n], -1), leaf_id[::-1] - n))
        self._outside = {leaf: i for i, leaf in enumerate(leaves) if leaf not in ids}
        self._order, self._n = order, n
        self._pos_of, self._a_of, self._b_of = pos_of, a_of, b_of
        self._term_start = term_start
        self._terms = term_a, term_b, term_sign, term_key_a, term_key_b
        self._inner: dict | None = None  # built on first use (reading a vanished node)

    # -- compile time: index arrays, views, buffers ------------------------------------
    def _plan(self) -> None:
        """Precompute every index array, view and buffer that the passes use."""
        nl = len(self.leaves)
        # gradient contributions, each to a slot of the buffer C: (owners, eager keys, first slot);
        # C[0:nl] holds the leaves' incoming .grad, added first
        first = _key(self._n + 1, 0, self._width)
        contributions: list[tuple] = [(np.arange(nl), np.full(nl, first), 0)]
        nc = nl
        self._fwd: list[Callable] = []
        self._bwd: dict[int, list[Callable]] = {}
        for g in sorted(self._groups, key=lambda g: -g.level):  # C laid out in backward order
            plan = self._plan_sum if g.kind == "sum" else self._plan_op
            fwd, bwd, nc = plan(g, nc, contributions)
            self._fwd.append(fwd)
            self._bwd.setdefault(g.level, []).append(bwd)
        self._fwd.reverse()
        self._c = np.zeros(nc)

        # which contributions add into which node, in eager order: all of them sorted by owner,
        # then by key, once. The blocks of C follow one another, so a contribution's slot is its
        # position in the concatenation. Buffer positions run params, other leaves, then level
        # after level, so each level's owners are one stretch of the sorted owners.
        owner = np.concatenate([o for o, _, _ in contributions])
        key = np.concatenate([k for _, k, _ in contributions])
        slot = _owner_then_key(owner, key)
        owner, key = owner[slot], key[slot]
        bounds = {0: (0, nl)}
        for g in self._groups:
            lo, hi = bounds.get(g.level, (g.start, g.end))
            bounds[g.level] = (min(lo, g.start), max(hi, g.end))

        def owned_by(lo: int, hi: int) -> tuple:
            """The owners, keys and slots of the contributions to positions lo..hi-1."""
            a, b = np.searchsorted(owner, [lo, hi]).tolist()
            return owner[a:b], key[a:b], slot[a:b]

        npar = len(self.params)
        self._gather: dict[int, list[Callable]] = {0: self._reduction(*owned_by(0, npar), 0, npar)}
        for lv in range(1, self._top):
            self._gather[lv] = self._reduction(*owned_by(*bounds[lv]), *bounds[lv])
        # the other leaves' grads (which the array path skips); the constant 1.0's are dropped
        self._leaf_rest = self._reduction(*owned_by(npar, nl), npar, nl)

    def _reduction(self, o, k, s, lo: int, hi: int) -> list[Callable]:
        """Steps setting grad[lo:hi] to the sum of the contributions c[s] owned by each node o, in
        eager order (given owner by owner, each in ascending key k): nodes with the same number
        of contributions are added row by row (sequential, exact); the rest by one ordered
        bincount."""
        grad, c = self._grad, self._c
        if hi <= lo:
            return []
        counts = np.bincount(o - lo, minlength=hi - lo)
        first = np.concatenate(([0], np.cumsum(counts)))
        members = np.bincount(counts)  # how many nodes have 0, 1, 2, ... contributions
        sizes = np.flatnonzero(members[1:]) + 1
        classes = sizes[np.argsort(-members[sizes], kind="stable")][:6].tolist()  # the biggest
        rest = counts > 0  # a few big classes row by row, the rest by bincount
        for n in classes:
            rest &= counts != n
        steps = []
        if rest.any() or not classes:
            sel = np.repeat(rest, counts)
            ro, rs = o[sel], s[sel]
            same = ro[1:] == ro[:-1]
            in_order = bool(np.all(rs[1:][same] > rs[:-1][same]))
            perm = np.argsort(rs if in_order else k[sel], kind="stable")  # bincount adds in array order
            ro, src = ro[perm] - lo, rs[perm]
            if src.size and np.array_equal(src, np.arange(src[0], src[0] + src.size)):
                src = slice(int(src[0]), int(src[0]) + src.size)  # contiguous: no gather

            def bincount() -> None:
                grad[lo:hi] = np.bincount(ro, weights=c[src], minlength=hi - lo)

            steps.append(bincount)
        for n in classes:  # after the bincount, which writes the whole range
            targets = np.flatnonzero(counts == n)
            src2d = (first[targets][None, :] + np.arange(n)[:, None]).ravel()
            src2d = s[src2d].reshape(n, targets.size)
            steps.append(self._rows(src2d, lo + targets))
        return steps

    def _rows(self, src2d, pos) -> Callable:
        """A step adding the rows of c[src2d] (contributions x nodes) into grad[pos], row after row."""
        grad, c = self._grad, self._c
        per, t = src2d.shape
        if np.array_equal(pos, np.arange(pos[0], pos[0] + pos.size)):
            pos = slice(int(pos[0]), int(pos[0]) + pos.size)
        reads = _Reads([(c, src2d)])
        rows = np.empty(src2d.shape)
        if reads.readers[0][1] is None:  # a gather
            ix = src2d.copy()

            def fill() -> None:
                np.take(c, ix, out=rows)
        else:
            view, shaped = reads.readers[0][1], rows.reshape(reads.shape)

            def fill() -> None:
                np.copyto(shaped, view)

        if t == 1:  # one node: a sequential running sum (add.reduce of a column could go pairwise)

            def add_rows() -> None:
                fill()
                grad[pos] = np.add.accumulate(rows[:, 0])[-1]
        elif per == 1:

            def add_rows() -> None:
                fill()
                grad[pos] = rows[0]
        else:  # np.add.reduce over the outer axis of a C-contiguous array adds row after row

            def add_rows() -> None:
                fill()
                grad[pos] = np.add.reduce(rows, axis=0)

        return add_rows

    def _plan_op(self, g: _Group, nc: int, contributions: list):
        """One primitive on m nodes: z = f(a[, b]); contributions da * g and db * g."""
        val, grad, pos_of, rule = self._val, self._grad, self._pos_of, RULES[g.kind]
        m = g.size
        ixs = [pos_of[self._a_of[g.ids]]]
        if PRIMITIVES[g.kind].arity == 2:
            ixs.append(pos_of[self._b_of[g.ids]])
        reads = _Reads([(val, ix) for ix in ixs])
        shape, arity = reads.shape, len(ixs)
        z = val[g.start : g.end].reshape(shape)
        gz = grad[g.start : g.end].reshape(shape)
        extra = ()
        if g.kind == "pow_const":  # exponents: one number, or one per node
            ks = np.array([float(self._order[i]._prim.const) for i in g.ids.tolist()])
            extra = (float(ks[0]),) if np.all(ks == ks[0]) else (ks.reshape(shape),)
        ranks = g.ids
        blocks = []
        for slot, ix in enumerate(ixs):
            contributions.append((ix, _key(ranks, slot, self._width), nc))
            blocks.append(self._cview(nc, m, shape))
            nc += m

        def forward() -> None:
            inputs = [reads.get(i) for i in range(arity)]
            rule.forward(z, *inputs, *extra)
            if rule.refuse is not None:
                if rule.refuse(z, *inputs, *extra).any():
                    self._replay()

        def backward() -> None:
            inputs = [reads.get(i) for i in range(arity)]
            local = rule.derivative(z, *inputs, *extra)
            for d, block in zip(local if arity == 2 else (local,), blocks, strict=True):
                np.multiply(d, gz, out=block())

        return forward, backward, nc

    def _plan_sum(self, g: _Group, nc: int, contributions: list):
        """n-ary sums of m heads with k terms each (products fused in), accumulated row by row."""
        val, grad, pos_of, one, k, m = self._val, self._grad, self._pos_of, self._one, g.rows, g.size
        add_rows = RULES["sum"].forward
        # (k, m) tables: term j of head i in column i (a plain term's b is PLAIN: the constant 1.0)
        at = self._term_start[g.ids][None, :] + np.arange(k)[:, None]
        term_a, term_b, term_sign, term_key_a, term_key_b = self._terms
        a_ix, b_ix, sign = pos_of[term_a[at]], pos_of[term_b[at]], term_sign[at]
        key_a, key_b = term_key_a[at], term_key_b[at]
        heads = np.arange(g.out, g.end)
        product = (b_ix != one).any(axis=1)
        region = val[g.start : g.out].reshape(k, m)
        sums = val[g.out : g.end]
        runs = []  # rows r0:r1 of one kind (plain terms, or products a * b)
        product = product.tolist()
        r0 = 0
        while r0 < k:
            r1 = r0 + 1
            while r1 < k and product[r1] == product[r0]:
                r1 += 1
            # every row reads the heads' grads: the pattern (m, 1) then (rows, 0)
            head_pattern = [(m, 1)] * (m > 1) + [(r1 - r0, 0)] * (r1 - r0 > 1)
            sources = [(val, a_ix[r0:r1]), (grad, np.broadcast_to(heads, (r1 - r0, m)), head_pattern)]
            if product[r0]:
                sources.append((val, b_ix[r0:r1]))
            reads = _Reads(sources)
            n = (r1 - r0) * m
            sg = sign[r0:r1].reshape(reads.shape) if (sign[r0:r1] < 0).any() else None
            contributions.append((a_ix[r0:r1].ravel(), key_a[r0:r1].ravel(), nc))
            blocks = [self._cview(nc, n, reads.shape)]
            nc += n
            if product[r0]:
                contributions.append((b_ix[r0:r1].ravel(), key_b[r0:r1].ravel(), nc))
                blocks.append(self._cview(nc, n, reads.shape))
                nc += n
            runs.append((region[r0:r1].reshape(reads.shape), bool(product[r0]), reads, sg, blocks))
            r0 = r1

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

    def _cview(self, start: int, n: int, shape: tuple) -> Callable:
        """A block of the contribution buffer, reshaped (the buffer is allocated after planning)."""
        return lambda: self._c[start : start + n].reshape(shape)

    # -- run time -------------------------------------------------------------------
    def forward(self, write_back: bool = False) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value.

        With ``write_back=True`` every interior node's ``.data`` is updated too
        (one Python assignment per node: for drawing the graph, not for speed).
        """
        self.read_leaves()
        value = self.forward_array()
        if write_back:
            for node in self._order:
                node.data = self.value_of(node)
        return value

    def backward(self, write_back: bool = False) -> None:
        """Add d(root)/d(leaf) to every leaf's ``.grad`` like ``root.backward()``; call after ``forward()``.

        With ``write_back=True`` every interior node's ``.grad`` is set as the
        eager ``backward()`` leaves it.
        """
        if not self._groups:  # the root is a leaf: d(root)/d(root) accumulates
            self.root.grad += 1.0
            return
        leaves, grad, c = self.leaves, self._grad, self._c
        n = len(leaves)
        c[:n] = np.fromiter(map(_grad, leaves), float, n)
        self._run_backward(self._leaf_rest)
        for leaf, g in zip(leaves, grad[:n].tolist(), strict=True):
            leaf.grad = g
        if write_back:
            for node in self._order:
                node.grad = self.grad_of(node)

    def _run_backward(self, leaf_steps: list[Callable]) -> None:
        """Every level's grads from the root down: add each level's contributions, then pass them on."""
        grad, gather, bwd = self._grad, self._gather, self._bwd
        with np.errstate(all="ignore"):
            grad[self._position(self.root)] = 1.0
            for lv in range(self._top, 0, -1):
                if lv < self._top:
                    for step in gather[lv]:
                        step()
                for step in bwd[lv]:
                    step()
            for step in gather[0]:  # the params' grads
                step()
            for step in leaf_steps:
                step()

    # -- run time, on arrays: the training fast path ----------------------------------
    @property
    def param_data(self) -> np.ndarray:
        """The values of ``prog.params`` inside the program (a writable float64 view).

        ``forward()`` fills it from the params' ``.data``; ``forward_array()``
        reads it. Update it in place (``prog.param_data -= lr * prog.param_grad``).
        """
        return self._val[: len(self.params)]

    @param_data.setter
    def param_data(self, values) -> None:  # so that ``prog.param_data -= ...`` works
        self._val[: len(self.params)] = values

    @property
    def param_grad(self) -> np.ndarray:
        """The gradients of ``prog.params`` from the last ``backward()`` or ``backward_array()`` (a view)."""
        return self._grad[: len(self.params)]

    def forward_array(self) -> float:
        """``forward()`` without touching any Value: the params' values come from ``param_data``.

        The other leaves (inputs, constants) keep the values the last
        ``forward()`` (or ``read_leaves()``) read; a training loop over a fixed
        batch calls ``read_leaves()`` once, then ``forward_array()`` every step.
        """
        with np.errstate(all="ignore"):
            for step in self._fwd:
                step()
        return float(self._val[self._position(self.root)])

    def backward_array(self) -> np.ndarray:
        """Set ``param_grad`` to d(root)/d(params), what ``zero_grad()`` then ``backward()`` leaves in
        the params' ``.grad`` (bit for bit), without touching any Value; call after a forward pass.

        The other leaves get no gradient. Returns ``param_grad``.
        """
        if not self._groups:  # the root is a leaf
            self.param_grad[:] = 1.0
            return self.param_grad
        self._c[: len(self.params)] = 0.0  # zero_grad: the incoming grads
        self._run_backward([])
        return self.param_grad

    def read_leaves(self) -> None:
        """Read every leaf's current ``.data`` (params into ``param_data``) without computing anything."""
        n = len(self.leaves)
        self._val[:n] = np.fromiter(map(_data, self.leaves), float, n)

    def sync_to_values(self) -> None:
        """Write ``param_data`` into the params' ``.data`` and ``param_grad`` into their ``.grad``."""
        for p, v, g in zip(self.params, self.param_data.tolist(), self.param_grad.tolist(), strict=True):
            p.data, p.grad = v, g

    def value_of(self, node: Value) -> float:
        """The value ``node`` had in the last ``forward()`` (any node of the graph)."""
        return self._read(node, grad=False)

    def values(self, nodes: Iterable[Value]) -> np.ndarray:
        """The values of ``nodes`` in the last ``forward()``, as a float64 array."""
        nodes = list(nodes)
        try:
            where = self._where[np.fromiter(map(self._ids.__getitem__, nodes), np.int64, len(nodes))]
        except (KeyError, TypeError):  # a node outside the walk, or not a Value: one at a time
            where = np.full(1, -1)
        if (where < 0).any():  # a node that vanished into a sum
            return np.array([self._read(n, grad=False) for n in nodes], dtype=float)
        return self._val[where]

    def grad_of(self, node: Value) -> float:
        """The gradient the last ``backward()`` gave ``node`` (a leaf's: its accumulated ``.grad``)."""
        return self._read(node, grad=True)

    def _position(self, node: Value) -> int | None:
        """``node``'s index in the value and grad buffers, None if it vanished into a sum.

        KeyError if it is not a node of this graph.
        """
        i = self._ids.get(node) if isinstance(node, Value) else None
        if i is None:
            if node in self._outside:
                return self._outside[node]
            raise KeyError(f"{node!r} is not a node of this compiled graph")
        p = int(self._where[i])
        return p if p >= 0 else None

    def _read(self, node: Value, grad: bool) -> float:
        buf = self._grad if grad else self._val
        p = self._position(node)
        if p is not None:
            return float(buf[p])
        head, row, sign = self._vanished()[node]  # a link of a flattened sum, or a fused product
        if grad:  # every link passes on the head's grad; a term receives +-1.0 times it
            return sign * float(self._grad[self._position(head)])
        if row is None:
            return float(self._val[self._position(node._a)] * self._val[self._position(node._b)])
        p = self._position(head)
        g = next(g for g in self._groups if g.out <= p < g.end)
        i = p - g.out
        terms = self._val[g.start : g.out].reshape(g.rows, g.size)[:row, i]
        return float(np.add.accumulate(terms)[-1])  # the eager chain's partial sum

    def _vanished(self) -> dict[Value, tuple]:
        """Each node that has no place in the buffer -> (its sum's head, row | None, sign).

        A link of a flattened chain is the partial sum of its head's first ``row``
        terms; a fused product (row None) is a term, added with ``sign``. Built on
        first use (reading or writing back a vanished node), not when compiling.
        """
        if self._inner is None:
            node = self._order.__getitem__
            links, heads, rows = (x.tolist() for x in self._chain_links)
            inner = dict(zip(map(node, links), zip(map(node, heads), rows, repeat(1.0))))
            products, heads, signs = (x.tolist() for x in self._chain_products)
            inner.update(zip(map(node, products), zip(map(node, heads), repeat(None), signs)))
            products, heads = (x.tolist() for x in self._in_sum)
            inner.update(zip(map(node, products), zip(map(node, heads), repeat(None), repeat(1.0))))
            self._inner = inner
        return self._inner

    def _replay(self) -> None:
        """Some input is refused: evaluate eagerly, in topological order, so the first refusal raises.

        (Where several nodes fail, this is the first in the order ``backward()``
        uses; rebuilding the graph eagerly would report the first one built.)
        """
        vals = {leaf: leaf.data for leaf in self.leaves}
        for node in self._order:  # children before parents, as the graph was built
            vals[node] = node._prim.forward(*[vals[child] for child in node._children])

    def __repr__(self) -> str:
        return (
            f"Program(nodes={len(self._order)}, leaves={len(self.leaves)}, "
            f"levels={self._top}, groups={len(self._groups)})"
        )


class _no_gc:
    """Pause the cycle collector inside one call, and restore it on every exit.

    Compiling allocates several small objects per node; each collection they
    trigger would rescan the whole (large, alive) graph.
    """

    def __enter__(self) -> None:
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self.collecting:
            gc.enable()


_data = attrgetter("data")
_prim_name = attrgetter("_prim.name")
_grad = attrgetter("grad")


def compile(root: Value, params: Sequence[Value] | None = None) -> Program:
    """Compile the static graph under ``root`` into a :class:`Program` (see the module docstring).

    ``params``: leaves to number first, in this order (e.g. ``model.parameters()``);
    a model's weights in order make the batch's index arrays arithmetic, so they
    are read as strided views instead of gathered.
    """
    return Program(root, params)


class _CallableModule(types.ModuleType):
    """Importing ``micrograd.compile`` makes the package attribute this module: keep it callable."""

    def __call__(self, root: Value, params: Sequence[Value] | None = None) -> Program:
        return compile(root, params)


sys.modules[__name__].__class__ = _CallableModule
