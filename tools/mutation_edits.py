"""The mutants of ``make mutation`` (tools/mutation.py): single edits of a file's functions and tables.

The edits: arithmetic operators swapped (``+``/``-``, ``*``/``/``, ``**``/``*``), ``+=``
made ``=`` or ``-=``, numbers changed (0 to 1, 1 to 0, c to c + 1), comparisons
flipped (``<``/``<=``, ``==``/``!=``, ``is``/``is not``, ``in``/``not in``), ``and``/``or``
swapped, a unary minus or ``not`` dropped, a statement removed, a branch removed (an
``if`` made never or always taken), the last two arguments of a call or the first two
elements of a tuple swapped, a return value replaced by None, and a few functions swapped
(``operator.add``/``sub``, ``np.add``/``np.subtract``, ..., a running sum made numpy's
pairwise ``np.sum``). Docstrings, f-strings, annotations, decorators, defaults and raise
statements are left alone.

A mutant is named by file, scope (function, or a table entry) and the edited line before and
after, never by line number, so the names survive edits elsewhere in the files.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BINOPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}
COMPARES = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
FUNCTIONS = {
    "operator.add": "operator.sub",
    "operator.sub": "operator.add",
    "operator.mul": "operator.truediv",
    "operator.neg": "operator.pos",
    "np.add": "np.subtract",
    "np.subtract": "np.add",
    "np.multiply": "np.add",
    "np.divide": "np.multiply",
    "np.negative": "np.positive",
    "math.tanh": "math.sin",
    "np.maximum.reduceat": "np.minimum.reduceat",
}
ATOMIC = (ast.Constant, ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Tuple, ast.List)


@dataclass(frozen=True)
class Mutant:
    path: str
    scope: str
    before: str  # the edited line(s), stripped
    after: str
    text: str  # the whole mutated file

    @property
    def id(self) -> str:
        return f"{self.path} | {self.scope} | {self.before} => {self.after}"


def scopes(tree: ast.Module, wanted: list[str] | None):
    """(name, node) for each function (``Class.method``) and top-level table of the module."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, node))
            inner = [f for f in ast.walk(node) if isinstance(f, ast.FunctionDef) and f is not node]
            found += [(f"{node.name}.{f.name}", f) for f in inner]
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found.append((f"{node.name}.{item.name}", item))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id.isupper() and target.id != "__all__":
                if isinstance(node.value, ast.Dict) and all(
                    isinstance(k, ast.Constant) for k in node.value.keys
                ):  # a table: one scope per entry
                    for k, v in zip(node.value.keys, node.value.values):
                        found.append((f"{target.id}[{k.value!r}]", v))
                else:
                    found.append((target.id, node.value))
    if wanted is None:
        return found
    missing = set(wanted) - {name for name, _ in found}
    if missing:
        raise SystemExit(f"tools/mutation.py: no scope {sorted(missing)} any more: update TARGETS")
    return [(name, node) for name, node in found if name in wanted]


def _skipped(tree: ast.AST) -> set[int]:
    """ids of the nodes never mutated: docstrings, f-strings, annotations, decorators, defaults."""
    skip: set[int] = set()

    def all_under(node):
        skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for d in node.decorator_list:
                all_under(d)
            if isinstance(node, ast.ClassDef):
                continue
            if node.returns is not None:
                all_under(node.returns)
            for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                if a.annotation is not None:
                    all_under(a.annotation)
            for d in [*node.args.defaults, *node.args.kw_defaults]:
                if d is not None:
                    all_under(d)
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                all_under(body[0])
        elif isinstance(node, ast.JoinedStr):
            all_under(node)
        elif isinstance(node, ast.AnnAssign):
            all_under(node.annotation)
        elif isinstance(node, ast.ExceptHandler) and node.type is not None:
            all_under(node.type)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            all_under(node.args[-1])
        elif isinstance(node, ast.Raise):  # the message is tested; the exception's type is not mutated
            all_under(node)
    return skip


