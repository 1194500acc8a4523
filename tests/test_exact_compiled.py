"""The compiled backend's bit-exact promise, tested with equality on the cases that break it (issue 18).

``micrograd.compile`` promises the eager engine's values and gradients bit for bit. Here each
claim is checked with ``==`` on inputs chosen so that a different order of additions, a pairwise
sum, a moved branch point or a wrong special case changes the result: sums whose rounding depends
on the order (references: Python's left-to-right ``reduce`` over floats), the zero and negative
bases of ``**``, relu and sigmoid at their branch points, the ``sum`` and ``dot`` nodes, and the
errors the eager engine raises. This file is the first stage of ``make mutation`` for the
compiled backend.
"""

from __future__ import annotations

import math
import operator
from functools import reduce

import pytest

pytest.importorskip("numpy")

import micrograd  # noqa: E402
from micrograd.engine import Value, dot, sum_of  # noqa: E402

# terms whose left-to-right sum differs from a pairwise one (and from any other order)
TERMS = [1e16, 1.0, -1e16, 1.0, 0.1, 0.2, 0.3, -0.6, 3.5, 1e-3, 2.0**-30, 7.0, -1.0, 1e16, -1e16, 0.7]


def same(x: float, y: float) -> bool:
    """Equal bit for bit (nan equal to nan; 0.0 and -0.0 told apart)."""
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def compiled_and_eager(build, values, params=None):
    """(compiled value, compiled grads), (eager value, eager grads) of build(*leaves)."""
    leaves = [Value(v) for v in values]
    root = build(*leaves)
    prog = micrograd.compile(root, params(leaves) if params else None)
    value = prog.forward()
    prog.backward()
    compiled = (value, [leaf.grad for leaf in leaves])
    fresh = [Value(v) for v in values]
    eager_root = build(*fresh)
    eager_root.backward()
    return compiled, (eager_root.data, [leaf.grad for leaf in fresh])


def assert_same(build, values, params=None):
    (cv, cg), (ev, eg) = compiled_and_eager(build, values, params)
    assert same(cv, ev), (cv, ev)
    assert all(same(float(c), float(e)) for c, e in zip(cg, eg, strict=True)), (cg, eg)
    return (cv, cg), (ev, eg)


def test_a_one_column_sum_is_the_left_to_right_sum():
    """A single sum node of many terms (one column of the sum table): not numpy's pairwise sum."""
    want = reduce(operator.add, TERMS)
    assert want != math.fsum(TERMS)  # the order matters for these terms
    for build in (lambda *xs: sum_of(xs), lambda *xs: sum(xs[1:], xs[0])):
        (value, grads), _ = assert_same(build, TERMS)
        assert value == want
        assert grads == [1.0] * len(TERMS)


def test_a_dot_node_is_the_left_to_right_sum_of_its_products():
    ws, xs = TERMS[:8], TERMS[8:]
    want = reduce(operator.add, [w * x for w, x in zip(ws, xs)], 0.25)

    def build(*v):
        return dot((v[0], *v[1:9]), tuple(v[9:]))

    (value, grads), _ = assert_same(build, [0.25, *ws, *xs])
    assert value == want
    assert grads == [1.0, *xs, *ws]


def test_a_gradient_gathered_from_many_uses_adds_them_in_the_eager_order():
    """One leaf used by many nodes: its gradient is the sum of every use's part, in the eager
    order (a pairwise or reordered sum changes the last bits)."""

    def build(x, *cs):
        return sum_of([(x * c).tanh() * c for c in cs]) + x * cs[0]

    values = [0.3, *[t / 1e15 if abs(t) > 10 else t for t in TERMS]]
    assert_same(build, values)
    assert_same(build, values, params=lambda leaves: leaves[:1])

    def chain(x, y):  # x in nine nodes of different sizes: the gradient row sums of x
        return sum_of([x * y, x * 1e16, x * -1e16, x * 0.1, x * 0.2, x * y * y, x.tanh(), (x * 3.0).exp(), x])

    assert_same(chain, [0.3, -1.7])


def test_many_nodes_with_the_same_number_of_contributions():
    """Nodes grouped by their number of contributions are summed row by row; here 8 leaves with
    3 contributions each, and others with 1, 2 and 5."""

    def build(*xs):
        n = len(xs)
        parts = [xs[i] * xs[(i + 1) % n] * 1e8 + xs[i] * 1e-8 + xs[i].tanh() for i in range(n)]
        parts += [xs[0] * 3.0, xs[1] * 0.1, xs[1].exp()]
        return sum(p.tanh() for p in parts)

    assert_same(build, [0.1 * k - 0.37 for k in range(8)])


