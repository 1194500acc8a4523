"""The compiled backend against the eager engine: every primitive, random DAGs, the demo, errors.

The eager engine is the reference here (it is itself checked against PyTorch and
finite differences); the compiled program must reproduce its values and
gradients within 1e-12 relative, and the printed trace of the moons demo of Karpathy's micrograd
notebook.
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
from conftest import moons_demo_trace
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import micrograd
from micrograd.compiled import RULES, SUMS, CompileError, Program
from micrograd.compiled.program import compile_steps
from micrograd.compiled.rules import KIND
from micrograd.compiled.walk import edges, kinds, walk
from micrograd.engine import Value, dot, sum_of, topological_order
from micrograd.nn import MLP
from micrograd.primitives import PRIMITIVES

REL = 1e-12


def close(x: float, y: float, rel: float = REL) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or abs(x - y) <= rel * max(abs(x), abs(y))


def same(x: float, y: float) -> bool:
    """Equal, nan equal to nan."""
    return x == y or (math.isnan(x) and math.isnan(y))


def rel_err(x: float, y: float) -> float:
    if x == y or (math.isnan(x) and math.isnan(y)):
        return 0.0
    return abs(x - y) / max(abs(x), abs(y))


# --- a random expression DAG as a replayable recipe ---------------------------------------
UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "pow_const"]
BINARY = ["add", "sub", "mul", "div", "pow", "sum", "dot"]


def apply(op: str, args: list[Value], k: float) -> Value:
    a = args[0]
    # log and fractional powers take a square, out of their domain only at 0 (few graphs discarded)
    if op == "neg":
        return -a
    if op == "pow_const":
        return a**k if float(k).is_integer() else (a * a) ** k
    if op == "log":
        return (a * a).log()
    if op in ("exp", "tanh", "sigmoid", "relu"):
        return getattr(a, op)()
    b = args[1]
    if op == "sum":  # an n-ary node, the same child twice
        return sum_of([a, b, a])
    if op == "dot":  # b + w0*x0 + w1*x1 with shared children
        return dot((a, b, a), (b, a * b))
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    return a / b if op == "div" else (a * a) ** b


def under(root: Value) -> set:
    """Every node of the graph under root (the ones a compiled program knows)."""
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def build(recipe: list, values: list[float]) -> tuple[list[Value], list[Value], Value]:
    """Leaves from ``values``, then each step of the recipe; the root is a left-to-right chain
    over every node (so each can raise), with products and shared subexpressions mixed in."""
    leaves = [Value(v) for v in values]
    nodes = list(leaves)
    for op, ix, k in recipe[:-1]:
        nodes.append(apply(op, [nodes[i % len(nodes)] for i in ix], k))
    _, picks, _ = recipe[-1]
    chosen = [nodes[i % len(nodes)] for i in picks] + nodes[len(leaves) :]  # every node counts
    root = sum(c * nodes[(i * 7) % len(nodes)] if i % 3 == 0 else c for i, c in enumerate(chosen))
    root = root - chosen[0] * chosen[-1] + chosen[-1]
    return leaves, nodes, root


step = st.tuples(
    st.sampled_from(UNARY + BINARY + ["add", "add", "mul", "sub"]),
    st.lists(st.integers(0, 10_000), min_size=2, max_size=2),
    st.sampled_from([2, 3, -1, 0.5, -2.5, 1.5]),
)
leaf_value = st.floats(-3, 3, allow_nan=False).filter(lambda x: abs(x) > 1e-3)
recipes = st.tuples(
    st.lists(leaf_value, min_size=1, max_size=6),
    st.lists(step, min_size=1, max_size=30),
    st.lists(st.integers(0, 10_000), min_size=1, max_size=8),
    st.lists(leaf_value, min_size=6, max_size=6),
)


def eager_or_error(recipe, values):
    try:
        leaves, nodes, root = build(recipe, values)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return None, exc
    return (leaves, nodes, root), None


def absolute_adjoints(root) -> dict:
    """Each node's adjoint with every local derivative and contribution taken by its size: the sum
    of |contributions| that a leaf's gradient adds up. Adding them in another order (what
    ``exact=False`` may do) changes the gradient by a few ulps of this, not of the gradient itself,
    which can be much smaller where contributions cancel."""
    from micrograd.engine import topological_order

    size = {root: 1.0}
    for node in reversed(topological_order(root, leaves=False)):
        children = node._children
        local = node._prim.derivative(node.data, *[c.data for c in children])
        local = local if isinstance(local, tuple) else (local,)
        for child, d in zip(children, local, strict=True):
            size[child] = size.get(child, 0.0) + abs(d) * size.get(node, 0.0)
    return size


def check_against_eager(prog: Program, compiled: tuple, values, recipe, exact: bool = True) -> float:
    """Forward + backward (twice) of ``prog`` vs a fresh eager graph on ``values``; the max error.

    exact=False: each gradient within REL of its largest term sum (``absolute_adjoints``) too."""
    compiled_leaves, compiled_nodes, compiled_root = compiled
    (leaves, nodes, root), _ = eager_or_error(recipe, values)
    size = {} if exact else absolute_adjoints(root)
    worst = rel_err(prog.forward(), float(root.data))
    assert close(prog.forward(), float(root.data)), (prog.forward(), root.data)
    known = under(compiled_root)
    for n_c, n_e in zip(compiled_nodes, nodes, strict=True):
        if n_c in known:  # every node's value, flattened sums and fused products included
            assert close(prog.value_of(n_c), float(n_e.data)), (n_c, n_e)
            worst = max(worst, rel_err(prog.value_of(n_c), float(n_e.data)))
    for leaf in compiled_leaves:
        leaf.grad = 0
    for calls in (1, 2):  # the second call adds the same amount again, as in the eager engine
        root.backward()
        prog.backward()
        for c, e in zip(compiled_leaves, leaves, strict=True):
            terms = calls * size.get(e, 0.0)
            reordered = abs(float(c.grad) - float(e.grad)) <= REL * terms  # False for nan
            assert close(float(c.grad), float(e.grad)) or reordered, (c.grad, e.grad, terms)
            if not reordered:
                worst = max(worst, rel_err(float(c.grad), float(e.grad)))
    return worst


WORST = [0.0]  # the largest relative error seen (0.0 when every result is bit-exact)


@pytest.mark.parametrize("exact", [True, False])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes)
def test_random_dags_match_eager(exact, case):
    """exact=True: bit for bit (WORST stays 0.0); exact=False: within 1e-12 relative (REL), each
    gradient within 1e-12 of the sum of its terms' sizes where those terms cancel."""
    values, steps, picks, new_values = case
    recipe = steps + [("root", picks, 0)]
    built, error = eager_or_error(recipe, values)
    assume(built is not None)  # the eager engine refuses this graph: counted by hypothesis
    leaves = built[0]
    prog = micrograd.compile(built[2], leaves[::-2], exact=exact)  # some leaves as params, numbered first
    worst = WORST if exact else [0.0]
    worst[0] = max(worst[0], check_against_eager(prog, built, values, recipe, exact))
    # new leaf values: the same program, recomputed
    new = new_values[: len(values)]
    for leaf, v in zip(leaves, new, strict=True):
        leaf.data = v
    expected, error = eager_or_error(recipe, new)
    if expected is None:  # the eager engine refuses these inputs: so does the program (where two
        # nodes fail, the program reports the first in topological order, the build the first made)
        with pytest.raises((ValueError, ZeroDivisionError, OverflowError)):
            prog.forward()
        return
    worst[0] = max(worst[0], check_against_eager(prog, built, new, recipe, exact))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes)
