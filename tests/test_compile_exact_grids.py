"""``compile(..., exact=True)`` on grids of DOT nodes: bit for bit the eager engine's results.

Where a grid's nodes were built row after row (``exact_grids.py``), its
gradients add in the order its shape gives, without a sort; everywhere else
(ranks out of order, a target twice, another contribution in the middle of a
grid's run, targets at two levels) the grid is a sum of products. Both must
give the eager engine's values and gradients exactly: every leaf's and every
interior node's (``write_back``), compared with ``==`` and the sign of zero
(but for an interior node's zero gradient: the eager engine's starts from
+0.0, the program's from its first contribution).
``prog.shaped_grids`` says which path each graph took, so that every case
below is known to test the path it names.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from test_compile import eager_or_error
from test_compile_blas import layer_case

import micrograd
from micrograd.engine import Value, dot, topological_order
from micrograd.nn import MLP


def same(got: float, want: float) -> bool:
    """Equal bit for bit (nan equal to nan, the sign of a zero kept)."""
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


def eager_and_compiled(build, params_of=lambda leaves: None):
    """Build the graph twice: one copy runs eagerly, the other compiled (exact=True); returns the
    program and, for every node, (compiled value, eager value, compiled grad, eager grad, leaf)."""
    leaves, root = build()
    prog = micrograd.compile(root, params_of(leaves))
    eager_leaves, eager_root = build()
    eager_root.backward()
    prog.forward(write_back=True)
    prog.backward(write_back=True)
    nodes = topological_order(root)
    eager_nodes = topological_order(eager_root)
    assert len(nodes) == len(eager_nodes)
    pairs = zip(nodes, eager_nodes, strict=True)
    return prog, [(a.data, b.data, a.grad, b.grad, a._a is None) for a, b in pairs]


def grids_found(build) -> int:
    """How many grids ``exact=False`` runs as matrix products: the grids there are."""
    leaves, root = build()
    return micrograd.compile(root, exact=False).matrices


def assert_exact(pairs) -> None:
    for i, (value, eager_value, grad, eager_grad, leaf) in enumerate(pairs):
        assert same(float(value), float(eager_value)), (i, value, eager_value)
        assert same(float(grad), float(eager_grad)) or (not leaf and grad == eager_grad), (
            i,
            grad,
            eager_grad,
        )


def batch_loss(sizes, batch, seed, reg=True):
    def build():
        random.seed(seed)
        model = MLP(sizes[0], sizes[1:])
        rng = random.Random(seed + 1)
        inputs = [[Value(rng.uniform(-2, 2)) for _ in range(sizes[0])] for _ in range(batch)]
        scores = [model(x) for x in inputs]
        losses = [(1 + -(1 if i % 2 else -1) * s).relu() for i, s in enumerate(scores)]
        total = sum(losses) * (1.0 / len(losses))
        if reg:
            total = total + 1e-4 * sum(p * p for p in model.parameters())
        return model.parameters(), total

    return build


@pytest.mark.parametrize(
    "sizes, batch, reg",
    [([2, 16, 16, 1], 20, True), ([3, 4, 1], 7, False), ([2, 5, 3, 1], 1, True), ([1, 1, 1], 5, True)],
)
def test_nn_layers_take_the_shape_order_and_match_eager(sizes, batch, reg):
    prog, pairs = eager_and_compiled(batch_loss(sizes, batch, 4, reg), lambda params: params)
    grids = sum(1 for n in sizes[1:] if batch * n >= 2)  # a grid has at least two nodes
    assert prog.shaped_grids == grids
    assert_exact(pairs)


def test_the_array_path_matches_eager_with_shaped_grids():
    build = batch_loss([2, 8, 1], 12, 9)
    params, root = build()
    prog = micrograd.compile(root, params)
    assert prog.shaped_grids == 2
    eager_params, eager_root = build()
    eager_root.backward()
    prog.read_leaves()
    for _ in range(2):  # twice: the rows a target does not fill must stay -0.0
        assert same(prog.forward_array(), eager_root.data)
        grads = prog.backward_array().tolist()
        assert all(same(g, p.grad) for g, p in zip(grads, eager_params, strict=True))


def layer(weights, inputs):
    return [dot(w, x) for x in inputs for w in weights]


def test_ranks_out_of_order_are_a_sum_of_products():
    """Column 1 built from the last row to the first: its ranks fall along the rows."""

    def build():
        leaves = [Value(0.1 * i - 0.7) for i in range(14)]
        w = [tuple(leaves[0:3]), tuple(leaves[3:6])]
        x = [tuple(leaves[6:8]), tuple(leaves[8:10]), tuple(leaves[10:12])]
        cells = [dot(w[0], xi) for xi in x] + [dot(w[1], xi) for xi in reversed(x)]
        return leaves, sum(c * c for c in cells)

    prog, pairs = eager_and_compiled(build)
    assert prog.shaped_grids == 0 and grids_found(build) == 1
    assert_exact(pairs)


def test_a_contribution_in_the_middle_of_a_run_is_a_sum_of_products():
    """A weight also used by a node whose rank falls between the grid's rows."""

    def build():
        leaves = [Value(0.3 * i - 1.1) for i in range(10)]
        w = [tuple(leaves[0:3]), tuple(leaves[3:6])]
        x = [tuple(leaves[6:8]), tuple(leaves[8:10])]
        row0, row1 = layer(w, x[:1]), layer(w, x[1:])
        total = sum(row0) + leaves[1] * 3.0 + sum(row1)  # w[0][1] * 3 between the rows
        return leaves, total.tanh()

    prog, pairs = eager_and_compiled(build)
    assert prog.shaped_grids == 0 and grids_found(build) == 1
    assert_exact(pairs)


