"""Value's graph, backward() semantics, errors, no_grad and detach."""

from __future__ import annotations

import gc
import math
import operator

import pytest

from micrograd.engine import Value, is_grad_enabled, no_grad, sum_of, topological_order

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand


def test_attributes_and_repr_follow_the_original(original):
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert (c.data, c.grad, c._op, c.label) == (-6.0, 0, "*", "")
    assert c._prev == {a, b} and isinstance(c._prev, set)
    assert c._children == (a, b)
    oa, ob = original.engine.Value(2.0), original.engine.Value(-3.0)
    assert repr(c) == repr(oa * ob) == "Value(data=-6.0, grad=0)"
    assert repr(Value(1)) == repr(original.engine.Value(1))
    for expr in (lambda v: v**2, lambda v: v.relu(), lambda v: v + v, lambda v: v * v):
        assert expr(a)._op == expr(original.engine.Value(2.0))._op


def test_hand_built_nodes_like_the_tutorial():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = Value(a.data * b.data, (a, b), "*", label="c")
    c.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
    d = Value(7.0, (a, b), "?")
    assert d._op == "?"
    with pytest.raises(TypeError, match="cannot differentiate through op '\\?'"):
        d.backward()


def test_in_place_operators_build_new_nodes():
    a = Value(1.0)
    c = a
    c += 1
    assert c is not a and c._children[0] is a and a.data == 1.0


def test_children_keep_their_order():
    a, b = Value(1.0), Value(2.0)
    assert (a - b)._children == (a, b)
    assert (1 - a)._children[1] is a
    assert (2**a)._children[1] is a


def test_backward_through_a_million_node_chain():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert y.data == 1_000_001.0
    assert x.grad == 1.0


def test_second_backward_adds_the_same_amount_like_torch_retain_graph():
    def build(a, b):
        c = a * b
        d = c + a  # shared subexpression: a reaches d twice
        return (d * c).tanh() + d

    a, b = Value(0.3), Value(-0.8)
    out = build(a, b)
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    ta = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-0.8, dtype=torch.float64, requires_grad=True)
    tout = build(ta, tb)
    tout.backward(retain_graph=True)
    tout.backward()
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-15)
    assert (a.grad, b.grad) == pytest.approx((2 * first[0], 2 * first[1]), rel=1e-15)


def test_backward_on_a_leaf():
    a = Value(5.0)
    a.backward()
    assert a.grad == 1.0


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = sum(type(o) is Value for o in gc.get_objects())
        x = Value(0.5)
        y = x
        for _ in range(1000):
            y = (y * 1.01 + x).tanh() + sum_of([y, x, 1.0])
        y.backward()
        del y
        after = sum(type(o) is Value for o in gc.get_objects())
        assert after == before + 1  # only x is left
        assert gc.collect() == 0  # nothing was waiting for the cycle collector
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value("abc"), TypeError, "real number"),
        (lambda: Value(None), TypeError, "real number"),
        (lambda: Value(1 + 2j), TypeError, "real number"),
        (lambda: Value(Value(1.0)), TypeError, "not another Value"),
        (lambda: Value(1) + "x", TypeError, "unsupported operand"),
        (lambda: "x" * Value(1), TypeError, "can't multiply sequence"),
        (lambda: Value(1) ** "x", TypeError, "unsupported operand"),
        (lambda: Value(0.0).log(), ValueError, "positive"),
        (lambda: Value(-1.0).log(), ValueError, "positive"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, "negative power"),
        (lambda: Value(-8) ** 0.5, ValueError, "not a real number"),
        (lambda: Value(-8.0) ** Value(1 / 3), ValueError, "not a real number"),
        (lambda: sum_of([]), ValueError, "at least one"),
        (lambda: sum_of([Value(1.0), "x"]), TypeError, "str"),
    ],
)
def test_bad_input_raises_a_clear_error(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_numbers_of_other_types_are_accepted():
    import fractions

    import numpy as np

    assert Value(np.float64(1.5)).data == 1.5 and type(Value(np.float64(1.5)).data) is float
    assert Value(np.int64(3)).data == 3 and type(Value(np.int64(3)).data) is int
    assert Value(True).data == 1
    assert Value(fractions.Fraction(1, 4)).data == 0.25
    assert (np.int64(-1) * Value(2.0)).data == -2.0


def test_no_grad_records_nothing_and_restores_on_exit():
    a = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        b = a * 3 + 1
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert b.data == 7.0 and b._children == () and b._op == ""
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()

    @no_grad()
    def predict(x):
        return x * 2

    assert predict(a)._children == () and is_grad_enabled()


def test_detach_cuts_the_graph():
    a = Value(3.0)
    b = a * a
    c = b.detach() * a  # like torch: b.detach() is a constant
    c.backward()
    ta = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (ta * ta).detach().mul(ta).backward()
    assert a.grad == ta.grad.item() == 9.0
    assert b.grad == 0


def test_gradients_with_infinities_and_nans_propagate_like_torch():
    a = Value(math.inf)
    out = a.tanh()
    out.backward()
    t = torch.tensor(math.inf, dtype=torch.float64, requires_grad=True)
    torch.tanh(t).backward()
    assert (out.data, a.grad) == (t.tanh().item(), t.grad.item())


def test_topological_order_lists_each_node_once_after_its_children():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a  # a reached twice
    e = d.tanh() * c  # c shared
    order = topological_order(e)
    assert len(order) == len(set(order)) == 6
    assert order[-1] is e
    pos = {v: i for i, v in enumerate(order)}
    assert all(pos[child] < pos[v] for v in order for child in v._children)
    # children in order, depth first: the same list as the original's build_topo, whose
    # recursion visits children in set order, once the children are walked in order
    seen, expected = set(), []

    def build(v):
        if v not in seen:
            seen.add(v)
            for child in v._children:
                build(child)
            expected.append(v)

    build(e)
    assert order == expected
    assert topological_order(e, leaves=False) == [v for v in expected if v._children]
    assert topological_order(a) == [a] and topological_order(a, leaves=False) == []


def test_topological_order_refuses_a_non_value():
    with pytest.raises(TypeError, match="needs a Value, got float"):
        topological_order(1.0)


def test_float_item_and_ordering_read_data_like_torch():
    a, b = Value(2.5), Value(-1.0)
    ta, tb = torch.tensor(2.5, dtype=torch.float64), torch.tensor(-1.0, dtype=torch.float64)
    assert float(a) == float(ta) == 2.5 and type(float(Value(3))) is float
    assert a.item() == ta.item() and Value(3).item() == 3 and type(Value(3).item()) is int
    pairs = [(a, b, ta, tb), (a, 2.5, ta, 2.5), (b, 0, tb, 0), (2.5, a, 2.5, ta), (a, a, ta, ta)]
    for x, y, tx, ty in pairs:
        got = (x < y, x <= y, x > y, x >= y)
        want = tuple(bool(r) for r in (tx < ty, tx <= ty, tx > ty, tx >= ty))
        assert got == want and all(type(r) is bool for r in got), (x, y)
    loss = a * b
    if loss < 0.01:  # the learner's check
        recorded = loss._children
    assert recorded == (a, b) and a.grad == 0  # comparing records nothing


def test_equality_and_hashing_stay_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b}) == 2 and {a: 1}[a] == 1
    assert (a <= b) and (a >= b)  # equal numbers, different nodes


def test_ordering_with_a_non_number_raises():
    with pytest.raises(TypeError, match="'<' not supported"):
        operator.lt(Value(1.0), "x")
    with pytest.raises(TypeError, match="'>=' not supported"):
        operator.ge(Value(1.0), None)
