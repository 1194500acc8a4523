"""``draw_html``: one self-contained page that steps through the forward and the backward pass, and
lets the learner change the leaves and watch the page recompute.

The numbers the page starts from are the engine's (see ``steps``); the layout
comes from ``layout``. The page's script fills the step texts with those
numbers and, when a leaf changes, recomputes the forward and backward pass with
its own evaluator of the primitive table (``page.html``; tests compare it with
``micrograd.primitives`` on every primitive). It loads nothing from anywhere
(its Content-Security-Policy forbids it).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from importlib import resources
from pathlib import Path

from ..atomic import atomic_write_text
from ..engine import Value, topological_order
from .dot import check_rankdir
from .layout import LAYOUTS, PAD, Layout, place
from .steps import page_model

MAX_NODES = 2000  # values; past this a step-through page stops helping (see docs/visualisation.md)


class PageTooLargeError(RuntimeError):
    """The graph has more values than ``draw_html``'s ``max_nodes``; ``count`` and ``limit`` hold
    the two numbers."""

    def __init__(self, message: str, count: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.count, self.limit = count, limit


def _svg(lay: Layout, nodes: list[Value], model: dict) -> str:
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


def _finite(x):
    """A number for JSON: non-finite floats as the strings 'inf', '-inf', 'nan' (the page reads them back)."""
    return x if not isinstance(x, float) or math.isfinite(x) else repr(x)


def script_json(model: dict) -> str:
    """The model as JSON that is safe inside a <script> element whatever the labels hold:
    ``<``, ``>``, ``&`` and the JavaScript line separators escaped (they occur only inside strings)."""
    for key in ("values", "grads", "local"):
        model[key] = [_finite(x) for x in model[key]]
    for entry in model["graph"]:
        if entry is not None:
            entry[2] = _finite(entry[2])
    data = json.dumps(model, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):  # fmt: skip
        data = data.replace(ch, esc)
    return data


_SUB = {
    "LR": "values, left to right), then the backward pass (gradients, right to left",
    "TB": "values, top to bottom), then the backward pass (gradients, bottom to top",
}


def _page(model: dict, svg: str, rankdir: str) -> str:
    """The template filled in, in one pass (so a label holding '__SVG__' stays text)."""
    template = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    parts = {
        "TITLE": html.escape(model["title"]),
        "SUB": _SUB[rankdir],
        "SVG": svg,
        "MODEL": script_json(model),
    }
    return re.sub(r"__(TITLE|SUB|SVG|MODEL)__", lambda m: parts[m.group(1)], template)


class Page:
    """What ``draw_html`` returns: the page, shown inline by Jupyter (in an iframe, from ``srcdoc``).

    With a path, it also stands for the file written: ``os.fspath(page)``,
    ``str(page)``, and ``Path`` methods such as ``page.read_text()`` or
    ``page.exists()`` work on it; ``page.path`` is that ``Path`` (None if not written).
    """

    def __init__(self, text: str, path: Path | None = None) -> None:
        self.html = text
        self.path = path

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (atomically) and return that ``Path``."""
        atomic_write_text(path, self.html)
        self.path = Path(path)
        return self.path

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'style="width:100%;height:680px;border:1px solid #cbd2d9;border-radius:6px" '
            'title="micrograd draw_html page"></iframe>'
        )

    def _written(self, error: type[Exception] = AttributeError) -> Path:
        path = self.__dict__.get("path")
        if path is None:
            raise error("this page was not written to a file: call draw_html(root, path) or .save(path)")
        return path

    def __fspath__(self) -> str:
        return os.fspath(self._written(TypeError))

    def __getattr__(self, name: str):  # the Path's methods, for code written when draw_html returned one
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._written(), name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Page):
            return self.html == other.html and self.path == other.path
        if isinstance(other, (str, os.PathLike)) and self.path is not None:
            return self.path == Path(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.path) if self.path is not None else id(self)

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else repr(self)

    def __repr__(self) -> str:
        where = f"path={str(self.path)!r}" if self.path is not None else "not written"
        return f"Page({where}, {len(self.html)} characters)"


def draw_html(
    root: Value,
    path: str | os.PathLike | None = None,
    *,
    rankdir: str = "LR",
    title: str | None = None,
    layout: str = "auto",
    max_nodes: int = MAX_NODES,
) -> Page:
    """One self-contained HTML page that steps through ``root``'s forward and backward pass,
    and recomputes both when the learner changes a leaf.

    The page shows the graph; arrow keys (or the buttons, or the slider) step
    through the forward pass, node by node in topological order, then the
    backward pass in reverse, with the chain-rule product for each step in
    words. Its lab panel changes any leaf, compares each gradient with a
    finite-difference slope, and takes a gradient step; ``window.micrograd``
    offers the same to scripts. The starting numbers come from the engine (a
    ``backward()`` run whose effect on ``grad`` is undone).

    ``layout``: ``'dot'`` (Graphviz), ``'simple'`` (pure Python), or ``'auto'``
    (dot when installed). ``path``: where to write the page (atomically); the
    returned ``Page`` shows inline in Jupyter either way, and with a path it
    also stands for the file (``os.fspath``, ``str``, ``Path`` methods).
    A graph of more than ``max_nodes`` values raises ``PageTooLargeError``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_html() needs a Value, got {type(root).__name__}")
    check_rankdir(rankdir)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        raise PageTooLargeError(
            f"the graph under {root.label or 'this value'} has {len(nodes):,} values, more than draw_html's "
            f"limit of {max_nodes:,}: a page that steps through that many is too slow to write and to use. "
            f"Draw a smaller part (a loss on one sample, a smaller model), or pass max_nodes={len(nodes)} "
            "to write it anyway.",
            len(nodes),
            max_nodes,
        )
    model, _ = page_model(root, nodes, title)
    lay = place(nodes, model, rankdir, layout)
    model["layout"] = lay.engine
    page = Page(_page(model, _svg(lay, nodes, model), rankdir))
    if path is not None:
        page.save(path)
    return page
