"""Lowering: the walked graph as vectorised groups, in named steps from ids to a buffer layout.

Every node gets an integer id (interior nodes: their rank in the eager order;
then the leaves; then PLAIN, the "no second operand" of a plain term), and the
per-node and per-edge facts live in flat numpy arrays indexed by id or by edge.
Python loops run only over the few nodes that remain after flattening. The steps,
in the order ``lower`` runs them:

1. ``number``: the leaves (the given params first) and the edges' final ids;
2. ``operands``: each node's first and second operand and how often it is used;
3. ``flatten``: chains of ``+``/``-`` (Python's ``sum``) join into n-ary sums,
   with their single-use products fused in;
4. ``chain_terms``: each flattened chain's terms, walked down from its head;
5. ``terms``: every sum's and every op's operands, with the sort keys of their
   gradient contributions (eager order), DOT nodes as sums of products;
6. ``levels``: a node's level is one more than its deepest operand;
7. ``layout``: groups of one level and kind, and their place in the buffer.

Summed left to right, a flattened chain's partial sums are its links, so every
rounding is the eager one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..engine import Value
from .levels import levels
from .matrices import Grid, grids
from .rules import KIND, KINDS, CompileError
from .sorting import lexsort
from .walk import Edges, Tables, Walk

__all__ = ["Group", "Graph", "Operands", "Flat", "Chains", "Terms", "Layout", "Vanished", "Lowered"]
__all__ += ["key", "number", "operands", "flatten", "chain_terms", "terms", "dot_terms"]
__all__ += ["layout", "lower"]


@dataclass
class Group:
    """One vectorised operation: the nodes of one level made by one primitive (or n-ary sums)."""

    kind: str  # a primitive name, or "sum" for flattened +/- chains with fused products
    level: int
    ids: np.ndarray  # the output nodes' ids (their ranks in the eager order), latest first
    rows: int = 1  # "sum": terms per head; the region holds the k rows of terms, then the heads
    start: int = 0  # first index of the group's region in the value buffer
    grid: Grid | None = None  # a grid of DOT nodes that is the whole group, its nodes' ids reversed

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


def key(rank, slot, width: int):
    """Sort key of a gradient contribution: eager backward visits later nodes first, and a
    node's children in order (``slot`` < ``width``, the most children any node has)."""
    return -width * rank + slot


class Graph(NamedTuple):
    """The walked graph with final ids: edge e goes from ``child[e]`` into ``parent[e]`` at
    position ``slot[e]``; ``starts[i]`` is node i's first edge."""

    n: int  # interior nodes: ids 0..n-1; the leaves n..n+len(leaves)-1; PLAIN = n+len(leaves)
    leaves: tuple
    params: tuple  # the given params, the first leaves
    leaf_id: np.ndarray  # the final id of the k-th leaf met
    child: np.ndarray
    parent: np.ndarray
    slot: np.ndarray | None  # None where not exact (no keys)
    starts: np.ndarray
    lens: np.ndarray
    width: int  # the most children a node has (at least 2)
    kind: np.ndarray
    dots: Tables  # the DOT nodes' entries of the tables (walk ids): their children

    @property
    def plain(self) -> int:
        return self.n + len(self.leaves)


