"""The compiled backend's walk and kinds against references made from the eager engine.

``walk(root)`` must give exactly what the engine's order implies: ``topological_order(root)``
(leaves where first met, each interior node once its children are done) numbers every node,
each node's children are listed by those numbers, and each tuple object of an n-ary node's
children is listed once, the first time an n-ary node in that order uses it. The reference
below builds that ``Walk`` in the plainest way; the graphs are made to take each of the walk's
shortcuts (shared tuples known or new, an activation over a DOT whose tuples are known, ...).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd.compiled import CompileError
from micrograd.compiled.rules import KINDS
from micrograd.compiled.walk import Walk, kinds, walk
from micrograd.engine import Value, dot, sum_of, topological_order
from micrograd.nn import MLP


def reference_walk(root: Value) -> Walk:
    """The ``Walk`` of ``root``, numbered in the order of ``topological_order(root)``."""
    every = topological_order(root) if root._a is not None else []  # a leaf root: nothing to walk
    ids: dict = {}
    order: list = []
    leaves: list = []
    for node in every:
        if node._a is None:
            ids[node] = ~len(leaves)
            leaves.append(node)
        else:
            ids[node] = len(order)
            order.append(node)
    lens: list = []
    children: list = []
    tables: list = [[]]  # table 0: the empty tuple (a SUM node's second one)
    table_of = {id(()): 0}
    pairs: list = []
    for i, node in enumerate(order):
        if type(node._a) is tuple:  # an n-ary node: its two tuples' tables
            keys = []
            for t in (node._a, node._b):
                if id(t) not in table_of:
                    table_of[id(t)] = len(tables)
                    tables.append([ids[c] for c in t])
                keys.append(table_of[id(t)])
            lens.append(0)
            pairs += [i, *keys]
        else:
            lens.append(len(node._children))
            children += [ids[c] for c in node._children]
    return Walk(order, lens, children, ids, leaves, tables, pairs)


def check(root: Value) -> None:
    w, ref = walk(root), reference_walk(root)
    assert w.order == ref.order
    assert list(w.ids.items()) == list(ref.ids.items())  # the same ids, given in the same order
    assert w.leaves == ref.leaves
    assert (w.lens, w.children) == (ref.lens, ref.children)
    assert (w.tables, w.pairs) == (ref.tables, ref.pairs)


def make_leaves(n: int) -> list[Value]:
    return [Value(float(k + 1)) for k in range(n)]


def graphs() -> dict:
    """Small graphs, each taking one of the walk's paths (named by the key)."""
    x1, x2, b, w1, w2, c = make_leaves(6)
    w, t = (b, w1, w2), (x1, x2)
    d = dot(w, t)
    s = (x1, x2, x1 * x2)
    only = (x1,)
    return {
        "a leaf root": x1,
        "a child met twice": x1 + x1,
        "a chain": ((x1 + x2) * x1).tanh() - x2,
        "first child known": x1 + x1.relu(),
        "both children known": (x1 + x2) + x1 * x2,
        "first child known, second new": x1 + x1 * (x2 * x2),
        "first child a new leaf": x1.exp() + (x2 * c),
        "n-ary, both tuples new": d,
        "n-ary, first tuple known": d + dot(w, (x2, x1)),
        "n-ary, both tuples known": d + dot(w, t),
        "activation over a DOT, tuples known": d + dot(w, t).relu(),
        "activation over a DOT, first tuple known": d + dot(w, (x2, x1)).relu(),
        "a product over a DOT, other child known": d + dot(w, t) * x1,
        "a product over a DOT, other child new": d + dot(w, t) * c,
        "a product of a DOT and itself": d + dot(w, t) * dot(w, t),
        "a DOT over no inputs": dot(only, ()) + dot(only, ()).tanh(),
        "SUM nodes sharing a tuple": sum_of(s) + sum_of(s).relu() + sum_of(s) * x2,
        "a SUM and a DOT sharing a tuple": sum_of(t) + dot(w, t),
        "equal tuples, different objects": d + dot(w, tuple(list(t))).relu(),
        "one tuple twice in a node": sum_of((d, d, x1)),
    }


