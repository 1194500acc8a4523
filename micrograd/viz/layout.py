"""Where the ``draw_html`` page draws each node: Graphviz ``dot`` when installed, else a layered layout."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from ..engine import Value
from .dot import large_graph_attrs, missing_dot_message

LAYOUTS = ("auto", "dot", "simple")
DOT_TIMEOUT = 300  # seconds; a layout that takes longer falls back (auto) or fails (dot)
AUTO_DOT_LIMIT = (
    2000  # values; 'auto' lays out bigger graphs itself (Graphviz takes seconds to minutes there)
)

# geometry in CSS pixels; the page's monospace font is 13px, whose advance is about 0.6em
CHAR = 7.9
PAD = 8  # space left and right of the text in a cell
BOX_H = 40  # a value: its name on the left; data above grad on the right
OP_H = 26
MARGIN = 12


@dataclass
class Box:
    """A drawn node: a value record or an operation ellipse, centred at (x, y)."""

    key: str
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0
    cells: list[float] = field(default_factory=list)  # value records: the name and the numbers cells' widths


@dataclass
class Layout:
    """Every drawn node placed, with one SVG path per edge, and the size of the whole drawing."""

    boxes: dict[str, Box]
    edges: list[tuple[str, str]]  # (from, to) in drawing order
    paths: list[str]  # one SVG path per edge
    width: float
    height: float
    engine: str  # 'dot' or 'simple'


def measure(nodes: list[Value], model: dict) -> tuple[dict[str, Box], list[tuple[str, str]]]:
    """Sizes of every drawn node and the edges, in topological order (children first)."""
    boxes: dict[str, Box] = {}
    edges: list[tuple[str, str]] = []  # input edges first, numbered as in the model, then op -> value
    index = {n: i for i, n in enumerate(nodes)}
    for i, n in enumerate(nodes):
        info = model["nodes"][i]
        name_w = max(len(info["name"]), 1) * CHAR + 2 * PAD
        # room for the numbers the lab may show when the learner changes a leaf
        num_w = (len("data ") + max(len(info["data"]), len(info["grad"]), 8)) * CHAR + 2 * PAD
        if n._a is not None:
            sym = n._op or "?"
            boxes[f"o{i}"] = Box(f"o{i}", max(36.0, len(sym) * CHAR + 22), OP_H)
        boxes[f"v{i}"] = Box(f"v{i}", name_w + num_w, BOX_H, cells=[name_w, num_w])
    for i, n in enumerate(nodes):
        for child in n._children:
            edges.append((f"v{index[child]}", f"o{i}"))
    edges += [(f"o{i}", f"v{i}") for i, n in enumerate(nodes) if n._a is not None]
    return boxes, edges


def place(nodes: list[Value], model: dict, rankdir: str, layout: str) -> Layout:
    """The drawing of ``nodes``: by Graphviz ``dot`` (``layout='dot'``, or ``'auto'`` when it is
    installed and succeeds, up to ``AUTO_DOT_LIMIT`` values), else by the built-in layered layout."""
    boxes, edges = measure(nodes, model)
    wanted = layout == "dot" or (layout == "auto" and len(nodes) <= AUTO_DOT_LIMIT)
    dot = shutil.which("dot") if wanted else None
    if layout == "dot" and dot is None:
        raise RuntimeError(missing_dot_message() + " Or pass layout='simple'.")
    if dot is not None:
        try:
            return _dot_layout(boxes, edges, rankdir, dot)
        except (OSError, RuntimeError, subprocess.SubprocessError, ValueError, KeyError):
            if layout == "dot":
                raise
    return _simple_layout(boxes, edges, rankdir)


def _dot_layout(boxes: dict[str, Box], edges: list[tuple[str, str]], rankdir: str, dot: str) -> Layout:
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
    return Layout(boxes, edges, paths, width + 2 * MARGIN, height + 2 * MARGIN, "dot")


def _simple_layout(boxes: dict[str, Box], edges: list[tuple[str, str]], rankdir: str) -> Layout:
    """A layered layout without Graphviz: columns by depth, rows ordered to follow the edges."""
    keys = list(boxes)  # topological: every node after its inputs
    lr = rankdir == "LR"
    rank, layers, pos = _Layers(boxes, edges, lr).arrange()
    ranks = sorted(layers)
    across_gap = 36.0 if lr else 30.0
    layer_at, at = {}, 0.0
    for r in ranks:
        thick = max((boxes[k].w if lr else boxes[k].h) for k in layers[r])
        layer_at[r] = at + thick / 2
        at += thick + across_gap
    lo = min(pos[k] - _along(boxes[k], lr) / 2 for k in keys)
    hi = max(pos[k] + _along(boxes[k], lr) / 2 for k in keys)
    for k in keys:
        b = boxes[k]
        if lr:
            b.x, b.y = layer_at[rank[k]] + MARGIN, pos[k] - lo + MARGIN
        else:
            b.x, b.y = pos[k] - lo + MARGIN, layer_at[rank[k]] + MARGIN
    width, height = (at - across_gap, hi - lo) if lr else (hi - lo, at - across_gap)
    paths = _curves(boxes, edges, lr)
    return Layout(boxes, edges, paths, width + 2 * MARGIN, height + 2 * MARGIN, "simple")


def _along(box: Box, lr: bool) -> float:
    """A node's size along its layer (rows in LR, columns in TB)."""
    return box.h if lr else box.w


