"""Value: a scalar that records the expression graph, and reverse-mode autodiff.

Compatible with Karpathy's micrograd (``Value(data, _children, _op)``, ``.data``,
``.grad``, ``._prev``, ``._op``, ``.backward()``). A node keeps its children in
order (two at most, except the n-ary sum of ``sum_of``) and the primitive that
made it; local derivatives come from the primitive table in ``primitives.py``.
No node holds a closure (unless one is given by hand, ``out._backward = fn``, the
original's way to add an operation), so a dropped graph is freed by reference
counting alone.

``adjoints`` is the reverse pass that ``backward(create_graph=True)`` and
``micrograd.grad`` (in ``functional.py``) share: with ``create_graph=True`` the
derivatives are Values with graphs of their own, built from the same
primitives, so they can be differentiated again.

Overflow follows IEEE arithmetic, as in PyTorch (the rule in full is in
``primitives.py``): a result too large for a float is ``inf`` or ``-inf``;
``Value(nan)`` is accepted, ``Value(10**400)`` (no float can hold it) refused.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Iterable

from .grad_mode import is_grad_enabled as is_grad_enabled  # still importable from here
from .grad_mode import no_grad as no_grad
from .grad_mode import recording_here, watch
from .primitives import (
    ADD,
    BY_SYMBOL,
    DERIVING,
    DIV,
    DOT,
    EXP,
    INT_LIMIT,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SUB,
    SUM,
    TANH,
    HandWritten,
    Primitive,
    hand_written,
    opaque,
    pow_const,
    real_number,
)

Number = int | float
_new = object.__new__
_recording = True  # False while some thread or task is inside no_grad(): then ask recording_here()


def _set_recording(everywhere: bool) -> None:
    global _recording
    _recording = everywhere


watch(_set_recording)


def _as_number(x: object) -> Number:
    """The int or float a Value may hold (``real_number`` in ``primitives.py`` checks the rest)."""
    if type(x) is float or (type(x) is int and -INT_LIMIT < x < INT_LIMIT):
        return x
    if isinstance(x, Value):
        raise TypeError("Value() wraps a number, not another Value: use the Value itself, or v.data")
    return real_number(x)


def _lift(x: object):
    """x as a Value, or NotImplemented so Python can try the other operand."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    return NotImplemented


def _primitive_for(op: str, arity: int) -> Primitive:
    """The primitive that a node built by hand names by its ``_op`` symbol."""
    if op == "+" and arity > 2:
        return SUM
    if op == DOT.symbol and arity >= 3 and arity % 2 == 1:
        return DOT
    if op in BY_SYMBOL and BY_SYMBOL[op].arity == arity:
        return BY_SYMBOL[op]
    if op.startswith("**") and arity == 1:
        try:
            return pow_const(float(op[2:]))
        except ValueError:
            pass
    return opaque(op, arity)