@pytest.mark.parametrize("name", list(graphs()))
def test_walk_matches_the_engine_order(name):
    check(graphs()[name])


def test_walk_of_a_leaf_is_empty():
    w = walk(Value(2.0))
    assert w == Walk([], [], [], {}, [], [[]], [])


def test_walk_of_an_mlp_loss_matches_the_engine_order():
    """A small moons-like loss: shared weight and input tuples, relus over DOTs, two long sums."""
    rng = random.Random(7)  # the model's weights do not matter here: the graph's shape does
    model = MLP(2, [8, 8, 1])
    rows = [[Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))] for _ in range(12)]
    labels = [rng.choice((-1.0, 1.0)) for _ in rows]
    scores = [model(r) for r in rows]
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(labels, scores, strict=True)) * (1 / 12)
    check(data_loss + 1e-4 * sum(p * p for p in model.parameters()))


# random DAGs: leaves, unary and binary nodes, and n-ary nodes over a pool of shared tuples
steps = st.lists(
    st.tuples(st.sampled_from(["relu", "tanh", "add", "mul", "dot", "sum", "copy"]), st.integers(0, 999)),
    min_size=1,
    max_size=40,
)


def build(n_leaves: int, recipe: list, root_kind: int) -> Value:
    nodes = make_leaves(n_leaves)
    pool: list[tuple] = [tuple(nodes[:2])]
    for op, k in recipe:
        pick = random.Random(k)
        one = nodes[pick.randrange(len(nodes))]
        if op in ("relu", "tanh"):
            nodes.append(getattr(one, op)())
        elif op in ("add", "mul"):
            other = nodes[pick.randrange(len(nodes))]
            nodes.append(one + other if op == "add" else one * other)
        elif op == "copy":  # a new tuple: of old nodes, or equal to one in the pool
            new = tuple(pick.choice(nodes) for _ in range(pick.randrange(1, 4)))
            pool.append(tuple(list(pick.choice(pool))) if pick.random() < 0.3 else new)
        else:
            t = pick.choice(pool)
            if op == "sum":
                nodes.append(sum_of(t) if len(t) > 2 else sum_of((*t, one, one)))
            else:  # weights: a tuple of the pool that fits, or a new one added to it
                fits = [w for w in pool if len(w) == len(t) + 1]
                if not fits or pick.random() < 0.3:
                    fits = [(one, *t)]
                    pool.append(fits[0])
                nodes.append(dot(pick.choice(fits), t))
    if root_kind == 0:
        return nodes[-1]
    interior = [n for n in nodes if n._a is not None]
    return sum_of((*interior, *nodes[:2])) if root_kind == 1 else sum(interior, nodes[0])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), steps, st.integers(0, 2))
def test_walk_of_random_dags_matches_the_engine_order(n_leaves, recipe, root_kind):
    check(build(n_leaves, recipe, root_kind))


def test_kinds_are_the_primitives_codes():
    x, y = Value(0.5), Value(2.0)
    z = dot((x, y, x), (y, x)) + sum_of((x, y, x)) - x * y / y
    z = (z**2 + (-z) ** y).exp().log().tanh().sigmoid().relu()
    order = topological_order(z, leaves=False)
    codes = kinds(order)
    assert codes.dtype == np.int64
    assert codes.tolist() == [KINDS.index(n._prim.name) for n in order]
    assert {n._prim.name for n in order} == set(KINDS)  # every primitive is in this graph
    assert kinds([]).tolist() == [] and kinds([]).dtype == np.int64


def test_kinds_names_the_first_node_without_a_primitive():
    a, b = Value(1.0), Value(2.0)
    first, second = Value(3.0, (a, b), "@"), Value(4.0, (a,), "?")  # ops named by hand
    order = [a + b, first, second]
    with pytest.raises(CompileError, match=r"op 'opaque' \(symbol '@'\): only the primitives .*add"):
        kinds(order)
    order[1]._prim = None
    with pytest.raises(CompileError, match="op none: only the primitives"):
        kinds(order)
