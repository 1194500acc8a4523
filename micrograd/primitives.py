"""The closed set of primitive operations, each with its local derivative.

Every operation a ``Value`` can record is one of the primitives below. A
primitive is a forward function of plain numbers and, beside it, the local
derivative of its output with respect to each input, given the output ``z``
and the inputs. The eager engine (``engine.py``) and every faster backend
implement exactly this table; tests enumerate ``PRIMITIVES`` and fail when a
backend lacks a rule for one of them.

Each derivative is written once, with arithmetic operators and the helper
``_ln`` only, so that it works on two kinds of argument: plain numbers (the
first-order fast path of ``backward()``) and ``Value`` nodes (``grad(...,
create_graph=True)``), where it builds a graph that can be differentiated
again. A derivative must therefore never read ``.data`` or call ``math`` on its
arguments directly; a comparison (``relu``'s step, ``pow``'s sign of the base)
reads the value and records nothing, so that piece has derivative 0.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial, reduce


@dataclass(frozen=True)
class Primitive:
    """One differentiable operation on scalars.

    ``forward(*inputs)`` returns the output; ``derivative(z, *inputs)`` returns
    the local derivative dz/dx (unary) or a tuple of dz/dx_i (two or more inputs),
    given numbers (``z`` the output's value) or Values (``z`` the output node).
    ``const`` holds the fixed exponent of ``pow_const``; it is None otherwise.
    """

    name: str
    symbol: str  # what a graph drawing shows on the operation node
    arity: int | None  # None: any number of inputs
    forward: Callable = field(repr=False)
    derivative: Callable = field(repr=False)
    const: float | None = None


# --- forward functions that refuse silently-wrong results -------------------


def _div(a, b):
    if b == 0:
        raise ZeroDivisionError(f"division by zero: {a!r} / 0; the divisor must be nonzero")
    return a / b


def _pow(a, b):
    try:
        z = a**b
    except ZeroDivisionError:
        raise ZeroDivisionError(f"0 cannot be raised to a negative power ({a!r} ** {b!r})") from None
    except OverflowError:
        raise OverflowError(f"{a!r} ** {b!r} is too large for a float") from None
    if type(z) is complex:  # Python answers (-8) ** 0.5 with a complex number
        raise ValueError(f"{a!r} ** {b!r} is not a real number: a negative base needs an integer exponent")
    return z


def _ln(x):
    """The natural log of a number, or of a Value as a node (so it can be differentiated again)."""
    return math.log(x) if isinstance(x, (int, float)) else x.log()


def _pow_base_derivative(a, b):
    """d(a**b)/da = b * a**(b-1), infinite where that power divides by zero (a constant
    then, also for Values: the derivative of inf is not taken)."""
    if b == 0:  # a number 0 (a Value is == only to itself): a**0 is 1 for every a, so the derivative
        return b  # is 0, also at a = 0 (as PyTorch), and x**2's third derivative at 0 is 0, not 0 * inf
    try:
        return b * a ** (b - 1)
    except ZeroDivisionError:
        return math.inf


def _pow_exponent_derivative(z, a):
    """d(a**b)/db = a**b * log(a), as PyTorch defines it at and below zero (and nan for a nan)."""
    if a > 0:
        return z * _ln(a)
    return 0.0 if a >= 0 else math.nan


def _exp(a):
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp({a!r}) is too large for a float (the limit is about exp(709.78))") from None


def _log(a):
    if a <= 0:
        raise ValueError(f"log is defined only for positive numbers, got {a!r}")
    return math.log(a)


def _sigmoid(a):
    if a >= 0:  # the two branches keep exp from overflowing for large |a|
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


# --- the table ---------------------------------------------------------------
# name, symbol, arity, forward, local derivative(s) given output z and inputs,
# all numbers or all Values (see the module docstring)

ADD = Primitive("add", "+", 2, operator.add, lambda z, a, b: (1.0, 1.0))
# x0 + x1 + ... + xn added left to right, as a chain of ADDs would, in one node
SUM = Primitive("sum", "+", None, lambda *xs: reduce(operator.add, xs), lambda z, *xs: (1.0,) * len(xs))


def _dot(b, *weights_then_inputs):
    """b + w0*x0 + w1*x1 + ..., added left to right (as Python's sum() over the products would)."""
    n = len(weights_then_inputs) // 2
    total = b
    for w, x in zip(weights_then_inputs[:n], weights_then_inputs[n:]):
        total = total + w * x
    return total


def _dot_derivative(z, b, *weights_then_inputs):
    """1 for b, x_i for w_i, w_i for x_i."""
    n = len(weights_then_inputs) // 2
    return (1.0, *weights_then_inputs[n:], *weights_then_inputs[:n])


SUB = Primitive("sub", "-", 2, operator.sub, lambda z, a, b: (1.0, -1.0))
MUL = Primitive("mul", "*", 2, operator.mul, lambda z, a, b: (b, a))
# a neuron's pre-activation b + w.x in one node; inputs (b, w0, ..., wn-1, x0, ..., xn-1)
DOT = Primitive("dot", "w·x+b", None, _dot, _dot_derivative)
DIV = Primitive("div", "/", 2, _div, lambda z, a, b: (1.0 / b, -z / b))
POW = Primitive(
    "pow", "**", 2, _pow, lambda z, a, b: (_pow_base_derivative(a, b), _pow_exponent_derivative(z, a))
)
NEG = Primitive("neg", "neg", 1, operator.neg, lambda z, a: -1.0)
POW_CONST = Primitive("pow_const", "**k", 1, _pow, lambda z, a, k: _pow_base_derivative(a, k))  # k: a number
EXP = Primitive("exp", "exp", 1, _exp, lambda z, a: z)
LOG = Primitive("log", "log", 1, _log, lambda z, a: 1.0 / a)
TANH = Primitive("tanh", "tanh", 1, math.tanh, lambda z, a: 1.0 - z * z)
SIGMOID = Primitive("sigmoid", "sigmoid", 1, _sigmoid, lambda z, a: z * (1.0 - z))
RELU = Primitive("relu", "ReLU", 1, lambda a: 0.0 if a < 0 else a, lambda z, a: 1.0 if z > 0 else 0.0)

PRIMITIVES: dict[str, Primitive] = {
    p.name: p for p in (ADD, SUM, DOT, SUB, MUL, DIV, POW, NEG, POW_CONST, EXP, LOG, TANH, SIGMOID, RELU)
}


@cache
def _pow_const(k: float, kind: type) -> Primitive:
    return Primitive(
        POW_CONST.name,
        f"**{k}",
        1,
        partial(POW_CONST.forward, b=k),
        partial(POW_CONST.derivative, k=k),
        const=k,
    )


def pow_const(k: float) -> Primitive:
    """The primitive ``x ** k`` for one fixed number ``k`` (one shared object per k)."""
    return _pow_const(k, type(k))


def opaque(symbol: str, arity: int) -> Primitive:
    """A stand-in for an op named by hand that is not in the table: drawable, not differentiable."""

    def no_derivative(z, *inputs):
        raise TypeError(
            f"cannot differentiate through op {symbol!r}: it is not a micrograd primitive; "
            "build the graph from Value operations instead of Value(data, children, op)"
        )

    return Primitive("opaque", symbol, arity, None, no_derivative)


# graphs built by hand (Value(data, children, op)) name their op by its symbol
BY_SYMBOL: dict[str, Primitive] = {p.symbol: p for p in PRIMITIVES.values() if p not in (POW_CONST, SUM, DOT)}
