"""Graphs with operations made by ``micrograd.define_op``: run node by node in Python.

The vectorised rules cover the built-in primitives only, so ``micrograd.compile``
gives such a graph a ``DefinedProgram``: the interface of ``Program``, with
every node computed by its primitive's own forward and derivative, in the eager
engine's order, on buffers of the program's own. The results are the eager
engine's, bit for bit (on float leaves, as ``Program`` reads them); the speed is
the eager engine's too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..engine import Value, topological_order
from ..primitives import PRIMITIVES, Defined, HandWritten
from .rules import CompileError

__all__ = ["DefinedProgram", "compile_defined"]


def compile_defined(root: Value, params: Sequence[Value] | None = None) -> DefinedProgram | None:
    """A ``DefinedProgram`` for a graph with defined operations, None for a graph without any.

    CompileError for a node whose ``_backward`` was assigned by hand (a closure cannot be
    replayed), or for a graph that is not one of Values and known operations.
    """
    if not isinstance(root, Value):
        return None
    try:
        order = topological_order(root, leaves=False)
    except AttributeError:  # a child that is not a Value: Program's error says so
        return None
    found, unknown = False, None
    for node in order:
        prim = node._prim
        if type(prim) is HandWritten:
            raise CompileError(
                f"cannot compile a node with op {prim.symbol!r}: its _backward was assigned by hand (a "
                "Python closure, which only backward() runs); make the operation with micrograd.define_op"
            )
        if isinstance(prim, Defined):
            found = True
        elif unknown is None and (prim is None or prim.name not in PRIMITIVES):
            unknown = node
    if found and unknown is not None:
        raise CompileError(
            f"cannot compile a node with op {unknown._op!r}: only the primitives and the operations made by "
            "micrograd.define_op compile; build the graph from those"
        )
    return DefinedProgram(root, params, order) if found else None


class DefinedProgram:
    """A static graph with defined operations, re-run node by node: the interface of ``Program``."""

    def __init__(self, root: Value, params: Sequence[Value] | None, order: list[Value]) -> None:
        params = list(dict.fromkeys(params or ()))
        for p in params:
            if not isinstance(p, Value) or p._a is not None:
                raise CompileError(f"params must be leaf Values (e.g. model.parameters()), got {p!r}")
        given = set(params)
        others = [v for v in topological_order(root) if v._a is None and v not in given]
        self.root, self.params = root, tuple(params)
        self.leaves = tuple(params + others) if order else (root,)
        self._order = order
        self._index = {v: i for i, v in enumerate(self.leaves + tuple(order))}
        index = self._index
        self._steps = [(node._prim, [index[c] for c in node._children]) for node in order]
        n = len(self.leaves)
        self._data = np.zeros(len(params))  # param_data: the params' values
        self._pgrad = np.zeros(len(params))  # param_grad
        self._val: list = [0.0] * (n + len(order))
        self._grad: list = [0.0] * (n + len(order))

    # -- run time
    def forward(self, write_back: bool = False) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value."""
        self.read_leaves()
        value = self.forward_array()
        if write_back:
            for node in self._order:
                node.data = self.value_of(node)
        return value

    def backward(self, write_back: bool = False) -> None:
        """Add d(root)/d(leaf) to every leaf's ``.grad`` as ``root.backward()`` does; after ``forward()``."""
        if not self._order:
            self.root.grad += 1.0
            return
        n = len(self.leaves)
        self._grad[:n] = [float(v.grad) for v in self.leaves]
        self._run_backward()
        for leaf, g in zip(self.leaves, self._grad, strict=False):
            leaf.grad = g
        self._pgrad[:] = self._grad[: len(self.params)]
        if write_back:
            for node in self._order:
                node.grad = self.grad_of(node)

    def _run_backward(self) -> None:
        val, grad, n = self._val, self._grad, len(self.leaves)
        grad[n:] = [0.0] * len(self._order)
        grad[-1] = 1.0
        for i in range(len(self._steps) - 1, -1, -1):  # the chain-rule steps of Value.backward()
            prim, kids = self._steps[i]
            g = grad[n + i]
            local = prim.derivative(val[n + i], *[val[k] for k in kids])
            for k, d in zip(kids, local if len(kids) > 1 else (local,), strict=True):
                grad[k] += d * g

    @property
    def param_data(self) -> np.ndarray:
        """The values of ``prog.params`` inside the program (a writable float64 array)."""
        return self._data

    @param_data.setter
    def param_data(self, values) -> None:
        self._data[:] = values

    @property
    def param_grad(self) -> np.ndarray:
        """The gradients of ``prog.params`` from the last ``backward()`` or ``backward_array()``."""
        return self._pgrad

    def forward_array(self) -> float:
        """``forward()`` with the params' values from ``param_data`` (other leaves as last read)."""
        val, n = self._val, len(self.leaves)
        val[: len(self.params)] = self._data.tolist()
        for i, (prim, kids) in enumerate(self._steps, n):
            val[i] = prim.forward(*[val[k] for k in kids])
        return float(val[-1] if self._order else val[0])

    def backward_array(self) -> np.ndarray:
        """Set ``param_grad`` to d(root)/d(params) (as zero_grad(), backward() would); no Value touched."""
        if not self._order:
            self._pgrad[:] = 1.0
            return self._pgrad
        n = len(self.leaves)
        self._grad[:n] = [0.0] * n
        self._run_backward()
        self._pgrad[:] = self._grad[: len(self.params)]
        return self._pgrad

    def read_leaves(self) -> None:
        """Read every leaf's current ``.data`` (params into ``param_data``)."""
        self._val[: len(self.leaves)] = [float(v.data) for v in self.leaves]
        self._data[:] = self._val[: len(self.params)]

    def sync_to_values(self) -> None:
        """Write ``param_data`` into the params' ``.data`` and ``param_grad`` into their ``.grad``."""
        for p, v, g in zip(self.params, self._data.tolist(), self._pgrad.tolist(), strict=True):
            p.data, p.grad = v, g

    # -- reading nodes
    def value_of(self, node: Value) -> float:
        """The value ``node`` had in the last forward pass (any node of the graph)."""
        return float(self._val[self._position(node)])

    def values(self, nodes: Iterable[Value]) -> np.ndarray:
        """The values of ``nodes`` in the last forward pass, as a float64 array."""
        return np.array([self.value_of(v) for v in nodes], dtype=float)

    def grad_of(self, node: Value) -> float:
        """The gradient the last ``backward()`` gave ``node``."""
        return float(self._grad[self._position(node)])

    def _position(self, node: Value) -> int:
        i = self._index.get(node) if isinstance(node, Value) else None
        if i is None:
            raise KeyError(f"{node!r} is not a node of this compiled graph")
        return i

    def __repr__(self) -> str:
        return f"DefinedProgram(nodes={len(self._order)}, leaves={len(self.leaves)}, node by node)"
