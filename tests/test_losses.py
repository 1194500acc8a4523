"""Every loss against PyTorch (float64): the value, and the gradient with respect to each input."""

import random

import pytest

from micrograd.engine import Value
from micrograd.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_regularization,
    log_softmax,
    mse_loss,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL = 1e-12


def leaves(numbers):
    return [Value(x) for x in numbers]


def tensor(numbers):
    return torch.tensor(numbers, dtype=torch.float64, requires_grad=True)


def assert_close(ours: Value, inputs: list[Value], theirs, t) -> None:
    ours.backward()
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=RTOL, abs=1e-15)
    expected = t.grad.flatten().tolist()
    assert [v.grad for v in inputs] == pytest.approx(expected, rel=RTOL, abs=1e-15)


@pytest.fixture
def rng():
    return random.Random(7)


def test_hinge_loss_matches_torch(rng):
    scores = [rng.uniform(-3, 3) for _ in range(20)]
    ys = [rng.choice([-1, 1]) for _ in range(20)]
    v, t = leaves(scores), tensor(scores)
    theirs = torch.relu(1 - torch.tensor(ys, dtype=torch.float64) * t).mean()
    assert_close(hinge_loss(v, ys), v, theirs, t)


def test_hinge_loss_is_the_demos_expression():
    # the demo: sum((1 + -yi * scorei).relu() ...) * (1.0 / len(losses)), to the last digit
    scores, ys = [0.3, -1.7, 2.5, 0.0], [1, 1, -1, -1]
    v = leaves(scores)
    demo = sum((1 + -yi * si).relu() for yi, si in zip(ys, v, strict=True)) * (1.0 / len(v))
    assert hinge_loss(v, ys).data == demo.data


def test_mse_matches_torch(rng):
    preds = [rng.uniform(-3, 3) for _ in range(15)]
    targets = [rng.uniform(-1, 1) for _ in range(15)]
    v, t = leaves(preds), tensor(preds)
    theirs = F.mse_loss(t, torch.tensor(targets, dtype=torch.float64))
    assert_close(mse_loss(v, targets), v, theirs, t)


@pytest.mark.parametrize("scale", [1.0, 30.0, 800.0])  # 800: exp(800) would overflow a naive formula
def test_bce_with_logits_matches_torch(rng, scale):
    logits = [scale * rng.uniform(-1, 1) for _ in range(16)] + [0.0]
    targets = [rng.choice([0.0, 1.0, 0.25]) for _ in range(17)]
    v, t = leaves(logits), tensor(logits)
    theirs = F.binary_cross_entropy_with_logits(t, torch.tensor(targets, dtype=torch.float64))
    assert_close(binary_cross_entropy_with_logits(v, targets), v, theirs, t)


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])  # 1000: exp(1000) overflows without the shift
def test_cross_entropy_matches_torch(rng, scale):
    n, k = 10, 4
    logits = [[scale * rng.uniform(-1, 1) for _ in range(k)] for _ in range(n)]
    targets = [rng.randrange(k) for _ in range(n)]
    v = [leaves(row) for row in logits]
    t = tensor(logits)
    theirs = F.cross_entropy(t, torch.tensor(targets))
    assert_close(cross_entropy(v, targets), [x for row in v for x in row], theirs, t)


def test_log_softmax_matches_torch(rng):
    logits = [rng.uniform(-5, 5) for _ in range(6)]
    v, t = leaves(logits), tensor(logits)
    ours, theirs = log_softmax(v), torch.log_softmax(t, dim=0)
    assert [o.data for o in ours] == pytest.approx(theirs.tolist(), rel=RTOL)
    weights = [rng.uniform(-1, 1) for _ in range(6)]  # a scalar that depends on every output
    assert_close(
        sum(w * o for w, o in zip(weights, ours, strict=True)),
        v,
        (torch.tensor(weights, dtype=torch.float64) * theirs).sum(),
        t,
    )


def test_l2_regularization_matches_torch(rng):
    params = [rng.uniform(-2, 2) for _ in range(30)]
    v, t = leaves(params), tensor(params)
    assert_close(l2_regularization(v, 1e-4), v, 1e-4 * (t * t).sum(), t)


def graph(root):
    """Every node under root."""
    nodes, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node._children)
    return list(nodes.values())


def test_losses_are_graphs_of_primitives():
    # built from Value ops, so backward() and draw_dot see every step down to the inputs
    v = leaves([0.5, -0.5])
    nodes = graph(cross_entropy([v], [1]))
    assert all(any(n is x for n in nodes) for x in v)
    assert {"exp", "log"} <= {n._op for n in nodes}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        mse_loss(leaves([1.0, 2.0]), [1.0])
    with pytest.raises(ValueError, match="empty"):
        hinge_loss([], [])
    with pytest.raises(ValueError, match="out of range"):
        cross_entropy([leaves([1.0, 2.0])], [2])
