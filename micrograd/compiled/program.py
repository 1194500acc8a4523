"""The program: compiling in steps (``compile_steps``), and ``Program``, which re-runs the graph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from operator import attrgetter

import numpy as np

from ..engine import Value
from .blas import plan_inexact
from .lower import lower
from .plan import plan
from .rules import KIND, CompileError
from .walk import edges, kinds, walk

__all__ = ["Program", "compile_steps"]

_data = attrgetter("data")
_grad = attrgetter("grad")


def compile_steps(
    root: Value, params: Sequence[Value] | None = None, exact: bool = True
) -> Iterator[tuple[str, object]]:
    """Compile ``root`` phase by phase, yielding (phase name, its result): "walk" (``Walk``),
    "kinds" (the primitives' codes), "edges" (``Edges``), "lower" (``Lowered``) and "plan"
    (``Plan``: ``plan.plan``, or ``blas.plan_inexact`` where not ``exact``). ``Program`` runs
    exactly these; ``benchmarks/compile_phases.py`` times them."""
    if not isinstance(root, Value):
        raise CompileError(f"compile() needs the Value at the top of a graph, got {type(root).__name__}")
    try:
        w = walk(root)
    except AttributeError as exc:
        raise CompileError(f"the graph holds a child that is not a Value ({exc})") from None
    yield "walk", w
    kind = kinds(w.order)
    yield "kinds", kind
    e = edges(w, kind == KIND["dot"])
    yield "edges", e
    low = lower(root, w, e, kind, list(params or ()), exact)
    yield "lower", low
    yield "plan", plan(low) if exact else plan_inexact(low)


class Program:
    """A compiled static graph: ``forward()`` and ``backward()`` re-run it on the leaves' current data.

    Made by ``micrograd.compile(root, params)``. ``leaves`` lists the graph's
    leaves in the program's order: ``params`` first, in their order (e.g.
    ``model.parameters()``; a model's weights in order make the batch's index
    arrays arithmetic, so they are read as strided views instead of gathered).
    ``exact=True`` reproduces the eager engine bit for bit; ``exact=False`` runs
    each layer's DOT nodes as matrix products and adds gradients in its own
    order (results within rounding of the eager ones; ``blas.py``).
    """

    def __init__(self, root: Value, params: Sequence[Value] | None = None, *, exact: bool = True) -> None:
        if exact not in (True, False):
            raise TypeError(f"exact must be True or False, got {exact!r}")
        steps = dict(compile_steps(root, params, exact))
        low, p = steps["lower"], steps["plan"]
        low = low if p.lowered is None else p.lowered
        self.root, self.exact = root, exact
        self.leaves, self.params = low.graph.leaves, low.graph.params
        self._low, self._groups, self._top = low, low.layout.groups, low.layout.top
        self._val, self._grad, self._buf = p.buffers.val, p.buffers.grad, p.buffers
        self._fwd, self._bwd, self._gather, self._leaf_rest = p.fwd, p.bwd, p.gather, p.leaf_rest
        self._reset = p.reset
        # how many grids of DOT nodes run as matrix products (exact=False; 0 for exact=True)
        self.matrices = sum(group.kind == "dot" for group in self._groups)
        # how many grids of DOT nodes add their gradients in their shape's order (exact=True)
        self.shaped_grids = p.shaped_grids
        self._inner: dict | None = None  # built on first use (reading a vanished node)
        self._last_read: tuple = (None, None)  # values(): the last nodes read and their positions

    # -- run time -------------------------------------------------------------------
    def forward(self, write_back: bool = False) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value.

        With ``write_back=True`` every interior node's ``.data`` is updated too
        (one Python assignment per node: for drawing the graph, not for speed).
        """
        self.read_leaves()
        value = self.forward_array()
        if write_back:
            for node in self._low.order:
                node.data = self.value_of(node)
        return value

    def backward(self, write_back: bool = False) -> None:
        """Add d(root)/d(leaf) to every leaf's ``.grad`` like ``root.backward()``; call after ``forward()``.

        With ``write_back=True`` every interior node's ``.grad`` is set as the
        eager ``backward()`` leaves it.
        """
        if not self._groups:  # the root is a leaf: d(root)/d(root) accumulates
            self.root.grad += 1.0
            return
        leaves, grad, c = self.leaves, self._grad, self._buf.c
        n = len(leaves)
        c[:n] = np.fromiter(map(_grad, leaves), float, n)
        self._run_backward(self._leaf_rest)
        for leaf, g in zip(leaves, grad[:n].tolist(), strict=True):
            leaf.grad = g
        if write_back:
            for node in self._low.order:
                node.grad = self.grad_of(node)

    def _run_backward(self, leaf_steps: list) -> None:
        """Every level's grads from the root down: add each level's contributions, then pass them on."""
        grad, gather, bwd, top = self._grad, self._gather, self._bwd, self._top
        with np.errstate(all="ignore"):
            for step in self._reset:
                step()
            grad[self._position(self.root)] = 1.0
            for lv in range(top, 0, -1):
                if lv < top:
                    for step in gather[lv]:
                        step()
                for step in bwd[lv]:
                    step()
            for step in gather[0]:  # the params' grads
                step()
            for step in leaf_steps:
                step()

    # -- run time, on arrays: the training fast path ----------------------------------
    @property
    def param_data(self) -> np.ndarray:
        """The values of ``prog.params`` inside the program (a writable float64 view).

        ``forward()`` fills it from the params' ``.data``; ``forward_array()``
        reads it. Update it in place (``prog.param_data -= lr * prog.param_grad``).
        """
        return self._val[: len(self.params)]

    @param_data.setter
    def param_data(self, values) -> None:  # so that ``prog.param_data -= ...`` works
        self._val[: len(self.params)] = values

    @property
    def param_grad(self) -> np.ndarray:
        """The gradients of ``prog.params`` from the last ``backward()`` or ``backward_array()`` (a view)."""
        return self._grad[: len(self.params)]

    def forward_array(self) -> float:
        """``forward()`` without touching any Value: the params' values come from ``param_data``.

        The other leaves (inputs, constants) keep the values the last
        ``forward()`` (or ``read_leaves()``) read; a training loop over a fixed
        batch calls ``read_leaves()`` once, then ``forward_array()`` every step.
        """
        with np.errstate(all="ignore"):
            for step in self._fwd:
                step()
        return float(self._val[self._position(self.root)])

    def backward_array(self) -> np.ndarray:
        """Set ``param_grad`` to d(root)/d(params), what ``zero_grad()`` then ``backward()`` leaves in
        the params' ``.grad`` (bit for bit), without touching any Value; call after a forward pass.

        The other leaves get no gradient. Returns ``param_grad``.
        """
        if not self._groups:  # the root is a leaf
            self.param_grad[:] = 1.0
            return self.param_grad
        self._buf.c[: len(self.params)] = 0.0  # zero_grad: the incoming grads
        self._run_backward([])
        return self.param_grad

    def read_leaves(self) -> None:
        """Read every leaf's current ``.data`` (params into ``param_data``) without computing anything."""
        n = len(self.leaves)
        self._val[:n] = np.fromiter(map(_data, self.leaves), float, n)

    def sync_to_values(self) -> None:
        """Write ``param_data`` into the params' ``.data`` and ``param_grad`` into their ``.grad``."""
        for p, v, g in zip(self.params, self.param_data.tolist(), self.param_grad.tolist(), strict=True):
            p.data, p.grad = v, g

    # -- reading nodes ------------------------------------------------------------------
    def value_of(self, node: Value) -> float:
        """The value ``node`` had in the last ``forward()`` (any node of the graph)."""
        return self._read(node, grad=False)

    def values(self, nodes: Iterable[Value]) -> np.ndarray:
        """The values of ``nodes`` in the last ``forward()``, as a new float64 array (a copy: the
        next forward pass does not change it)."""
        last, where = self._last_read
        # the same nodes as last time (identical objects, compared without touching them):
        # the same positions; a list is not copied for the comparison (a copy touches every node)
        if type(nodes) is not list or nodes != last:
            nodes = list(nodes)
            if nodes != last:
                where = self._positions(nodes)
                self._last_read = (nodes, where)
        if where is None:  # a node that vanished into a sum
            return np.array([self._read(n, grad=False) for n in nodes], dtype=float)
        return self._val[where].copy() if type(where) is slice else self._val[where]

    def _positions(self, nodes: list) -> slice | np.ndarray | None:
        """The positions of ``nodes`` in the value buffer (a slice where they are consecutive),
        or None where one has no position (vanished into a sum, outside the walk, not a Value)."""
        try:
            ids = np.fromiter(map(self._low.ids.__getitem__, nodes), np.int64, len(nodes))
        except (KeyError, TypeError):
            return None
        where = self._low.where[ids]
        if (where < 0).any():
            return None
        if where.size and np.array_equal(where, np.arange(where[0], where[0] + where.size)):
            return slice(int(where[0]), int(where[0]) + where.size)
        return where

    def grad_of(self, node: Value) -> float:
        """The gradient the last ``backward()`` gave ``node`` (a leaf's: its accumulated ``.grad``)."""
        return self._read(node, grad=True)

    def _position(self, node: Value) -> int | None:
        """``node``'s index in the value and grad buffers, None if it vanished into a sum.

        KeyError if it is not a node of this graph.
        """
        i = self._low.ids.get(node) if isinstance(node, Value) else None
        if i is None:
            if node in self._low.outside:
                return self._low.outside[node]
            raise KeyError(f"{node!r} is not a node of this compiled graph")
        p = int(self._low.where[i])
        return p if p >= 0 else None

    def _read(self, node: Value, grad: bool) -> float:
        buf = self._grad if grad else self._val
        p = self._position(node)
        if p is not None:
            return float(buf[p])
        head, row, sign = self._vanished()[node]  # a link of a flattened sum, or a fused product
        if grad:  # every link passes on the head's grad; a term receives +-1.0 times it
            return sign * float(self._grad[self._position(head)])
        if row is None:
            with np.errstate(all="ignore"):
                return float(self._val[self._position(node._a)] * self._val[self._position(node._b)])
        p = self._position(head)
        g = next(g for g in self._groups if g.out <= p < g.end)
        i = p - g.out
        terms = self._val[g.start : g.out].reshape(g.rows, g.size)[:row, i]
        with np.errstate(all="ignore"):  # inf - inf is nan, as in the eager engine: no warning
            return float(np.add.accumulate(terms)[-1])  # the eager chain's partial sum

    def _vanished(self) -> dict[Value, tuple]:
        """Each node that has no place in the buffer -> (its sum's head, row | None, sign).

        A link of a flattened chain is the partial sum of its head's first ``row``
        terms; a fused product (row None) is a term, added with ``sign``. Built on
        first use (reading or writing back a vanished node), not when compiling.
        """
        if self._inner is None:
            node = self._low.order.__getitem__
            vanished = self._low.vanished
            links, heads, rows = (x.tolist() for x in vanished.links)
            inner = dict(zip(map(node, links), zip(map(node, heads), rows, repeat(1.0))))
            products, heads, signs = (x.tolist() for x in vanished.chain_products)
            inner.update(zip(map(node, products), zip(map(node, heads), repeat(None), signs)))
            products, heads = (x.tolist() for x in vanished.sum_products)
            inner.update(zip(map(node, products), zip(map(node, heads), repeat(None), repeat(1.0))))
            self._inner = inner
        return self._inner

    def __repr__(self) -> str:
        return (
            f"Program(nodes={len(self._low.order)}, leaves={len(self.leaves)}, "
            f"levels={self._top}, groups={len(self._groups)}"
            + ("" if self.exact else f", matrices={self.matrices}, exact=False")
            + ")"
        )
