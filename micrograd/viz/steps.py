"""What the ``draw_html`` page shows at each step, with the numbers the engine computes.

Each value comes from ``node.data``, each local derivative from the node's
primitive (``_prim.derivative``, or the node's own ``_backward`` where a user
gave it one), each gradient from a ``backward()`` run of the engine whose effect
on ``grad`` is undone afterwards. The texts are templates (see ``words``): the
page fills them with these numbers, and refills them when the learner changes a
leaf and the page recomputes.
"""

from __future__ import annotations

from ..engine import Value
from ..primitives import PRIMITIVES
from .words import Template, cat, dname, forward_text, reason, symbolic, wrap


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


def own_backward(node: Value) -> bool:
    """Whether the node's class has a ``_backward`` of its own (a user's subclass), not Value's."""
    return getattr(type(node), "_backward", None) is not getattr(Value, "_backward", None)


def in_table(node: Value) -> bool:
    """Whether the page's JavaScript can recompute the node: a primitive of the table, no own _backward."""
    prim = node._prim
    known = PRIMITIVES.get(prim.name) is prim or (prim.name == "pow_const" and prim.const is not None)
    return known and not own_backward(node)


def probed_derivatives(node: Value) -> list[float]:
    """The local derivatives by running the node's ``_backward`` once with grad 1 (grads restored).

    An input used twice gets its whole derivative in its first slot."""
    kids = node._children
    saved = [node.grad] + [c.grad for c in kids]
    try:
        for c in kids:
            c.grad = 0.0
        node.grad = 1.0
        node._backward()
        seen: set[int] = set()
        out = []
        for c in kids:
            out.append(0.0 if id(c) in seen else c.grad)
            seen.add(id(c))
        return out
    finally:
        node.grad = saved[0]
        for c, g in zip(kids, saved[1:], strict=True):
            c.grad = g


def _table_derivatives(node: Value) -> tuple | None:
    """The local derivatives by the node's primitive, or None where it has no derivative rule."""
    kids = node._children
    try:
        local = node._prim.derivative(node.data, *(c.data for c in kids))
    except TypeError:
        if node._prim.name in PRIMITIVES:
            raise
        return None
    return local if len(kids) > 1 else (local,)


class Graph:
    """The nodes in topological order with their names, gradients and the local derivative of every edge."""

    def __init__(self, root: Value, nodes: list[Value]) -> None:
        self.nodes = nodes
        self.index = {n: i for i, n in enumerate(nodes)}
        self.names = node_names(nodes)
        self.grads = engine_gradients(root, nodes)
        self.last = len(nodes) - 1
        self.unknown = sorted({n._op or "?" for n in nodes if n._a is not None and not in_table(n)})
        # uses[c] = [(parent, slot, edge)], parents in order; edges numbered as the drawing numbers them
        self.uses: list[list[tuple[int, int, int]]] = [[] for _ in nodes]
        self.local: list[float] = []  # per edge
        self.parent: list[int] = []  # per edge
        self.edge_id: dict[tuple[int, int], int] = {}
        for p, node in enumerate(nodes):
            kids = node._children
            if not kids:
                continue
            local = None if own_backward(node) else _table_derivatives(node)
            if local is None:  # the node's own chain-rule step, e.g. a _backward given by hand
                local = probed_derivatives(node)
            for slot, (child, d) in enumerate(zip(kids, local, strict=True)):
                e = len(self.local)
                self.uses[self.index[child]].append((p, slot, e))
                self.edge_id[(p, slot)] = e
                self.local.append(d)
                self.parent.append(p)

    def local_name(self, p: int, i: int) -> str:
        """d(p)/d(i) as written: for the output itself its operation, so dL/de = dL/dL · d(e * f)/de."""
        names = self.names
        if p != self.last:
            return dname(names[p], names[i])
        return f"d({symbolic(self.nodes[p], names, self.index)})/d{wrap(names[i])}"


def _step(phase: str, node: int, title: str, formula: Template, why: list, related=(), ops=(), edges=()):
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


def _forward_steps(g: Graph, info: list[dict]) -> list[dict]:
    """The inputs, then one step per interior node in topological order."""
    nodes, names = g.nodes, g.names
    leaves = [i for i, n in enumerate(nodes) if n._a is None]
    shown = cat(*[cat(", " if j else "", f"{names[i]} = ", ("v", i, "n")) for j, i in enumerate(leaves[:8])])
    more = f", … ({len(leaves)} in all)" if len(leaves) > 8 else ""
    start = "Leaves (inputs and parameters) hold their values from the start; press → to compute."
    steps = [_step("forward", -1, "Forward pass: the inputs", cat(shown, more), [[start]], leaves)]
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
        formula = forward_text(i, node, names, g.index)
        steps.append(_step("forward", i, title, formula, [[why]], kids, [i], edges))
    return steps


