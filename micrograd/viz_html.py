"""``draw_html``: one self-contained page that steps through the forward and the backward pass.

Everything the page shows is computed here, in Python, when the file is
written: each value from ``node.data``, each local derivative from the node's
primitive (``_prim.derivative``), each gradient from a ``backward()`` run of the
engine (the graph's previous gradients are restored afterwards). The layout
comes from Graphviz ``dot`` when it is installed, else from a simple layered
layout by depth. The page's script only shows and hides those numbers; it
loads nothing from anywhere (its Content-Security-Policy forbids it).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .engine import Value
from .io import atomic_write_text
from .viz import RANKDIRS, large_graph_attrs, trace

LAYOUTS = ("auto", "dot", "simple")
DOT_TIMEOUT = 300  # seconds; a layout that takes longer falls back (auto) or fails (dot)

# geometry in CSS pixels; the page's monospace font is 13px, whose advance is about 0.6em
FONT = 13
CHAR = 7.9
PAD = 8  # space left and right of the text in a cell
BOX_H = 40  # a value: its name on the left; data above grad on the right
OP_H = 26
MARGIN = 12

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# --- numbers and names in words ------------------------------------------------


def _num(x: float) -> str:
    """A number the way the page writes it: at most 4 decimals, like -2.0, 0.5, 6.8814."""
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if x != 0 and abs(x) < 5e-5:  # too small for 4 decimals: keep its digits
        return f"{x:.3g}"
    s = f"{x:.4f}".rstrip("0")
    s = s + "0" if s.endswith(".") else s
    return "0.0" if s == "-0.0" else s


def _arg(x: float) -> str:
    """A number as a later operand: negative ones in parentheses, so '2.0 · (-3.0)' reads clearly."""
    s = _num(x)
    return f"({s})" if s.startswith("-") else s


def _wrap(name: str) -> str:
    """A name inside a larger formula: parenthesised unless it is a plain identifier."""
    return name if _IDENT.match(name) else f"({name})"


def _d(num: str, den: str) -> str:
    """'dL/dc' for the derivative of num with respect to den."""
    return f"d{_wrap(num)}/d{_wrap(den)}"


# how each primitive reads in the forward text, and why its local derivative is what it is
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_CALL = {"exp": "exp", "log": "log", "tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU"}
_REASON = {
    "add": ("a sum passes the gradient to each input unchanged",),
    "sum": ("a sum passes the gradient to each input unchanged",),
    "sub": ("the derivative of {a} - {b} by {a} is 1", "the derivative of {a} - {b} by {b} is -1"),
    "mul": ("a product's derivative by one factor is the other factor, {b}",
            "a product's derivative by one factor is the other factor, {a}"),
    "div": ("d({a} / {b})/d{a} = 1 / {b}", "d({a} / {b})/d{b} = -({a} / {b}) / {b}"),
    "pow": ("d({a} ** {b})/d{a} = {b} · {a} ** ({b} - 1)", "d({a} ** {b})/d{b} = {a} ** {b} · ln {a}"),
    "pow_const": ("d({a} ** {k})/d{a} = {k} · {a} ** {k1}",),
    "neg": ("negation flips the sign: the local derivative is -1",),
    "exp": ("the derivative of exp is exp itself, the output {z}",),
    "log": ("the derivative of log {a} is 1 / {a}",),
    "tanh": ("the derivative of tanh is 1 - tanh², that is 1 - {z}²",),
    "sigmoid": ("the derivative of sigmoid is {z} · (1 - {z})",),
    "relu": ("ReLU passes the gradient where its output is positive (1) and blocks it elsewhere (0)",),
}  # fmt: skip


def _apply(node: Value, operands: list[str]) -> str:
    """The node's operation written out on the given operands: 'd + c', 'tanh(n)', 'a ** 2'."""
    prim = node._prim
    if prim.name in _INFIX and len(operands) == 2:
        return f"{operands[0]} {_INFIX[prim.name]} {operands[1]}"
    if prim.name == "sum":  # one n-ary '+' node
        return " + ".join(operands)
    if prim.name == "dot":  # b + w0*x0 + w1*x1 + ...: operands are b, the weights, then the inputs
        n = len(operands) // 2
        return " + ".join(
            [operands[0]] + [f"{w}*{x}" for w, x in zip(operands[1 : n + 1], operands[n + 1 :])]
        )
    if prim.name == "pow_const":
        return f"{operands[0]} ** {_num(prim.const)}"
    if prim.name == "neg":
        return f"-{operands[0]}"
    return f"{_CALL.get(prim.name, node._op or '?')}({', '.join(operands)})"


