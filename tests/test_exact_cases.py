"""The edge cases a wrong derivative hides behind, each tested on purpose (issue 18).

Every primitive's value, first and second derivative at points chosen for it (zero and negative
bases, the branch points of relu and sigmoid, exponents 0 and 1), against references written here
independently: calculus formulas through ``math``, exact rational arithmetic (``fractions``), the
original micrograd 0.1.0 (the ``original`` fixture), central differences with exact dyadic steps.
Also: the graph walk (leaves, shared children, hand-built nodes, reflected operators), our own
error messages word for word, and gradcheck / gradgradcheck shown to fail on wrong derivatives.
This file is the first stage of ``make mutation`` (tools/mutation.py): it is quick and needs
neither PyTorch nor numpy.
"""

from __future__ import annotations

import math
import operator
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import reduce

import pytest

import micrograd
from micrograd.engine import Value, dot, sum_of, topological_order
from micrograd.functional import grad, hessian
from micrograd.gradcheck import (
    analytic_gradient,
    gradcheck,
    gradgradcheck,
    numerical_gradient,
    numerical_hessian,
)

POINTS = [-2.5, -1.0, -0.3, 0.4, 1.0, 2.2]

# name -> (build from x, f(x), f'(x), f''(x)), each written from the textbook formula
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, lambda x: -1.0, lambda x: 0.0),
    "exp": (lambda x: x.exp(), math.exp, math.exp, math.exp),
    "log": (lambda x: x.log(), math.log, lambda x: 1 / x, lambda x: -1 / x**2),
    "tanh": (
        lambda x: x.tanh(),
        math.tanh,
        lambda x: 1 / math.cosh(x) ** 2,
        lambda x: -2 * math.tanh(x) / math.cosh(x) ** 2,
    ),
    "sigmoid": (
        lambda x: x.sigmoid(),
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
        lambda x: math.exp(-x) * (math.exp(-x) - 1) / (1 + math.exp(-x)) ** 3,
    ),
    "relu": (lambda x: x.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0), lambda x: 0.0),
    "square": (lambda x: x**2, lambda x: x * x, lambda x: 2 * x, lambda x: 2.0),
    "cube": (lambda x: x**3, lambda x: x * x * x, lambda x: 3 * x * x, lambda x: 6 * x),
    "inverse": (lambda x: x**-1, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "power 1": (lambda x: x**1, lambda x: x, lambda x: 1.0, lambda x: 0.0),
    "power 0": (lambda x: x**0, lambda x: 1.0, lambda x: 0.0, lambda x: 0.0),
    "sqrt": (lambda x: x**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), lambda x: -0.25 * x**-1.5),
    "2 ** x": (
        lambda x: 2**x,
        lambda x: 2**x,
        lambda x: 2**x * math.log(2),
        lambda x: 2**x * math.log(2) ** 2,
    ),
    "0.5 ** x": (
        lambda x: 0.5**x,
        lambda x: 0.5**x,
        lambda x: 0.5**x * math.log(0.5),
        lambda x: 0.5**x * math.log(0.5) ** 2,
    ),
    "2 / x": (lambda x: 2 / x, lambda x: 2 / x, lambda x: -2 / x**2, lambda x: 4 / x**3),
    "2 - x": (lambda x: 2 - x, lambda x: 2 - x, lambda x: -1.0, lambda x: 0.0),
}
POSITIVE_ONLY = {"log", "sqrt"}


def near(x: float, y: float, rel: float = 1e-13) -> bool:
    if math.isnan(y) or math.isinf(y):
        return x == y or (math.isnan(x) and math.isnan(y))
    return abs(x - y) <= rel * max(abs(y), 1e-300) + 1e-300


def cases():
    for name in UNARY:
        for p in POINTS:
            if name in POSITIVE_ONLY and p <= 0:
                continue
            yield pytest.param(name, p, id=f"{name}({p})")


@pytest.mark.parametrize(("name", "p"), list(cases()))
def test_unary_value_first_and_second_derivative(name, p):
    build, f, df, d2f = UNARY[name]
    x = Value(p)
    y = build(x)
    assert near(y.data, f(p), 1e-15), (y.data, f(p))
    y.backward()
    assert near(x.grad, df(p)), (x.grad, df(p))
    (g,) = grad(build(x), [x], create_graph=True)
    assert near(g.data, df(p)), (g.data, df(p))
    (h,) = grad(g, [x]) if isinstance(g, Value) and g._children else [Value(0.0)]
    assert near(h.data, d2f(p), 1e-12), (h.data, d2f(p))


