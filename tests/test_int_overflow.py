"""Integers at the edge of a float, and ** that overflows: the overflow rule (IEEE, as in
PyTorch) exactly at its boundaries. References: Python's own float() and exact integer
arithmetic, PyTorch float64 for the signs of overflowing powers."""

from __future__ import annotations

import math
import sys

import pytest

from micrograd import Value

LARGEST = sys.float_info.max
HALFWAY = 2**1024 - 2**970  # the integers from here on round to 2**1024: float() refuses them


def test_float_refuses_exactly_from_the_halfway_integer():  # the premise, by Python itself
    assert float(HALFWAY - 1) == LARGEST
    with pytest.raises(OverflowError):
        float(HALFWAY)


@pytest.mark.parametrize("n", [HALFWAY - 1, -(HALFWAY - 1), int(LARGEST), -int(LARGEST)])
def test_the_largest_integers_a_float_can_hold_are_kept_exact(n):
    v = Value(n)
    assert type(v.data) is int and v.data == n


@pytest.mark.parametrize("n", [HALFWAY, -HALFWAY, HALFWAY + 1, 2**1024])
def test_integers_no_float_can_hold_are_refused(n):
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(n)


def test_integer_results_past_a_float_are_inf_and_the_last_that_fits_stays_exact():
    top = HALFWAY - 1
    assert (Value(top - 1) + 1).data == top and type((Value(top - 1) + 1).data) is int
    assert (Value(top) + 1).data == math.inf
    assert (Value(-top) - 1).data == -math.inf
    assert (Value(-top) + Value(-1)).data == -math.inf
    assert (Value(2**600) * Value(2**600)).data == math.inf
    assert (Value(-(2**600)) * Value(2**600)).data == -math.inf


def test_integer_powers_that_fit_are_exact():
    # (bit_length - 1) * b is below 1024 here but bit_length * b is not: the early overflow
    # check must not fire on them
    for a, b in [(3, 512), (-3, 511), (3, 646), (7, 364), (2, 1023)]:
        z = Value(a) ** b
        assert z.data == a**b and type(z.data) is int, (a, b)
        assert (Value(a) ** Value(b)).data == a**b


def test_integer_powers_past_a_float_are_inf_with_the_sign_of_the_power():
    torch = pytest.importorskip("torch")
    for a, b in [(3, 647), (-3, 647), (-3, 648), (2, 1024), (-2, 1025), (-2, 1026), (10, 400), (-10, 401)]:
        assert abs(a**b) >= HALFWAY  # the premise: no float holds it
        expected = (torch.tensor(float(a), dtype=torch.float64) ** b).item()
        assert math.isinf(expected)
        assert (Value(a) ** b).data == expected, (a, b)
        assert (Value(a) ** Value(b)).data == expected, (a, b)


def test_float_powers_of_a_negative_base_that_overflow_keep_their_sign():
    torch = pytest.importorskip("torch")
    for a, b in [(-10.0, 309.0), (-10.0, 310.0), (-1e200, 3.0), (-1e200, 2.0)]:
        expected = (torch.tensor(a, dtype=torch.float64) ** b).item()
        assert math.isinf(expected)
        assert (Value(a) ** Value(b)).data == expected, (a, b)
        assert (Value(a) ** b).data == expected, (a, b)


def test_a_nan_power_stays_nan():
    assert math.isnan((Value(math.nan) ** 2).data)
    assert math.isnan((Value(math.nan) ** Value(2.0)).data)
    assert (Value(math.inf) ** 2).data == math.inf


def test_a_fraction_to_a_large_negative_power_overflows_to_plus_inf():
    torch = pytest.importorskip("torch")
    for a, b in [(0.5, -1101.0), (0.5, -1100.0), (-0.5, -1101.0), (-0.5, -1100.0)]:
        expected = (torch.tensor(a, dtype=torch.float64) ** b).item()
        assert (Value(a) ** Value(b)).data == expected, (a, b)
        assert (Value(a) ** b).data == expected, (a, b)


def test_second_derivatives_through_an_overflowing_power_are_inf_as_in_pytorch():
    torch = pytest.importorskip("torch")
    from micrograd import grad

    for k in (400, 400.0):
        x = Value(10.0)
        (dx,) = grad(x**k, x, create_graph=True)
        (ddx,) = grad(dx, x)
        t = torch.tensor(10.0, dtype=torch.float64, requires_grad=True)
        (tdx,) = torch.autograd.grad(t**k, t, create_graph=True)
        (tddx,) = torch.autograd.grad(tdx, t)
        assert (float(dx.data), float(ddx.data if isinstance(ddx, Value) else ddx)) == (
            tdx.item(),
            tddx.item(),
        )
