"""compile(..., exact=False)'s array step: the gathered-input grid ([X, 1] @ [W, b].T), the
one-column outer product, the bias sums as products with ones, the cleared gradients between
steps, and values(): checked against PyTorch float64 and the eager engine's own nodes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_compile import close

import micrograd
from micrograd.engine import Value
from micrograd.nn import MLP

torch = pytest.importorskip("torch")

REL = 1e-12


def hinge_graph(n: int, widths: list[int], seed: int = 3):
    """An MLP's hinge loss + L2 on n random points: (model, inputs, labels, scores, loss)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, 2)), np.where(rng.random(n) > 0.5, 1.0, -1.0)
    random.seed(seed)
    model = MLP(2, widths)
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    total = sum(losses) * (1.0 / n) + 1e-4 * sum(p * p for p in model.parameters())
    return model, X, y, scores, total


def torch_grads(model, X, y):
    """The same loss in PyTorch float64: (loss, scores, the grads in model.parameters() order)."""
    mats = []
    for layer in model.layers:
        w = torch.tensor([[float(v.data) for v in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([float(n.b.data) for n in layer.neurons], dtype=torch.float64)
        mats.append((w.requires_grad_(), b.requires_grad_()))
    h = torch.tensor(X, dtype=torch.float64)
    for i, (w, b) in enumerate(mats):
        h = h @ w.T + b
        if i < len(mats) - 1:
            h = torch.relu(h)
    s = h[:, 0]
    params = [t for pair in mats for t in pair]
    loss = torch.relu(1 - torch.tensor(y) * s).mean() + 1e-4 * sum((p * p).sum() for p in params)
    loss.backward()
    grads = []
    for w, b in mats:  # model.parameters(): each neuron's weights, then its bias
        for row, bias in zip(w.grad.tolist(), b.grad.tolist(), strict=True):
            grads += [*row, bias]
    return float(loss.detach()), s.detach().numpy(), grads


@pytest.mark.parametrize(
    "n, widths",
    [(7, [5, 1]), (40, [6, 6, 1]), (300, [16, 16, 1]), (3, [1, 1]), (600, [16, 16, 1]), (4000, [16, 16, 1])],
)
def test_array_step_against_pytorch(n, widths):
    """forward_array / backward_array (twice, with an update between: the cleared gradients) give
    PyTorch's loss, scores and gradients; the first layer's inputs are gathered, the last has one
    output column. At 600 rows the hidden layer's bias is added 30 rows at a time; at 4,000 rows
    the hidden layer's products run as two blocks of rows (W's gradient a sum of two products)
    and the last layer's input gradient is einsum's outer product."""
    model, X, y, scores, total = hinge_graph(n, widths)
    prog = micrograd.compile(total, model.parameters(), exact=False)
    assert prog.matrices == len(widths)  # every layer one grid
    prog.read_leaves()
    for _ in range(2):
        loss = prog.forward_array()
        grads = prog.backward_array()
        prog.sync_to_values()  # the params' .data for the reference, unchanged by the sync
        ref_loss, ref_scores, ref_grads = torch_grads(model, X, y)
        assert close(loss, ref_loss, REL), (loss, ref_loss)
        got = prog.values(scores)
        assert all(close(a, b, REL) for a, b in zip(got.tolist(), ref_scores.tolist(), strict=True))
        scale = max(map(abs, ref_grads))  # hinge terms cancel: ulps of the largest gradient
        for g, r in zip(grads.tolist(), ref_grads, strict=True):
            assert abs(g - r) <= REL * max(abs(r), scale), (g, r)
        prog.param_data -= 0.1 * prog.param_grad


def test_values_is_a_copy_and_follows_the_nodes():
    """values() returns an array the next forward pass leaves alone, and reads the nodes it is
    given now, also when the same list object changed in place since the last call."""
    model, X, y, scores, total = hinge_graph(20, [4, 1])
    prog = micrograd.compile(total, model.parameters(), exact=False)
    prog.forward()
    first = prog.values(scores)
    assert first.tolist() == [prog.value_of(s) for s in scores]
    kept = first.copy()
    first[:] = 0.0  # writing the copy changes nothing inside
    assert prog.values(scores).tolist() == kept.tolist()
    prog.param_data += 0.5
    prog.forward_array()
    assert first.tolist() == [0.0] * len(scores)  # not a view of the buffer
    moved = prog.values(scores)
    assert moved.tolist() != kept.tolist()
    nodes = list(scores)
    prog.values(nodes)
    nodes.reverse()  # the same list object, other nodes at each place
    assert prog.values(nodes).tolist() == moved[::-1].tolist()
    nodes[0] = total  # the root, not a score: a node elsewhere in the buffer
    assert prog.values(nodes)[0] == prog.value_of(total)
    inputs = [v for row in [list(map(Value, r)) for r in X[:2]] for v in row]
    with pytest.raises(KeyError):  # nodes of another graph: the error names the node
        prog.values(inputs)


def test_values_through_the_values_path_matches_eager():
    """Program.forward() then values(): the eager engine's scores (a fresh eager graph)."""
    model, X, y, scores, total = hinge_graph(50, [8, 8, 1])
    prog = micrograd.compile(total, model.parameters(), exact=False)
    prog.forward()
    eager = [model(list(map(Value, row))).data for row in X]
    got = prog.values(scores).tolist()
    assert all(close(a, b, REL) for a, b in zip(got, eager, strict=True))