# two inputs: (build, f, df/da, df/db, d2f/da2, d2f/dadb, d2f/db2)
BINARY = {
    "add": (operator.add, operator.add, lambda a, b: 1.0, lambda a, b: 1.0, 0, 0, 0),
    "sub": (operator.sub, operator.sub, lambda a, b: 1.0, lambda a, b: -1.0, 0, 0, 0),
    "mul": (operator.mul, operator.mul, lambda a, b: b, lambda a, b: a, 0, lambda a, b: 1.0, 0),
    "div": (
        operator.truediv,
        operator.truediv,
        lambda a, b: 1 / b,
        lambda a, b: -a / b**2,
        0,
        lambda a, b: -1 / b**2,
        lambda a, b: 2 * a / b**3,
    ),
    "pow": (
        operator.pow,
        math.pow,
        lambda a, b: b * a ** (b - 1),
        lambda a, b: a**b * math.log(a),
        lambda a, b: b * (b - 1) * a ** (b - 2),
        lambda a, b: a ** (b - 1) * (1 + b * math.log(a)),
        lambda a, b: a**b * math.log(a) ** 2,
    ),
}
PAIRS = [(1.5, 0.75), (0.3, -2.0), (2.0, 3.0), (0.8, 0.5)]


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize(("p", "q"), PAIRS)
def test_binary_value_first_and_second_derivatives(name, p, q):
    build, f, da, db, daa, dab, dbb = BINARY[name]
    const = lambda v: (lambda a, b: float(v)) if not callable(v) else v  # noqa: E731
    a, b = Value(p), Value(q)
    out = build(a, b)
    assert near(out.data, f(p, q), 1e-15)
    out.backward()
    assert near(a.grad, da(p, q)) and near(b.grad, db(p, q)), (a.grad, b.grad)
    h = hessian(lambda a, b: build(a, b), [p, q])
    want = [[const(daa)(p, q), const(dab)(p, q)], [const(dab)(p, q), const(dbb)(p, q)]]
    assert all(near(h[i][j], want[i][j], 1e-12) for i in range(2) for j in range(2)), (h, want)


def test_plain_arithmetic_is_exactly_the_rounded_rational_result():
    """Sums, differences, products and quotients of floats are the exact rational result
    rounded once (IEEE 754), in the operands' order."""
    for p, q in [(0.1, 0.2), (1e16, 1.0), (-3.7, 1e-9), (2.0 / 3, 7.0)]:
        for op in (operator.add, operator.sub, operator.mul, operator.truediv):
            for x, y in [(p, q), (q, p)]:
                assert op(Value(x), Value(y)).data == float(op(Fraction(x), Fraction(y)))
                assert op(x, Value(y)).data == float(op(Fraction(x), Fraction(y)))
                assert op(Value(x), y).data == float(op(Fraction(x), Fraction(y)))


# --- pow at zero and below: the cases the table special-cases --------------------------------
def test_pow_with_a_value_exponent_and_a_negative_base():
    """d(a**b)/db = a**b * log(a) has no real value for a < 0: nan, as PyTorch gives; d/da is
    b * a**(b-1) as ever (here b = 2: 2a; b = 3: 3a**2)."""
    for base, exponent, da in [(-2.0, 2.0, -4.0), (-0.5, 3.0, 0.75), (-3.0, 1.0, 1.0)]:
        a, b = Value(base), Value(exponent)
        out = a**b
        assert out.data == base**exponent
        out.backward()
        assert a.grad == da
        assert math.isnan(b.grad)


