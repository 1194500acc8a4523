"""Flattening: the graph under a root as integer ids and arrays, in the eager engine's order.

``walk(root)`` is the depth-first walk of ``engine.topological_order(root,
leaves=False)`` (children in order, each node after all of its children) that
also numbers every node and lists its children's ids as it goes: looking each
child up while it is at hand saves a second pass over the graph's objects.
That is why the compiled backend keeps a walk of its own: on the demo's graph
it takes a little less than ``topological_order`` alone, and clearly less than
``topological_order`` followed by the numbering pass that would make the same
``Walk`` (``benchmarks/compile_phases.py`` times the three side by side; the
figures are in benchmarks/README.md). ``tests/test_compile.py`` checks that
both walks give the same order, ``tests/test_walk.py`` every field of the
``Walk`` against one made from the engine's order.

The shared-tuple contract. An n-ary node (SUM, DOT) keeps its children as two
tuples (``_a``, ``_b``), which nodes share: a ``Neuron`` passes one tuple
object of weights to every DOT node it builds, and a layer one tuple of inputs
to its neurons. The walk lists each tuple's ids once, keyed by ``id(tuple)``,
and an n-ary node refers to its two tuples' tables. So equal tuples that are
different objects are correct but slower (listed again), and a tuple must not
be mutated or rebuilt between nodes that share it: ``nn.Neuron`` keeps one
tuple for its parameters for this reason.
"""

from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import numpy as np

from ..engine import Value
from ..primitives import PRIMITIVES
from .rules import KIND, CompileError

__all__ = ["Walk", "Tables", "Edges", "walk", "edges", "kinds"]


class Walk(NamedTuple):
    """What ``walk`` found. An interior node's id is its rank in ``order``; a leaf's is ``~k``
    for the k-th leaf met (``leaves[k]``)."""

    order: list  # the interior nodes, each after its children
    lens: list  # each interior node's number of listed children (an n-ary node's: 0, see pairs)
    children: list  # flat: the listed children's ids, node after node (no list per node)
    ids: dict  # node -> id
    leaves: list  # the leaves, as met
    tables: list  # the ids of each tuple of children met, once per tuple object
    pairs: list  # flat: an n-ary node's id and its two tables, node after node


class Tables(NamedTuple):
    """The n-ary nodes' tuples as arrays: node ``node[j]`` has the tables ``ka[j]`` and ``kb[j]``;
    table t's ids are ``items[start[t] : start[t] + length[t]]``."""

    node: np.ndarray
    ka: np.ndarray
    kb: np.ndarray
    items: np.ndarray
    start: np.ndarray
    length: np.ndarray

    def final_items(self, leaf_id: np.ndarray) -> np.ndarray:
        """The items as final ids (``leaf_id``: the k-th leaf met's; interior ids stay)."""
        items = self.items.copy()
        leaf = items < 0
        items[leaf] = leaf_id[~items[leaf]]
        return items


class Edges(NamedTuple):
    """Every node's number of listed children (a DOT node's: 0, see ``edges``), all the listed
    children's ids node after node, and the tables (None where the graph has no n-ary node)."""

    lens: np.ndarray
    child: np.ndarray
    tables: Tables | None


def walk(root: Value) -> Walk:
    """The interior nodes under ``root`` in the eager engine's order, each child's id, the leaves."""
    w = Walk([], [], [], {}, [], [[]], [])
    order, lens, children, ids, leaves, tables, pairs = w
    table_of: dict[int, int] = {id(()): 0}  # id(tuple) -> its table
    if root._a is None:
        return w
    get, table = ids.get, table_of.get
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
                elif b is not None and type(b) is tuple:  # an n-ary node (b first: most nodes have one child)
                    ka = table(id(a))
                    if ka is None:
                        stack.append((child, iter(a + b), []))
                        break  # back to this node's next child when that one is done
                    kb = table(id(b))
                    if kb is None:  # its first tuple is known (a neuron's weights): only the
                        # second's children are walked, the first's ids are copied
                        stack.append((child, iter(b), tables[ka].copy()))
                        break
                    i = ids[child] = len(order)  # both tuples are known: it is done at once
                    order.append(child)
                    lens.append(0)
                    pairs += (i, ka, kb)
                else:
                    ia = get(a)
                    if ia is None:  # its first child is new: unless that is an n-ary node whose
                        # tuples are known (an activation over a neuron's DOT), it is walked; only
                        # tuples' ids are in table_of (the graph keeps them alive), never a Value's
                        if (
                            (b is not None and b not in ids)
                            or None is (ka := table(id(a._a)))
                            or None is (kb := table(id(a._b)))
                        ):
                            stack.append((child, iter((a,) if b is None else (a, b)), []))
                            break
                        ia = ids[a] = len(order)  # that n-ary node is done at once, then this one
                        order.append(a)
                        lens.append(0)
                        pairs += (ia, ka, kb)
                    elif b is not None and b not in ids:
                        stack.append((child, iter((a, b)), []))
                        break
                    # its children are numbered already: it is done at once (what pushing it
                    # would come to; most products w * x take this path)
                    i = ids[child] = len(order)
                    order.append(child)
                    if b is None:
                        lens.append(1)
                        children.append(ia)
                    else:
                        lens.append(2)
                        children += (ia, ids[b])
            done.append(i)
        else:  # every child is done
            stack.pop()
            i = ids[node] = len(order)
            order.append(node)
            if type(node._a) is tuple:
                lens.append(0)
                pairs += (i, *_tables_of(node, done, tables, table_of))
            else:
                lens.append(len(done))
                children += done
            if stack:
                stack[-1][2].append(i)
    return w