def _forward_text(z: str, node: Value, names: list[str], index: dict) -> str:
    """'e = d + c = -6.0 + 10.0 = 4.0': how a node's value was computed, in words."""
    kids = node._children
    symbolic = _apply(node, [_wrap(names[index[c]]) for c in kids])
    numbers = [_num(c.data) if j == 0 and len(kids) > 1 else _arg(c.data) for j, c in enumerate(kids)]
    if node._prim.name in _CALL:  # inside a call's parentheses a negative number needs none of its own
        numbers = [_num(c.data) for c in kids]
    return f"{z} = {symbolic} = {_apply(node, numbers)} = {_num(node.data)}"


def _reason(node: Value, slot: int, names: list[str], index: dict) -> str:
    """Why the local derivative of ``node`` by its input ``slot`` is what it is."""
    templates = _REASON.get(node._prim.name)
    kids = node._children
    if node._prim.name == "dot":  # slot 0 the bias, then the weights, then the inputs
        n = len(kids) // 2
        since = f"since {names[index[node]]} = {_apply(node, [_wrap(names[index[c]]) for c in kids])}"
        if slot == 0:
            return f"{since}: the bias is added as it is, so its local derivative is 1"
        partner = kids[slot + n] if slot <= n else kids[slot - n]
        return f"{since}: a product's derivative by one factor is the other factor, {names[index[partner]]}"
    z = _wrap(names[index[node]])
    since = f"since {names[index[node]]} = {_apply(node, [_wrap(names[index[c]]) for c in kids])}"
    if templates is None:
        return f"{since}, by the rule of {node._op!r}"
    k = node._prim.const
    return f"{since}: " + templates[min(slot, len(templates) - 1)].format(
        z=z,
        a=_wrap(names[index[kids[0]]]),
        b=_wrap(names[index[kids[1]]]) if len(kids) > 1 else "",
        k=_num(k) if k is not None else "",
        k1=_arg(k - 1) if k is not None else "",
    )


# --- the step-by-step model, from the engine -----------------------------------


def _names(nodes: list[Value]) -> list[str]:
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


def _engine_gradients(root: Value, nodes: list[Value]) -> list[float]:
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