def test_pow_at_a_zero_base():
    """At a == 0: d/db is 0 (PyTorch's convention); d/da is b * 0**(b-1): 0 for b > 1, 1 for
    b = 1, inf for 0 < b < 1, and 0 for b = 0 (a**0 is the constant 1; PyTorch gives 0 too); for a
    number exponent likewise."""
    for exponent, da in [(2.0, 0.0), (3.0, 0.0), (1.0, 1.0), (0.5, math.inf), (0.0, 0.0), (0, 0.0)]:
        a, b = Value(0.0), Value(exponent)
        out = a**b
        assert out.data == (1.0 if exponent == 0 else 0.0)
        out.backward()
        assert a.grad == da, (exponent, a.grad)
        assert b.grad == 0.0 and not math.isnan(b.grad)
        x = Value(0.0)
        (x**exponent).backward()
        assert x.grad == da, (exponent, x.grad)


def test_pow_of_a_one_exponent_keeps_its_third_derivative_finite():
    """x**2's third derivative at 0 is 0 (the derivative of x**1 is the constant 1, not 1 * x**0
    that would give 0 * inf one order up)."""
    x = Value(0.0)
    (g,) = grad(x**2, [x], create_graph=True)
    (h,) = grad(g, [x], create_graph=True)
    assert h.data == 2.0
    (t,) = grad(h, [x]) if h._children else [Value(0.0)]
    assert t.data == 0.0


def test_pow_with_a_positive_base_below_one_and_a_value_exponent():
    a, b = Value(0.25), Value(0.5)
    out = a**b
    out.backward()
    assert out.data == 0.5
    assert near(b.grad, 0.5 * math.log(0.25)) and near(a.grad, 0.5 * 0.25**-0.5)


# --- relu and sigmoid at their branch points -----------------------------------------------
def test_relu_at_zero_and_signed_zero_like_the_original(original):
    for p in [-1.5, -0.0, 0.0, 1e-300, 2.0, -1e-300]:
        ours, theirs = Value(p), original.engine.Value(p)
        out, ref = ours.relu(), theirs.relu()
        assert out.data == ref.data and math.copysign(1, out.data) == math.copysign(1, ref.data), p
        out.backward()
        ref.backward()
        assert ours.grad == theirs.grad, p