def test_contributions_before_and_after_the_run_keep_their_places():
    """A weight used by nodes built before and after the grid: those add before and after its run."""

    def build():
        leaves = [Value(0.25 * i - 0.9) for i in range(10)]
        w = [tuple(leaves[0:3]), tuple(leaves[3:6])]
        x = [tuple(leaves[6:8]), tuple(leaves[8:10])]
        total = leaves[1] * 2.0 + sum(layer(w, x)) + leaves[1] * leaves[4] + leaves[9] ** 2
        return leaves, total

    prog, pairs = eager_and_compiled(build)
    assert prog.shaped_grids == 1
    assert_exact(pairs)


@pytest.mark.parametrize(
    "case",
    ["input twice", "bias is a weight", "input is a weight", "shared weights", "params and data"],
)
def test_targets_that_repeat_or_span_levels_are_a_sum_of_products(case):
    def build():
        leaves = [Value(0.2 * i - 1.3) for i in range(12)]
        w = [tuple(leaves[0:3]), tuple(leaves[3:6])]
        x = [tuple(leaves[6:8]), tuple(leaves[8:10])]
        if case == "input twice":
            x[1] = (leaves[8], leaves[8])
        elif case == "bias is a weight":
            w[1] = (leaves[4], leaves[4], leaves[5])
        elif case == "input is a weight":
            x[1] = (leaves[8], leaves[0])
        elif case == "params and data":
            x[1] = (leaves[8], leaves[11])
        cells = layer(w, x)
        if case == "shared weights":  # the same weights in a second grid, a level up
            deeper = [tuple(v.tanh() for v in xi) for xi in x]
            cells += layer(w, deeper)
        return leaves, sum(c * (i + 1) for i, c in enumerate(cells)).tanh()

    params = (lambda leaves: leaves[:6] + leaves[11:]) if case == "params and data" else (lambda leaves: None)
    prog, pairs = eager_and_compiled(build, params)
    assert prog.shaped_grids == (1 if case == "shared weights" else 0)
    assert grids_found(build) == (2 if case == "shared weights" else 1)
    assert_exact(pairs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer_case)
def test_random_dags_with_a_layer_of_dot_nodes_exactly(case):
    """A grid over nodes of a random DAG (weights and inputs interior nodes, leaves, or the same
    node twice): bit for bit the eager values and gradients, whichever path it takes."""
    (values, recipe_steps, picks, _), rows, cols, nin, ix, leaves_only = case
    recipe = [*recipe_steps, ("root", picks, 0)]

    def build():
        built, error = eager_or_error(recipe, values)
        assert error is None
        leaves, nodes, root = built
        nodes = leaves if leaves_only else nodes
        pick = iter(ix)
        weights = [tuple(nodes[next(pick) % len(nodes)] for _ in range(nin + 1)) for _ in range(cols)]
        inputs = [tuple(nodes[next(pick) % len(nodes)] for _ in range(nin)) for _ in range(rows)]
        grid = layer(weights, inputs)
        return leaves, root * 0.5 + sum(d * (i + 1) for i, d in enumerate(grid))

    if eager_or_error(recipe, values)[1] is not None:
        return
    _, pairs = eager_and_compiled(build)
    assert_exact(pairs)
