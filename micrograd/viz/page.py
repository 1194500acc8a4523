"""``draw_html``: one self-contained page that steps through the forward and the backward pass.

Everything the page shows is computed in Python when the file is written (see
``steps``); the layout comes from ``layout``. The page's script only shows and
hides those numbers; it loads nothing from anywhere (its Content-Security-Policy
forbids it). ``page.html`` beside this module is the template.
"""

from __future__ import annotations

import html
import json
import os
from importlib import resources
from pathlib import Path

from ..atomic import atomic_write_text
from ..engine import Value, topological_order
from .dot import check_rankdir
from .layout import LAYOUTS, PAD, Layout, place
from .steps import page_model


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


def _page(model: dict, svg: str) -> str:
    """The template filled in: the title, the drawing, and the model as JSON for the script."""
    template = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
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
    check_rankdir(rankdir)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")
    nodes = topological_order(root)
    model = page_model(root, nodes, title)
    lay = place(nodes, model, rankdir, layout)
    model["layout"] = lay.engine
    atomic_write_text(path, _page(model, _svg(lay, nodes, model)))
    return Path(path)