def _sigmoid_reference(x: float) -> float:
    """The stable form, written out: 1 / (1 + e**-x) for x >= 0, e**x / (1 + e**x) below."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x) / (1.0 + math.exp(x))


def _sigmoid_decimal(x: float) -> float:
    with localcontext() as ctx:
        ctx.prec = 60
        return float(1 / (1 + (-Decimal(x)).exp()))


SIGMOID_POINTS = [k / 64 for k in range(-96, 97)] + [-1e-300, -5e-324, 0.0, -0.0, 5e-324, -745.0, 40.0]


def test_sigmoid_is_bit_exact_on_both_sides_of_its_branch_point():
    """The branch at 0 is part of the result: the value is the stable formula's, bit for bit, for
    inputs on either side (a branch moved to -1 changes the last bit of many in [-1, 0)), and
    within one rounding of the exact sigmoid (60 digits)."""
    for p in SIGMOID_POINTS:
        got = Value(p).sigmoid().data
        assert got == _sigmoid_reference(p), p
        exact = _sigmoid_decimal(p)
        assert abs(got - exact) <= 2 * math.ulp(exact), p
    assert Value(-800.0).sigmoid().data == 0.0 and Value(800.0).sigmoid().data == 1.0


def test_sigmoid_derivative_is_s_times_one_minus_s():
    for p in SIGMOID_POINTS[::7]:
        x = Value(p)
        x.sigmoid().backward()
        s = _sigmoid_reference(p)
        assert x.grad == s * (1.0 - s), p


# --- our own error messages, word for word --------------------------------------------------
def full(message: str) -> str:
    return "^" + re.escape(message) + "$"


def test_our_error_messages_word_for_word():
    with pytest.raises(
        ZeroDivisionError, match=full("division by zero: 1.5 / 0; the divisor must be nonzero")
    ):
        Value(1.5) / Value(0.0)
    with pytest.raises(ZeroDivisionError, match=full("division by zero: 2 / 0; the divisor must be nonzero")):
        2 / Value(0)
    with pytest.raises(ZeroDivisionError, match=full("0 cannot be raised to a negative power (0.0 ** -1)")):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match=full("0 cannot be raised to a negative power (0.0 ** -2.0)")):
        Value(0.0) ** Value(-2.0)
    with pytest.raises(
        OverflowError,
        match=full(
            "Value() got a number of about 401 digits, too large for a float (the largest is about "
            "1.8e308): pass a float (float('inf') for infinity) or scale the number down"
        ),
    ):
        Value(10**400)
    assert (Value(10.0) ** Value(400.0)).data == math.inf  # overflow is inf, as in PyTorch (IEEE)
    with pytest.raises(
        ValueError, match=full("-8.0 ** 0.5 is not a real number: a negative base needs an integer exponent")
    ):
        Value(-8.0) ** 0.5
    assert Value(710.0).exp().data == math.inf
    with pytest.raises(ValueError, match=full("log is defined only for positive numbers, got 0.0")):
        Value(0.0).log()
    with pytest.raises(ValueError, match=full("log is defined only for positive numbers, got -1.0")):
        Value(-1.0).log()
    assert Value(709.0).exp().data == math.exp(709.0)
    assert Value(5e-324).log().data == math.log(5e-324)


# --- the graph walk ------------------------------------------------------------------------
def test_backward_on_a_leaf_adds_one_each_time():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0
    x.grad = 0.5
    x.backward()
    assert x.grad == 1.5


def test_backward_twice_adds_the_same_amount_to_the_leaves_like_the_original(original):
    def build(V):
        a, b = V(2.0), V(-3.0)
        c = a * b
        return a, b, (c + a) * c.relu() + (b**2).relu() - a * (c + b)

    ours, theirs = build(Value), build(original.engine.Value)
    for n in (1, 2):
        ours[2].backward()
        theirs[2].backward()  # the original adds again too (interior grads included): n = 1 only
        if n == 1:
            want = [theirs[0].grad, theirs[1].grad]
    assert [ours[0].grad, ours[1].grad] == [2 * w for w in want]


def test_shared_children_accumulate(original):
    """x used four times (a diamond and a square): every use adds its part, in one pass."""

    def build(V):
        x, y = V(0.7), V(-1.3)
        u = x * y
        v = x + u
        return x, y, v * v + u * x - (x**2) / y

    ours, theirs = build(Value), build(original.engine.Value)
    ours[2].backward()
    theirs[2].backward()
    assert ours[2].data == theirs[2].data
    assert (ours[0].grad, ours[1].grad) == (theirs[0].grad, theirs[1].grad)

    def same(x, y):
        u = x * y
        v = x + u
        return v * v + u * x - (x**2) / y

    assert gradcheck(same, [0.7, -1.3])


def test_interior_grads_are_this_pass_only():
    x = Value(2.0)
    y = x * 3.0
    z = y * y
    z.backward()
    z.backward()
    assert (z.grad, y.grad) == (1.0, 2 * 6.0)  # not accumulated over the two calls
    assert x.grad == 2 * 36.0


def _postorder(root: Value, leaves: bool) -> list:
    """The specification of topological_order, recursively: children in order, then the node."""
    out, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for c in n._children:
            visit(c)
        if leaves or n._children:
            out.append(n)

    visit(root)
    return out


def test_topological_order_is_the_depth_first_postorder():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = sum_of([d, b, c])
    f = dot((e, c, b), (d, a)) - e.tanh()
    for root in (f, e, d, c):
        assert topological_order(root) == _postorder(root, True)
        assert topological_order(root, leaves=False) == _postorder(root, False)
    assert topological_order(a) == [a] and topological_order(a, leaves=False) == []
    with pytest.raises(TypeError, match="needs a Value, got float"):
        topological_order(1.0)


def test_reflected_operators_record_their_children_in_order():
    v = Value(3.0)
    for expr, first, op in [
        (lambda: 2 + v, 2, "+"),
        (lambda: 2 - v, 2, "-"),
        (lambda: 2 * v, 2, "*"),
        (lambda: 2 / v, 2, "/"),
        (lambda: 2**v, 2, "**"),
        (lambda: v + 2, v, "+"),
        (lambda: v * 2, v, "*"),
    ]:
        out = expr()
        kids = out._children
        assert out._op == op and len(kids) == 2
        assert (kids[0] is v) if first is v else (kids[0].data == first and kids[1] is v), op
    assert (2 - v).data == -1.0 and (2 / v).data == 2 / 3 and (2**v).data == 8.0


def test_a_hand_built_plus_node_backpropagates():
    a, b = Value(2.0), Value(-5.0)
    out = Value(a.data + b.data, (a, b), "+")
    (out * out).backward()
    assert (a.grad, b.grad) == (2 * -3.0, 2 * -3.0)
    p, q = Value(2.0), Value(3.0)
    for op, data, want in [
        ("*", 6.0, (3.0, 2.0)),
        ("-", -1.0, (1.0, -1.0)),
        ("/", 2 / 3, (1 / 3, -2 / 9)),
        ("**", 8.0, (12.0, 8.0 * math.log(2.0))),
    ]:
        p.grad = q.grad = 0
        Value(data, (p, q), op).backward()
        assert near(p.grad, want[0]) and near(q.grad, want[1]), op
    x = Value(0.5)
    Value(x.data**3, (x,), "**3").backward()
    assert x.grad == 3 * 0.25
    for op, f, df in [
        ("neg", lambda v: -v, lambda v: -1.0),
        ("exp", math.exp, math.exp),
        ("log", math.log, lambda v: 1 / v),
        ("tanh", math.tanh, lambda v: 1 / math.cosh(v) ** 2),
        ("sigmoid", lambda v: 1 / (1 + math.exp(-v)), lambda v: math.exp(-v) / (1 + math.exp(-v)) ** 2),
        ("ReLU", lambda v: max(v, 0.0), lambda v: 1.0),
    ]:
        y = Value(2.0)
        node = Value(f(2.0), (y,), op)
        assert node._op == op
        node.backward()
        assert near(y.grad, df(2.0)), op


def test_hand_built_sum_and_dot_nodes():
    """A hand-built "+" of three children is a sum; w·x+b of 2n + 1 children is (b, w.., x..)."""
    a, b, c = Value(1.0), Value(2.0), Value(4.0)
    Value(7.0, (a, b, c), "+").backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 1.0, 1.0)
    bias, w0, w1, x0, x1 = (Value(v) for v in (0.5, 2.0, -3.0, 5.0, 7.0))
    node = Value(0.5 + 10.0 - 21.0, (bias, w0, w1, x0, x1), "w·x+b")
    assert node._op == "w·x+b"
    node.backward()
    assert [v.grad for v in (bias, w0, w1, x0, x1)] == [1.0, 5.0, 7.0, 2.0, -3.0]


@pytest.mark.parametrize("arity", [1, 2, 4, 6])
def test_a_malformed_hand_built_dot_node_is_refused_not_differentiated(arity):
    """w·x+b needs 2n + 1 children (b, w0.., x0..): another count is no DOT, and backward() says
    so instead of pairing the children wrongly."""
    kids = [Value(float(i + 1)) for i in range(arity)]
    node = Value(1.0, kids, "w·x+b")
    with pytest.raises(
        TypeError, match="cannot differentiate through op 'w·x\\+b': it is not a micrograd primitive"
    ):
        node.backward()
    assert all(k.grad == 0 for k in kids)


def test_dot_with_a_list_and_a_tuple_mixed():
    def parts():
        return [Value(0.5), Value(2.0), Value(-3.0)], (Value(5.0), Value(7.0))

    for swap in (False, True):
        bw, xs = parts()
        args = (tuple(bw), list(xs)) if swap else (bw, xs)
        out = dot(*args)
        assert out.data == 0.5 + 2.0 * 5.0 + -3.0 * 7.0
        out.backward()
        assert [v.grad for v in bw] == [1.0, 5.0, 7.0] and [v.grad for v in xs] == [2.0, -3.0]
    with pytest.raises(ValueError, match=full("dot() needs one weight per input: 2 weights, 1 inputs")):
        dot([Value(1.0)] * 3, (Value(1.0),))
    with pytest.raises(TypeError, match="dot\\(\\) takes Values, got float 2.0: wrap numbers in Value\\(\\)"):
        dot((Value(1.0), 2.0), (Value(1.0),))


def test_sum_of_and_dot_add_left_to_right():
    """One node, the same number as Python's sum() over Values (left to right): exact references."""
    floats = [1e16, 1.0, -1e16, 1.0, 0.1, 0.2, 0.3, -0.6, 3.5, 1e-3]
    out = sum_of(Value(f) for f in floats)
    assert out.data == reduce(operator.add, floats)
    assert sum_of([Value(2.0)]).data == 2.0 and sum_of([Value(2.0), 3]).data == 5.0
    only_numbers, one_number = sum_of([2.0, 0.5, 4]), sum_of([7])
    assert isinstance(only_numbers, Value) and only_numbers.data == 6.5 and only_numbers._op == "+"
    assert isinstance(one_number, Value) and one_number.data == 7
    with pytest.raises(ValueError, match="at least one value"):
        sum_of([])
    with pytest.raises(TypeError, match=full("sum_of() adds numbers and Values, got str 'x'")):
        sum_of([Value(1.0), "x"])
    ws = [0.1, -0.2, 0.3, 1e16, -1e16, 7.0]
    xs = [3.0, 0.7, 1.1, 1.0, 1.0, 0.25]
    node = dot((Value(0.5), *map(Value, ws)), tuple(map(Value, xs)))
    assert node.data == reduce(operator.add, [w * x for w, x in zip(ws, xs)], 0.5)
    leaves = [Value(f) for f in floats]
    total = sum_of(leaves)
    (total * total).backward()
    assert all(v.grad == 2 * total.data for v in leaves)