@pytest.mark.parametrize(
    ("base", "exponent"),
    [(0.0, 2.0), (0.0, 3.0), (0.0, 1.0), (0.0, 0.5), (-2.0, 2.0), (-0.5, 3.0), (0.25, 0.5)],
)
def test_pow_at_a_zero_or_negative_base(base, exponent):
    """x**y on purpose at x = 0 (d/dy 0, d/dx 0, 1 or inf) and below (d/dy nan), compiled as
    eager, and with the formula's values."""

    def build(a, b):
        return (a**b) * 1.0

    (value, (da, db)), _ = assert_same(build, [base, exponent])
    assert value == base**exponent
    if base == 0:
        assert db == 0.0 and da == {2.0: 0.0, 3.0: 0.0, 1.0: 1.0, 0.5: math.inf, 0.0: 0.0}[exponent]
    elif base < 0:
        assert math.isnan(db) and da == exponent * base ** (exponent - 1)
    else:
        assert math.isclose(db, value * math.log(base), rel_tol=1e-15)


@pytest.mark.parametrize("k", [2, 3, 1, 0, 0.5, -1, -2.5])
def test_pow_const_at_and_away_from_zero(k):
    for base in ([0.0] if k >= 0 else []) + [0.75, 1.0, 1.5, -0.5]:
        if base < 0 and not float(k).is_integer():
            continue
        assert_same(lambda a, k=k: a**k + a, [base])
    for base in (0.75, 1.0):
        (_, (d,)), _ = assert_same(lambda a, k=k: a**k * 1.0, [base])
        assert math.isclose(d, k * base ** (k - 1), rel_tol=1e-15)


def test_relu_and_sigmoid_at_their_branch_points():
    """relu at 0 and -0.0 (derivative 0 at 0, the sign of zero kept); sigmoid on both sides of 0
    bit for bit (the stable form switches formula there)."""
    for p in [-1.0, -0.0, 0.0, 1e-300, 0.5]:
        (_, (d,)), _ = assert_same(lambda a: a.relu() * 1.0, [p])
        assert d == (1.0 if p > 0 else 0.0)
    values = [k / 16 for k in range(-24, 25)] + [-1e-300, 1e-300, -745.0, 40.0]
    for p in values:
        assert_same(lambda a: a.sigmoid() + 0.0 * a, [p])
    nodes = [Value(p).sigmoid() for p in values]
    prog = micrograd.compile(sum_of(nodes))
    prog.forward()  # every node's value, as one vectorised group
    stable = [1.0 / (1.0 + math.exp(-p)) if p >= 0 else math.exp(p) / (1.0 + math.exp(p)) for p in values]
    assert [prog.value_of(n) for n in nodes] == stable


@pytest.mark.parametrize(
    "name", ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "tanh", "sigmoid", "relu", "sum", "dot"]
)
def test_each_rule_in_a_group_of_several_nodes(name):
    """Each primitive over several nodes at once (one vectorised group), values and gradients."""
    ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "neg": lambda a, b: -a * b,
        "exp": lambda a, b: a.exp() * b,
        "log": lambda a, b: a.log() * b,
        "tanh": lambda a, b: a.tanh() * b,
        "sigmoid": lambda a, b: (a - 1.0).sigmoid() * b,
        "relu": lambda a, b: (a - 1.0).relu() * b,
        "sum": lambda a, b: sum_of([a, b * b, a * b]),
        "dot": lambda a, b: dot((a, b, a * b), (b, a - 1.0)),
    }
    pairs = [(1.3, 0.7), (2.1, -1.5), (0.4, 3.0), (0.9, 0.25)]

    def build(*v):
        return sum_of([ops[name](v[2 * i], v[2 * i + 1]) * (i + 1.5) for i in range(len(pairs))])

    flat = [x for p in pairs for x in p]
    assert_same(build, flat)
    assert_same(build, flat, params=lambda leaves: leaves[1::2])


