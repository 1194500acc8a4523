"""The expressions of ``micrograd graph``, such as ``tanh(x1*w1 + x2*w2 + b)``, as graphs of ``Value``s.

The expression is parsed with ``ast`` and built by walking a whitelist of
node types -- numbers, names, ``+ - * / **``, unary minus, and calls to
tanh, exp, log, relu and sigmoid -- never with ``eval``. Variables get their
values from ``--set NAME=NUMBER`` (``parse_assignments``); ``build`` makes the graph.
"""

from __future__ import annotations

import ast
import itertools
import math

from ..engine import Value
from ..primitives import PRIMITIVES

FUNCTIONS = ("tanh", "exp", "log", "relu", "sigmoid")
MAX_LENGTH = 5000  # characters: a command-line expression, not a program
MAX_DEPTH = 100  # levels of nesting (see depth()); a flat sum or product of any length is one level
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
    nesting = depth(tree.body)
    if nesting > MAX_DEPTH:
        raise ExpressionError(
            f"the expression is nested {nesting} levels deep (parentheses, calls, ** and unary minus "
            f"inside one another); the limit is {MAX_DEPTH}: write it flatter"
        )
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
    if result._children or not result.label:  # a bare variable keeps its own name
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
        # a + b + c + ... nests to the left: walk that spine in a loop, so a flat sum of any
        # length costs no recursion (only nesting, which depth() limits, does)
        chain = []
        while isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise _unsupported(node.op)
            chain.append(node)
            node = node.left
        result = self.visit(node)
        for binop in reversed(chain):
            result = _labelled(
                self._apply(_OPERATORS[type(binop.op)], result, self.visit(binop.right)), binop
            )
        return result

    @staticmethod
    def _apply(op: str, a: Value | float, b: Value | float) -> Value | float:
        if not isinstance(a, Value) and not isinstance(b, Value):  # two numbers: fold them as floats
            return _folded(
                PRIMITIVES[op].forward(float(a), float(b)),
                f"{float(a)!r} {PRIMITIVES[op].symbol} {float(b)!r}",
            )
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
            return _folded(PRIMITIVES[fn].forward(float(x)), f"{fn}({float(x)!r})")
        return getattr(x, fn)()


def _folded(number: float, text: str) -> float:
    """A constant folded from the expression's numbers; an overflow there (inf by the engine's
    rule) is refused, since every number in it was written by the user."""
    if math.isinf(number):
        raise ExpressionError(f"{text} is too large for a float")
    return number


def _at(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f"(at column {col + 1}) " if col is not None else ""


def _fail_unknown(name: str, leaves: dict[str, Value]):
    known = ", ".join(leaves) if leaves else "none"
    raise ExpressionError(f"unknown name {name!r}: give it a value with --set {name}=NUMBER (set: {known})")


def _unsupported(op: ast.AST) -> ExpressionError:
    return ExpressionError(f"the operator {_SYMBOLS.get(type(op), '?')} is not supported; use {_ALLOWED}")


def _small(node: ast.AST) -> bool:
    """Whether ``node`` has few enough parts that its source text could fit a label (cheap to tell)."""
    most = 4 * LABEL_LENGTH  # an AST has at most about 2 nodes per character of source
    return sum(1 for _ in itertools.islice(ast.walk(node), most + 1)) <= most


_NOT_A_LEVEL = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop)  # parts, not nesting


def depth(tree: ast.AST) -> int:
    """How deeply the expression nests: parentheses, calls, powers and unary minus add a level; the
    left operand of ``+ - * /`` does not, so ``a + b + c + ...`` is as deep as its deepest term."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, _NOT_A_LEVEL):
            deepest = max(deepest, level)
        if isinstance(node, ast.BinOp):
            stack.append((node.left, level))  # the spine of a flat chain stays at one level
            stack.append((node.right, level + 1))
        else:
            stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _labelled(out: Value | float, node: ast.AST) -> Value | float:
    """Name a fresh intermediate result by its source text, and number leaves by their value."""
    if isinstance(out, Value) and not out.label:
        if out._children and _small(node):
            text = ast.unparse(node)
            if len(text) <= LABEL_LENGTH:
                out.label = text
        for child in out._children:
            if not child._children and not child.label:  # a number from the expression, lifted to a Value
                child.label = f"{child.data:g}"
    return out