# --- derivatives as Values (create_graph) --------------------------------------------------
def test_second_derivatives_through_shared_nodes():
    """f = x**2 * y + exp(x * y): its Hessian from the formula; and mixed first/second
    derivatives of intermediate nodes via grad(..., create_graph=True)."""
    p, q = 0.7, -0.4

    def f(x, y):
        return x**2 * y + (x * y).exp()

    e = math.exp(p * q)
    want = [[2 * q + q * q * e, 2 * p + e + p * q * e], [2 * p + e + p * q * e, p * p * e]]
    h = hessian(f, [p, q])
    assert all(near(h[i][j], want[i][j], 1e-12) for i in range(2) for j in range(2)), h
    x, y = Value(p), Value(q)
    out = f(x, y)
    gx, gy = grad(out, [x, y], create_graph=True)
    assert near(gx.data, 2 * p * q + q * e) and near(gy.data, p * p + p * e)
    (only_x,) = grad(out, [x])
    assert near(only_x.data, 2 * p * q + q * e)
    x.grad = y.grad = 0
    out.backward(create_graph=True)
    assert isinstance(x.grad, Value) and near(x.grad.data, gx.data) and near(y.grad.data, gy.data)
    out2 = f(x, y)
    out2.backward(create_graph=True)  # adds to what the leaves hold, as PyTorch does
    assert near(x.grad.data, 2 * gx.data) and near(y.grad.data, 2 * gy.data)
    (gxx,) = grad(x.grad, [x])
    assert near(gxx.data, 2 * want[0][0], 1e-12)


