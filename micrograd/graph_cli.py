"""micrograd graph: draw the graph of a small expression given on the command line.

    micrograd graph "tanh(x1*w1 + x2*w2 + b)" --set x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 --out neuron.svg

The expression is parsed with ``ast`` and built by walking a whitelist of
node types -- numbers, names, ``+ - * / **``, unary minus, and calls to
tanh, exp, log, relu and sigmoid -- never with ``eval``. Variables get their
values from ``--set``; the graph is built from ``Value`` operations, ``backward()``
runs so the gradients show, and ``--out`` picks the picture by its extension.

``add_parser(subparsers)`` registers the ``graph`` command on a parent
command line; ``main()`` runs it on its own (``python -m micrograd.graph_cli``).
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
from pathlib import Path

from .engine import Value
from .io import atomic_write_bytes
from .primitives import PRIMITIVES

FUNCTIONS = ("tanh", "exp", "log", "relu", "sigmoid")
OUTPUTS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".html": "html", ".dot": "dot", ".gv": "dot"}
MAX_LENGTH = 5000  # characters: a command-line expression, not a program
LABEL_LENGTH = 24  # intermediate results get their source text as a label up to this length
_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>"}
_SYMBOLS |= {ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}
_CONSTRUCTS = {
    "Attribute": "attribute access (x.y)",
    "Subscript": "indexing (x[i])",
    "Compare": "comparisons",
    "BoolOp": "and/or",
    "IfExp": "if/else",
    "Lambda": "lambda",
    "List": "lists",
    "Tuple": "tuples",
    "Dict": "dicts",
    "Set": "sets",
    "ListComp": "comprehensions",
    "GeneratorExp": "generators",
    "NamedExpr": "assignment (:=)",
    "JoinedStr": "f-strings",
    "Starred": "starred arguments",
}
_ALLOWED = "numbers, variable names, + - * / **, unary minus, and calls to " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """The expression or a ``--set`` value cannot be used; the message says what to change."""


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``['x1=2', 'w1=-3']`` as ``{'x1': 2.0, 'w1': -3.0}``."""
    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise ExpressionError(f"--set {item!r}: write NAME=NUMBER, e.g. --set x1=2")
        if name in FUNCTIONS:
            raise ExpressionError(f"--set {item!r}: {name} is a function, choose another variable name")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"--set {item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ExpressionError(f"--set {item!r}: the value must be a finite number")
        values[name] = value
    return values


def build(expression: str, variables: dict[str, float], name: str = "out") -> Value:
    """The expression as a graph of ``Value``s: one leaf per variable (labelled by its name).

    Intermediate results are labelled by their source text when it is short,
    numbers appearing in the expression by their value, the result by ``name``.
    Raises ``ExpressionError`` for anything outside the whitelist.
    """
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(expression)} characters; the limit is {MAX_LENGTH}")
    if not expression.strip():
        raise ExpressionError('the expression is empty; give one such as "tanh(x*w + b)"')
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"cannot parse the expression{where}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal with thousands of digits
        raise ExpressionError(f"cannot parse the expression: {exc}") from None
    leaves = {key: Value(value, label=key) for key, value in variables.items()}
    try:
        result = _Builder(leaves).visit(tree.body)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, ExpressionError):
            raise
        raise ExpressionError(f"cannot evaluate the expression: {exc}") from None
    if not isinstance(result, Value):
        result = Value(result)  # a constant expression: a single leaf
    if not (result._a is None and result.label):  # a bare variable keeps its own name
        result.label = name
    return result