def test_compile_walks_the_graph_in_the_eager_order(case):
    """compile's own walk visits the nodes in the order of the engine's backward() (the gradient
    sums' order depends on it), and numbers each node's children in order."""
    values, steps, picks, _ = case
    built, _ = eager_or_error(steps + [("root", picks, 0)], values)
    assume(built is not None)  # the eager engine refuses this graph: counted by hypothesis
    _check_walk(built[2])


def test_compile_walks_the_demo_in_the_eager_order():
    _check_walk(demo_graph()[-1])


def _check_walk(root):
    """The walk's own invariant (inside the package, not public API: the very thing tested)."""
    w = walk(root)
    order, ids, met = w.order, w.ids, w.leaves
    assert order == topological_order(root, leaves=False)
    node = [*order, *reversed(met)]  # id i >= 0: order[i]; id ~k: met[k], i.e. node[i]
    dot = kinds(order) == KIND["dot"]
    lens, child, tables = edges(w, dot)
    ends = np.cumsum(lens).tolist()
    per_node = [child[e - k : e].tolist() for k, e in zip(lens.tolist(), ends, strict=True)]
    if tables is not None:  # a DOT node's children are not listed: they are its tables' items
        items = tables.items.tolist()
        for i, ka, kb in zip(tables.node.tolist(), tables.ka.tolist(), tables.kb.tolist(), strict=True):
            if dot[i]:
                assert per_node[i] == []
                per_node[i] = [
                    items[j]
                    for t in (ka, kb)
                    for j in range(tables.start[t], tables.start[t] + tables.length[t])
                ]
    assert [tuple(node[i] for i in c) for c in per_node] == [n._children for n in order]
    assert all(ids[x] == i for i, x in enumerate(order)) and all(ids[x] == ~k for k, x in enumerate(met))