def test_grad_of_an_interior_node_and_with_seeds():
    x = Value(1.5)
    u = x * x
    out = u.tanh() + 3.0 * u
    (du, dx) = grad(out, [u, x])
    assert near(du.data, 1 / math.cosh(2.25) ** 2 + 3.0)
    assert near(dx.data, du.data * 3.0)
    (seeded,) = grad([out, u], [x], grad_outputs=[2.0, -1.0])
    assert near(seeded.data, 2 * dx.data - 3.0)


# --- gradcheck and gradgradcheck fail when the derivative is wrong ---------------------------
def wrong_first(x, y):
    """x*y with backward's d/dx off by exactly 1 (x - x.detach() is 0 in value, 1 in slope)."""
    return x * y + (x - x.detach())


def test_gradcheck_fails_on_a_wrong_derivative():
    assert gradcheck(lambda x, y: x * y, [1.5, -2.0])
    assert gradcheck(wrong_first, [1.5, -2.0], raise_exception=False) is False
    with pytest.raises(
        AssertionError, match=r"gradient mismatch \(atol=1e-05, rtol=0\.001, eps=1e-06\): input 0: "
    ) as err:
        gradcheck(wrong_first, [1.5, -2.0])
    assert "input 1" not in str(err.value)  # d/dy is right
    with pytest.raises(AssertionError, match=r"input 1: backward 2\.5, finite difference 1\.5"):
        gradcheck(lambda x, y: x * y + (y - y.detach()), [1.5, -2.0], eps=0.5)


