"""backward() on a graph built before a leaf's .data changed: the documented behaviour.

The local derivatives read the values the graph stored when it was built and each leaf's
``.data`` as it is now, so the old graph mixes the two (PyTorch raises instead; detecting it
would slow every operation, see benchmarks/README.md). Rebuilding the graph gives the gradient
at the new value.
"""

from __future__ import annotations

import math

import pytest

from micrograd.engine import Value

torch = pytest.importorskip("torch")


def torch_grad(x: float) -> float:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (t * t).tanh().backward()
    return t.grad.item()


def test_an_old_graph_mixes_the_stored_values_with_the_leaf_as_it_is_now():
    a = Value(2.0)
    y = (a * a).tanh()
    a.data = 0.5
    y.backward()
    # by hand: tanh's derivative reads its stored output tanh(2 * 2); mul's reads a as it is now
    mixed = (1 - math.tanh(2.0 * 2.0) ** 2) * (0.5 + 0.5)
    assert a.grad == pytest.approx(mixed, rel=1e-12)
    assert y.data == math.tanh(4.0)  # the node keeps the value it was built with
    assert a.grad != pytest.approx(torch_grad(2.0)) and a.grad != pytest.approx(torch_grad(0.5))


def test_rebuilding_the_graph_gives_the_gradient_at_the_new_value():
    a = Value(2.0)
    (a * a).tanh().backward()
    assert a.grad == pytest.approx(torch_grad(2.0), rel=1e-12)
    a.data, a.grad = 0.5, 0.0
    (a * a).tanh().backward()
    assert a.grad == pytest.approx(torch_grad(0.5), rel=1e-12)