@pytest.mark.parametrize("exact", [True, False])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes)
def test_random_dags_array_path_matches_eager(exact, case):
    """forward_array/backward_array on new param values give the eager loss and the params' grads
    after zero_grad() + backward() (exact=True: bit for bit); sync_to_values writes them to the Values."""
    values, steps, picks, new_values = case
    recipe = steps + [("root", picks, 0)]
    built, _ = eager_or_error(recipe, values)
    assume(built is not None)  # the eager engine refuses this graph: counted by hypothesis
    leaves, _, root = built
    params = leaves[::-2]
    prog = micrograd.compile(root, params, exact=exact)
    assert prog.params == tuple(params)
    prog.read_leaves()
    new = dict(zip(leaves, new_values, strict=False))
    prog.param_data[:] = [new[p] for p in params]  # only through the array: the Values keep old data
    expected, _ = eager_or_error(recipe, [new[leaf] if leaf in params else leaf.data for leaf in leaves])
    assume(expected is not None)
    ref_leaves, _, ref_root = expected
    ref_root.backward()
    ref_params = [ref_leaves[leaves.index(p)] for p in params]
    ref_grads = [float(p.grad) for p in ref_params]
    # exact=True: equal; exact=False: within REL, or REL of the gradient's summed terms
    # where they cancel (another order of the same additions; see absolute_adjoints)
    size = {} if exact else absolute_adjoints(ref_root)
    slack = [REL * size.get(p, 0.0) for p in ref_params]
    assert close(prog.forward_array(), float(ref_root.data))
    for _ in range(2):  # a fresh gradient each call (zero_grad semantics), not an accumulation
        grads = prog.backward_array().tolist()
        if exact:
            assert all(same(g, r) for g, r in zip(grads, ref_grads, strict=True)), (grads, ref_grads)
        ok = [close(g, r) or abs(g - r) <= s for g, r, s in zip(grads, ref_grads, slack, strict=True)]
        assert all(ok), (grads, ref_grads, slack)
    before = [leaf.grad for leaf in leaves if leaf not in params]
    prog.sync_to_values()
    assert [p.data for p in params] == [new[p] for p in params]
    assert all(same(p.grad, g) for p, g in zip(params, grads, strict=True)), ([p.grad for p in params], grads)
    after = [leaf.grad for leaf in leaves if leaf not in params]
    assert all(same(x, y) for x, y in zip(after, before, strict=True)), (after, before)


def test_params_must_be_leaves_and_unused_params_keep_their_grad():
    a, b, unused = Value(2.0), Value(3.0), Value(5.0)
    unused.grad = 7.0
    out = a * b
    with pytest.raises(CompileError, match="leaf Values"):
        micrograd.compile(out, [a, out])
    prog = micrograd.compile(out, [unused, b, a, b])
    assert prog.params == (unused, b, a)
    prog.forward()
    prog.backward()
    assert (unused.grad, b.grad, a.grad) == (7.0, 2.0, 3.0)
    prog.forward_array()
    assert prog.backward_array().tolist() == [0.0, 2.0, 3.0]