def test_gradcheck_tolerances_at_their_bounds():
    """With eps = 0.5 the central difference of x**2 at 1 is exactly 2.0; the analytic 2.5
    (off by exactly 0.5) passes at atol 0.5 or rtol 0.25, and fails just below either."""

    def f(x):
        return x * x + 0.5 * (x - x.detach())

    assert numerical_gradient(f, [1.0], eps=0.5) == [2.0]
    assert analytic_gradient(f, [1.0]) == [2.5]
    assert gradcheck(f, [1.0], eps=0.5, atol=0.5, rtol=0.0)
    assert not gradcheck(f, [1.0], eps=0.5, atol=0.49, rtol=0.0, raise_exception=False)
    assert gradcheck(f, [1.0], eps=0.5, atol=0.0, rtol=0.25)
    assert not gradcheck(f, [1.0], eps=0.5, atol=0.0, rtol=0.24, raise_exception=False)
    assert not gradcheck(lambda x: x * x + 0.5 * (x - x.detach()), [1.0], raise_exception=False)


def test_numerical_gradient_is_the_central_difference():
    def f(x, y):
        return x * x * y + y

    got = numerical_gradient(f, [1.0, 3.0], eps=0.25)
    exact = [  # ((x+e)**2 y - (x-e)**2 y) / 2e and (x**2 (y+e) + e - ...) / 2e, in fractions
        ((Fraction(5, 4) ** 2 * 3) - (Fraction(3, 4) ** 2 * 3)) / Fraction(1, 2),
        ((1 * Fraction(13, 4) + Fraction(13, 4)) - (1 * Fraction(11, 4) + Fraction(11, 4))) / Fraction(1, 2),
    ]
    assert got == [float(v) for v in exact]
    assert analytic_gradient(f, [1.0, 3.0]) == [6.0, 2.0]
    with pytest.raises(ValueError, match=full("gradcheck needs at least one input")):
        gradcheck(f, [])
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])


def wrong_second(x, y):
    """x*y whose gradient graph has d(df/dx)/dy = 2 where the numbers say 1."""
    return x * y + x * (y - y.detach())


def test_numerical_hessian_is_the_central_difference_of_the_gradient():
    """H[i][j] = d(df/dx_i)/dx_j numerically; wrong_second makes it non-symmetric, so the
    order of i and j shows."""
    assert numerical_hessian(wrong_second, [1.0, 2.0], eps=0.5) == [[0.0, 1.0], [2.0, 0.0]]
    assert numerical_hessian(lambda x, y: x * x * y + y * y * y, [1.0, 2.0], eps=0.5) == [
        [4.0, 2.0],
        [2.0, 12.0],
    ]


def wrong_curvature(x, y):
    """x*x*y whose gradient graph adds 2y to d2f/dx2 (the term is 0 in value and in slope)."""
    return x * x * y + (x - x.detach()) ** 2 * y


def test_gradgradcheck_fails_on_a_wrong_second_derivative():
    assert gradcheck(wrong_curvature, [1.0, 2.0])  # the first derivatives are right
    assert gradgradcheck(lambda x, y: x * x * y + y * y * y, [1.0, 2.0])
    assert gradgradcheck(wrong_curvature, [1.0, 2.0], raise_exception=False) is False
    pattern = r"second derivative mismatch .*: d2f/dx0dx0: second derivative 8\.0, finite difference 4\.0$"
    with pytest.raises(AssertionError, match=pattern):
        gradgradcheck(wrong_curvature, [1.0, 2.0], eps=0.5)
    # off by exactly 4.0 where the finite difference is exactly 4.0: the bounds are inclusive
    assert gradgradcheck(wrong_curvature, [1.0, 2.0], atol=4.0, rtol=0.0, eps=0.5)
    assert not gradgradcheck(wrong_curvature, [1.0, 2.0], atol=3.99, rtol=0.0, eps=0.5, raise_exception=False)
    assert gradgradcheck(wrong_curvature, [1.0, 2.0], atol=0.0, rtol=1.0, eps=0.5)
    assert not gradgradcheck(wrong_curvature, [1.0, 2.0], atol=0.0, rtol=0.99, eps=0.5, raise_exception=False)
    with pytest.raises(ValueError, match=full("gradgradcheck needs at least one input")):
        gradgradcheck(wrong_curvature, [])