def _model(root: Value, nodes: list[Value], title: str) -> dict:
    """The page's data: per node its texts and the steps at which they appear; per step its words."""
    index = {n: i for i, n in enumerate(nodes)}
    names = _names(nodes)
    grads = _engine_gradients(root, nodes)
    last = len(nodes) - 1
    L = names[last]

    # the local derivative along every edge, from the node's primitive: uses[c] = [(parent, slot, local)]
    uses: list[list[tuple[int, int, float]]] = [[] for _ in nodes]
    edge_id: dict[tuple[int, int], int] = {}  # (parent, slot) -> edge number in the drawing
    for p, node in enumerate(nodes):
        kids = node._children
        if not kids:
            continue
        local = node._prim.derivative(node.data, *(c.data for c in kids))
        for slot, (child, d) in enumerate(zip(kids, local if len(kids) > 1 else (local,), strict=True)):
            uses[index[child]].append((p, slot, d))
            edge_id[(p, slot)] = len(edge_id)

    info = [
        {
            "name": names[i],
            "data": f"{n.data:.4f}",
            "grad": f"{grads[i]:.4f}",
            "leaf": n._a is None,
            "fwd": 0,
            "bwd": 0,
        }
        for i, n in enumerate(nodes)
    ]
    leaves = [i for i, n in enumerate(nodes) if n._a is None]
    shown = ", ".join(f"{names[i]} = {_num(nodes[i].data)}" for i in leaves[:8])
    steps = [
        {
            "phase": "forward",
            "node": -1,
            "title": "Forward pass: the inputs",
            "formula": shown + (f", … ({len(leaves)} in all)" if len(leaves) > 8 else ""),
            "why": ["Leaves (inputs and parameters) hold their values from the start; press → to compute."],
            "related": leaves,
            "ops": [],
            "edges": [],
        }
    ]
    interior = [i for i, n in enumerate(nodes) if n._a is not None]
    for k, i in enumerate(interior, 1):
        node = nodes[i]
        info[i]["fwd"] = len(steps)
        kids = [index[c] for c in node._children]
        steps.append(
            {
                "phase": "forward",
                "node": i,
                "title": f"Forward pass, step {k} of {len(interior)}: compute {names[i]}",
                "formula": _forward_text(names[i], node, names, index),
                "why": [
                    f"Its input{'s' if len(kids) > 1 else ''} "
                    f"{' and '.join(dict.fromkeys(names[c] for c in kids))} "
                    f"{'are' if len(kids) > 1 else 'is'} already known, so {names[i]} can be computed now."
                ],
                "related": kids,
                "ops": [i],
                "edges": [edge_id[(i, s)] for s in range(len(kids))],
            }
        )

    def local(p: int, i: int) -> str:
        """d(p)/d(i) as written: for the output itself its operation, so dL/de = dL/dL · d(e * f)/de."""
        if p != last:
            return _d(names[p], names[i])
        operands = [_wrap(names[index[c]]) for c in nodes[p]._children]
        return f"d({_apply(nodes[p], operands)})/d{_wrap(names[i])}"

    nback = len(nodes)
    for k, i in enumerate(reversed(range(len(nodes))), 1):
        info[i]["bwd"] = len(steps)
        head = f"Backward pass, step {k} of {nback}: "
        if i == last:
            steps.append(
                {
                    "phase": "backward",
                    "node": i,
                    "title": head + f"start at the output {names[i]}",
                    "formula": f"{_d(L, L)} = {_num(grads[i])}",
                    "why": [f"{L} changes one-for-one with itself, so its gradient is 1."],
                    "related": [],
                    "ops": [],
                    "edges": [],
                }
            )
            continue
        terms = list(reversed(uses[i]))  # the order in which backward() adds them up
        symbolic = " + ".join(f"{_d(L, names[p])} · {local(p, i)}" for p, _, _ in terms)
        products = " + ".join(
            f"{_num(grads[p]) if t == 0 else _arg(grads[p])} · {_arg(d)}" for t, (p, _, d) in enumerate(terms)
        )
        why = [f"{local(p, i)} = {_num(d)}, {_reason(nodes[p], slot, names, index)}" for p, slot, d in terms]
        if len(terms) > 1:
            why.append(f"{names[i]} is used {len(terms)} times, so the contributions add up.")
        steps.append(
            {
                "phase": "backward",
                "node": i,
                "title": head + f"gradient of {names[i]}",
                "formula": f"{_d(L, names[i])} = {symbolic} = {products} = {_num(grads[i])}",
                "why": why,
                "related": sorted({p for p, _, _ in terms}),
                "ops": sorted({p for p, _, _ in terms}),
                "edges": [edge_id[(p, s)] for p, s, _ in terms],
            }
        )
    return {"title": title, "root": last, "nodes": info, "steps": steps}


# --- layout ---------------------------------------------------------------------


@dataclass
class _Box:
    """A drawn node: a value record or an operation ellipse, centred at (x, y)."""

    key: str
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0
    cells: list[float] = field(default_factory=list)  # value records: the three cell widths


@dataclass
class _Layout:
    boxes: dict[str, _Box]
    edges: list[tuple[str, str]]  # (from, to) in drawing order
    paths: list[str]  # one SVG path per edge
    width: float
    height: float
    engine: str  # 'dot' or 'simple'


