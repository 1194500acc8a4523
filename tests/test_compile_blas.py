"""``compile(..., exact=False)`` against the eager engine: layers in random DAGs, MLPs, hand-built layers.

(The random DAGs of ``test_compile.py`` run with ``exact=False`` too.)

exact=False runs each grid of DOT nodes as matrix products (BLAS) and adds
gradients in its own order, so results may differ from the eager engine's in
the last bits: every value and gradient must be within 1e-12 relative of the
eager engine's (the reference here, itself checked against PyTorch and finite
differences). The recogniser must find the layers of graphs that ``nn`` did not
build, and leave everything else to the elementwise lowering.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_compile import absolute_adjoints, close, eager_or_error, recipes

import micrograd
from micrograd.compiled import Program
from micrograd.engine import Value, dot
from micrograd.losses import hinge_loss, mse_loss
from micrograd.nn import MLP

REL = 1e-12


def assert_close(got, want, what: str = "") -> None:
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, what
    for g, w in zip(got.ravel().tolist(), want.ravel().tolist(), strict=True):
        assert close(g, w, REL), (what, g, w)


layer_case = st.tuples(
    recipes,
    st.integers(1, 4),  # rows (inputs tuples)
    st.integers(1, 4),  # columns (weight tuples)
    st.integers(1, 3),  # inputs per node
    st.lists(st.integers(0, 10_000), min_size=40, max_size=40),
    st.booleans(),  # weights and inputs: leaves only (one level: one grid), or any nodes
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer_case)
def test_random_dags_with_a_layer_of_dot_nodes(case):
    """A grid of DOT nodes over nodes of a random DAG (weights and inputs may be interior nodes,
    leaves, or the same node twice) runs as a matrix product, with the eager values and gradients."""
    (values, recipe_steps, picks, _), rows, cols, nin, ix, leaves_only = case
    recipe = [*recipe_steps, ("root", picks, 0)]

    def grown(leaf_values):
        built, error = eager_or_error(recipe, leaf_values)
        if error is not None:
            return None
        leaves, nodes, root = built
        nodes = leaves if leaves_only else nodes
        pick = iter(ix)
        weights = [tuple(nodes[next(pick) % len(nodes)] for _ in range(nin + 1)) for _ in range(cols)]
        inputs = [tuple(nodes[next(pick) % len(nodes)] for _ in range(nin)) for _ in range(rows)]
        grid = [dot(w, x) for x in inputs for w in weights]
        # scaled into [-1, 1] before tanh: a saturated tanh's 1 - t**2 turns the last-bit
        # difference BLAS's order makes in t into a large relative one in the gradient
        scale = 1.0 / (1.0 + abs(root.data) + sum(abs(d.data) * (i + 1) for i, d in enumerate(grid)))
        return leaves, ((root * 0.5 + sum(d * (i + 1) for i, d in enumerate(grid))) * scale).tanh()

    first, second = grown(values), grown(values)
    if first is None:
        return
    prog = Program(first[1], exact=False)
    if leaves_only:  # one level: one grid
        assert prog.matrices == (1 if rows * cols >= 2 else 0)
    else:  # a grid's nodes share a level: nodes over deeper operands make grids of their own
        assert prog.matrices <= rows * cols // 2
    assert close(prog.forward(), second[1].data, REL), (prog.forward(), second[1].data)
    second[1].backward()
    prog.backward()
    size = absolute_adjoints(second[1])  # where terms cancel: REL of their summed sizes
    for a, b in zip(first[0], second[0], strict=True):
        reordered = abs(float(a.grad) - float(b.grad)) <= REL * size.get(b, 0.0)
        assert close(float(a.grad), float(b.grad), REL) or reordered, (a.grad, b.grad, size.get(b))


def mlp_loss(model, X, y, loss):
    scores = [model(list(map(Value, row))) for row in X]
    return scores, loss(scores, y) + 1e-4 * sum(p * p for p in model.parameters())


@pytest.mark.parametrize(
    "nin, nouts, activation, loss, batch",
    [
        (2, [16, 16, 1], "relu", hinge_loss, 100),  # the demo's shape
        (3, [8, 1], "tanh", mse_loss, 17),
        (4, [5, 6, 1], "sigmoid", hinge_loss, 9),
        (2, [7, 3], "linear", mse_loss, 1),  # one sample: grids of one row
        (1, [1, 1], "relu", hinge_loss, 5),  # one neuron a layer: grids of one column
    ],
)
def test_mlps_match_eager_within_rounding(nin, nouts, activation, loss, batch):
    rng = random.Random(0)
    model = MLP(nin, nouts, activation=activation, rng=rng)
    reference = MLP(nin, nouts, activation=activation)
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(batch)]
    y = [rng.choice((-1.0, 1.0)) for _ in range(batch)]
    if nouts[-1] > 1:  # mse on every output
        y = [t for t in y for _ in range(nouts[-1])]
    flat = (lambda outs: [v for o in outs for v in o]) if nouts[-1] > 1 else (lambda outs: outs)
    scores, total = mlp_loss(model, X, y, lambda s, t: loss(flat(s), t))
    params = model.parameters()
    prog = micrograd.compile(total, params, exact=False)
    assert prog.matrices == len(nouts)
    for _ in range(3):  # the compiled graph, then the same after the parameters changed
        for p, q in zip(reference.parameters(), params, strict=True):
            p.data = q.data
        eager_scores, eager_total = mlp_loss(reference, X, y, lambda s, t: loss(flat(s), t))
        eager_total.backward()
        model.zero_grad()
        assert close(prog.forward(), eager_total.data, REL), (prog.forward(), eager_total.data)
        prog.backward()
        assert_close([p.grad for p in params], [p.grad for p in reference.parameters()], "grads")
        assert_close(prog.values(flat(scores)), [s.data for s in flat(eager_scores)], "outputs")
        reference.zero_grad()
        for p in params:
            p.data += rng.uniform(-0.1, 0.1)


def hand_built_layers(shared: bool = True):
    """Two tanh layers and a linear one built with ``dot()`` directly (no ``nn``): each neuron's
    tuple (b, w...) shared by every sample, each sample's inputs tuple shared by the layer."""
    rng = random.Random(3)
    sizes = [3, 4, 5, 1]
    layers = [
        [tuple(Value(rng.uniform(-1, 1)) for _ in range(nin + 1)) for _ in range(nout)]
        for nin, nout in zip(sizes, sizes[1:], strict=False)
    ]
    params = [p for layer in layers for neuron in layer for p in neuron]
    batch = [tuple(Value(rng.uniform(-1, 1)) for _ in range(sizes[0])) for _ in range(6)]
    outs = []
    for x in batch:
        for depth, layer in enumerate(layers):
            neurons = layer if shared else [neuron[:1] + neuron[1:] for neuron in layer]  # equal copies
            z = [dot(neuron, x if shared else x[:1] + x[1:]) for neuron in neurons]
            x = tuple(v.tanh() for v in z) if depth < len(layers) - 1 else tuple(z)
        outs.append(x[0])
    loss = sum((o - 0.5) ** 2 for o in outs) * (1 / len(outs))
    return params, batch, outs, loss