# --- the primitive table ------------------------------------------------------------------
def test_every_primitive_has_a_rule_or_is_a_sum():
    missing = [name for name in PRIMITIVES if name not in RULES and name not in SUMS]
    assert not missing, f"the compiled backend lacks rules for {missing}"
    assert set(RULES) | set(SUMS) == set(PRIMITIVES)
    assert not set(RULES) & set(SUMS), "a sum primitive runs as a sum group: it has no elementwise rule"


@pytest.mark.parametrize(
    ("build", "terms"),
    [
        (lambda a, b: sum_of([a, b, a * b]), 3),  # its product fused in
        (lambda a, b: dot((a, b, a * b), (b, a - 1.0)), 3),  # the bias, then w0 * x0, w1 * x1
    ],
)
def test_sums_are_lowered_into_one_sum_group(build, terms):
    """SUM and DOT have no rule of their own: each node is one n-ary "sum" group, of its terms."""
    a, b = Value(1.3), Value(0.7)
    out = build(a, b)
    assert out._prim.name in SUMS
    groups = dict(compile_steps(out))["lower"].layout.groups
    top = [g for g in groups if g.level == max(g.level for g in groups)]
    assert [(g.kind, g.rows, g.size) for g in top] == [("sum", terms, 1)]
    assert all(g.kind in RULES or g.kind == "sum" for g in groups)


ONE_EACH = {
    "sum": lambda a, b: sum_of([a, b * 0.5, a * b]),
    "dot": lambda a, b: dot((a, b, a * b), (b, a - 1.0)),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a, b: -a,
    "pow_const": lambda a, b: a**2.5,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: (a - 1.0).sigmoid(),
    "relu": lambda a, b: (a - 1.4).relu(),
}


@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_each_primitive_matches_eager(name):
    assert name in ONE_EACH, f"add {name!r} to ONE_EACH"
    for x, y in [(1.3, 0.7), (2.1, -1.5), (0.4, 3.0)]:
        a, b = Value(x), Value(y)
        out = ONE_EACH[name](a, b)
        assert out._prim.name == name
        root = out * b + a  # the primitive inside a graph, not only at its top
        prog = micrograd.compile(root)
        assert prog.forward() == root.data
        root.backward()
        expected = (a.grad, b.grad)
        a.grad = b.grad = 0
        prog.backward()
        assert (a.grad, b.grad) == expected


def test_pow_const_groups_mixed_exponents():
    x = Value(1.7)
    parts = [x**2, x**3, x**0.5, x**-1, x**2]
    root = sum(parts)
    prog = micrograd.compile(root)
    for v in (1.7, 0.3, 2.9):
        x.data = v
        ref = sum(Value(v) ** k for k in (2, 3, 0.5, -1, 2))
        assert prog.forward() == ref.data
        x.grad = 0
        prog.backward()
        xr = Value(v)
        r = sum(xr**k for k in (2, 3, 0.5, -1, 2))
        r.backward()
        assert x.grad == xr.grad


def test_sequential_reduce_assumption():
    """The program relies on np.add.reduce over the outer axis of a C-contiguous (k, m >= 2) array
    adding row after row (no pairwise summation); fail loudly if numpy ever changes that."""
    rng = np.random.default_rng(0)
    for k, m in [(2, 2), (17, 3), (101, 2), (1000, 16), (3, 1600)]:
        rows = rng.standard_normal((k, m)) * 10.0 ** rng.integers(-12, 12, (k, m))
        expected = rows[0].copy()
        for r in rows[1:]:
            expected = expected + r
        assert np.array_equal(np.add.reduce(rows, axis=0), expected)
        # expected[0] is column 0 added row after row (not sum(), which compensates from Python 3.12)
        assert np.add.accumulate(rows[:, 0])[-1] == expected[0]


# --- API and errors -------------------------------------------------------------------------
def test_importing_micrograd_does_not_import_numpy():
    import subprocess
    import sys

    code = "import sys, micrograd; assert 'numpy' not in sys.modules; print(callable(micrograd.compile))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_compile_is_a_function_and_the_package_is_compiled():
    import types

    import micrograd.compiled

    a = Value(2.0)
    assert isinstance(micrograd.compile, types.FunctionType)  # importing the package leaves it so
    prog = micrograd.compile(a * a)
    assert isinstance(prog, micrograd.compiled.Program)
    assert prog.forward() == 4.0


