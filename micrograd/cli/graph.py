"""``micrograd graph``: draw the graph of a small expression given on the command line, with its gradients.

    micrograd graph "tanh(x1*w1 + x2*w2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 --out neuron.svg

The expression becomes a graph of ``Value``s (``micrograd.cli.expression``, never ``eval``),
``backward()`` runs so the gradients show, and ``--out`` picks the picture by its extension.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..engine import Value, topological_order
from ..viz.dot import GraphTooLargeError, GraphvizError, LabelError
from ..viz.page import PageTooLargeError
from .common import Command, CommandError, positive_int
from .expression import ExpressionError, build, parse_assignments

OUTPUTS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".html": "html", ".dot": "dot", ".gv": "dot"}


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``graph`` command's arguments on ``parser``."""
    parser.add_argument(
        "expression",
        help='the expression, e.g. "tanh(x1*w1 + x2*w2 + b)": numbers, names, + - * / **, unary minus, '
        'tanh exp log relu sigmoid (one that starts with a minus sign needs a space first: " -x*2")',
    )
    parser.add_argument(
        "--set",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=NUMBER",
        help="values of the variables, e.g. --set x1=2 x2=0 w1=-3",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the picture: .svg, .png or .pdf (draw_dot, needs Graphviz), .html (the step-through "
        "page, self-contained) or .dot (the Graphviz source); without it only the numbers are printed",
    )
    parser.add_argument(
        "--rankdir", choices=("LR", "TB"), default="LR", help="direction: left to right (LR) or top down (TB)"
    )
    parser.add_argument("--name", default="out", help="label of the expression's result (default: out)")
    parser.add_argument(
        "--max-nodes",
        type=positive_int,
        metavar="N",
        help="draw a graph of up to N values (default: 2,000 for .html, 1,000 for Graphviz pictures, "
        "any for .dot); larger pages and pictures are slow to write and to open",
    )


def output_kind(out: str) -> str:
    """What ``--out`` asks for, by its extension: svg, png, pdf, html or dot."""
    kind = OUTPUTS.get(Path(out).suffix.lower())
    if kind is None:
        raise CommandError(f"--out {out!r}: the file name must end in one of {', '.join(OUTPUTS)}")
    return kind


def run_graph(args: argparse.Namespace) -> int:
    """Build the graph, run backward, print the numbers, write ``--out``.

    Bad input, a graph Graphviz cannot draw and a file that cannot be written raise
    ``CommandError`` (exit status 2); a missing Graphviz, ``CommandError`` with status 1.
    """
    try:
        root = build(args.expression, parse_assignments(args.set), name=args.name)
    except ExpressionError as exc:
        raise CommandError(str(exc)) from None
    kind = output_kind(args.out) if args.out else None
    try:
        root.backward()
    except (ArithmeticError, ValueError) as exc:
        raise CommandError(f"cannot differentiate the expression: {exc}") from None
    print_numbers(root)
    if kind is None:
        return 0
    folder = Path(args.out).parent
    if not folder.is_dir():
        raise CommandError(f"--out {args.out}: the folder {folder} does not exist; create it first")
    try:
        draw(root, args.out, kind, args.rankdir, args.max_nodes)
    except (GraphTooLargeError, PageTooLargeError) as exc:
        raise CommandError(
            f"--out {args.out}: the expression's graph has {exc.count:,} values, more than the limit of "
            f"{exc.limit:,} for a {Path(args.out).suffix} file (it would be slow to write and to open); "
            f"draw a smaller expression, or pass --max-nodes {exc.count} to write it anyway"
        ) from None
    except (GraphvizError, LabelError) as exc:  # Graphviz refused this graph
        raise CommandError(f"--out {args.out}: {exc}") from None
    except (ImportError, RuntimeError) as exc:  # no graphviz package, no dot program
        hint = " (a .html or .dot output needs no Graphviz)" if kind in ("svg", "png", "pdf") else ""
        raise CommandError(f"{exc}{hint}", status=1) from None
    except OSError as exc:  # a read-only file system, a full disk, no permission: about the user's file
        raise CommandError(f"--out {args.out}: cannot write the file ({exc.strerror or exc})") from None
    print(f"wrote {args.out}")
    if kind == "html":  # a hint, on stderr beside the progress messages; stdout keeps the results
        print(
            f"open it in a web browser ({Path(args.out).resolve().as_uri()}); the arrow keys (or the "
            "buttons) step through it, Home and End jump to the first and last step, and its lab changes "
            "the leaves",
            file=sys.stderr,
        )
    return 0


def draw(root: Value, out: str, kind: str, rankdir: str, max_nodes: int | None = None) -> None:
    """Write the graph under ``root`` to the file ``out`` as ``kind`` (see ``OUTPUTS``);
    ``max_nodes`` replaces the size limit of ``draw_html`` or ``draw_dot`` (None: theirs)."""
    from ..viz import draw_dot, draw_html

    limit = {} if max_nodes is None else {"max_nodes": max_nodes}
    if kind == "html":
        draw_html(root, out, rankdir=rankdir, **limit)
        return
    if kind == "dot":  # only the source: no Graphviz run, so no size limit unless asked for
        graph = draw_dot(root, rankdir=rankdir, max_nodes=max_nodes)
    else:
        graph = draw_dot(root, format=kind, rankdir=rankdir, **limit)
    atomic_write_bytes(out, graph.source.encode("utf-8") if kind == "dot" else graph.pipe())


def print_numbers(root: Value) -> None:
    """The result, then the gradient of each leaf, in the order of the graph walk."""
    print(f"{root.label} = {root.data!r}")
    leaves = [n for n in topological_order(root) if not n._children and n is not root]
    if leaves:
        width = max(len(n.label) for n in leaves)
        print(f"gradients d{root.label}/d(leaf):")
        for n in leaves:
            print(f"  {n.label:<{width}}  {n.grad!r}")


GRAPH = Command(
    "graph", "draw the graph of an expression, with its gradients", add_graph_arguments, run_graph
)