@pytest.mark.parametrize("shared", [True, False])
def test_hand_built_dot_layers_are_recognised(shared):
    """Layers made with dot() by hand are matrix products as nn's are; equal tuples that are not the
    same objects are not recognised (no grid) and still compile to the eager results."""
    params, batch, outs, loss = hand_built_layers(shared)
    prog = micrograd.compile(loss, params, exact=False)
    assert prog.matrices == (3 if shared else 0)
    assert close(prog.forward(), loss.data, REL)
    loss.backward()
    eager = [p.grad for p in params]
    inputs = [v.grad for x in batch for v in x]
    for p in params + [v for x in batch for v in x]:
        p.grad = 0
    prog.backward()
    assert_close([p.grad for p in params], eager, "params")
    assert_close([v.grad for x in batch for v in x], inputs, "inputs")  # the deferred grads
    assert_close(prog.values(outs), [o.data for o in outs], "outputs")
    prog.read_leaves()
    prog.forward_array()
    assert_close(prog.backward_array(), eager, "array path")


def test_exact_false_keeps_the_eager_errors_and_write_back():
    x, w = Value(2.0), Value(0.5)
    xs = (x,)  # one inputs tuple for both nodes
    out = dot((Value(0.0), w), xs).log() + dot((Value(1.0), w), xs)
    prog = micrograd.compile(out, [x, w], exact=False)
    assert prog.matrices == 1  # two neurons on one input tuple
    x.data = -3.0
    with pytest.raises(ValueError, match="log is defined only for positive numbers"):
        prog.forward()
    x.data = 3.0
    value = prog.forward(write_back=True)
    assert close(value, math.log(1.5) + 2.5, REL) and close(out.data, value, REL)
    prog.backward(write_back=True)
    assert close(x.grad, 0.5 / 1.5 + 0.5, REL) and close(w.grad, 3.0 / 1.5 + 3.0, REL)


def test_exact_must_be_a_bool():
    with pytest.raises(TypeError, match="exact must be True or False"):
        micrograd.compile(Value(1.0) * 2, exact="no")


def test_exact_true_has_no_matrices_and_equals_eager_bit_for_bit():
    params, _, _, loss = hand_built_layers()
    prog = micrograd.compile(loss, params)
    assert prog.matrices == 0 and prog.forward() == loss.data
    loss.backward()
    eager = [p.grad for p in params]
    prog.read_leaves()
    prog.forward_array()
    assert prog.backward_array().tolist() == eager