def _gradient_text(g: Graph, i: int) -> tuple[Template, list]:
    """dL/dx as the sum over x's uses of (gradient of the use) · (local derivative), with the reasons."""
    nodes, names = g.nodes, g.names
    L = names[g.last]
    # the order in which backward() adds them up: later parents first, a parent's slots in order
    terms = sorted(g.uses[i], key=lambda t: (-t[0], t[1]))
    symbolic_sum = " + ".join(f"{dname(L, names[p])} · {g.local_name(p, i)}" for p, _, _ in terms)
    products = cat(
        *[
            cat(" + " if t else "", ("g", p, "o" if t else "n"), " · ", ("d", e, "o"))
            for t, (p, _, e) in enumerate(terms)
        ]
    )
    formula = cat(dname(L, names[i]), " = ", symbolic_sum, " = ", products)
    if len(terms) > 1:  # the += lesson: one contribution per use, added up
        each = [cat(" + " if t else "", ("c", e, "o" if t else "n")) for t, (_, _, e) in enumerate(terms)]
        formula = cat(formula, " = ", *each)
    formula = cat(formula, " = ", ("g", i, "n"))
    why = [
        cat(f"{g.local_name(p, i)} = ", ("d", e, "n"), ", ", reason(nodes[p], slot, e, names, g.index))
        for p, slot, e in terms
    ]
    if len(terms) > 1:
        paths = [cat(" + " if t else "", ("c", e, "o" if t else "n"), f" (through {names[p]})")
                 for t, (p, _, e) in enumerate(terms)]  # fmt: skip
        why.append(
            cat(
                f"{names[i]} is used {len(terms)} times, so backward() adds one contribution per use: ",
                *paths,
                " = ",
                ("g", i, "n"),
            )  # fmt: skip
        )
    return formula, why


def _backward_steps(g: Graph, info: list[dict], first: int) -> list[dict]:
    """One step per node in reverse topological order, each gradient as the sum of its chain-rule products."""
    names, L = g.names, g.names[g.last]
    steps = []
    for k, i in enumerate(reversed(range(len(g.nodes))), 1):
        info[i]["bwd"] = first + len(steps)
        head = f"Backward pass, step {k} of {len(g.nodes)}: "
        if i == g.last:
            why = f"{L} changes one-for-one with itself, so its gradient is 1."
            formula = cat(f"{dname(L, L)} = ", ("g", i, "n"))
            steps.append(_step("backward", i, head + f"start at the output {L}", formula, [[why]]))
            continue
        formula, why = _gradient_text(g, i)
        parents = sorted({p for p, _, _ in g.uses[i]})
        edges = [e for _, _, e in g.uses[i]]
        steps.append(
            _step("backward", i, head + f"gradient of {names[i]}", formula, why, parents, parents, edges)
        )
    return steps


def page_model(root: Value, nodes: list[Value], title: str | None = None) -> tuple[dict, Graph]:
    """The page's data: per node its name and the steps at which its numbers appear; per step its words
    (templates); the graph and the engine's numbers for the page's evaluator.

    ``nodes`` is ``topological_order(root)``; the default title names the output.
    """
    g = Graph(root, nodes)
    info = [
        {"name": g.names[i], "data": f"{n.data:.4f}", "grad": f"{g.grads[i]:.4f}", "leaf": n._a is None}
        for i, n in enumerate(nodes)
    ]
    for n in info:
        n["fwd"] = n["bwd"] = 0
    forward = _forward_steps(g, info)
    steps = forward + _backward_steps(g, info, len(forward))
    out = g.names[g.last]
    title = title or (
        f"Backpropagation through {out}" if root.label else "Backpropagation through the output"
    )
    graph = [
        [n._prim.name, [g.index[c] for c in n._children], n._prim.const] if n._a is not None else None
        for n in nodes
    ]
    model = {
        "title": title,
        "root": g.last,
        "nodes": info,
        "steps": steps,
        "graph": graph,
        "values": [n.data for n in nodes],
        "grads": g.grads,
        "local": g.local,
        "parent": g.parent,
        "unknown": g.unknown,
    }
    return model, g
