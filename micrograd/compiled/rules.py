"""The primitive table, vectorised: one rule per elementwise primitive, and the two that are sums.

The same names as ``primitives.py``. An elementwise rule's forward writes into
``out``; its local derivative(s) mirror the eager formulas term for term so
results agree to the last bit; ``refuse`` marks the elements whose eager
forward raises (the program then replays the graph eagerly, so the eager
exception, with its message, is raised).

``sum`` and ``dot`` have no elementwise rule: they are ``SUMS``, lowered into
n-ary sum groups (``lower.py``), where DOT's products ``w_i * x_i`` are fused
in; ``add_rows`` is how every such sum adds its terms.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..primitives import PRIMITIVES

__all__ = ["CompileError", "Rule", "RULES", "SUMS", "KINDS", "KIND", "add_rows"]


class CompileError(TypeError):
    """The graph cannot be compiled (an op outside the primitive table, or not a Value graph)."""


@dataclass(frozen=True)
class Rule:
    """The vectorised forward, local derivative(s) and domain check of one primitive.

    ``forward(out, *inputs)`` writes the outputs into ``out``; ``derivative(z,
    *inputs)`` returns dz/da (unary) or (dz/da, dz/db) (binary) as arrays or
    scalars; ``refuse(z, *inputs)`` returns a mask of the elements that the
    eager engine refuses with an exception, or is None where it refuses none.
    ``pow_const`` takes its exponents ``k`` (a scalar or per-node array) as the
    last input.
    """

    forward: Callable
    derivative: Callable
    refuse: Callable | None = None


def _libm(np_fn: Callable, py_fn: Callable, also: Callable | None = None) -> Callable:
    """np_fn, with the C library's result (what Python's float ops give) on every finite element,
    and on the elements ``also(*args)`` marks (where py_fn never raises but numpy differs).

    numpy's own exp, log, tanh and power differ from the C library's in the last
    bit for a few inputs; the eager engine uses the C library, so the compiled
    values do too. Other non-finite elements keep numpy's inf/nan (where the eager
    engine would raise, ``refuse`` catches them).
    """

    def exact(*args):
        z = np.array(np_fn(*args), dtype=float)
        ok = np.isfinite(z)
        if also is not None:
            ok |= also(*args)
        if ok.any():
            z[ok] = list(map(py_fn, *(np.broadcast_to(x, z.shape)[ok].tolist() for x in args)))
        return z

    return exact


_exp = _libm(np.exp, math.exp)
_log = _libm(np.log, math.log)
_tanh = _libm(np.tanh, math.tanh)
# with an infinite operand Python's float ** never raises; numpy's power takes (-inf) ** 0.5 as
# sqrt(-inf), nan, where C, Python and PyTorch's pow of two tensors give inf
_pow = _libm(np.power, operator.pow, lambda a, b: np.isinf(a) | np.isinf(b))


def _sigmoid(out, a):
    e = _exp(-np.abs(a))  # exp(-a) where a >= 0, exp(a) where a < 0: never overflows
    np.copyto(out, np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _base_derivative(a, b):
    """b * a**(b-1), and b where b is 0 (as the eager engine returns). Where that power divides by
    zero (a == 0, 0 < b < 1; b < 0 is refused) it is inf as the eager engine's; 0 ** -inf is no
    division (inf), so d/da of (+-0) ** -inf is -inf * inf = -inf, as eager and PyTorch."""
    return np.where(b == 0, b, b * _pow(a, b - 1))


def _exponent_derivative(z, a, b):
    """a**b * log(a) for a > 0; at a == 0, 0 where b >= 0 and -inf below (0 ** -inf); nan below
    0 and for a nan (PyTorch's convention, as eager)."""
    at_zero = np.where(b >= 0, 0.0, np.where(b < 0, -math.inf, math.nan))
    return np.where(a > 0, z * _log(np.where(a > 0, a, 1.0)), np.where(a == 0, at_zero, math.nan))


def _pow_refused(z, a, b):
    """Where the eager ``**`` raises (overflow is inf there too): 0 to a negative finite power, and a
    finite negative base to a finite fractional power."""
    a, b = np.asarray(a), np.asarray(b)
    finite_b = np.isfinite(b)
    return ((a == 0) & (b < 0) & finite_b) | ((a < 0) & np.isfinite(a) & finite_b & (b != np.floor(b)))


RULES: dict[str, Rule] = {
    "add": Rule(lambda out, a, b: np.add(a, b, out=out), lambda z, a, b: (1.0, 1.0)),
    "sub": Rule(lambda out, a, b: np.subtract(a, b, out=out), lambda z, a, b: (1.0, -1.0)),
    "mul": Rule(lambda out, a, b: np.multiply(a, b, out=out), lambda z, a, b: (b, a)),
    "div": Rule(
        lambda out, a, b: np.divide(a, b, out=out),
        lambda z, a, b: (1.0 / b, -z / b),
        lambda z, a, b: b == 0,
    ),
    "pow": Rule(
        lambda out, a, b: np.copyto(out, _pow(a, b)),
        lambda z, a, b: (_base_derivative(a, b), _exponent_derivative(z, a, b)),
        _pow_refused,
    ),
    "neg": Rule(lambda out, a: np.negative(a, out=out), lambda z, a: -1.0),
    "pow_const": Rule(
        lambda out, a, k: np.copyto(out, _pow(a, k)),
        lambda z, a, k: _base_derivative(a, k),
        _pow_refused,
    ),
    "exp": Rule(lambda out, a: np.copyto(out, _exp(a)), lambda z, a: z),
    "log": Rule(lambda out, a: np.copyto(out, _log(a)), lambda z, a: 1.0 / a, lambda z, a: a <= 0),
    "tanh": Rule(lambda out, a: np.copyto(out, _tanh(a)), lambda z, a: 1.0 - z * z),
    "sigmoid": Rule(_sigmoid, lambda z, a: z * (1.0 - z)),
    "relu": Rule(
        lambda out, a: np.copyto(out, np.where(a < 0, 0.0, a)),
        lambda z, a: np.where(z > 0, 1.0, 0.0),
    ),
}

# the n-ary primitives: each node is a sum of terms (DOT's: its bias, then w_i * x_i), whose
# local derivatives are 1 (and the fused product's operands); lowered into "sum" groups
SUMS = ("sum", "dot")

# kind codes: the primitive names in sorted order (sorting codes sorts names); "sum" is also
# the kind of every lowered sum group (flattened +/- chains, SUM and DOT nodes)
KINDS = sorted(PRIMITIVES)
KIND = {name: code for code, name in enumerate(KINDS)}


def add_rows(out, terms) -> None:
    """Add the rows of ``terms`` (k, m) into ``out`` (m,) left to right, as the eager chain does."""
    if terms.shape[1] > 1:  # np.add.reduce over the outer axis of a C-contiguous array adds row
        np.add.reduce(terms, axis=0, out=out)  # after row (tests guard this)
    else:  # one column: a running sum (add.reduce of a column could go pairwise)
        out[0] = np.add.accumulate(terms[:, 0])[-1]