def _edits(node: ast.AST):
    """(replacement node or source text, is_statement) for every mutation of ``node`` itself."""
    if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
        yield ast.BinOp(node.left, BINOPS[type(node.op)](), node.right), False
    elif isinstance(node, ast.AugAssign):
        yield ast.Assign([node.target], node.value, lineno=0), True
        if type(node.op) in BINOPS:
            yield ast.AugAssign(node.target, BINOPS[type(node.op)](), node.value), True
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not, ast.Invert)):
        yield node.operand, False
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARES:
                ops = list(node.ops)
                ops[i] = COMPARES[type(op)]()
                yield ast.Compare(node.left, ops, node.comparators), False
    elif isinstance(node, ast.BoolOp):
        yield ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values), False
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        c = node.value
        yield ast.Constant(type(c)(1 if c == 0 else 0 if c == 1 else c + 1)), False
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield ast.Constant(not node.value), False
    elif isinstance(node, ast.IfExp):
        yield ast.IfExp(ast.UnaryOp(ast.Not(), node.test), node.body, node.orelse), False
    elif isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        if name in FUNCTIONS:
            yield ast.Call(ast.parse(FUNCTIONS[name], mode="eval").body, node.args, node.keywords), False
        args = node.args
        if len(args) >= 2 and not any(isinstance(a, ast.Starred) for a in args[-2:]):
            yield ast.Call(node.func, [*args[:-2], args[-1], args[-2]], node.keywords), False
    elif isinstance(node, ast.Attribute) and ast.unparse(node) in FUNCTIONS:
        yield ast.parse(FUNCTIONS[ast.unparse(node)], mode="eval").body, False
    elif isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load) and len(node.elts) >= 2:
        e = node.elts
        if not any(isinstance(x, ast.Starred) for x in e[:2]):
            yield ast.Tuple([e[1], e[0], *e[2:]], ast.Load()), False
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
        # np.add.accumulate(x)[-1], the running sum, as numpy's pairwise np.sum(x)
        if ast.unparse(node.value.func) == "np.add.accumulate" and ast.unparse(node.slice) == "-1":
            yield ast.Call(ast.parse("np.sum", mode="eval").body, node.value.args, []), False
    if isinstance(node, ast.stmt) and not isinstance(
        node, (ast.FunctionDef, ast.ClassDef, ast.Pass, ast.Global, ast.Nonlocal, ast.Return)
    ):
        yield "pass", True
    if isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return None", True
    if isinstance(node, ast.If):
        yield ast.If(ast.Constant(False), node.body, node.orelse), "test"
        if node.orelse:
            yield ast.If(ast.Constant(True), node.body, node.orelse), "test"


class Source:
    """A file's text with byte-offset splicing (ast's column offsets count UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.data = text.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def lines(self, data: bytes, first: int, last_offset: int) -> str:
        """The whole lines from line ``first`` through the one holding byte ``last_offset``, joined,
        without comments (so that a mutant's id survives edits elsewhere and to comments)."""
        start = self.starts[first - 1]
        end = data.find(b"\n", last_offset)
        text = data[start : len(data) if end < 0 else end].decode()
        parts = (_without_comment(part).strip() for part in text.splitlines())
        return " ".join(part for part in parts if part)


def _without_comment(line: str) -> str:
    """``line`` without its trailing ``# comment`` (found by the tokenizer, so not one in a string)."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.COMMENT:
                return line[: tok.start[1]].rstrip()
    except (tokenize.TokenError, SyntaxError):  # a line of a longer statement: tokens until then
        pass
    return line


def mutants_of(path: str, wanted: list[str] | None) -> list[Mutant]:
    text = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    src = Source(text)
    skip = _skipped(tree)
    out: list[Mutant] = []
    seen = {text}
    named: dict[str, list] = {}
    for scope, top in scopes(tree, wanted):
        for node in ast.walk(top):
            if id(node) in skip or not hasattr(node, "lineno"):
                continue
            for new, kind in _edits(node):
                start = src.offset(node.lineno, node.col_offset)
                end = src.offset(node.end_lineno, node.end_col_offset)
                if kind == "test":  # only the if's condition is replaced
                    start = src.offset(node.test.lineno, node.test.col_offset)
                    end = src.offset(node.test.end_lineno, node.test.end_col_offset)
                    new = new.test
                code = new if isinstance(new, str) else ast.unparse(new)
                if kind is False and not isinstance(new, ATOMIC):
                    code = f"({code})"
                data = src.data[:start] + code.encode() + src.data[end:]
                mutated = data.decode()
                if mutated in seen:
                    continue
                try:
                    compile(mutated, path, "exec")
                except SyntaxError:
                    continue
                seen.add(mutated)
                # a compound statement (if, for, try) is named by its first line
                body = getattr(node, "body", None)
                shown = end
                if kind != "test" and isinstance(body, list) and body[0].lineno > node.lineno:
                    shown = src.offset(body[0].lineno, 0) - 2
                before = src.lines(src.data, node.lineno, shown)
                after = src.lines(data, node.lineno, min(shown, start + len(code.encode())))
                if (before, after) in named.get(scope, ()):  # the same edit twice on one line
                    after += f" (#{sum(1 for b in named[scope] if b[0] == before)})"
                named.setdefault(scope, []).append((before, after))
                out.append(Mutant(path, scope, before, after, mutated))
    return out
