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

The overflow rule: IEEE arithmetic, as in PyTorch. A result too large for a
float is ``inf`` or ``-inf`` (``exp(710)``, ``x * x`` and ``x ** 2`` at 1e200,
``(-10.0) ** 401``), and infinities and nans propagate (``inf - inf`` is nan);
the places where a non-finite number matters (a training loss, a prediction, a
saved model) check for it. Integers stay exact, as in the original micrograd,
while they fit a float (``Value(2) ** 3`` is the int 8); an integer result
beyond that is the float ``inf`` or ``-inf`` (so ``9 ** 9 ** 9`` is inf at once,
never an enormous integer). Local derivatives follow the same rule. What is not
overflow still raises: division by zero, ``0 ** -1``, ``log`` of a number <= 0,
a negative base to a fractional power.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from contextvars import ContextVar
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


# --- the overflow rule, and forwards that refuse results that are not real ----

INT_LIMIT = 2**1024 - 2**970  # the smallest positive integer that float() refuses


def real_number(x: object) -> int | float:
    """``x`` as the int or float a Value holds: TypeError for what is not a real number,
    OverflowError for one too large for a float (``float('inf')`` is a float; ``10**400`` is not)."""
    if not isinstance(x, numbers.Real):
        raise TypeError(f"Value() needs a real number (int or float), got {type(x).__name__} {x!r}")
    try:
        if isinstance(x, numbers.Integral):  # int, bool, numpy integers
            x = int(x)
            return x if -INT_LIMIT < x < INT_LIMIT else float(x)  # float() raises OverflowError
        return float(x)  # numpy floats, Fraction
    except OverflowError:
        digits = int(abs(int(x)).bit_length() * 0.30103) + 1
        raise OverflowError(
            f"Value() got a number of about {digits} digits, too large for a float (the largest is about "
            "1.8e308): pass a float (float('inf') for infinity) or scale the number down"
        ) from None


def _fit(z):
    """An integer result as it is where it fits a float, else inf or -inf."""
    if -INT_LIMIT < z < INT_LIMIT:
        return z
    return math.inf if z > 0 else -math.inf


def _add(a, b):
    z = a + b
    return z if type(z) is float else _fit(z)


def _sub(a, b):
    z = a - b
    return z if type(z) is float else _fit(z)


def _mul(a, b):
    z = a * b
    return z if type(z) is float else _fit(z)


def _sum(*xs):
    z = reduce(operator.add, xs)
    return z if type(z) is float else _fit(z)


def _div(a, b):
    if b == 0:
        raise ZeroDivisionError(f"division by zero: {a!r} / 0; the divisor must be nonzero")
    return a / b


def _pow(a, b):
    if type(a) is int and type(b) is int and b > 0 and (abs(a).bit_length() - 1) * b >= 1024:
        return _pow_overflow(a, b)  # |a| ** b >= 2 ** 1024: never build that integer
    try:
        z = a**b
    except ZeroDivisionError:
        raise ZeroDivisionError(f"0 cannot be raised to a negative power ({a!r} ** {b!r})") from None
    except OverflowError:  # float ** float too large (or a complex result that is)
        if a < 0 and b != math.floor(b):
            raise _not_real(a, b) from None
        return _pow_overflow(a, b)
    if type(z) is complex:  # Python answers (-8) ** 0.5 with a complex number
        raise _not_real(a, b)
    return z if type(z) is float else _fit(z)


def _pow_overflow(a, b) -> float:
    """The IEEE result of a ** b too large for a float: -inf for a negative base to an odd power."""
    return -math.inf if a < 0 and b % 2 == 1 else math.inf


def _not_real(a, b) -> ValueError:
    return ValueError(f"{a!r} ** {b!r} is not a real number: a negative base needs an integer exponent")


def _power(a, e):
    """a ** e by the rules above for numbers (0 ** negative raises), as a node for Values."""
    return _pow(a, e) if isinstance(a, (int, float)) and isinstance(e, (int, float)) else a**e


def _ln(x):
    """The natural log of a number, or of a Value as a node (so it can be differentiated again)."""
    return math.log(x) if isinstance(x, (int, float)) else x.log()


def _pow_base_derivative(a, b):
    """d(a**b)/da = b * a**(b-1), infinite where that power divides by zero (a constant
    then, also for Values: the derivative of inf is not taken)."""
    if b == 0:  # a number 0 (a Value is == only to itself): a**0 is 1 for every a, so the derivative
        return b  # is 0, also at a = 0 (as PyTorch), and x**2's third derivative at 0 is 0, not 0 * inf
    try:
        d = b * _power(a, b - 1)
    except ZeroDivisionError:
        return math.inf
    return _fit(d) if type(d) is int else d


def _pow_exponent_derivative(z, a, b):
    """d(a**b)/db = a**b * log(a), as PyTorch defines it at and below zero (and nan for a nan)."""
    if a > 0:
        return z * _ln(a)
    if a == 0:  # 0 where b >= 0; 0 ** -inf is inf, times log(0) = -inf; nan for a nan b
        return 0.0 if b >= 0 else -math.inf if b < 0 else math.nan
    return math.nan


