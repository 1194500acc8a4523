"""``a ** b`` over the whole domain, with ``b`` a Value and ``b`` a number: the compiled program
refuses exactly where the eager engine raises (same error, same words), gives the same bits
elsewhere, values and gradients, and falls back to the eager replay only where it refuses. The
eager engine's own ``**`` is held to PyTorch in test_overflow.py, and here where the two engines
once differed."""

from __future__ import annotations

import math
import sys

import pytest

import micrograd
from micrograd import Value

pytest.importorskip("numpy")
from micrograd.compiled import plan  # noqa: E402  (numpy first)

INF, NAN = math.inf, math.nan
BASES = [0.0, -0.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 1e300, -1e300, INF, -INF, NAN]
EXPONENTS = [0.0, 1.0, -1.0, 2.0, 3.0, -3.0, 0.5, -0.5, 2.5, -2.5, 400.0, -400.0, 401.0, INF, -INF, NAN]
CASES = [pytest.param(a, b, id=f"{a!r}**{b!r}") for a in BASES for b in EXPONENTS]


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))


def eager(a: float, b: float, constant: bool = False):
    """(value, d/da, d/db) of a ** b in the eager engine, or (the error's type, its message)."""
    x, y = Value(a), Value(b)
    try:
        z = x**b if constant else x**y
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        return type(err), str(err)
    z.backward()
    return z.data, x.grad, y.grad


@pytest.fixture
def replays(monkeypatch):
    """A list that gets one entry per eager replay of a compiled program (either engine's)."""
    calls = []
    original = plan.replay

    def counted(*args):
        calls.append(args)
        return original(*args)

    for module in [m for name, m in sys.modules.items() if name.startswith("micrograd.compiled")]:
        if getattr(module, "replay", None) is original:
            monkeypatch.setattr(module, "replay", counted)
    return calls


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "inexact"])
@pytest.mark.parametrize("a, b", CASES)
def test_the_program_refuses_and_computes_where_the_eager_engine_does(a, b, exact, replays):
    x, y = Value(2.0), Value(1.0)
    prog = micrograd.compile(x**y, exact=exact)
    x.data, y.data = a, b
    expected = eager(a, b)
    if isinstance(expected[0], type):
        with pytest.raises(expected[0]) as err:
            prog.forward()
        assert str(err.value) == expected[1]
        assert len(replays) == 1  # the eager replay raised it
        return
    x.grad = y.grad = 0.0
    got = prog.forward()
    prog.backward()
    assert all(map(same, (got, x.grad, y.grad), expected)), ((got, x.grad, y.grad), expected)
    # nothing refused, so no eager replay: the forward stays at array speed
    assert replays == []


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "inexact"])
@pytest.mark.parametrize("a, b", CASES)
def test_a_constant_exponent_too(a, b, exact, replays):
    # x ** b with b a number (pow_const): b is a scalar in the rules, not an array
    x = Value(2.0)
    prog = micrograd.compile(x**b, exact=exact)
    x.data = a
    expected = eager(a, b, constant=True)
    if isinstance(expected[0], type):
        with pytest.raises(expected[0]) as err:
            prog.forward()
        assert str(err.value) == expected[1]
        assert len(replays) == 1
        return
    x.grad = 0.0
    got = prog.forward()
    prog.backward()
    assert same(got, expected[0]) and same(x.grad, expected[1]), ((got, x.grad), expected)
    assert replays == []


@pytest.mark.parametrize("a, b", [(-INF, 0.5), (0.0, -INF), (-0.0, -INF)])
@pytest.mark.parametrize("constant", [False, True], ids=["Value", "number"])
def test_the_cases_where_the_engines_once_differed_are_pytorchs(a, b, constant):
    # compiled (-inf) ** 0.5 was nan (numpy's sqrt), and d/da of (+-0) ** -inf was +inf. The
    # reference is PyTorch's pow of two float64 tensors (C's pow): its tensor ** 0.5 with a Python
    # number is sqrt, nan at -inf, where C, Python and the eager engine give inf
    torch = pytest.importorskip("torch")
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tz = ta ** torch.tensor(b, dtype=torch.float64)
    tz.backward()
    want = tz.item(), ta.grad.item()
    assert want[0] == math.pow(a, b)
    x, y = Value(2.0), Value(1.0)
    prog = micrograd.compile(x**b if constant else x**y)
    x.data, y.data = a, b
    assert same(prog.forward(), want[0])
    prog.backward()
    assert x.grad == want[1], (x.grad, want)
    assert eager(a, b, constant)[:2] == want


COMPUTED = [c for c in CASES if not isinstance(eager(*c.values)[0], type)]  # the refused: test_overflow.py


@pytest.mark.parametrize("a, b", COMPUTED)
def test_the_eager_value_and_both_gradients_are_pytorchs(a, b):
    # the reference for the tests above; d/db at a zero base was 0 for b = -inf and nan, where
    # PyTorch's 0 ** b * log(0) is -inf and nan. Zeros' signs aside: a leaf's grad is 0.0 plus
    # its one contribution, so it is +0.0 where PyTorch's is -0.0
    torch = pytest.importorskip("torch")
    ours = eager(a, b)
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
    tz = ta**tb
    tz.backward()
    want = tz.item(), ta.grad.item(), tb.grad.item()
    assert all(o == w or (math.isnan(o) and math.isnan(w)) for o, w in zip(ours, want, strict=True)), (
        ours,
        want,
    )
