"""What the ``draw_html`` page shows at each step, computed in Python from the engine.

Each value comes from ``node.data``, each local derivative from the node's
primitive (``_prim.derivative``), each gradient from a ``backward()`` run of
the engine whose effect on ``grad`` is undone afterwards.
"""

from __future__ import annotations

from ..engine import Value
from .words import dname, forward_text, number, operand, reason, wrap, written


def node_names(nodes: list[Value]) -> list[str]:
    """Each node's label, or a made-up one (``out`` for the root, ``v7`` for others) when it has none."""
    taken = {n.label for n in nodes if n.label}
    names = []
    for i, n in enumerate(nodes):
        name = n.label
        if not name:
            name = "out" if i == len(nodes) - 1 else f"v{i}"
            while name in taken:
                name += "'"
            taken.add(name)
        names.append(name)
    return names


def engine_gradients(root: Value, nodes: list[Value]) -> list[float]:
    """d(root)/d(node) for every node, by the engine's own ``backward()``; every ``grad`` is restored."""
    saved = [n.grad for n in nodes]
    try:
        for n in nodes:
            if n._a is None:  # leaves accumulate: start them from zero for this run
                n.grad = 0
        root.backward()
        return [n.grad for n in nodes]
    finally:
        for n, g in zip(nodes, saved, strict=True):
            n.grad = g


class _Graph:
    """The nodes in topological order with their names, gradients and the local derivative of every edge."""

    def __init__(self, root: Value, nodes: list[Value]) -> None:
        self.nodes = nodes
        self.index = {n: i for i, n in enumerate(nodes)}
        self.names = node_names(nodes)
        self.grads = engine_gradients(root, nodes)
        self.last = len(nodes) - 1
        # from the node's primitive: uses[c] = [(parent, slot, local derivative)], parents in order
        self.uses: list[list[tuple[int, int, float]]] = [[] for _ in nodes]
        self.edge_id: dict[tuple[int, int], int] = {}  # (parent, slot) -> edge number in the drawing
        for p, node in enumerate(nodes):
            kids = node._children
            if not kids:
                continue
            local = node._prim.derivative(node.data, *(c.data for c in kids))
            for slot, (child, d) in enumerate(zip(kids, local if len(kids) > 1 else (local,), strict=True)):
                self.uses[self.index[child]].append((p, slot, d))
                self.edge_id[(p, slot)] = len(self.edge_id)

    def local(self, p: int, i: int) -> str:
        """d(p)/d(i) as written: for the output itself its operation, so dL/de = dL/dL · d(e * f)/de."""
        names = self.names
        if p != self.last:
            return dname(names[p], names[i])
        operands = [wrap(names[self.index[c]]) for c in self.nodes[p]._children]
        return f"d({written(self.nodes[p], operands)})/d{wrap(names[i])}"


def _step(phase: str, node: int, title: str, formula: str, why: list[str], related=(), ops=(), edges=()):
    """One step of the page: what it highlights (nodes, operations, edges) and what it says."""
    return {
        "phase": phase,
        "node": node,
        "title": title,
        "formula": formula,
        "why": why,
        "related": list(related),
        "ops": list(ops),
        "edges": list(edges),
    }


def _forward_steps(g: _Graph, info: list[dict]) -> list[dict]:
    """The inputs, then one step per interior node in topological order."""
    nodes, names = g.nodes, g.names
    leaves = [i for i, n in enumerate(nodes) if n._a is None]
    shown = ", ".join(f"{names[i]} = {number(nodes[i].data)}" for i in leaves[:8])
    more = f", … ({len(leaves)} in all)" if len(leaves) > 8 else ""
    start = "Leaves (inputs and parameters) hold their values from the start; press → to compute."
    steps = [_step("forward", -1, "Forward pass: the inputs", shown + more, [start], leaves)]
    interior = [i for i, n in enumerate(nodes) if n._a is not None]
    for k, i in enumerate(interior, 1):
        node = nodes[i]
        info[i]["fwd"] = len(steps)
        kids = [g.index[c] for c in node._children]
        why = (
            f"Its input{'s' if len(kids) > 1 else ''} "
            f"{' and '.join(dict.fromkeys(names[c] for c in kids))} "
            f"{'are' if len(kids) > 1 else 'is'} already known, so {names[i]} can be computed now."
        )
        title = f"Forward pass, step {k} of {len(interior)}: compute {names[i]}"
        edges = [g.edge_id[(i, s)] for s in range(len(kids))]
        steps.append(
            _step("forward", i, title, forward_text(names[i], node, names, g.index), [why], kids, [i], edges)
        )
    return steps


def _backward_steps(g: _Graph, info: list[dict], first: int) -> list[dict]:
    """One step per node in reverse topological order, each gradient as the sum of its chain-rule products."""
    nodes, names, grads = g.nodes, g.names, g.grads
    L = names[g.last]
    steps = []
    for k, i in enumerate(reversed(range(len(nodes))), 1):
        info[i]["bwd"] = first + len(steps)
        head = f"Backward pass, step {k} of {len(nodes)}: "
        if i == g.last:
            why = f"{L} changes one-for-one with itself, so its gradient is 1."
            steps.append(
                _step(
                    "backward",
                    i,
                    head + f"start at the output {L}",
                    f"{dname(L, L)} = {number(grads[i])}",
                    [why],
                )
            )
            continue
        terms = list(reversed(g.uses[i]))  # the order in which backward() adds them up
        symbolic = " + ".join(f"{dname(L, names[p])} · {g.local(p, i)}" for p, _, _ in terms)
        products = " + ".join(
            f"{number(grads[p]) if t == 0 else operand(grads[p])} · {operand(d)}"
            for t, (p, _, d) in enumerate(terms)
        )
        why = [
            f"{g.local(p, i)} = {number(d)}, {reason(nodes[p], slot, names, g.index)}" for p, slot, d in terms
        ]
        if len(terms) > 1:
            why.append(f"{names[i]} is used {len(terms)} times, so the contributions add up.")
        formula = f"{dname(L, names[i])} = {symbolic} = {products} = {number(grads[i])}"
        parents = sorted({p for p, _, _ in terms})
        edges = [g.edge_id[(p, s)] for p, s, _ in terms]
        steps.append(
            _step("backward", i, head + f"gradient of {names[i]}", formula, why, parents, parents, edges)
        )
    return steps


def page_model(root: Value, nodes: list[Value], title: str | None = None) -> dict:
    """The page's data: per node its texts and the steps at which they appear; per step its words.

    ``nodes`` is ``topological_order(root)``; the default title names the output.
    """
    g = _Graph(root, nodes)
    info = [
        {
            "name": g.names[i],
            "data": f"{n.data:.4f}",
            "grad": f"{g.grads[i]:.4f}",
            "leaf": n._a is None,
            "fwd": 0,
            "bwd": 0,
        }
        for i, n in enumerate(nodes)
    ]
    forward = _forward_steps(g, info)
    steps = forward + _backward_steps(g, info, len(forward))
    title = title or f"Backpropagation through {g.names[g.last]}"
    return {"title": title, "root": g.last, "nodes": info, "steps": steps}
