"""The overflow rule: IEEE arithmetic as in PyTorch, in the eager and the compiled engine alike.

A result too large for a float is inf or -inf; integers stay exact while they fit a float, and
an integer result beyond that is inf at once (never an enormous integer); what is not overflow
still raises. References: PyTorch float64 for values and gradients, the original micrograd for
small integers, Python's float arithmetic for the rest; the compiled engine bit for bit.
"""

from __future__ import annotations

import math
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import micrograd
from micrograd.engine import Value, sum_of

torch = pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]


def bits(x) -> bytes:
    """The float64 bit pattern (so -0.0 != 0.0 and a nan equals a nan)."""
    return struct.pack("<d", float(x))


def same(x, y) -> bool:
    """Bit for bit, any nan equal to any nan."""
    return bits(x) == bits(y) or (math.isnan(float(x)) and math.isnan(float(y)))


def equal(x, y) -> bool:
    """Equal as numbers (0.0 == -0.0: a leaf's gradient starts at 0 and adds, PyTorch's is assigned)."""
    return x == y or (math.isnan(float(x)) and math.isnan(float(y)))


# (name, build from leaves, leaf values): every primitive that can overflow, at its overflow point
CASES = [
    ("exp(710)", lambda x: x.exp(), (710.0,)),
    ("exp(709) * exp(709)", lambda x: x.exp() * x.exp(), (709.0,)),
    ("x * x at 1e200", lambda x: x * x, (1e200,)),
    ("x ** 2 at 1e200", lambda x: x**2, (1e200,)),
    ("x ** Value(2) at 1e200", lambda x, k: x**k, (1e200, 2.0)),
    ("x ** 3 at -1e200", lambda x: x**3, (-1e200,)),
    ("(-10.0) ** 401", lambda x: x**401, (-10.0,)),
    ("(-10.0) ** Value(401)", lambda x, k: x**k, (-10.0, 401.0)),
    ("(-10.0) ** 400.0", lambda x: x**400.0, (-10.0,)),
    ("x ** -3 at -1e-200", lambda x: x**-3, (-1e-200,)),
    ("10.0 ** -400 (underflow)", lambda x: x**-400, (10.0,)),
    ("x + x at 1e308", lambda x: x + x, (1e308,)),
    ("-x - x at 1e308", lambda x: -x - x, (1e308,)),
    ("x / y at 1e300, 1e-300", lambda x, y: x / y, (1e300, 1e-300)),
    ("2 ** x at 2000", lambda x: 2**x, (2000.0,)),
    ("tanh and sigmoid of exp(1000)", lambda x: x.exp().tanh() + x.exp().sigmoid(), (1000.0,)),
    ("exp(1000) - exp(1000)", lambda x: x.exp() - x.exp(), (1000.0,)),
    ("log(exp(800))", lambda x: x.exp().log(), (800.0,)),
]