class _Builder:
    """Whitelisted ``ast`` nodes as ``Value`` operations; numbers stay numbers until they meet a Value."""

    def __init__(self, leaves: dict[str, Value]) -> None:
        self.leaves = leaves

    def visit(self, node: ast.AST) -> Value | float:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            what = _CONSTRUCTS.get(type(node).__name__, type(node).__name__)
            raise ExpressionError(f"{what} {_at(node)}cannot be used; use {_ALLOWED}")
        out = method(node)
        return _labelled(out, node)

    def visit_Constant(self, node: ast.Constant) -> float:
        if type(node.value) not in (int, float):
            raise ExpressionError(f"{node.value!r} {_at(node)}is not a number; only numbers may appear")
        return node.value

    def visit_Name(self, node: ast.Name) -> Value:
        if node.id in self.leaves:
            return self.leaves[node.id]
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)")
        return _fail_unknown(node.id, self.leaves)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Value | float:
        if isinstance(node.op, ast.UAdd):
            return self.visit(node.operand)
        if not isinstance(node.op, ast.USub):
            raise _unsupported(node.op)
        operand = self.visit(node.operand)
        return PRIMITIVES["neg"].forward(operand) if not isinstance(operand, Value) else -operand

    def visit_BinOp(self, node: ast.BinOp) -> Value | float:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            raise _unsupported(node.op)
        a, b = self.visit(node.left), self.visit(node.right)
        if not isinstance(a, Value) and not isinstance(b, Value):  # two numbers: fold them as floats
            return PRIMITIVES[op].forward(float(a), float(b))
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if op == "div":
            return a / b
        return a**b

    def visit_Call(self, node: ast.Call) -> Value | float:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"only the functions {', '.join(FUNCTIONS)} can be called, by name")
        fn = node.func.id
        if fn not in FUNCTIONS:
            raise ExpressionError(f"unknown function {fn!r}; the functions are {', '.join(FUNCTIONS)}")
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{fn}() takes exactly one argument, as in {fn}(x)")
        x = self.visit(node.args[0])
        if not isinstance(x, Value):
            return PRIMITIVES[fn].forward(float(x))
        return getattr(x, fn)()


def _at(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f"(at column {col + 1}) " if col is not None else ""


def _fail_unknown(name: str, leaves: dict[str, Value]):
    known = ", ".join(leaves) if leaves else "none"
    raise ExpressionError(f"unknown name {name!r}: give it a value with --set {name}=NUMBER (set: {known})")


def _unsupported(op: ast.AST) -> ExpressionError:
    return ExpressionError(f"the operator {_SYMBOLS.get(type(op), '?')} is not supported; use {_ALLOWED}")


def _labelled(out: Value | float, node: ast.AST) -> Value | float:
    """Name a fresh intermediate result by its source text, and number leaves by their value."""
    if isinstance(out, Value) and not out.label:
        if out._a is not None:
            text = ast.unparse(node)
            if len(text) <= LABEL_LENGTH:
                out.label = text
        for child in out._children:
            if child._a is None and not child.label:  # a number from the expression, lifted to a Value
                child.label = f"{child.data:g}"
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
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


def run(args: argparse.Namespace) -> int:
    """Build the graph, run backward, print the numbers, write ``--out``; 0 on success, 2 on bad input."""
    try:
        root = build(args.expression, parse_assignments(args.set), name=args.name)
        kind = None
        if args.out:
            kind = OUTPUTS.get(Path(args.out).suffix.lower())
            if kind is None:
                choices = ", ".join(OUTPUTS)
                raise ExpressionError(f"--out {args.out!r}: the file name must end in one of {choices}")
    except ExpressionError as exc:
        return _error(str(exc), 2)
    try:
        root.backward()
    except (ArithmeticError, ValueError) as exc:
        return _error(f"cannot differentiate the expression: {exc}", 2)
    _print_numbers(root)
    if not args.out:
        return 0
    try:
        if kind == "html":
            from .viz import draw_html

            draw_html(root, args.out, rankdir=args.rankdir)
        else:
            from .viz import draw_dot

            graph = draw_dot(root, format="svg" if kind == "dot" else kind, rankdir=args.rankdir)
            data = graph.source.encode("utf-8") if kind == "dot" else graph.pipe()
            atomic_write_bytes(args.out, data)
    except (ImportError, RuntimeError, OSError) as exc:  # no graphviz, no dot, cannot write
        hint = " (a .html or .dot output needs no Graphviz)" if kind in ("svg", "png", "pdf") else ""
        return _error(f"{exc}{hint}", 1)
    print(f"wrote {args.out}")
    return 0


def _print_numbers(root: Value) -> None:
    from .viz import trace

    nodes, _ = trace(root)
    print(f"{root.label} = {root.data!r}")
    leaves = [n for n in nodes if n._a is None and n is not root]
    if leaves:
        width = max(len(n.label) for n in leaves)
        print(f"gradients d{root.label}/d(leaf):")
        for n in leaves:
            print(f"  {n.label:<{width}}  {n.grad!r}")


def _error(message: str, status: int) -> int:
    print(f"micrograd graph: error: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run ``graph`` on its own: ``python -m micrograd.graph_cli "a*b" --set a=2 b=3 --out g.html``."""
    parser = argparse.ArgumentParser(
        prog="micrograd graph",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
