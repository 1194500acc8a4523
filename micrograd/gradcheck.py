"""Check ``backward()`` gradients against central finite differences.

Like ``torch.autograd.gradcheck``: the analytic gradient of a scalar function
is compared with the numerical slope

    (f(x + eps) - f(x - eps)) / (2 * eps)

for each input in turn, and accepted where

    |analytic - numerical| <= atol + rtol * |numerical|.

The defaults (``eps=1e-6``, ``atol=1e-5``, ``rtol=1e-3``) suit float64 and
functions that are smooth near the inputs: the central difference is off by
about ``eps**2 * |f'''|`` from truncation plus ``|f| * 1e-16 / eps`` from
rounding. At a kink (``relu`` at 0) or near a pole the two legitimately
disagree; move the point or loosen the tolerance there.

``gradgradcheck`` does the same one order up, like
``torch.autograd.gradgradcheck``: the Hessian from differentiating the
gradient graph (``grad(..., create_graph=True)``, then ``grad`` again) is
compared, entry by entry, with central differences of the first derivatives,

    H[i][j]  vs  (df/dx_i (x + eps e_j) - df/dx_i (x - eps e_j)) / (2 * eps),

with the same acceptance rule and defaults. It catches a derivative that is
right as a number but wrong as a function (one that reads ``.data``, say, and
so has derivative 0), which ``gradcheck`` cannot see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .engine import Value
from .functional import grad, hessian


@dataclass
class GradcheckFailure:
    """One input whose analytic and numerical gradients disagree."""

    index: int
    analytic: float
    numerical: float


def numerical_gradient(f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of df/dx_i at ``inputs`` for every i."""
    point = [float(x) for x in inputs]
    slopes = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += eps
        down[i] -= eps
        f_up = _evaluate(f, up)
        f_down = _evaluate(f, down)
        slopes.append((f_up - f_down) / (2 * eps))
    return slopes


def analytic_gradient(f: Callable[..., Value], inputs: Sequence[float]) -> list[float]:
    """df/dx_i at ``inputs`` from ``backward()``."""
    leaves = [Value(float(x)) for x in inputs]
    out = f(*leaves)
    _check_output(out)
    out.backward()
    return [float(leaf.grad) for leaf in leaves]


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Whether ``backward()`` agrees with central finite differences at ``inputs``.

    ``f`` takes one ``Value`` per input and returns a ``Value``. Each input i
    passes when ``|analytic_i - numerical_i| <= atol + rtol * |numerical_i|``.
    On a mismatch, raises ``AssertionError`` naming every failing input (or
    returns False when ``raise_exception=False``).

    >>> gradcheck(lambda x, y: x * y + x.tanh(), [0.5, -2.0])
    True
    """
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    analytic = analytic_gradient(f, inputs)
    numerical = numerical_gradient(f, inputs, eps)
    failures = [
        GradcheckFailure(i, a, n)
        for i, (a, n) in enumerate(zip(analytic, numerical))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if failures and raise_exception:
        lines = "; ".join(
            f"input {f.index}: backward {f.analytic!r}, finite difference {f.numerical!r}" for f in failures
        )
        raise AssertionError(f"gradient mismatch (atol={atol}, rtol={rtol}, eps={eps}): {lines}")
    return not failures


@dataclass
class GradgradcheckFailure:
    """One second derivative d2f/dx_i dx_j whose analytic and numerical values disagree."""

    i: int
    j: int
    analytic: float
    numerical: float


def numerical_hessian(
    f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6
) -> list[list[float]]:
    """Central differences of the first derivatives: ``H[i][j]`` estimates d(df/dx_i)/dx_j."""
    point = [float(x) for x in inputs]
    columns = []
    for j in range(len(point)):
        up, down = list(point), list(point)
        up[j] += eps
        down[j] -= eps
        g_up, g_down = _gradient_at(f, up), _gradient_at(f, down)
        columns.append([(u - d) / (2 * eps) for u, d in zip(g_up, g_down)])
    return [[columns[j][i] for j in range(len(point))] for i in range(len(point))]


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Whether second derivatives agree with central differences of the first derivatives.

    ``f`` takes one ``Value`` per input and returns a ``Value``. Each entry
    (i, j) of ``hessian(f, inputs)`` passes when ``|analytic - numerical| <=
    atol + rtol * |numerical|`` (see the module docstring for the numerical
    side). On a mismatch, raises ``AssertionError`` naming every failing entry
    (or returns False when ``raise_exception=False``).

    >>> gradgradcheck(lambda x, y: x * y + x.tanh() * y.exp(), [0.5, -2.0])
    True
    """
    if not inputs:
        raise ValueError("gradgradcheck needs at least one input")
    analytic = hessian(f, inputs)
    numerical = numerical_hessian(f, inputs, eps)
    failures = [
        GradgradcheckFailure(i, j, a, n)
        for i, (row_a, row_n) in enumerate(zip(analytic, numerical))
        for j, (a, n) in enumerate(zip(row_a, row_n))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if failures and raise_exception:
        lines = "; ".join(
            f"d2f/dx{f.i}dx{f.j}: second derivative {f.analytic!r}, finite difference {f.numerical!r}"
            for f in failures
        )
        raise AssertionError(f"second derivative mismatch (atol={atol}, rtol={rtol}, eps={eps}): {lines}")
    return not failures


def _gradient_at(f: Callable[..., Value], point: list[float]) -> list[float]:
    leaves = [Value(x) for x in point]
    out = f(*leaves)
    _check_output(out)
    return [g.data for g in grad(out, leaves)]


def _evaluate(f: Callable[..., Value], point: list[float]) -> float:
    out = f(*[Value(x) for x in point])
    _check_output(out)
    return float(out.data)


def _check_output(out: object) -> None:
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}")