def number(root: Value, w: Walk, e: Edges, kind: np.ndarray, params: list, slots: bool = True) -> Graph:
    """The leaves: the given params first (also those the root does not depend on: their grads
    stay as they are), then the rest in order of first use (parents in order, children in
    order; a DOT node's children are its tables' items); every leaf edge then holds its leaf's
    final id. ``slots`` False: no ``slot`` (only the exact plan's keys need it)."""
    n, lens, child = len(w.order), e.lens, e.child
    for p in params:
        if not isinstance(p, Value) or p._a is not None:
            raise CompileError(f"params must be leaf Values (e.g. model.parameters()), got {p!r}")
    leaves = list(dict.fromkeys(params))
    given = set(leaves)
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(lens, out=starts[1:])
    parent = np.repeat(np.arange(n), lens)
    dots = _dot_tables(e.tables, kind)
    width = max(
        2, int(lens.max(initial=2)), int((dots.length[dots.ka] + dots.length[dots.kb]).max(initial=2))
    )
    leaf_edge = child < 0
    met_k = ~child[leaf_edge]  # the k of the k-th leaf met, edge after edge
    # a leaf's id: after the interior nodes, the given params first (the k of those met)
    found = [(i, ~k) for i, k in enumerate(map(w.ids.get, leaves)) if k is not None]
    leaf_id = np.zeros(len(w.leaves), np.int64)
    if w.leaves:
        new = np.ones(len(w.leaves), bool)
        if found:
            at, met = np.array(found, np.int64).T
            new[met], leaf_id[met] = False, n + at
        new_k = np.flatnonzero(new)
        first = _first_uses(len(w.leaves), met_k, np.flatnonzero(leaf_edge), parent, starts, dots, width)
        new_k = new_k[np.argsort(first[new_k])]
        leaf_id[new_k] = n + len(leaves) + np.arange(new_k.size)
        leaves += map(w.leaves.__getitem__, new_k.tolist())
    if not w.order:  # the root is a leaf
        leaves = [root]
        given &= {root}
    child[leaf_edge] = leaf_id[met_k]
    slot = starts[parent] if slots else None  # in place: each fresh edge-sized array costs page faults
    if slots:
        np.subtract(np.arange(child.size), slot, out=slot)
    return Graph(
        n,
        tuple(leaves),
        tuple(leaves[: len(given)]),
        leaf_id,
        child,
        parent,
        slot,
        starts,
        lens,
        width,
        kind,
        dots,
    )


def _dot_tables(t: Tables | None, kind: np.ndarray) -> Tables:
    """The tables' entries of the DOT nodes only (all the tables' items kept)."""
    if t is None:
        empty = np.zeros(0, np.int64)
        return Tables(empty, empty, empty, empty, empty, empty)
    is_dot = kind[t.node] == KIND["dot"]
    return Tables(t.node[is_dot], t.ka[is_dot], t.kb[is_dot], *t[3:])


def _first_uses(leaves: int, met_k, leaf_edge, parent, starts, dots: Tables, width: int) -> np.ndarray:
    """Each leaf met's first use, as ``parent * width + slot`` (the order of the edges): over the
    listed edges (``met_k``: the leaf of each leaf edge) and over the DOT nodes' tables."""
    never = np.iinfo(np.int64).max
    first = np.full(leaves, never, np.int64)
    by = parent[leaf_edge]
    np.minimum.at(first, met_k, by * width + (leaf_edge - starts[by]))
    if dots.node.size:  # a table's first use by a DOT node: node * width + the tuple's first slot
        tables = dots.length.size
        table_first = np.full(tables, never, np.int64)
        uses = np.concatenate((dots.ka, dots.kb))
        at = dots.node * width
        np.minimum.at(table_first, uses, np.concatenate((at, at + dots.length[dots.ka])))
        item_table = np.repeat(np.arange(tables), dots.length)
        used = (dots.items < 0) & (table_first[item_table] < never)
        item_table = item_table[used]
        item_slot = np.flatnonzero(used) - dots.start[item_table]
        np.minimum.at(first, ~dots.items[used], table_first[item_table] + item_slot)
    return first


class Operands(NamedTuple):
    """Per-node facts, padded to every id (leaves and PLAIN are none of these)."""

    a_of: np.ndarray  # the first operand
    b_of: np.ndarray  # the second operand, PLAIN where there is none
    uses: np.ndarray  # how many edges lead out of the node (the root: 0)
    binary_sum: np.ndarray  # + or -
    n_ary: np.ndarray  # SUM
    product: np.ndarray  # a product used once


def operands(g: Graph) -> Operands:
    """Each node's operands, uses and the kinds that flattening looks at."""
    n, plain, child, starts, lens, kind = g.n, g.plain, g.child, g.starts, g.lens, g.kind

    def per_id(values) -> np.ndarray:
        out = np.zeros(plain + 1, values.dtype)
        out[:n] = values
        return out

    a_of, b_of = np.full(n, plain), np.full(n, plain)  # a DOT node's: PLAIN (its terms are its own)
    one, two = lens >= 1, lens >= 2
    a_of[one], b_of[two] = child[starts[:-1][one]], child[starts[:-1][two] + 1]
    a_of, b_of = per_id(a_of), per_id(b_of)
    uses = np.bincount(child, minlength=plain + 1)  # the root is nobody's child: 0 uses
    d = g.dots
    if d.node.size:  # every item of a DOT node's tables: one use per DOT node using the table
        table_uses = np.bincount(np.concatenate((d.ka, d.kb)), minlength=d.length.size)
        item_uses = np.repeat(table_uses, d.length)
        inner = d.items >= 0
        uses += np.bincount(d.items[inner], weights=item_uses[inner], minlength=plain + 1).astype(np.int64)
    binary_sum = per_id((kind == KIND["add"]) | (kind == KIND["sub"]))
    n_ary = per_id(kind == KIND["sum"])
    product = per_id(kind == KIND["mul"]) & (uses == 1)
    return Operands(a_of, b_of, uses, binary_sum, n_ary, product)