def _exp(a):
    try:
        return math.exp(a)
    except OverflowError:  # above about 709.78
        return math.inf


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

ADD = Primitive("add", "+", 2, _add, lambda z, a, b: (1.0, 1.0))
# x0 + x1 + ... + xn added left to right, as a chain of ADDs would, in one node
SUM = Primitive("sum", "+", None, _sum, lambda z, *xs: (1.0,) * len(xs))


def _dot(b, *weights_then_inputs):
    """b + w0*x0 + w1*x1 + ..., added left to right (as Python's sum() over the products would)."""
    n = len(weights_then_inputs) // 2
    total = b
    for w, x in zip(weights_then_inputs[:n], weights_then_inputs[n:]):
        total = total + w * x
    return total if type(total) is float else _fit(total)


def _dot_derivative(z, b, *weights_then_inputs):
    """1 for b, x_i for w_i, w_i for x_i."""
    n = len(weights_then_inputs) // 2
    return (1.0, *weights_then_inputs[n:], *weights_then_inputs[:n])


SUB = Primitive("sub", "-", 2, _sub, lambda z, a, b: (1.0, -1.0))
MUL = Primitive("mul", "*", 2, _mul, lambda z, a, b: (b, a))
# a neuron's pre-activation b + w.x in one node; inputs (b, w0, ..., wn-1, x0, ..., xn-1)
DOT = Primitive("dot", "w·x+b", None, _dot, _dot_derivative)
DIV = Primitive("div", "/", 2, _div, lambda z, a, b: (1.0 / b, -z / b))
POW = Primitive(
    "pow", "**", 2, _pow, lambda z, a, b: (_pow_base_derivative(a, b), _pow_exponent_derivative(z, a, b))
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
            f"cannot differentiate through op {symbol!r}: it is not a micrograd primitive; build the "
            "graph from Value operations, give the node its chain-rule step (out._backward = fn), "
            "or make the operation with micrograd.define_op"
        )

    return Primitive("opaque", symbol, arity, None, no_derivative)


@dataclass(frozen=True)
class HandWritten(Primitive):
    """A node whose ``_backward`` was assigned by hand, as in the original micrograd.

    ``backward()`` calls ``step`` (the user's closure) for the chain-rule step. Nothing else can
    take the derivative of a closure, so ``derivative`` raises, saying what to use instead.
    """

    step: Callable | None = field(default=None, repr=False)


def hand_written(symbol: str, arity: int, step: Callable) -> HandWritten:
    """The primitive of a node given ``out._backward = step``; ``symbol`` stays its op for drawings."""
    if not callable(step):
        raise TypeError(f"_backward must be a function of no arguments, got {type(step).__name__} {step!r}")

    def no_derivative(z, *inputs):
        raise TypeError(
            f"cannot differentiate op {symbol!r} here: its _backward was assigned by hand (a Python "
            "closure), which only backward() calls; for backward(create_graph=True), micrograd.grad, "
            "hessian, micrograd.compile and draw_html, make the operation with "
            "micrograd.define_op(name, forward, derivative)"
        )

    return HandWritten("hand_written", symbol, arity, None, no_derivative, step=step)


# graphs built by hand (Value(data, children, op)) name their op by its symbol
BY_SYMBOL: dict[str, Primitive] = {p.symbol: p for p in PRIMITIVES.values() if p not in (POW_CONST, SUM, DOT)}


# --- operations of the user's own (micrograd.define_op, in ops.py) -------------


@dataclass(frozen=True)
class Defined(Primitive):
    """An operation added with ``micrograd.define_op``: the same form as the table's."""


# by name; kept apart from PRIMITIVES, the closed table that every backend implements
DEFINED: dict[str, Defined] = {}
# the name of the defined operation whose derivative is running on Values now (else None):
# ``float(v)`` then refuses, since a float would cut the graph that differentiates again
DERIVING: ContextVar[str | None] = ContextVar("DERIVING", default=None)


def register(prim: Defined) -> None:
    """Add (or replace, by name) a defined operation; ValueError where its name or symbol is taken."""
    if prim.name in PRIMITIVES or prim.name in ("opaque", "hand_written"):
        raise ValueError(f"{prim.name!r} is a built-in operation's name: choose another name for yours")
    builtin = {p.symbol for p in PRIMITIVES.values()}
    if prim.symbol in builtin or prim.symbol.startswith("**"):
        raise ValueError(
            f"the symbol {prim.symbol!r} is a built-in operation's: choose another one for {prim.name!r} "
            "(or leave symbol out to draw it with its name)"
        )
    for other in DEFINED.values():
        if other.symbol == prim.symbol and other.name != prim.name:
            raise ValueError(
                f"the symbol {prim.symbol!r} is taken by the operation {other.name!r}: choose another one"
            )
    DEFINED[prim.name] = prim
