"""Derivatives as values: ``grad`` (shaped like ``torch.autograd.grad``), ``hessian`` and ``hvp``.

``grad`` differentiates outputs with respect to any nodes of their graph, to any
order with ``create_graph=True``. ``hessian`` and ``hvp`` are shaped like
``torch.autograd.functional``: ``f`` takes one ``Value`` per input and returns a
``Value``; the inputs are numbers. Both are built on ``grad(..., create_graph=True)``:
the gradient is computed as a graph, then differentiated once more.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from .engine import Number, Value, adjoints, topological_order


def _as_values(xs, what: str) -> list[Value]:
    """``xs`` (a Value or a sequence of Values) as a list; TypeError naming ``what`` otherwise."""
    if isinstance(xs, Value):
        return [xs]
    try:
        xs = list(xs)
    except TypeError:
        raise TypeError(
            f"grad() needs a Value or a sequence of Values as {what}, got {type(xs).__name__}"
        ) from None
    for x in xs:
        if not isinstance(x, Value):
            raise TypeError(
                f"grad() needs Values as {what}, got {type(x).__name__} {x!r}: the {what} must be "
                "nodes of the graph (wrap a number in Value() before computing with it)"
            )
    return xs


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Number | Value | Sequence[Number | Value] | None = None,
    create_graph: bool = False,
) -> list[Value]:
    """The derivatives of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    Returns one Value per input: the sum over the outputs of ``grad_output *
    d(output)/d(input)`` (``grad_outputs`` defaults to 1 for every output).
    ``inputs`` may be any nodes of the graph, leaves or not; an input the
    outputs do not depend on gets 0 (where PyTorch raises unless
    ``allow_unused=True``, and then returns None). No ``.grad`` is touched.

    With ``create_graph=False`` the results are new leaves holding the numbers
    ``backward()`` would give. With ``create_graph=True`` they are built from
    the primitives' derivatives as Values, so that ``grad()`` or ``backward()``
    on them gives second derivatives, and so on to any order. A result may then
    be a node of the graph itself (d(x*w)/dx is ``w``).

    >>> x = Value(3.0)
    >>> f = 3 * x**2 - 4 * x + 5
    >>> (df,) = grad(f, x, create_graph=True)
    >>> df.data, grad(df, x)[0].data
    (14.0, 6.0)
    """
    outputs = _as_values(outputs, "outputs")
    inputs = _as_values(inputs, "inputs")
    if grad_outputs is None:
        seeds = [1.0] * len(outputs)
    else:
        single = isinstance(grad_outputs, (Value, numbers.Real))
        seeds = [grad_outputs] if single else list(grad_outputs)
        if len(seeds) != len(outputs):
            raise ValueError(
                f"grad() got {len(seeds)} grad_outputs for {len(outputs)} outputs: give one per output"
            )
        for s in seeds:
            if not isinstance(s, (Value, numbers.Real)):
                raise TypeError(f"grad_outputs must be numbers or Values, got {type(s).__name__} {s!r}")
        seeds = [s if create_graph and type(s) is Value else float(s) for s in seeds]
    order, seen = [], set()
    for out in outputs:  # one order for all outputs: each node after its children
        for node in topological_order(out, leaves=False):
            if node not in seen:
                seen.add(node)
                order.append(node)
    adjoint = adjoints(order, outputs, seeds, set(inputs), create_graph)
    results = []
    for x in inputs:
        g = adjoint.get(x, 0.0)
        results.append(g if type(g) is Value else Value(g))
    return results


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