def _tables_of(node: Value, done: list[int], tables: list, table_of: dict) -> tuple[int, int]:
    """The tables of an n-ary node's two tuples, listing a tuple met for the first time."""
    a, b = node._a, node._b
    ka = table_of.get(id(a))
    if ka is None:
        ka = table_of[id(a)] = len(tables)
        tables.append(done[: len(a)])
    kb = table_of.get(id(b))
    if kb is None:
        kb = table_of[id(b)] = len(tables)
        tables.append(done[len(a) :])
    return ka, kb


def edges(w: Walk, dot: np.ndarray) -> Edges:
    """Every node's number of listed children, and all the listed children's ids, node after node.

    A SUM node's children are copied from its tuples' tables by one gather. A DOT node's
    (``dot``: by interior id) are not listed (its count is 0): they are its tables' items,
    which the steps after the walk read from the tables.
    """
    tables, pairs = w.tables, w.pairs
    n = len(w.lens)
    lens = np.array(w.lens, np.int64) if n else np.zeros(0, np.int64)
    plain = np.array(w.children, np.int64) if w.children else np.zeros(0, np.int64)
    if not pairs:
        return Edges(lens, plain, None)
    node, ka, kb = np.array(pairs, np.int64).reshape(-1, 3).T
    tlen = np.fromiter(map(len, tables), np.int64, len(tables))
    tstart = np.cumsum(tlen) - tlen
    flat = np.fromiter(chain.from_iterable(tables), np.int64, int(tlen.sum()))
    found = Tables(node, ka, kb, flat, tstart, tlen)
    listed = ~dot[node]
    if not listed.any():
        return Edges(lens, plain, found)
    node, ka, kb = node[listed], ka[listed], kb[listed]
    lens[node] = tlen[ka] + tlen[kb]
    # the tuples' runs, a then b for each SUM node (in id order, as the edges are)
    run_len = np.stack((tlen[ka], tlen[kb]), axis=1).ravel()
    run_from = np.stack((tstart[ka], tstart[kb]), axis=1).ravel()
    total = int(run_len.sum())
    source = np.repeat(run_from - (np.cumsum(run_len) - run_len), run_len)
    source += np.arange(total)
    child = np.empty(int(lens.sum()), np.int64)
    nary = np.zeros(n, bool)
    nary[node] = True
    nary_edge = np.repeat(nary, lens)
    child[nary_edge] = flat[source]
    child[~nary_edge] = plain
    return Edges(lens, child, found)


def kinds(order: list[Value]) -> np.ndarray:
    """The kind code of every node's primitive, or CompileError for the first that has none."""
    try:  # (a comprehension's attribute loads are quicker than attrgetter("_prim.name"))
        return np.array([KIND[node._prim.name] for node in order], np.int64)
    except (AttributeError, KeyError):  # a node without a primitive, or with one outside the table
        for node in order:
            prim = node._prim
            if prim is None or prim.name not in KIND:
                name = "none" if prim is None else f"{prim.name!r} (symbol {prim.symbol!r})"
                raise CompileError(
                    f"cannot compile a node with op {name}: only the primitives "
                    f"{', '.join(PRIMITIVES)} compile; build the graph from Value operations"
                ) from None
        raise
