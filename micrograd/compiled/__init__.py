"""The compiled backend: a static scalar graph re-executed as a few vectorised numpy operations.

``micrograd.compile(root)`` records the graph under ``root`` once and returns a
:class:`Program`. ``prog.forward()`` recomputes every node from the leaves'
current ``.data``; ``prog.backward()`` adds d(root)/d(leaf) to every leaf's
``.grad`` exactly like ``root.backward()``. Training keeps the graph's shape
from step to step (same model, same batch), so one compiled program serves
every step: write the parameters, ``forward()``, ``backward()``, read grads.

How it runs. Nodes are grouped by depth (a node's level is one more than its
deepest input) and, within a level, by primitive; each group is one numpy
operation on index arrays into a single value buffer. Chains of ``+``/``-``
(Python's ``sum``) are flattened into n-ary sums with their single-use products
fused in, and a neuron's DOT node is one too, so a layer's thousands of scalar
nodes run as a handful of groups. Where an index array is an arithmetic
pattern (the same weights for every point of a batch) it becomes a strided
view instead of a gather.

The package, by phase: ``rules`` (the primitive table, vectorised), ``walk``
(the graph as ids and arrays), ``lower`` and ``levels`` (flattening, terms,
levels, groups), ``matrices`` (the grids of DOT nodes: a layer over a batch),
``views`` (strided index patterns), ``plan`` (the steps of every group and the
gradients' sums) with ``exact_grids`` (a grid's gradients in the order of its
shape), ``blas`` and ``products`` (``exact=False``: the grids as matrix
products), ``sorting`` and ``program`` (``Program``, the run time).

Training with it (full batch, so the graph's shape never changes)::

    scores, loss = ...                            # build the graph once, eagerly
    prog = micrograd.compile(loss, model.parameters())
    for k in range(steps):
        value = prog.forward()                    # reads the parameters' current .data
        accuracy = ((prog.values(scores) > 0) == (y > 0)).mean()
        model.zero_grad()
        prog.backward()                           # fills every leaf's .grad
        for p in model.parameters():
            p.data -= lr * p.grad

The same loop on arrays (no per-Value attribute traffic; bit-identical): the
params live in ``prog.param_data`` and the other leaves keep the values read
once::

    prog.read_leaves()
    for k in range(steps):
        value = prog.forward_array()
        prog.backward_array()                     # param_grad, as after zero_grad() + backward()
        prog.param_data -= lr * prog.param_grad
    prog.sync_to_values()                         # p.data and p.grad, for the model's users

``compile(..., exact=False)`` (``matrices``, ``blas``) runs each grid of DOT nodes (a
layer applied to a batch: one inputs tuple per sample, one weights tuple per neuron)
as matrix products and adds gradients in place: faster, and equal to the eager
results up to rounding (BLAS adds in its own order). What follows is ``exact=True``.

Exactness. Results are bit for bit those of the eager engine (float64; the
eager engine keeps Python ints where every input is an int): an n-ary sum adds
its terms left to right, the order of the eager chain; every node's gradient
adds its contributions in the order the eager ``backward()`` does (fixed at
compile time; ``np.bincount`` and ``np.add.reduce`` over the outer axis add in
array order); ``exp``, ``log``, ``tanh`` and ``**`` take the C library's
result, as Python's ``math`` does (numpy's own differ in the last bit for a few
inputs).

Errors. A forward pass raises the eager engine's exceptions (division by zero,
log of a non-positive number, ``0 ** -1``, a negative base to a fractional
power), checked after each vectorised operation. Overflow is ``inf`` or
``-inf``, in values and gradients, as in the eager engine (the rule in
``primitives.py``).
"""

try:
    import numpy  # noqa: F401  (an optional extra)
except ImportError as exc:
    raise ImportError(
        "micrograd.compile needs numpy: pip install 'micrograd-plus[fast]' (or pip install numpy)"
    ) from exc

from .program import Program
from .rules import RULES, SUMS, CompileError, Rule

__all__ = ["Program", "CompileError", "RULES", "SUMS", "Rule"]