def _boxes(nodes: list[Value], model: dict) -> tuple[dict[str, _Box], list[tuple[str, str]]]:
    """Sizes of every drawn node and the edges, in topological order (children first)."""
    boxes: dict[str, _Box] = {}
    edges: list[tuple[str, str]] = []  # input edges first, numbered as in the model, then op -> value
    index = {n: i for i, n in enumerate(nodes)}
    for i, n in enumerate(nodes):
        info = model["nodes"][i]
        name_w = max(len(info["name"]), 1) * CHAR + 2 * PAD
        num_w = (len("data ") + max(len(info["data"]), len(info["grad"]))) * CHAR + 2 * PAD
        if n._a is not None:
            sym = n._op or "?"
            boxes[f"o{i}"] = _Box(f"o{i}", max(36.0, len(sym) * CHAR + 22), OP_H)
        boxes[f"v{i}"] = _Box(f"v{i}", name_w + num_w, BOX_H, cells=[name_w, num_w])
    for i, n in enumerate(nodes):
        for child in n._children:
            edges.append((f"v{index[child]}", f"o{i}"))
    edges += [(f"o{i}", f"v{i}") for i, n in enumerate(nodes) if n._a is not None]
    return boxes, edges


def _dot_layout(boxes: dict[str, _Box], edges: list[tuple[str, str]], rankdir: str, dot: str) -> _Layout:
    """Positions and edge splines from Graphviz ``dot -Tplain`` (inches, y up) turned into pixels."""
    attrs = {"rankdir": rankdir, "nodesep": "0.2", "ranksep": "0.3", "ordering": "in"}
    attrs.update(large_graph_attrs(len(boxes)))
    lines = ["digraph G {", "graph [" + ", ".join(f'{k}="{v}"' for k, v in attrs.items()) + "];"]
    lines.append('node [label="", fixedsize=true];')
    for b in boxes.values():
        shape = "ellipse" if b.key[0] == "o" else "box"
        lines.append(f"{b.key} [shape={shape}, width={b.w / 72:.4f}, height={b.h / 72:.4f}];")
    lines += [f"{a} -> {b};" for a, b in edges]
    lines.append("}")
    proc = subprocess.run(
        [dot, "-Tplain"], input="\n".join(lines), capture_output=True, text=True, timeout=DOT_TIMEOUT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Graphviz dot failed: {proc.stderr.strip()[:500]}")
    height = 0.0
    width = 0.0
    splines: dict[tuple[str, str], list[str]] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "graph":
            width, height = float(parts[2]) * 72, float(parts[3]) * 72
        elif parts[0] == "node":
            b = boxes[parts[1]]
            b.x = float(parts[2]) * 72 + MARGIN
            b.y = height - float(parts[3]) * 72 + MARGIN
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = [
                (float(parts[4 + 2 * j]) * 72 + MARGIN, height - float(parts[5 + 2 * j]) * 72 + MARGIN)
                for j in range(n)
            ]
            tail = boxes[parts[1]]
            if tail.key[0] == "v":  # start exactly on the record's side (dot starts some points inside)
                x, y = pts[0]
                pts[0] = (tail.x + tail.w / 2, y) if rankdir == "LR" else (x, tail.y + tail.h / 2)
            d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts[1:])
            splines.setdefault((parts[1], parts[2]), []).append(d)
    paths = [splines[e].pop(0) for e in edges]  # a * a has two edges between the same nodes
    return _Layout(boxes, edges, paths, width + 2 * MARGIN, height + 2 * MARGIN, "dot")


