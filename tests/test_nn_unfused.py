"""``fused=False``: each neuron's w . x + b node by node, as the original micrograd 0.1.0 builds it.

The lecture's picture of a network shows a ``*`` and a ``+`` per weight; ours
shows one ``w·x+b`` node per neuron unless asked otherwise. Both must give the
same numbers, and the unfused graph must be the original's graph.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from micrograd.engine import Value, topological_order
from micrograd.nn import MLP, Layer, Neuron

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0]]
YS = [1.0, -1.0, -1.0]


def graph_signatures(root) -> Counter:
    """Every node under ``root`` as (op, data, its children's signatures, sorted): the picture's
    structure and numbers, independent of node identity and of the order children are kept in.
    Read through ``_prev`` and ``_op``, which the original and ours both have."""
    memo: dict[int, tuple] = {}
    stack = [root]
    while stack:  # iterative, children first (the original has no public walk)
        v = stack[-1]
        if id(v) in memo:
            stack.pop()
            continue
        pending = [c for c in v._prev if id(c) not in memo]
        if pending:
            stack.extend(pending)
            continue
        memo[id(v)] = (v._op, v.data, tuple(sorted(memo[id(c)] for c in v._prev)))
        stack.pop()
    return Counter(memo.values())


def loss_of(model, V, xs=XS, ys=YS):
    preds = [model([V(x) for x in row]) for row in xs]
    return preds, sum((p - y) ** 2 for p, y in zip(preds, ys))


def test_unfused_is_the_original_graph_with_the_same_numbers(original):
    random.seed(3)
    ours = MLP(3, [4, 4, 1], fused=False)
    random.seed(3)
    theirs = original.nn.MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    (our_preds, our_loss), (their_preds, their_loss) = (
        loss_of(ours, Value),
        loss_of(theirs, original.engine.Value),
    )
    # each prediction's graph: the same nodes, ops, children and data, bit for bit (the loss
    # differs: our `-` is one node where the original adds a negation)
    for pred, their_pred in zip(our_preds, their_preds, strict=True):
        ours_graph = graph_signatures(pred)
        assert ours_graph == graph_signatures(their_pred)
        # a neuron of n inputs: n weights, a bias, n `*`, n `+` and its ReLU (the last one none)
        assert sum(ours_graph.values()) == len(topological_order(pred)) == 3 + 4 * 11 + 4 * 14 + 13
    our_loss.backward()
    their_loss.backward()
    # the original sums a shared node's gradient in its set order, so the last digit may differ
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12, abs=1e-15
    )


def test_unfused_gradients_equal_the_original_exactly_where_no_sum_is_reordered(original):
    """One hidden layer and one point: every parameter's gradient is a single product chain."""
    random.seed(5)
    ours = MLP(2, [3, 1], fused=False)
    random.seed(5)
    theirs = original.nn.MLP(2, [3, 1])
    for model, V in ((ours, Value), (theirs, original.engine.Value)):
        loss_of(model, V, [[0.7, -1.3]], [1.0])[1].backward()
    assert [p.grad for p in ours.parameters()] == [p.grad for p in theirs.parameters()]


def test_draw_dot_shows_the_originals_operations(original):
    """The picture: a `*` and a `+` node per weight, as the original's graph has, no `w·x+b`."""
    pytest.importorskip("graphviz")
    from micrograd import draw_dot

    random.seed(1337)
    ours = MLP(2, [2, 1], fused=False)
    random.seed(1337)
    theirs = original.nn.MLP(2, [2, 1])
    score = ours([Value(1.0), Value(-0.5)])
    their_score = theirs([original.engine.Value(1.0), original.engine.Value(-0.5)])
    drawn_ops = Counter(re.findall(r'op \[label="?([^"\]]+)"?', draw_dot(score).source))
    their_nodes = graph_signatures(their_score)
    their_ops = Counter()
    for (op, _, _), count in their_nodes.items():
        if op:
            their_ops[op] += count
    assert drawn_ops == their_ops == Counter({"*": 6, "+": 6, "ReLU": 2})
    fused_ops = Counter(re.findall(r'op \[label="?([^"\]]+)"?', draw_dot(MLP(2, [2, 1])([1.0, -0.5])).source))
    assert fused_ops == Counter({"w·x+b": 3, "ReLU": 2})


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_fused_and_unfused_give_identical_numbers(activation):
    models = [MLP(3, [4, 3, 1], activation=activation, rng=random.Random(11), fused=f) for f in (True, False)]
    results = []
    for model in models:
        inputs = [[Value(x) for x in row] for row in XS]
        preds = [model(row) for row in inputs]
        loss = sum((p - y) ** 2 for p, y in zip(preds, YS))
        loss.backward()
        results.append(
            (
                [p.data for p in preds],
                loss.data,
                [p.grad for p in model.parameters()],
                [x.grad for row in inputs for x in row],
            )
        )
    assert results[0] == results[1]  # bit for bit: the same additions in the same order
    assert [p.data for p in models[0].parameters()] == [p.data for p in models[1].parameters()]


def test_fused_is_the_default_and_layers_pass_the_option_on():
    x = [Value(1.0), Value(2.0)]
    assert Neuron(2, nonlin=False)(x)._op == "w·x+b"
    assert Neuron(2, nonlin=False, fused=False)(x)._op == "+"
    assert all(not n.fused for n in Layer(2, 3, fused=False).neurons)
    assert all(n.fused for layer in MLP(2, [3, 1]).layers for n in layer.neurons)
    assert all(not n.fused for layer in MLP(2, [3, 1], fused=False).layers for n in layer.neurons)
