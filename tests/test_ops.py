"""Every operation against PyTorch (float64, value and gradient) and finite differences."""

from __future__ import annotations

import math

import pytest

from micrograd.engine import Value, dot, sum_of
from micrograd.gradcheck import gradcheck
from micrograd.primitives import PRIMITIVES

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

# name, function of (x, y) written once and applied to Values and to torch tensors alike
BINARY = {
    "a+b": lambda a, b: a + b,
    "a-b": lambda a, b: a - b,
    "a*b": lambda a, b: a * b,
    "a/b": lambda a, b: a / b,
    "a**b": lambda a, b: a**b,
    "a*a": lambda a, b: a * a,  # the same child twice
}
UNARY = {
    "-a": lambda a: -a,
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "sigmoid": lambda a: a.sigmoid(),
    "a**2": lambda a: a**2,
    "a**3": lambda a: a**3,
    "a**-1": lambda a: a**-1,
    "a**0.5": lambda a: a**0.5,
    "a**-2.5": lambda a: a**-2.5,
    "a**0": lambda a: a**0,
    "2*a": lambda a: 2 * a,
    "a*2.5": lambda a: a * 2.5,
    "1-a": lambda a: 1 - a,
    "a-1": lambda a: a - 1,
    "3+a": lambda a: 3 + a,
    "a+3": lambda a: a + 3,
    "10/a": lambda a: 10.0 / a,
    "a/4": lambda a: a / 4,
    "2**a": lambda a: 2**a,
    "0.5**a": lambda a: 0.5**a,
}
TORCH_NAMES = {"relu": torch.relu, "tanh": torch.tanh, "exp": torch.exp, "log": torch.log}
POSITIVE_ONLY = {"log", "a**b", "a**0.5", "a**-2.5"}
POINTS = [-2.5, -0.7, 0.3, 1.0, 1.9]