def _simple_layout(boxes: dict[str, _Box], edges: list[tuple[str, str]], rankdir: str) -> _Layout:
    """A layered layout without Graphviz: columns by depth, rows ordered to follow the edges."""
    keys = list(boxes)  # topological: every node after its inputs
    preds: dict[str, list[str]] = {k: [] for k in keys}
    succs: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    rank = {}
    for k in keys:
        rank[k] = max((rank[p] + 1 for p in preds[k]), default=0)
    for k in keys:  # leaves sit just before their first use instead of all at the far left
        if not preds[k] and succs[k]:
            rank[k] = min(rank[s] for s in succs[k]) - 1
    layers: dict[int, list[str]] = {}
    for k in keys:
        layers.setdefault(rank[k], []).append(k)
    ranks = sorted(layers)

    lr = rankdir == "LR"

    def along(k: str) -> float:  # size along a layer (rows in LR, columns in TB)
        return boxes[k].h if lr else boxes[k].w

    gap = 14.0 if lr else 24.0
    pos: dict[str, float] = {}

    def place(layer: list[str], want: dict[str, float]) -> None:
        """Put a layer's nodes at the wanted positions, in that order, pushed apart where they overlap."""
        layer.sort(key=lambda k: want[k])
        placed, prev = [], None
        for k in layer:
            p = want[k] if prev is None else max(want[k], placed[-1] + (along(prev) + along(k)) / 2 + gap)
            placed.append(p)
            prev = k
        shift = sum(want[k] - p for k, p in zip(layer, placed, strict=True)) / len(layer)
        for k, p in zip(layer, placed, strict=True):
            pos[k] = p + shift

    for r in ranks:  # start: stacked in topological order
        place(layers[r], {k: float(j) * 40 for j, k in enumerate(layers[r])})
    for _ in range(3):  # sweeps: each node moves toward the mean of its neighbours on one side
        for r in ranks:
            place(layers[r], {k: _mean([pos[p] for p in preds[k]], pos[k]) for k in layers[r]})
        for r in reversed(ranks):
            place(layers[r], {k: _mean([pos[s] for s in succs[k]], pos[k]) for k in layers[r]})
    for r in ranks:
        place(layers[r], {k: _mean([pos[p] for p in preds[k]], pos[k]) for k in layers[r]})

    across_gap = 36.0 if lr else 30.0
    layer_at, at = {}, 0.0
    for r in ranks:
        thick = max((boxes[k].w if lr else boxes[k].h) for k in layers[r])
        layer_at[r] = at + thick / 2
        at += thick + across_gap
    lo = min(pos[k] - along(k) / 2 for k in keys)
    hi = max(pos[k] + along(k) / 2 for k in keys)
    for k in keys:
        b = boxes[k]
        if lr:
            b.x, b.y = layer_at[rank[k]] + MARGIN, pos[k] - lo + MARGIN
        else:
            b.x, b.y = pos[k] - lo + MARGIN, layer_at[rank[k]] + MARGIN
    paths = []
    for a, c in edges:
        s, t = boxes[a], boxes[c]
        if lr:
            x0, y0, x1, y1 = s.x + s.w / 2, s.y, t.x - t.w / 2 - 10, t.y
            mid = (x0 + x1) / 2
            paths.append(f"M{x0:.1f},{y0:.1f}C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
        else:
            x0, y0, x1, y1 = s.x, s.y + s.h / 2, t.x, t.y - t.h / 2 - 10
            mid = (y0 + y1) / 2
            paths.append(f"M{x0:.1f},{y0:.1f}C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}")
    width, height = (at - across_gap, hi - lo) if lr else (hi - lo, at - across_gap)
    return _Layout(boxes, edges, paths, width + 2 * MARGIN, height + 2 * MARGIN, "simple")


def _mean(xs: list[float], default: float) -> float:
    return sum(xs) / len(xs) if xs else default


def _layout(nodes: list[Value], model: dict, rankdir: str, layout: str) -> _Layout:
    boxes, edges = _boxes(nodes, model)
    dot = shutil.which("dot") if layout in ("auto", "dot") else None
    if layout == "dot" and dot is None:
        from .viz import _missing_dot_message

        raise RuntimeError(_missing_dot_message() + " Or pass layout='simple'.")
    if dot is not None:
        try:
            return _dot_layout(boxes, edges, rankdir, dot)
        except (OSError, RuntimeError, subprocess.SubprocessError, ValueError, KeyError):
            if layout == "dot":
                raise
    return _simple_layout(boxes, edges, rankdir)


# --- the page --------------------------------------------------------------------


def _svg(lay: _Layout, nodes: list[Value], model: dict) -> str:
    """The graph as inline SVG; the script fills in the texts for the current step."""
    esc = html.escape
    w, h = lay.width, lay.height
    out = [
        f'<svg id="svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{w:.0f}" height="{h:.0f}" role="img" aria-label="expression graph">',
        "<defs>"
        + "".join(
            f'<marker id="{mid}" viewBox="0 0 10 8" refX="0" refY="4" markerWidth="10" markerHeight="8" '
            f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0L10,4L0,8z" class="{cls}"/></marker>'
            for mid, cls in (("arrow", "arrowhead"), ("arrow-hi", "arrowhead-hi"))
        )
        + "</defs>",
        '<g id="edges">',
    ]
    for k, d in enumerate(lay.paths):
        out.append(f'<path id="e{k}" class="edge" d="{d}" marker-end="url(#arrow)"/>')
    out.append('</g><g id="nodes">')
    for i, n in enumerate(nodes):
        info = model["nodes"][i]
        if n._a is not None:
            b = lay.boxes[f"o{i}"]
            out.append(
                f'<g id="o{i}" class="op"><ellipse cx="{b.x:.1f}" cy="{b.y:.1f}" rx="{b.w / 2:.1f}" '
                f'ry="{b.h / 2:.1f}"/><text x="{b.x:.1f}" y="{b.y:.1f}">{esc(n._op or "?")}</text></g>'
            )
        b = lay.boxes[f"v{i}"]
        x0, y0 = b.x - b.w / 2, b.y - b.h / 2
        c0, c1 = b.cells
        named = "" if nodes[i].label else " made-up"
        top, bottom, left, right = b.h * 0.29, b.h * 0.71, c0 + PAD, c0 + c1 - PAD
        out.append(
            f'<g id="v{i}" class="val{named}" transform="translate({x0:.1f},{y0:.1f})">'
            f'<rect class="box" width="{b.w:.1f}" height="{b.h:.1f}" rx="4"/>'
            f'<line x1="{c0:.1f}" y1="0" x2="{c0:.1f}" y2="{b.h:.1f}"/>'
            f'<text class="name" x="{c0 / 2:.1f}" y="{b.h / 2:.1f}">{esc(info["name"])}</text>'
            f'<text class="word" x="{left:.1f}" y="{top:.1f}">data</text>'
            f'<text class="data" x="{right:.1f}" y="{top:.1f}">{info["data"]}</text>'
            f'<text class="word" x="{left:.1f}" y="{bottom:.1f}">grad</text>'
            f'<text class="grad" x="{right:.1f}" y="{bottom:.1f}">{info["grad"]}</text>'
            "</g>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


def _page(model: dict, svg: str) -> str:
    template = resources.files("micrograd").joinpath("viz_page.html").read_text(encoding="utf-8")
    data = json.dumps(model, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    data = data.replace("</", "<\\/")  # the JSON sits inside a <script> element
    return (
        template.replace("__TITLE__", html.escape(model["title"]))
        .replace("__SVG__", svg)
        .replace("__MODEL__", data)
    )


def draw_html(
    root: Value,
    path: str | os.PathLike,
    *,
    rankdir: str = "LR",
    title: str | None = None,
    layout: str = "auto",
) -> Path:
    """Write one self-contained HTML page that steps through ``root``'s forward and backward pass.

    The page shows the graph; arrow keys (or the buttons, or the slider) step
    through the forward pass, node by node in topological order, then the
    backward pass in reverse, each node's data and gradient appearing as it is
    computed, with the chain-rule product for that step in words. Numbers come
    from the engine (a ``backward()`` run whose effect on ``grad`` is undone).
    ``layout``: ``'dot'`` (Graphviz), ``'simple'`` (pure Python), or
    ``'auto'`` (dot when installed). Returns the path written (atomically).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_html() needs a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")
    nodes, _ = trace(root)
    model = _model(root, nodes, title or f"Backpropagation through {_names(nodes)[-1]}")
    lay = _layout(nodes, model, rankdir, layout)
    model["layout"] = lay.engine
    atomic_write_text(path, _page(model, _svg(lay, nodes, model)))
    return Path(path)
