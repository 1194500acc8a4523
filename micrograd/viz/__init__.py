"""Pictures of the expression graph: ``draw_dot`` (Graphviz) and ``draw_html`` (a step-through page).

Import them from here (``from micrograd.viz import draw_dot, draw_html``, or
``micrograd.draw_dot``). The modules, each with one job:

- ``dot``: ``draw_dot``, its errors (``GraphvizNotFoundError``, ``GraphvizError``,
  ``GraphTooLargeError``, ``LabelError``), and what both pictures
  share about Graphviz (the directions, the install hint, ``large_graph_attrs``)
- ``page``: ``draw_html``, the self-contained HTML page; ``page.html`` is its template
- ``steps``: what the page says at each step, computed with the engine
- ``words``: numbers, names and formulas as the page writes them
- ``layout``: where the page draws each node (Graphviz ``dot``, or a built-in layered layout)

Both pictures walk the graph with ``micrograd.engine.topological_order``.
Nothing here imports the ``graphviz`` package before ``draw_dot`` is called.
"""

from __future__ import annotations

from ..engine import Value, topological_order
from .dot import GraphTooLargeError as GraphTooLargeError
from .dot import GraphvizError as GraphvizError
from .dot import GraphvizNotFoundError as GraphvizNotFoundError
from .dot import LabelError as LabelError
from .dot import draw_dot as draw_dot
from .dot import large_graph_attrs as large_graph_attrs
from .page import draw_html as draw_html


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Every value under ``root`` and the edges between them (kept for code written against 0.2.0).

    ``nodes`` is ``micrograd.engine.topological_order(root)``: each value once,
    children before the values made from them, ``root`` last. ``edges`` holds
    ``(child, parent)`` pairs, one per input slot in child order (so ``a * a``
    gives two).
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace() needs a Value, got {type(root).__name__}")
    nodes = topological_order(root)
    return nodes, [(child, node) for node in nodes for child in node._children]