def test_leaf_root():
    a = Value(3.0)
    prog = micrograd.compile(a)
    assert prog.forward() == 3.0
    prog.backward()
    prog.backward()
    assert a.grad == 2.0  # d a / d a accumulates, as a.backward() twice does


def test_not_a_value():
    with pytest.raises(CompileError, match="needs the Value"):
        micrograd.compile(3.0)


def test_opaque_op_is_refused():
    a, b = Value(1.0), Value(2.0)
    hand = Value(3.0, (a, b), "@")  # an op named by hand, not a primitive
    with pytest.raises(CompileError, match="cannot compile a node with op 'opaque'.*'@'"):
        micrograd.compile(hand * 2)


def test_hand_built_primitive_compiles():
    a, b = Value(1.0), Value(2.0)
    hand = Value(3.0, (a, b), "+")  # names a primitive: compiles, and is recomputed
    assert micrograd.compile(hand * 2).forward() == 6.0


@pytest.mark.parametrize(
    ("build", "bad", "error", "message"),
    [
        (lambda x: x.log(), -1.0, ValueError, "log is defined only for positive"),
        (lambda x: x.log(), 0.0, ValueError, "log is defined only for positive"),
        (lambda x: 1.0 / x, 0.0, ZeroDivisionError, "division by zero"),
        (lambda x: x**0.5, -4.0, ValueError, "not a real number"),
        (lambda x: x**-1, 0.0, ZeroDivisionError, "negative power"),
        (lambda x: x ** Value(2.5), -2.0, ValueError, "not a real number"),
    ],
)
def test_domain_errors_are_the_eager_ones(build, bad, error, message):
    x = Value(2.0)
    prog = micrograd.compile(build(x) + x)
    prog.forward()
    x.data = bad
    with pytest.raises(error, match=message):
        build(Value(bad))  # the eager engine refuses...
    with pytest.raises(error, match=message):
        prog.forward()  # ...and so does the program, with the same exception


def test_foreign_node():
    a = Value(1.0)
    prog = micrograd.compile(a * 2)
    with pytest.raises(KeyError, match="not a node"):
        prog.value_of(Value(5.0))


def test_write_back_matches_eager_data_and_grads():
    xs = [Value(v) for v in (0.5, -1.2, 2.0)]
    w = [Value(v) for v in (0.3, -0.7, 1.1)]

    def graph(xs, w):
        pre = sum((wi * xi for wi, xi in zip(w, xs, strict=True)), Value(0.1))
        return (pre.tanh() - xs[0]) * (pre.relu() + 1.0) - w[1] * w[1]

    root = graph(xs, w)
    prog = micrograd.compile(root)
    for leaf, v in zip(xs + w, (1.5, 0.2, -0.3, 0.9, 0.4, -0.6), strict=True):
        leaf.data = v
    prog.forward(write_back=True)
    prog.backward(write_back=True)
    fresh_x = [Value(x.data) for x in xs]
    fresh_w = [Value(x.data) for x in w]
    ref = graph(fresh_x, fresh_w)
    ref.backward()
    ours, theirs = under(root), under(ref)
    assert len(ours) == len(theirs)

    # same structure, same construction order: compare node by node in a deterministic walk
    def walk(n, out):
        out.append((n.data, n.grad))
        for c in n._children:
            walk(c, out)
        return out

    assert walk(root, []) == walk(ref, [])


# --- the moons demo of Karpathy's micrograd notebook -------------------------------------------
def demo_graph():
    sklearn = pytest.importorskip("sklearn.datasets")
    np.random.seed(1337)
    random.seed(1337)
    X, y = sklearn.make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return model, y, scores, data_loss + reg_loss