class _Layers:
    """The nodes in layers by depth, and their positions along each layer, moved to follow the edges."""

    def __init__(self, boxes: dict[str, Box], edges: list[tuple[str, str]], lr: bool) -> None:
        self.boxes, self.lr = boxes, lr
        self.gap = 14.0 if lr else 24.0
        keys = list(boxes)
        self.preds: dict[str, list[str]] = {k: [] for k in keys}
        self.succs: dict[str, list[str]] = {k: [] for k in keys}
        for a, b in edges:
            self.preds[b].append(a)
            self.succs[a].append(b)
        rank = self.rank = {}
        for k in keys:
            rank[k] = max((rank[p] + 1 for p in self.preds[k]), default=0)
        for k in keys:  # leaves sit just before their first use instead of all at the far left
            if not self.preds[k] and self.succs[k]:
                rank[k] = min(rank[s] for s in self.succs[k]) - 1
        self.layers: dict[int, list[str]] = {}
        for k in keys:
            self.layers.setdefault(rank[k], []).append(k)
        self.pos: dict[str, float] = {}

    def arrange(self) -> tuple[dict[str, int], dict[int, list[str]], dict[str, float]]:
        """Each node's rank, the layers, and each node's position along its layer."""
        layers, pos, preds, succs = self.layers, self.pos, self.preds, self.succs
        ranks = sorted(layers)
        for r in ranks:  # start: stacked in topological order
            self._put(layers[r], {k: float(j) * 40 for j, k in enumerate(layers[r])})
        for _ in range(3):  # sweeps: each node moves toward the mean of its neighbours on one side
            for r in ranks:
                self._put(layers[r], {k: _mean([pos[p] for p in preds[k]], pos[k]) for k in layers[r]})
            for r in reversed(ranks):
                self._put(layers[r], {k: _mean([pos[s] for s in succs[k]], pos[k]) for k in layers[r]})
        for r in ranks:
            self._put(layers[r], {k: _mean([pos[p] for p in preds[k]], pos[k]) for k in layers[r]})
        return self.rank, layers, pos

    def _put(self, layer: list[str], want: dict[str, float]) -> None:
        """Put a layer's nodes at the wanted positions, in that order, pushed apart where they overlap."""
        boxes, lr = self.boxes, self.lr
        layer.sort(key=lambda k: want[k])
        placed, prev = [], None
        for k in layer:
            if prev is None:
                p = want[k]
            else:
                p = max(want[k], placed[-1] + (_along(boxes[prev], lr) + _along(boxes[k], lr)) / 2 + self.gap)
            placed.append(p)
            prev = k
        shift = sum(want[k] - p for k, p in zip(layer, placed, strict=True)) / len(layer)
        for k, p in zip(layer, placed, strict=True):
            self.pos[k] = p + shift


def _curves(boxes: dict[str, Box], edges: list[tuple[str, str]], lr: bool) -> list[str]:
    """One SVG cubic curve per edge, from the side of its tail to just before its head (for the arrow)."""
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
    return paths


def _mean(xs: list[float], default: float) -> float:
    return sum(xs) / len(xs) if xs else default
