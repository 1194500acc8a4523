"""``out._backward = fn``, the original micrograd's (and the lecture's) way to add an operation.

The same closure code runs on the original micrograd 0.1.0 and on ours and must
give the same numbers, bit for bit; PyTorch float64 is the outside reference.
"""

from __future__ import annotations

import gc
import math

import pytest

import micrograd
from micrograd import Value, grad, hessian

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand


# the lecture's code, for any Value class (the original's or ours)
def lecture_exp(V, x):
    out = V(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    return out


def lecture_tanh(V, x):
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = V(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def cube(V, x):  # an op neither engine knows
    out = V(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    return out


def neuron(V, activation):
    """The lecture's neuron: o = activation(x1*w1 + x2*w2 + b); its leaves, then o."""
    x1, x2, w1, w2 = V(2.0), V(0.0), V(-3.0), V(1.0)
    b = V(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    return (x1, x2, w1, w2, b), n, activation(V, n)


def tanh_via_exp(V, n):  # (e - 1) / (e + 1) with e = exp(2n), written with ops both engines compute alike
    e = lecture_exp(V, 2 * n)
    return (e + (-1)) * (e + 1) ** -1


def torch_neuron(activation):
    leaves = [
        torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    ]
    x1, x2, w1, w2, b = leaves
    activation(x1 * w1 + x2 * w2 + b).backward()
    return [t.grad.item() for t in leaves]


@pytest.mark.parametrize(
    ("activation", "reference"),
    [
        (lecture_tanh, torch.tanh),
        (tanh_via_exp, torch.tanh),
        (cube, lambda t: t**3),
        (lecture_exp, torch.exp),
    ],
)
def test_the_lectures_closures_give_the_originals_numbers_and_pytorchs(original, activation, reference):
    ours, _, o = neuron(Value, activation)
    theirs, _, to = neuron(original.engine.Value, activation)
    o.backward()
    to.backward()
    assert o.data == to.data and o._op == to._op
    assert [v.grad for v in ours] == [v.grad for v in theirs]
    assert [v.grad for v in ours] == pytest.approx(torch_neuron(reference), rel=1e-12, abs=1e-15)


def test_the_lectures_manual_backward_calls_give_the_originals_numbers(original):
    """o.grad = 1; o._backward(); n._backward(); ... by hand, through ordinary and hand-written nodes."""
    results = []
    for V in (Value, original.engine.Value):
        x1, x2, w1, w2, b = V(2.0), V(0.0), V(-3.0), V(1.0), V(6.8813735870195432)
        x1w1, x2w2 = x1 * w1, x2 * w2
        x1w1x2w2 = x1w1 + x2w2
        n = x1w1x2w2 + b
        o = lecture_tanh(V, n)
        o.grad = 1.0
        for node in (o, n, b, x1w1x2w2, x2w2, x1w1, x1, w1, x2, w2):
            node._backward()
        results.append([v.grad for v in (o, n, b, x1w1x2w2, x2w2, x1w1, x1, w1, x2, w2)])
    assert results[0] == results[1]
    assert results[0][6:] == pytest.approx([-1.5, 1.0, 0.5, 0.0], rel=1e-12)


def test_a_hand_written_node_mixes_with_built_in_ones_and_keeps_its_op():
    x = Value(0.7)
    y = lecture_exp(Value, x.tanh() * 3.0)
    z = (y + x) ** 2.0
    z.backward()
    t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    ((torch.exp(torch.tanh(t) * 3.0) + t) ** 2.0).backward()
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-12)
    assert y._op == "exp" and len(y._children) == 1
    assert callable(y._backward) and callable(z._backward)
    y._backward = lambda: None  # assigned again: the new step, the same op
    assert y._op == "exp"
    x.grad = 0
    z.backward()
    assert x.grad == 2.0 * (y.data + x.data)  # only the direct path from y + x to x is left


def test_an_unknown_op_without_a_step_still_says_what_to_do():
    x = Value(2.0)
    with pytest.raises(TypeError, match=r"op 'cube'.*out._backward = fn.*define_op"):
        Value(8.0, (x,), "cube").backward()


def test_the_step_must_be_callable():
    with pytest.raises(TypeError, match="_backward must be a function of no arguments, got float"):
        Value(1.0)._backward = 1.0


def test_reading_backward_of_a_leaf_gives_a_step_that_does_nothing():
    a = Value(3.0)
    a._backward()
    assert a.grad == 0


def test_what_cannot_differentiate_a_closure_says_so_and_names_the_op():
    pytest.importorskip("numpy")
    x = Value(0.4)
    y = cube(Value, x) * x
    for call in (
        lambda: y.backward(create_graph=True),
        lambda: grad(y, x),
        lambda: hessian(lambda a: cube(Value, a), [0.4]),
    ):
        with pytest.raises(TypeError, match=r"op 'cube'.*assigned by hand.*micrograd.define_op"):
            call()
    with pytest.raises(TypeError, match=r"op 'cube'.*assigned by hand.*define_op"):
        micrograd.compile(y)


def test_on_a_subclass_too():
    class Mine(Value):  # a subclass without __slots__ has a __dict__: the assignment still goes to the node
        pass

    x = Mine(1.5)
    y = cube(Mine, x)
    y.backward()
    assert x.grad == 3 * 1.5**2


def test_the_closure_makes_a_reference_cycle_that_ordinary_nodes_do_not():
    x = Value(1.0)
    y = lecture_exp(Value, x)  # y -> its step -> y, freed by the cycle collector, not by reference counts
    assert any(cell.cell_contents is y for cell in y._backward.__closure__)
    z = x.exp()  # an ordinary node refers to the shared table entry and its children only
    referents = [
        r for r in gc.get_referents(z) if r is not None and not isinstance(r, (int, float, str, type))
    ]
    assert referents == [x, micrograd.primitives.EXP]