class Flat(NamedTuple):
    """Which nodes vanish into a sum, and the heads of the flattened chains."""

    absorbed: np.ndarray  # a single-use +/- left child: a link of its parent's chain
    fused: np.ndarray  # a single-use product among the terms of a sum
    grouped: np.ndarray  # the nodes that keep a place of their own (per interior id)
    chain_heads: list  # the tops of +/- chains longer than one node


def flatten(g: Graph, op: Operands) -> Flat:
    """A single-use +/- left child joins its parent's sum, and single-use products among the
    terms of a sum are fused in."""
    n, plain, child, parent = g.n, g.plain, g.child, g.parent
    absorbed = np.zeros(plain + 1, bool)
    link = op.a_of[np.flatnonzero(op.binary_sum)]
    absorbed[link[op.binary_sum[link] & (op.uses[link] == 1)]] = True
    fused = np.zeros(plain + 1, bool)
    fused[child[op.product[child] & (op.binary_sum | op.n_ary)[parent]]] = True
    grouped = ~(fused | absorbed)[:n]
    head = op.binary_sum[:n] & grouped
    plain_op = head & ~(absorbed | fused)[op.a_of[:n]] & ~fused[op.b_of[:n]]  # a + b stays binary
    return Flat(absorbed, fused, grouped, np.flatnonzero(head & ~plain_op).tolist())


class Chains(NamedTuple):
    """The flattened chains' terms, one per entry of ``by`` (the chain node it comes from)."""

    by: np.ndarray  # the bottom link twice (its a and its b), then each node's b
    operand: np.ndarray  # the term's node: the chain node's a or b
    fused: np.ndarray  # the term is a fused product
    slot: np.ndarray  # the term's slot in its chain node: a (0) or b (1)
    sign: np.ndarray  # -1.0 for a subtracted term
    links: tuple  # (links, their heads, rows): a link is the partial sum of its head's first rows
    products: tuple  # (fused products in chains, their heads, signs)


def chain_terms(g: Graph, op: Operands, flat: Flat, term_start, rows) -> Chains:
    """Each chain walked down by id from its head; sets ``term_start`` and ``rows`` of the heads
    (their terms come after the edges' terms)."""
    n, a_of, b_of, kind = g.n, op.a_of, op.b_of, g.kind
    empty = np.zeros(0, np.int64)
    if not flat.chain_heads:
        return Chains(empty, empty, np.zeros(0, bool), empty, np.ones(0), (empty,) * 3, (empty,) * 3)
    up = np.flatnonzero(op.binary_sum[:n] & flat.absorbed[a_of[:n]])  # nodes whose left child is a link
    below = dict(zip(up.tolist(), a_of[up].tolist()))
    by: list[int] = []
    firsts = []  # where each chain starts in ``by``
    for h in flat.chain_heads:
        chain = [h]
        while chain[-1] in below:
            chain.append(below[chain[-1]])
        chain.reverse()  # bottom link first; link j (0-based) is the partial sum in row j + 2
        firsts.append(len(by))
        by.append(chain[0])
        by += chain
    by_ = np.array(by)
    heads = np.array(flat.chain_heads)
    first = np.array(firsts)
    count = np.diff(np.append(first, by_.size))
    head_of = np.repeat(heads, count)
    sl = np.ones(by_.size, np.int64)
    sl[first] = 0
    term_start[heads], rows[heads] = g.child.size + first, count
    it = np.where(sl == 0, a_of[by_], b_of[by_])
    sg = np.where((sl == 1) & (kind[by_] == KIND["sub"]), -1.0, 1.0)
    row = np.arange(by_.size) - np.repeat(first, count)  # the term's row in its sum
    link = (sl == 1) & (by_ != head_of)  # every chain node but the head is a link
    f = flat.fused[it]  # a fused product: its operands, keyed by its own rank
    return Chains(by_, it, f, sl, sg, (by_[link], head_of[link], row[link] + 1), (it[f], head_of[f], sg[f]))