def _node(prim: Primitive, data: Number, a, b) -> Value:
    """A new node made by ``prim`` from children ``a``, ``b``, or a leaf under no_grad.

    An n-ary node (SUM, DOT) gets two tuples whose concatenation is its children.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0
    if _recording or recording_here():
        out._prim = prim
        out._a = a
        out._b = b
    else:
        out._prim = out._a = out._b = None
    out.label = ""
    return out


def _unary(prim: Primitive, a: Value) -> Value:
    return _node(prim, prim.forward(a.data), a, None)


def _binary(prim: Primitive, a, b):
    if type(a) is not Value:
        a = _lift(a)
    if type(b) is not Value:
        b = _lift(b)
    if a is NotImplemented or b is NotImplemented:
        return NotImplemented
    return _node(prim, prim.forward(a.data, b.data), a, b)


def sum_of(values: Iterable[Value | Number]) -> Value:
    """One ``+`` node adding ``values`` left to right: the same number as Python's
    ``sum`` over Values (a chain of two-input ``+`` nodes), in a single node.

    (``Neuron`` uses ``dot`` for its ``b + w0*x0 + w1*x1 + ...``.)
    """
    args = tuple(values)
    for v in args:
        if type(v) is not Value:
            lifted = [_lift(v) for v in args]
            if NotImplemented in lifted:
                bad = args[lifted.index(NotImplemented)]
                raise TypeError(f"sum_of() adds numbers and Values, got {type(bad).__name__} {bad!r}")
            args = tuple(lifted)
            break
    if len(args) < 2:
        if not args:
            raise ValueError("sum_of() needs at least one value")
        return args[0]
    return _node(SUM, SUM.forward(*[v.data for v in args]), args, ())


def dot(bias_and_weights: tuple[Value, ...], inputs: tuple[Value, ...]) -> Value:
    """One node for ``b + w0*x0 + w1*x1 + ...``, added left to right like the original's
    ``sum()`` over the products (so the same number, bit for bit).

    ``bias_and_weights`` is ``(b, w0, w1, ...)`` and ``inputs`` is ``(x0, x1, ...)``, both
    tuples of Values. The node keeps the two tuples as they are, so a neuron's weights
    and a layer's inputs are shared by every node that uses them, not copied.
    """
    if type(bias_and_weights) is not tuple or type(inputs) is not tuple:  # the node keeps tuples
        bias_and_weights, inputs = tuple(bias_and_weights), tuple(inputs)
    if len(bias_and_weights) != len(inputs) + 1:
        raise ValueError(
            f"dot() needs one weight per input: {len(bias_and_weights) - 1} weights, {len(inputs)} inputs"
        )
    try:
        data = DOT.forward(*[v.data for v in bias_and_weights], *[v.data for v in inputs])
    except AttributeError:
        bad = next(v for v in bias_and_weights + inputs if not isinstance(v, Value))
        raise TypeError(
            f"dot() takes Values, got {type(bad).__name__} {bad!r}: wrap numbers in Value()"
        ) from None
    return _node(DOT, data, bias_and_weights, inputs)


class Value:
    """A scalar and its gradient, remembering the operation and inputs that made it."""

    # _prim: the primitive that made this node; _a, _b: its children (None where
    # absent, so a leaf has _a None), or, for an n-ary node, two tuples that
    # together hold its children in order
    __slots__ = ("data", "grad", "_a", "_b", "_prim", "label")

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = "") -> None:
        children = tuple(_children)
        self.data = _as_number(data)
        self.grad = 0
        self._prim = _primitive_for(_op, len(children)) if children or _op else None
        if len(children) > 2:
            self._a, self._b = children, ()
        else:
            self._a, self._b = (children + (None, None))[:2]
        self.label = label

    # -- the graph, as the original exposes it
    @property
    def _children(self) -> tuple:
        """The children in order."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if type(a) is tuple:  # an n-ary node
            return a + b
        return (a,) if b is None else (a, b)

    @property
    def _prev(self) -> set:
        """The children as a set, the original's type (``_children`` keeps the order)."""
        return set(self._children)

    @property
    def _op(self) -> str:
        return self._prim.symbol if self._prim is not None else ""

    # -- arithmetic: each a primitive from the table
    def __add__(self, other):
        return _binary(ADD, self, other)

    def __radd__(self, other):
        return _binary(ADD, other, self)

    def __sub__(self, other):
        return _binary(SUB, self, other)

    def __rsub__(self, other):
        return _binary(SUB, other, self)

    def __mul__(self, other):
        return _binary(MUL, self, other)

    def __rmul__(self, other):
        return _binary(MUL, other, self)

    def __truediv__(self, other):
        return _binary(DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(DIV, other, self)

    def __pow__(self, other):
        if isinstance(other, Value):
            return _binary(POW, self, other)
        if isinstance(other, numbers.Real):
            return _unary(pow_const(_as_number(other)), self)
        return NotImplemented

    def __rpow__(self, other):
        return _binary(POW, other, self)

    def __neg__(self) -> Value:
        return _unary(NEG, self)

    def relu(self) -> Value:
        """max(0, x); its derivative is taken as 0 at x = 0, as in the original."""
        return _unary(RELU, self)

    def tanh(self) -> Value:
        """The hyperbolic tangent; derivative 1 - tanh(x)**2."""
        return _unary(TANH, self)

    def exp(self) -> Value:
        """e**x; inf when that is too large for a float (above about 709.78), as in PyTorch."""
        return _unary(EXP, self)

    def log(self) -> Value:
        """The natural logarithm; ValueError for x <= 0."""
        return _unary(LOG, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), one node; derivative s * (1 - s)."""
        return _unary(SIGMOID, self)

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph."""
        return Value(self.data)

    # -- conveniences: the number inside. Comparisons read ``.data`` and record
    # nothing; ``==`` and hashing stay identity, since Values live in sets and dicts.
    def item(self) -> Number:
        """The number held (``.data``), as PyTorch's ``tensor.item()``."""
        return self.data

    def __float__(self) -> float:
        if DERIVING.get() is not None:  # a defined op's derivative on Values: a float cuts the graph
            raise TypeError("float() of a Value (math functions call it): use Value operations instead")
        return float(self.data)

    def __lt__(self, other) -> bool:
        return self.data < other.data if isinstance(other, Value) else _compare(other, self.data.__lt__)

    def __le__(self, other) -> bool:
        return self.data <= other.data if isinstance(other, Value) else _compare(other, self.data.__le__)

    def __gt__(self, other) -> bool:
        return self.data > other.data if isinstance(other, Value) else _compare(other, self.data.__gt__)

    def __ge__(self, other) -> bool:
        return self.data >= other.data if isinstance(other, Value) else _compare(other, self.data.__ge__)

    # -- reverse mode
    @property
    def _backward(self):
        """This node's chain-rule step, a function of no arguments, as in the original micrograd."""
        prim = self._prim
        return prim.step if type(prim) is HandWritten else functools.partial(_chain, self)

    @_backward.setter
    def _backward(self, step) -> None:  # the original's way to add an op; backward() calls step
        self._prim = hand_written(self._op, len(self._children), step)

    def backward(self, create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) to the ``grad`` of every leaf under this node.

        Interior nodes are given this pass's gradient (they start from zero), so
        calling ``backward()`` again adds exactly the same amount to the leaves.

        With ``create_graph=True`` each leaf's ``grad`` becomes a Value with a
        graph (added to what it held, as in PyTorch), so it can be
        differentiated again; interior nodes still get plain numbers. As in
        PyTorch, a leaf whose gradient depends on it then refers to itself
        through its ``grad`` (a reference cycle, freed by the cycle collector);
        ``micrograd.grad()`` returns the same Values without storing them. Read the
        number as ``leaf.grad.data``: the optimizers expect numbers.

        The local derivatives read the values the graph stored when it was built
        and each leaf's ``.data`` as it is now: after ``x.data = ...`` an old graph
        mixes the two (PyTorch raises). Build the graph again after changing ``.data``.
        """
        if create_graph:
            return self._backward_with_graph()
        order = topological_order(self, leaves=False)
        for node in order:
            node.grad = 0.0
        if order:
            self.grad = 1.0
        else:  # a leaf: d(self)/d(self) = 1 accumulates like any leaf gradient
            self.grad += 1.0
        chain = _chain
        for node in reversed(order):
            chain(node)

    def _backward_with_graph(self) -> None:
        order = topological_order(self, leaves=False)
        adjoint = adjoints(order, [self], [1.0], None, create_graph=True)
        for node in order:
            node.grad = _number(adjoint[node])
        for leaf, g in adjoint.items():
            if leaf._a is None:
                old = leaf.grad
                new = g if type(old) is not Value and old == 0 else old + g
                leaf.grad = new if type(new) is Value else Value(new)

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def _compare(other, compare) -> bool:
    """``compare(other)`` for a number; NotImplemented (so Python raises TypeError) otherwise."""
    if isinstance(other, numbers.Real):
        return compare(other)
    return NotImplemented


def _number(g) -> Number:
    return g.data if type(g) is Value else g


def _chain(node: Value) -> None:
    """One chain-rule step: add ``node``'s grad times each local derivative to its children's grads."""
    a, b, g, prim = node._a, node._b, node.grad, node._prim
    if type(prim) is HandWritten:  # its _backward was assigned by hand
        prim.step()
    elif type(a) is tuple:  # an n-ary node
        children = a + b
        local = prim.derivative(node.data, *[c.data for c in children])
        for child, d in zip(children, local, strict=True):
            child.grad += d * g
    elif b is not None:
        da, db = prim.derivative(node.data, a.data, b.data)
        a.grad += da * g
        b.grad += db * g
    elif a is not None:
        a.grad += prim.derivative(node.data, a.data) * g


def adjoints(
    order: list[Value], outputs: list[Value], seeds: list, wanted: set | None, create_graph: bool
) -> dict:
    """Every node's adjoint (d(seeds . outputs)/d(node)) in a dict, by one reverse walk of ``order``
    (interior nodes, each after its children, as ``topological_order(..., leaves=False)`` lists them).

    Numbers like ``_backward``'s (same operations, same order), or, with
    ``create_graph``, Values computed from the primitives' derivatives applied
    to the nodes themselves (numbers where nothing depends on a Value). Only
    nodes on a path to a ``wanted`` node are visited (every node if None).
    """
    if wanted is not None:  # the nodes with a wanted node under them (or wanted themselves)
        reaches = set(wanted)
        for node in order:
            if node not in reaches and any(c in reaches for c in node._children):
                reaches.add(node)
    adjoint: dict = {}
    for out, seed in zip(outputs, seeds):
        adjoint[out] = adjoint[out] + seed if out in adjoint else seed
    for node in reversed(order):
        g = adjoint.get(node)
        if g is None or (wanted is not None and node not in reaches):
            continue
        a, b, prim = node._a, node._b, node._prim
        if type(a) is tuple:
            children = a + b
        else:
            children = (a,) if b is None else (a, b)
        if create_graph:
            local = prim.derivative(node, *children)
        else:
            local = prim.derivative(node.data, *[c.data for c in children])
        if len(children) == 1:
            local = (local,)
        for child, d in zip(children, local, strict=True):
            if wanted is not None and child not in reaches:
                continue
            if not create_graph:
                contribution = d * g
            elif type(d) is float and d == 1.0:  # exact shortcuts: 1 * g, -1 * g, d * 1
                contribution = g
            elif type(d) is float and d == -1.0:
                contribution = -g
            elif type(g) is float and g == 1.0:
                contribution = d
            else:
                contribution = d * g
            previous = adjoint.get(child)
            if previous is None:
                adjoint[child] = contribution if create_graph else 0.0 + contribution
            else:
                adjoint[child] = previous + contribution
    return adjoint


def topological_order(root: Value, *, leaves: bool = True) -> list[Value]:
    """Every node under ``root`` (``root`` included), each after all of its children.

    Depth-first and iterative (a million-node chain must not hit the recursion
    limit), children visited in order, so the result is deterministic. With
    ``leaves=False`` only the nodes that have children are listed: the ones
    ``backward()`` visits, since leaves receive gradient but pass none on.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order() needs a Value, got {type(root).__name__}")
    if root._a is None:
        return [root] if leaves else []
    order: list[Value] = []
    visited = {root}
    stack = [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child._a is None:  # a leaf: nothing under it
                if leaves and child not in visited:
                    visited.add(child)
                    order.append(child)
            elif child not in visited:
                visited.add(child)
                stack.append((child, iter(child._children)))
                break
        else:  # every child is done
            stack.pop()
            order.append(node)
    return order