def eager(build, values):
    leaves = [Value(v) for v in values]
    out = build(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def reference(build, values):
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out = build(*leaves)
    out.backward()
    return out.item(), [leaf.grad.item() if leaf.grad is not None else 0.0 for leaf in leaves]


@pytest.mark.parametrize("name, build, values", CASES, ids=[c[0] for c in CASES])
def test_eager_values_and_gradients_are_pytorchs(name, build, values):
    data, grads = eager(build, values)
    want, want_grads = reference(build, values)
    assert same(data, want), (data, want)
    for g, w in zip(grads, want_grads, strict=True):
        assert equal(g, w), (grads, want_grads)


@pytest.mark.parametrize("name, build, values", CASES, ids=[c[0] for c in CASES])
def test_compiled_gives_the_eager_numbers_bit_for_bit(name, build, values):
    data, grads = eager(build, values)
    leaves = [Value(v) for v in values]
    prog = micrograd.compile(build(*leaves), leaves)
    assert same(prog.forward(), data)
    prog.backward()
    for leaf, g in zip(leaves, grads, strict=True):
        assert same(leaf.grad, g), (leaf.grad, g)


def test_compiled_recomputes_into_overflow_and_back():
    x = Value(1.0)
    prog = micrograd.compile(x.exp() * x + x**3, [x])
    for v in (1.0, 710.0, -1e103, 2.5):
        x.data = v
        got = prog.forward()
        x.grad = 0
        prog.backward()
        want, (want_grad,) = eager(lambda x: x.exp() * x + x**3, (v,))
        assert same(got, want) and same(x.grad, want_grad), (v, got, want, x.grad, want_grad)


@pytest.mark.parametrize(
    "build, bad, error, message",
    [
        (lambda x: 1.0 / x, 0.0, ZeroDivisionError, "division by zero"),
        (lambda x: x**-1, 0.0, ZeroDivisionError, "negative power"),
        (lambda x: x.log(), 0.0, ValueError, "positive"),
        (lambda x: x**0.5, -4.0, ValueError, "not a real number"),
        (lambda x: x**2000.5, -2.0, ValueError, "not a real number"),  # Python: OverflowError
        (lambda x: x ** Value(2000.5), -2.0, ValueError, "not a real number"),
    ],
)
def test_what_is_not_overflow_still_raises_in_both_engines(build, bad, error, message):
    with pytest.raises(error, match=message):
        build(Value(bad))
    x = Value(3.0)
    prog = micrograd.compile(build(x) + x)
    x.data = bad
    with pytest.raises(error, match=message):
        prog.forward()


def test_small_integers_stay_exact_as_in_the_original(original):
    for make in (
        lambda V: V(2) ** 3,
        lambda V: V(3) * V(4) + V(1),
        lambda V: V(7) - V(9),
        lambda V: V(-3) ** 5,
    ):
        ours, theirs = make(Value), make(original.engine.Value)
        assert type(ours.data) is type(theirs.data) is int and ours.data == theirs.data
    assert (Value(2) ** Value(3)).data == 8 and type((Value(2) ** Value(3)).data) is int
    big = Value(3) ** Value(600)  # about 1.9e286: an exact integer still
    assert type(big.data) is int and big.data == 3**600


@pytest.mark.parametrize(
    "make, want",
    [
        (lambda: Value(10) ** 400, float(torch.tensor(10.0, dtype=torch.float64) ** 400)),
        (lambda: Value(-10) ** 401, float(torch.tensor(-10.0, dtype=torch.float64) ** 401)),
        (lambda: Value(-10) ** Value(400), float(torch.tensor(-10.0, dtype=torch.float64) ** 400)),
        (lambda: Value(10**200) * Value(10**200), float(torch.tensor(1e200, dtype=torch.float64) ** 2)),
        (lambda: Value(-(10**200)) * Value(10**200), -float(torch.tensor(1e200, dtype=torch.float64) ** 2)),
        (lambda: Value(10**308) + Value(10**308), float(torch.tensor(1e308, dtype=torch.float64) * 2)),
        (lambda: -Value(10**308) - Value(10**308), -float(torch.tensor(1e308, dtype=torch.float64) * 2)),
        (lambda: sum_of([Value(10**308)] * 3), float(torch.tensor(1e308, dtype=torch.float64) * 3)),
        (
            lambda: micrograd.engine.dot((Value(0), Value(10**200)), (Value(10**200),)),
            float(torch.tensor(1e200, dtype=torch.float64) ** 2),
        ),
    ],
)
def test_integer_results_too_large_for_a_float_are_infinite(make, want):
    out = make()
    assert math.isinf(want) and type(out.data) is float and out.data == want


def test_integer_power_towers_and_squaring_never_build_enormous_integers():
    # in a subprocess, so that a hang (a wrong early exit computes 9 ** 387420489) fails instead of blocking
    code = (
        "from micrograd.engine import Value\n"
        "t = Value(9) ** Value(9) ** Value(9)\n"
        "t.backward()\n"
        "x = Value(2)\n"
        "y = x\n"
        "for _ in range(40):\n"
        "    y = y * y\n"
        "y.backward()\n"
        "print(t.data, y.data, x.grad, Value(9) ** 9 ** 9)\n"
    )
    # it takes a fraction of a second; on a timeout, or if the test stops for any other reason, the
    # child is killed (else it computes on, for hours, after the test has gone)
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    ) as child:
        try:
            out, err = child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("an integer power tower did not finish in 30 s: it is building an enormous integer")
        finally:
            child.kill()  # nothing if it has ended
    assert child.returncode == 0, err
    tower = torch.tensor(9.0, dtype=torch.float64) ** float(9**9)
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(40):
        y = y * y
    y.backward()
    assert out.split() == [
        str(tower.item()),
        str(y.item()),
        str(x.grad.item()),
        "Value(data=inf,",
        "grad=0)",
    ]


def test_derivatives_of_integer_powers_follow_the_rule():
    x = Value(10**154)
    (x**3).backward()  # 3 * 10**308: an integer too large for a float
    t = torch.tensor(1e154, dtype=torch.float64, requires_grad=True)
    (t**3).backward()
    assert x.grad == t.grad.item() == math.inf
    a, b = Value(10), Value(400)
    (a**b).backward()
    ta = torch.tensor(10.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(400.0, dtype=torch.float64, requires_grad=True)
    (ta**tb).backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item()) == (math.inf, math.inf)


def test_an_integer_too_large_for_a_float_is_refused_at_construction():
    import fractions

    for bad in (10**400, -(10**400), 2**1024 - 2**970, fractions.Fraction(10**400, 3)):
        with pytest.raises(OverflowError, match="too large for a float.*pass a float") as info:
            Value(bad)
        assert len(str(info.value)) < 200  # names the problem, not 400 digits
        with pytest.raises(OverflowError, match="too large for a float"):
            Value(1.0) + bad
    largest = 2**1024 - 2**970 - 1  # float() rounds it to the largest float
    assert Value(largest).data == largest and float(Value(largest)) == sys.float_info.max


def test_nan_and_inf_are_accepted_and_propagate_like_pytorch():
    for special in (math.nan, math.inf, -math.inf):
        a = Value(special)
        out = (a * 2.0 + 1.0).tanh() * a
        out.backward()
        t = torch.tensor(special, dtype=torch.float64, requires_grad=True)
        tout = (t * 2.0 + 1.0).tanh() * t
        tout.backward()
        assert same(out.data, tout.item()) and equal(a.grad, t.grad.item()), special


@pytest.mark.parametrize("engine", ["eager", "compiled"])
@pytest.mark.parametrize("loss", ["mse", "hinge"])
def test_a_diverging_loss_stops_training_with_the_advice_on_both_engines(engine, loss):
    from micrograd.data import Dataset
    from micrograd.nn import MLP
    from micrograd.optim import SGD
    from micrograd.train import TrainingError, fit

    data = Dataset([[1.0, -2.0], [-1.5, 0.5], [2.0, 1.0], [0.3, -0.2]], [0, 1, 1, 0], ["a", "b"], ["u", "v"])
    model = MLP(2, [8, 1], activation="tanh" if loss == "mse" else "relu", rng=random.Random(0))
    with pytest.raises(TrainingError, match=r"the loss became (inf|nan); try a smaller learning rate"):
        fit(model, data, SGD(model.parameters(), lr=1e150), loss=loss, steps=40, engine=engine)