class Terms(NamedTuple):
    """Every term: its operands ``a * b`` (b PLAIN for a plain term), sign and contribution keys
    (the eager order of the gradient contributions: None where not ``exact``, whose plan adds in
    an order of its own)."""

    a: np.ndarray
    b: np.ndarray
    sign: np.ndarray
    key_a: np.ndarray | None
    key_b: np.ndarray | None


def terms(
    g: Graph, op: Operands, flat: Flat, ch: Chains, rows, exact: bool = True
) -> tuple[Terms, np.ndarray]:
    """One term per edge (a node's operands), then the chains'. An edge into an n-ary SUM from a
    fused product is that product's operands; otherwise its child with PLAIN. A DOT node has
    no edges: it gets its ``rows`` here and its terms where a plan needs them (``dot_terms``).
    Where not ``exact`` there are no keys. Also returns the edges into a SUM from fused
    products."""
    child, parent, width, plain = g.child, g.parent, g.width, g.plain
    a_of, b_of = op.a_of, op.b_of
    e = child.size
    size = e + ch.by.size
    t = Terms(
        np.empty(size, np.int64),
        np.full(size, plain),
        np.ones(size),
        np.empty(size, np.int64) if exact else None,
        np.zeros(size, np.int64) if exact else None,
    )
    t.a[:e] = child
    in_sum = np.flatnonzero(flat.fused[child] & op.n_ary[parent])
    fused_child = child[in_sum]
    t.a[in_sum], t.b[in_sum] = a_of[fused_child], b_of[fused_child]
    if exact:
        np.multiply(parent, -width, out=t.key_a[:e])
        t.key_a[:e] += g.slot
        t.key_a[in_sum], t.key_b[in_sum] = key(fused_child, 0, width), key(fused_child, 1, width)
    if ch.by.size:
        f, it = ch.fused, ch.operand
        t.a[e:] = np.where(f, a_of[it], it)
        t.b[e:][f] = b_of[it[f]]
        t.sign[e:] = ch.sign
        if exact:
            t.key_a[e:] = np.where(f, -width * it, ch.slot - width * ch.by)
            t.key_b[e:][f] = 1 - width * it[f]
    rows[g.dots.node] = g.dots.length[g.dots.kb] + 1
    return t, in_sum


def dot_terms(low: Lowered, nodes: np.ndarray) -> Lowered:
    """The DOT nodes ``nodes`` as sums of products, their terms appended to the terms (and their
    ``term_start`` set, in place): DOT (b, w0.., x0..) is the sum of b, w0 * x0, w1 * x1, ...,
    its contributions keyed as its children's slots (where ``exact``: the terms have keys)."""
    g, t = low.graph, low.terms
    d = g.dots
    at = np.searchsorted(d.node, nodes)  # the tables' DOT entries are in id order
    ka, kb = d.ka[at], d.kb[at]
    k = d.length[kb] + 1  # terms per node: the bias, then one per input
    first = np.cumsum(k) - k
    row = np.arange(int(k.sum())) - np.repeat(first, k)
    node, ka, kb = np.repeat(nodes, k), np.repeat(ka, k), np.repeat(kb, k)
    items = d.final_items(g.leaf_id)
    a = items[d.start[ka] + row]
    b = np.where(row > 0, items[d.start[kb] + np.maximum(row - 1, 0)], g.plain)
    new = Terms(a, b, np.ones(a.size), None, None)
    if t.key_a is not None:  # w_j is child 1 + j, x_j child k + j
        new = new._replace(key_a=key(node, row, g.width), key_b=key(node, np.repeat(k, k) + row - 1, g.width))
    low.term_start[nodes] = t.a.size + first
    joined = Terms(*(None if x is None else np.concatenate((x, y)) for x, y in zip(t, new, strict=True)))
    return low._replace(terms=joined)


class Layout(NamedTuple):
    """The groups, and where every node's value is in the buffer: the leaves, then each group's
    region in level order, then a constant 1.0 (at ``one``, PLAIN's position)."""

    groups: list
    top: int  # the highest level
    pos_of: np.ndarray  # id -> position in the value buffer
    one: int
    size: int  # the buffer's length


