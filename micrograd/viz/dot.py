"""``draw_dot``: the graph as a Graphviz picture, and what both pictures share about Graphviz.

``draw_dot(root)`` draws what the ``draw_dot`` of Karpathy's micrograd notebook
and lecture draws: one record per value showing ``label | data | grad``, a small
node per operation, edges in child order. It returns a ``graphviz.Digraph``, so
a notebook shows it inline and ``.render()`` / ``.pipe()`` give SVG or PNG. The
Python package ``graphviz`` is imported only when ``draw_dot`` is called;
rendering needs the Graphviz program ``dot``, and when that is missing the error
says how to install it (``.source`` works without it).
"""

from __future__ import annotations

import functools
import subprocess
from typing import TYPE_CHECKING

from ..engine import Value, topological_order

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import graphviz

__all__ = [
    "draw_dot",
    "GraphvizNotFoundError",
    "GraphvizError",
    "GraphTooLargeError",
    "LabelError",
    "large_graph_attrs",
    "MAX_NODES",
    "MAX_LABEL",
]

RANKDIRS = ("LR", "TB")  # left to right, top to bottom
MAX_NODES = 1000  # values draw_dot draws unless told otherwise: past this, dot takes many seconds
MAX_LABEL = 100  # characters of a label drawn; the rest is cut, with a note of how many there were
INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz` (conda), or see https://graphviz.org/download/; then check that `dot -V` runs"
)


def check_rankdir(rankdir: str) -> None:
    """Raise a ValueError naming the choices unless ``rankdir`` is one of ``RANKDIRS``."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")


class LabelError(ValueError):
    """A label Graphviz cannot draw (one holding a NUL character); the message names it and the fix."""


class GraphTooLargeError(ValueError):
    """The graph has more values than ``draw_dot``'s ``max_nodes``; the message gives both numbers,
    and ``count`` and ``limit`` hold them."""

    def __init__(self, message: str, count: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.count, self.limit = count, limit


class GraphvizError(RuntimeError):
    """The Graphviz program failed on a graph; the message holds the first line of what it said."""


def _shown(text: str) -> str:
    """``text`` as drawn: a label longer than ``MAX_LABEL`` is cut, with a note of its length."""
    if "\0" in text:
        raise LabelError(
            f"the label {text[:40]!r} holds a NUL character, which Graphviz cannot draw; "
            "remove it (e.g. label.replace('\\0', ''))"
        )
    if len(text) <= MAX_LABEL:
        return text
    return f"{text[:MAX_LABEL]}... ({len(text)} characters)"


def _record_text(text: str) -> str:
    """Text safe inside a Graphviz record label (braces, bars and angle brackets are syntax there)."""
    text = _shown(text)
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def draw_dot(
    root: Value, format: str = "svg", rankdir: str = "LR", *, max_nodes: int | None = MAX_NODES
) -> graphviz.Digraph:
    """The graph under ``root`` as a ``graphviz.Digraph``: ``label | data | grad`` per value.

    ``format`` is what ``.pipe()`` and ``.render()`` produce (``'svg'``,
    ``'png'``, ...); ``rankdir`` is ``'LR'`` (left to right) or ``'TB'`` (top
    to bottom). Gradients are shown as they are: call ``backward()`` first.

    A graph of more than ``max_nodes`` values (``MAX_NODES`` unless given) raises
    ``GraphTooLargeError`` before anything is drawn, as Graphviz would take minutes;
    ``max_nodes=None`` draws any size. Labels longer than ``MAX_LABEL`` characters are
    cut (the drawing says how long they were); a label holding a NUL raises ``LabelError``.
    When Graphviz itself fails, rendering raises ``GraphvizError`` with what it said.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() needs a Value, got {type(root).__name__}")
    check_rankdir(rankdir)
    gv = _import_graphviz()
    if not isinstance(format, str) or format.lower() not in gv.FORMATS:
        raise ValueError(f"unknown output format {format!r}; use 'svg' or 'png' (or another Graphviz format)")
    nodes = topological_order(root)
    if max_nodes is not None and len(nodes) > max_nodes:
        raise GraphTooLargeError(
            f"the graph has {len(nodes)} values, more than draw_dot's limit of {max_nodes} (Graphviz "
            "would take minutes); draw a smaller part of it, use draw_html, or pass max_nodes=None",
            len(nodes),
            max_nodes,
        )
    index = {node: i for i, node in enumerate(nodes)}
    drawn = len(nodes) + sum(1 for n in nodes if n._a is not None)  # a record per value, a node per op
    dot = _digraph_class()(format=format, graph_attr={"rankdir": rankdir, **large_graph_attrs(drawn)})
    for i, n in enumerate(nodes):
        name = f"v{i}"
        label = f"{{ {_record_text(n.label)} | data {n.data:.4f} | grad {n.grad:.4f} }}"
        dot.node(name, label=label, shape="record")
        if n._a is not None:  # made by an operation: a small node for it, feeding this value
            dot.node(name + "op", label=_record_text(n._op or "?"))
            dot.edge(name + "op", name)
            for child in n._children:
                dot.edge(f"v{index[child]}", name + "op")
    return dot


def large_graph_attrs(count: int) -> dict[str, str]:
    """Graphviz settings that keep ``dot`` quick on a graph of ``count`` drawn nodes.

    Small graphs get dot's defaults. Beyond 1500 nodes the long edges of a
    loss graph (a parameter feeds every sample and the L2 sum) make dot's
    positioning pass and spline routing slow, so those are capped: about 60
    network-simplex iterations for the positions, a shorter crossing
    minimisation, straight edges. The ranking is left exact.
    (``benchmarks/bench_viz.py`` times it; the figures are in
    ``benchmarks/README.md``.)
    """
    if count <= 1500:
        return {}
    return {"nslimit": f"{max(60 / count, 0.001):.3g}", "mclimit": "0.1", "splines": "line"}


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs the Graphviz program ``dot``, and it is not on PATH.

    Raised as a subclass of ``graphviz.ExecutableNotFound`` too, so code that
    catches that keeps working.
    """


def missing_dot_message(program: str = "dot") -> str:
    """Why a graph cannot be rendered without the Graphviz program ``program``, and how to install it."""
    return (
        f"cannot render the graph: the Graphviz program {program!r} was not found on PATH; "
        f"{INSTALL_HINT}. The graph's DOT text is still available as `.source`."
    )


def graphviz_failure(exc: BaseException) -> str:
    """One line for a failed Graphviz run: the first line it wrote to stderr, and what to do."""
    said = getattr(exc, "stderr", None) or b""
    if isinstance(said, bytes):
        said = said.decode("utf-8", "replace")
    first = next((line.strip() for line in said.splitlines() if line.strip()), "")
    why = f": {first[:200]}" if first else f" ({type(exc).__name__})"
    return (
        f"Graphviz could not draw the graph{why}; shorten unusual labels, or run dot on the "
        "graph's .source to see all it says"
    )


def _import_graphviz():
    """The ``graphviz`` package, or an ImportError that says how to get it."""
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(
            "draw_dot needs the Python package 'graphviz': pip install graphviz "
            "(or pip install 'micrograd-plus[viz]'); rendering also needs the Graphviz program: "
            + INSTALL_HINT
        ) from exc
    return graphviz


@functools.cache
def _digraph_class() -> type:
    """A ``graphviz.Digraph`` subclass whose rendering explains a missing ``dot`` (built on first use)."""
    gv = _import_graphviz()

    class DotNotFound(GraphvizNotFoundError, gv.ExecutableNotFound):
        def __init__(self, message: str) -> None:
            RuntimeError.__init__(self, message)

    def explained(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            kwargs.setdefault("quiet", True)  # what dot says on failure goes into GraphvizError instead
            try:
                return method(self, *args, **kwargs)
            except gv.ExecutableNotFound as exc:
                if isinstance(exc, GraphvizNotFoundError):
                    raise
                raise DotNotFound(missing_dot_message(self.engine)) from None
            except (subprocess.CalledProcessError, BrokenPipeError) as exc:
                raise GraphvizError(graphviz_failure(exc)) from None

        return call

    class Digraph(gv.Digraph):
        """A ``graphviz.Digraph`` whose ``render``/``pipe``/``view`` say how to install Graphviz."""

        render = explained(gv.Digraph.render)
        pipe = explained(gv.Digraph.pipe)
        view = explained(gv.Digraph.view)

    Digraph.__module__ = DotNotFound.__module__ = __package__  # as imported: micrograd.viz
    Digraph.__qualname__ = "Digraph"
    DotNotFound.__name__ = DotNotFound.__qualname__ = "GraphvizNotFoundError"  # as tracebacks name it
    return Digraph