def test_the_eager_errors_are_raised_by_the_program():
    cases = [
        (
            lambda a, b: a / b,
            [1.5, 0.0],
            ZeroDivisionError,
            "division by zero: 1.5 / 0; the divisor must be nonzero",
        ),
        (
            lambda a, b: a**b,
            [0.0, -2.0],
            ZeroDivisionError,
            "0 cannot be raised to a negative power (0.0 ** -2.0)",
        ),
        (
            lambda a, b: (a - b).log(),
            [1.0, 1.0],
            ValueError,
            "log is defined only for positive numbers, got 0.0",
        ),
        (
            lambda a, b: a**-1 + b,
            [0.0, 1.0],
            ZeroDivisionError,
            "0 cannot be raised to a negative power (0.0 ** -1)",
        ),
    ]
    for build, bad, error, message in cases:
        leaves = [Value(2.0), Value(1.0)]
        prog = micrograd.compile(build(*leaves))
        prog.forward()
        for leaf, v in zip(leaves, bad, strict=True):
            leaf.data = v
        with pytest.raises(error) as err:
            prog.forward()
        assert str(err.value) == message


def test_overflow_is_inf_in_the_program_as_in_the_eager_engine():
    for build, bad in [(lambda a, b: a**b, [10.0, 400.0]), (lambda a, b: (a * b).exp(), [710.0, 1.0])]:
        leaves = [Value(2.0), Value(1.0)]
        prog = micrograd.compile(build(*leaves))
        prog.forward()
        for leaf, v in zip(leaves, bad, strict=True):
            leaf.data = v
        assert prog.forward() == math.inf == build(Value(bad[0]), Value(bad[1])).data


def test_backward_adds_to_the_leaves_like_the_eager_engine():
    a, b = Value(1.5), Value(-2.0)
    prog = micrograd.compile(a * b + a)
    a.grad, b.grad = 0.25, 0.5
    prog.forward()
    prog.backward()
    prog.backward()
    assert (a.grad, b.grad) == (0.25 + 2 * (-2.0 + 1.0), 0.5 + 2 * 1.5)
    leaf = Value(3.0)
    lone = micrograd.compile(leaf)
    assert lone.forward() == 3.0
    lone.backward()
    lone.backward()
    assert leaf.grad == 2.0


def test_interior_values_and_grads_read_back():
    """value_of/grad_of for nodes folded into a sum (links of a chain, fused products) are the
    eager partial sums and gradients."""
    xs = [Value(t) for t in TERMS[:8]]
    prods = [xs[i] * xs[i + 1] for i in range(7)]
    partial = [prods[0]]
    for p in prods[1:]:
        partial.append(partial[-1] + p)
    root = partial[-1] * 2.0 - xs[0]
    prog = micrograd.compile(root)
    prog.forward()
    prog.backward(write_back=False)
    for i, node in enumerate(partial):
        assert prog.value_of(node) == reduce(operator.add, [p.data for p in prods[: i + 1]])
        assert prog.grad_of(node) == 2.0
    for p in prods:
        assert prog.value_of(p) == p.data
    ref = [Value(t) for t in TERMS[:8]]
    eager = sum((ref[i] * ref[i + 1] for i in range(1, 7)), ref[0] * ref[1]) * 2.0 - ref[0]
    eager.backward()
    assert [x.grad for x in xs] == [x.grad for x in ref]


def test_write_back_gives_interior_nodes_the_eager_values_and_grads():
    def build(a, b):
        u = a * b
        v = u.tanh() + a
        return u, v, v * u - b

    a, b = Value(0.7), Value(-1.2)
    u, v, root = build(a, b)
    prog = micrograd.compile(root)
    for node in (u, v):
        node.data, node.grad = 99.0, 99.0
    prog.forward(write_back=True)
    prog.backward(write_back=True)
    ea, eb = Value(0.7), Value(-1.2)
    eu, ev, eroot = build(ea, eb)
    eroot.backward()
    assert [(n.data, n.grad) for n in (u, v, root, a, b)] == [
        (n.data, n.grad) for n in (eu, ev, eroot, ea, eb)
    ]


def test_gradients_of_nodes_with_many_different_numbers_of_uses():
    """Leaf k used k times (1 to 12): more kinds of contribution counts than are summed row by
    row, so the rest go through the ordered bincount; every gradient as eager's."""

    def build(*xs):
        terms = [(x * (0.1 * k + j)).tanh() for k, x in enumerate(xs, 1) for j in range(k)]
        return sum_of(terms)

    values = [0.05 * k - 0.2 for k in range(12)]
    assert_same(build, values)
    assert_same(build, values, params=lambda leaves: leaves[::2])
    assert_same(build, values, params=lambda leaves: leaves[:1])  # the other leaves' range starts at 1