def layout(g: Graph, members, member_rows, kinds, member_levels, found: list[Grid] = ()) -> Layout:
    """One group per (level, kind, rows), nodes latest first (their gradient contributions then
    fall in eager order); each grid of ``found`` a group of its own, its nodes ``grid.nodes``
    reversed along both axes (latest first where the ranks grow along them)."""
    plain, nl = g.plain, len(g.leaves)
    grid_of = np.zeros(plain + 1, np.int64)
    for k, gd in enumerate(found):
        grid_of[gd.nodes] = k + 1
    grid_of = grid_of[members]
    by = lexsort((-members, grid_of, member_rows, kinds, member_levels))
    members, member_rows, kinds, member_levels = members[by], member_rows[by], kinds[by], member_levels[by]
    grid_of = grid_of[by]
    cuts = np.diff(member_levels) | np.diff(kinds) | np.diff(member_rows) | np.diff(grid_of)
    cuts = np.flatnonzero(cuts) + 1
    bounds = [0, *cuts.tolist(), members.size] if members.size else []
    groups = []
    pos_of = np.zeros(plain + 1, np.int64)
    pos_of[g.n : plain] = np.arange(nl)
    pos = nl
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        ix, gd = members[lo:hi], None
        if grid_of[lo]:
            gd = found[grid_of[lo] - 1]
            ix = gd.nodes[::-1, ::-1].ravel()
        group = Group(KINDS[kinds[lo]], int(member_levels[lo]), ix, int(member_rows[lo]), pos, gd)
        pos_of[ix] = np.arange(group.out, group.end)
        pos = group.end
        groups.append(group)
    pos_of[plain] = pos
    return Layout(groups, max((gr.level for gr in groups), default=0), pos_of, pos, pos + 1)


class Vanished(NamedTuple):
    """The nodes that have no place in the buffer, each as (nodes, their sums' heads, ...)."""

    links: tuple  # chain links, heads, rows: a link is the partial sum of its head's first rows
    chain_products: tuple  # products fused into chains, heads, signs
    sum_products: tuple  # products fused into a SUM, heads


class Lowered(NamedTuple):
    """Everything planning and the program need from lowering."""

    graph: Graph
    order: list  # the interior nodes in the eager order
    ids: dict  # node -> walk id
    operands: Operands
    term_start: np.ndarray  # each node's first term
    terms: Terms
    layout: Layout
    where: np.ndarray  # by walk id (a leaf's ~k read from the end): buffer position, -1 if vanished
    outside: dict  # given params outside the graph (and a root that is a leaf) -> position
    vanished: Vanished
    tables: Tables | None  # the n-ary nodes' tuples (walk ids), None where there is none
    dot: np.ndarray  # which interior ids are DOT nodes
    grids: list  # the grids of DOT nodes (``matrices.Grid``), each a group of its own


def lower(root: Value, w: Walk, e: Edges, kind: np.ndarray, params: list, exact: bool = True) -> Lowered:
    """The steps above, in order. Where not ``exact``, the terms have no keys. The DOT nodes get
    their terms where a plan needs them (``dot_terms``): not inside a grid."""
    g = number(root, w, e, kind, params, exact)
    n = g.n
    op = operands(g)
    flat = flatten(g, op)
    term_start, rows = g.starts[:-1].copy(), g.lens.copy()  # each node's terms (operands)
    ch = chain_terms(g, op, flat, term_start, rows)
    dot = kind == KIND["dot"]
    t, in_sum = terms(g, op, flat, ch, rows, exact)
    sum_kind = op.n_ary[:n] | dot
    sum_kind[flat.chain_heads] = True
    kind[sum_kind] = KIND["sum"]
    members = np.flatnonzero(flat.grouped)
    # DOT nodes: their operands are their tuples' items, levelled by table
    member_levels = levels(members, term_start[members], rows[members], t.a, t.b, n, g.dots)
    member_rows = np.where(sum_kind[members], rows[members], 1)
    level_of = np.zeros(max(n, 1), np.int64)
    level_of[members] = member_levels
    found = grids(g.dots, g.leaf_id, level_of)
    lay = layout(g, members, member_rows, kind[members], member_levels, found)
    where = np.concatenate((np.where(flat.grouped, lay.pos_of[:n], -1), g.leaf_id[::-1] - n))
    # every leaf but a given param is met by the walk (a root that is a leaf: by none)
    outside = {p: i for i, p in enumerate(g.params) if p not in w.ids} if w.order else {root: 0}
    vanished = Vanished(ch.links, ch.products, (g.child[in_sum], g.parent[in_sum]))
    return Lowered(g, w.order, w.ids, op, term_start, t, lay, where, outside, vanished, e.tables, dot, found)
