"""Second derivatives of a scalar function of numbers: ``hessian`` and ``hvp``.

Shaped like ``torch.autograd.functional``: ``f`` takes one ``Value`` per input
and returns a ``Value``; the inputs are numbers. Both are built on
``grad(..., create_graph=True)``: the gradient is computed as a graph, then
differentiated once more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .engine import Value, grad


def _gradient_graph(f: Callable[..., Value], inputs: Sequence[float], who: str) -> tuple[Value, list, list]:
    """f's value at ``inputs``, the leaves, and df/dx_i as Values with graphs."""
    if len(inputs) == 0:
        raise ValueError(f"{who} needs at least one input")
    leaves = [Value(float(x)) for x in inputs]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}")
    return out, leaves, grad(out, leaves, create_graph=True)


def hessian(f: Callable[..., Value], inputs: Sequence[float]) -> list[list[float]]:
    """The matrix of second derivatives ``H[i][j] = d2f / dx_i dx_j`` at ``inputs``.

    One reverse pass builds the gradient as a graph, then one reverse pass over
    that graph per row, like ``torch.autograd.functional.hessian``. Where ``f``
    is not twice differentiable (``relu`` at 0) the step's derivative is taken
    as 0, as everywhere in micrograd.

    >>> hessian(lambda x, y: x * x * y, [3.0, 2.0])
    [[4.0, 6.0], [6.0, 0.0]]
    """
    _, leaves, gradient = _gradient_graph(f, inputs, "hessian")
    return [[g.data for g in grad(gi, leaves)] for gi in gradient]


def hvp(f: Callable[..., Value], inputs: Sequence[float], v: Sequence[float]) -> tuple[float, list[float]]:
    """``(f(inputs), H @ v)``: the Hessian times the vector ``v``, without forming the Hessian.

    Two reverse passes in all (the gradient g as a graph, then d(g . v)/dx), as
    ``torch.autograd.functional.hvp``, which returns the same pair.

    >>> hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])
    (18.0, [4.0, 6.0])
    """
    out, leaves, gradient = _gradient_graph(f, inputs, "hvp")
    if len(v) != len(leaves):
        raise ValueError(f"hvp() needs one entry of v per input: {len(v)} for {len(leaves)} inputs")
    return out.data, [g.data for g in grad(gradient, leaves, grad_outputs=[float(x) for x in v])]