def torch_unary(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn = UNARY[name]
    if name in TORCH_NAMES:
        out = TORCH_NAMES[name](t)
    elif name == "sigmoid":
        out = torch.sigmoid(t)
    else:
        out = fn(t)
    out.backward()
    return out.item(), t.grad.item()


def unary_cases():
    for name in UNARY:
        for x in POINTS:
            if name in POSITIVE_ONLY and x <= 0:
                continue
            yield name, x


def binary_cases():
    for name in BINARY:
        for x in POINTS:
            for y in POINTS:
                if name == "a**b" and x <= 0:
                    continue
                yield name, x, y


@pytest.mark.parametrize("name,x", list(unary_cases()))
def test_unary_matches_torch(name, x):
    a = Value(x)
    out = UNARY[name](a)
    out.backward()
    want, want_grad = torch_unary(name, x)
    assert out.data == pytest.approx(want, rel=1e-15, abs=1e-300)
    assert a.grad == pytest.approx(want_grad, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name,x,y", list(binary_cases()))
def test_binary_matches_torch(name, x, y):
    a, b = Value(x), Value(y)
    out = BINARY[name](a, b)
    out.backward()
    ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    tout = BINARY[name](ta, tb)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-15)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14, abs=1e-300)
    if name != "a*a":  # b is not used there
        assert b.grad == pytest.approx(tb.grad.item(), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name,x", [(n, x) for n, x in unary_cases() if not (n == "relu" and x == 0)])
def test_unary_matches_finite_differences(name, x):
    assert gradcheck(UNARY[name], [x])


@pytest.mark.parametrize("name,x,y", list(binary_cases()))
def test_binary_matches_finite_differences(name, x, y):
    assert gradcheck(BINARY[name], [x, y])


def test_every_primitive_is_exercised_here():
    """Adding a primitive to the table without a test case here fails."""
    seen = set()
    for name, x in unary_cases():
        seen.add(UNARY[name](Value(x))._prim.name)
    for name, x, y in binary_cases():
        seen.add(BINARY[name](Value(x), Value(y))._prim.name)
    seen.add(sum_of([Value(1.0), Value(2.0), Value(3.0)])._prim.name)
    seen.add(dot((Value(1.0), Value(2.0)), (Value(3.0),))._prim.name)
    assert seen == set(PRIMITIVES)


def test_dot_equals_the_original_sum_of_products_and_torch():
    b, ws, xs = 0.1, [0.3, -1.7, 2.2, 1e16], [0.2, 0.9, -0.4, 1e-16]
    leaves = [Value(v) for v in [b, *ws, *xs]]
    out = dot(tuple(leaves[:5]), tuple(leaves[5:]))
    chain = sum((w * x for w, x in zip(leaves[1:5], leaves[5:])), leaves[0])
    assert out.data == chain.data  # bit for bit: the original's sum() of products
    (out * out).backward()
    t = torch.tensor([b, *ws, *xs], dtype=torch.float64, requires_grad=True)
    tout = t[0]
    for i in range(4):
        tout = tout + t[1 + i] * t[5 + i]
    (tout * tout).backward()
    assert out.data == tout.item()
    assert [v.grad for v in leaves] == pytest.approx(t.grad.tolist(), rel=1e-15)


def test_dot_matches_finite_differences():
    assert gradcheck(lambda b, w0, w1, x0, x1: dot((b, w0, w1), (x0, x1)).tanh(), [0.1, 0.5, -1.2, 0.7, 0.3])


def test_dot_needs_one_weight_per_input_and_values():
    with pytest.raises(ValueError, match="one weight per input"):
        dot((Value(1.0), Value(2.0)), (Value(1.0), Value(2.0)))
    with pytest.raises(TypeError, match="dot\\(\\) takes Values, got float 3.0"):
        dot((Value(1.0), Value(2.0)), (3.0,))
    out = dot([Value(1.0), Value(2.0)], [Value(3.0)])  # lists are fine too
    out.backward()
    assert out.data == 7.0 and out._children[2].grad == 2.0


def test_sum_of_equals_a_chain_of_adds_and_torch():
    xs = [0.1, 0.2, 0.3, 1e16, -1e16, 0.7]

    leaves = [Value(x) for x in xs]
    out = sum_of(leaves)
    chain = sum(Value(x) for x in xs)
    assert out.data == chain.data  # bit for bit: added left to right
    (out * out).backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tsum = t[0]
    for i in range(1, len(xs)):
        tsum = tsum + t[i]
    (tsum * tsum).backward()
    assert out.data == tsum.item()
    assert [v.grad for v in leaves] == pytest.approx(t.grad.tolist(), rel=1e-15)


def test_tanh_and_sigmoid_are_stable_far_out():
    for x in (1000.0, -1000.0, 710.0, -745.0):
        for name, want in (("tanh", math.copysign(1.0, x)), ("sigmoid", 1.0 if x > 0 else 0.0)):
            a = Value(x)
            out = getattr(a, name)()
            out.backward()
            assert out.data == pytest.approx(want, abs=1e-300)
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            tout = getattr(torch, name)(t)
            tout.backward()
            assert out.data == pytest.approx(tout.item(), abs=1e-300)  # torch flushes e**-745 to 0
            assert a.grad == pytest.approx(t.grad.item(), abs=1e-300)


def test_relu_gradient_at_zero_is_zero_like_torch():
    a = Value(0.0)
    a.relu().backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.relu(t).backward()
    assert a.grad == t.grad.item() == 0.0


def test_pow_at_zero_base_gradients_follow_torch():
    # d(a**b)/db at a = 0 is 0 for b > 0 in PyTorch; d(a**0.5)/da at 0 is inf
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    ta = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (ta**tb).backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())
    c = Value(0.0)
    (c**0.5).backward()
    tc = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (tc**0.5).backward()
    assert c.grad == tc.grad.item() == math.inf