@pytest.mark.parametrize("path", ["values", "arrays"])
def test_demo_trace_with_the_compiled_backend(path):
    """The full 100-step demo, compiled once, reproduces the notebook's printed trace, through the
    Values (forward, backward, p.data -= ...) and through the arrays (param_data, param_grad)."""
    trace = [(loss, acc) for _, loss, acc in moons_demo_trace()]  # tests/data/
    assert len(trace) == 100
    model, y, scores, total = demo_graph()
    params = model.parameters()
    prog = micrograd.compile(total, params)
    worst = 0.0
    prog.read_leaves()
    for k in range(100):
        learning_rate = 1.0 - 0.9 * k / 100
        if path == "arrays":
            loss = prog.forward_array()
            acc = np.mean((y > 0) == (prog.values(scores) > 0))
            prog.backward_array()
            prog.param_data -= learning_rate * prog.param_grad
        else:
            loss = prog.forward()
            acc = np.mean((y > 0) == (prog.values(scores) > 0))
            model.zero_grad()
            prog.backward()
            for p in params:
                p.data -= learning_rate * p.grad
        worst = max(worst, abs(loss - trace[k][0]))
        assert abs(loss - trace[k][0]) <= 1e-9, (k, loss, trace[k])
        assert acc * 100 == trace[k][1], (k, acc, trace[k])
    print(f"demo trace: max |loss - seed| = {worst:.3g}")


def test_demo_values_and_grads_equal_eager():
    model, y, scores, total = demo_graph()
    params = model.parameters()
    prog = micrograd.compile(total, params)
    for p, v in zip(params, np.random.default_rng(5).uniform(-1, 1, len(params)), strict=True):
        p.data = float(v)  # new parameters after compiling
    loss = prog.forward()
    model.zero_grad()
    prog.backward()
    ours = [p.grad for p in params]
    ref_scores, ref_total = _rebuild(model, y)  # the eager reference on the new parameters
    model.zero_grad()
    ref_total.backward()
    assert close(loss, ref_total.data)
    assert all(close(a, s.data) for a, s in zip(prog.values(scores), ref_scores, strict=True))
    assert all(close(a, p.grad) for a, p in zip(ours, params, strict=True))


def _rebuild(model, y):
    """The demo's scores and loss again, eagerly, on the model's current parameters."""
    sklearn = pytest.importorskip("sklearn.datasets")
    np.random.seed(1337)
    X, _ = sklearn.make_moons(n_samples=100, noise=0.1)
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    return scores, sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())


def test_compile_leaves_the_garbage_collector_as_it_was():
    import gc

    a = Value(1.0)
    assert gc.isenabled()
    micrograd.compile(a * a)
    assert gc.isenabled()
    gc.disable()
    try:
        micrograd.compile(a * a)
        assert not gc.isenabled()
        with pytest.raises(CompileError):
            micrograd.compile(Value(1.0, (a,), "?"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_compile_never_switches_the_collector_off(monkeypatch):
    """Compiling (both modes, and a refused graph) runs with the cycle collector on: it never
    calls gc.disable, which would stop collection in every thread of the process."""
    import gc

    def refuse() -> None:
        raise AssertionError("compile called gc.disable()")

    monkeypatch.setattr(gc, "disable", refuse)
    total = demo_graph()[-1]
    for exact in (True, False):
        micrograd.compile(total, exact=exact)
    with pytest.raises(CompileError):
        micrograd.compile(Value(1.0, (Value(2.0),), "?"))
    assert gc.isenabled()


def test_deep_graph_matches_eager():
    """A graph hundreds of levels deep (past the vectorised level passes, so levels come from the
    loop in eager order), DOT nodes among them: values and gradients equal the eager engine's bit
    for bit."""

    def build():
        x, w = Value(0.3), Value(-0.7)
        h = x
        bias_and_weight = (x, w)  # one tuple, shared by every DOT node
        for i in range(300):
            if i % 5 == 4:
                h = dot(bias_and_weight, (h,)).tanh() + dot((w, x, w), (h, x))
            else:
                h = (h * w + 0.1 * i).tanh() if i % 3 else sum_of([h, w * h, x]) - h * h
        return x, w, h

    x, w, root = build()
    prog = micrograd.compile(root, [x, w])
    assert int(re.search(r"levels=(\d+)", repr(prog)).group(1)) > 300
    value = prog.forward()
    prog.backward()
    ex, ew, eroot = build()
    eroot.backward()
    assert value == eroot.data
    assert (x.grad, w.grad) == (ex.grad, ew.grad)