def test_the_package_exports_the_checks():
    assert micrograd.gradcheck is gradcheck and micrograd.topological_order is topological_order


def test_grad_gives_the_numbers_backward_gives_signed_zeros_included():
    """grad(..., create_graph=False) adds like backward() (from 0): -0.0 parts give 0.0 there too."""
    x, y = Value(2.0), Value(-0.0)
    out = x * y + (x * 0.0).relu()
    gx, gy = grad(out, [x, y])
    out.backward()
    for g, leaf in [(gx, x), (gy, y)]:
        assert g.data == leaf.grad and math.copysign(1, g.data) == math.copysign(1, leaf.grad)
    assert math.copysign(1, gx.data) == 1.0  # 0 + (-0.0) is 0.0


def test_grad_of_several_outputs_adds_their_seeded_parts():
    x = Value(0.5)
    y = x.exp()
    z = x * x
    (both,) = grad([y, z, y], [x], grad_outputs=[2.0, 3.0, -0.5])
    assert near(both.data, 1.5 * math.exp(0.5) + 3.0 * 2 * 0.5)
    (g2,) = grad([y, z], [x], create_graph=True)
    assert near(g2.data, math.exp(0.5) + 1.0)
    (h,) = grad(g2, [x])
    assert near(h.data, math.exp(0.5) + 2.0)


def test_backward_with_create_graph_on_constant_and_held_gradients():
    """A leaf whose gradient is a constant gets a Value holding it; a number already in .grad
    is added to, as PyTorch adds to .grad; interior nodes get plain numbers."""
    x, y = Value(1.5), Value(-2.0)
    u = 3.0 * x
    out = u + x * y
    y.grad = 0.25
    out.backward(create_graph=True)
    assert isinstance(x.grad, Value) and isinstance(y.grad, Value)
    assert x.grad.data == 3.0 + -2.0 and y.grad.data == 0.25 + 1.5
    assert u.grad == 1.0 and type(u.grad) is not Value
    (dxdy,) = grad(x.grad, [y])
    assert dxdy.data == 1.0
    c = Value(2.0)
    (5.0 * c).backward(create_graph=True)
    assert isinstance(c.grad, Value) and c.grad.data == 5.0 and not c.grad._children


def test_backward_with_create_graph_keeps_a_gradients_sign_of_zero():
    """A leaf's first gradient is the derivative itself (here the Value y = -0.0), not 0 + it: as
    in PyTorch 2.13 (x.grad is -0.0 there too; the plain backward() adds to 0 and gives 0.0)."""
    x, y = Value(2.0), Value(-0.0)
    (x * y).backward(create_graph=True)
    assert math.copysign(1.0, x.grad.data) == -1.0 and x.grad.data == 0.0


def test_grad_skips_the_branches_that_do_not_reach_the_inputs():
    x, y = Value(0.5), Value(-1.5)
    side = (y * y).tanh()  # does not depend on x
    out = x * 2.0 + side * side + x * side
    (gx,) = grad(out, [x])
    assert gx.data == 2.0 + side.data
    (gs, gy) = grad(out, [side, y])
    assert near(gs.data, 2 * side.data + 0.5)
    assert near(gy.data, gs.data * (1 - side.data**2) * 2 * -1.5)


def test_create_graph_through_a_zero_derivative_and_constant_factors():
    """relu off (derivative 0.0, then an adjoint 0.0 below it), and constant factors 3.0 and -1.0:
    the derivatives as Values, against the formula."""
    x, y = Value(1.5), Value(-2.0)
    out = (x * y).relu() * 3.0 + (x * y) * 2.5 - x * x + (-y) * x
    gx, gy = grad(out, [x, y], create_graph=True)
    assert (gx.data, gy.data) == (2.5 * -2.0 - 3.0 + 2.0, 2.5 * 1.5 - 1.5)
    (gxy,) = grad(gx, [y])
    (gxx,) = grad(gx, [x])
    assert (gxy.data, gxx.data) == (2.5 - 1.0, -2.0)
    (g_off,) = grad((x * y).relu() + x, [x], create_graph=True)  # adjoints 1.0, then 0.0 below relu
    assert g_off.data == 1.0
