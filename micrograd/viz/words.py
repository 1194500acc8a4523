"""Numbers, names and formulas as the ``draw_html`` page writes them: '2.0 * (-3.0)', 'dL/dc', 'tanh(n)'.

The page recomputes its numbers when the learner changes a leaf, so a text is a
*template*: a list of pieces, each a literal string or a token ``(kind, index,
style)`` that the page (and ``fill`` here, for tests) replaces by a number:
kind ``"v"`` the data of node ``index``, ``"g"`` its gradient, ``"d"`` the local
derivative on edge ``index``, ``"c"`` that edge's contribution (the parent's
gradient times the local derivative); style ``"n"`` as ``number``, ``"o"`` as
``operand``.
"""

from __future__ import annotations

import math
import re

from ..engine import Value

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

Token = tuple[str, int, str]
Template = list  # of str and Token


def number(x: float) -> str:
    """A number the way the page writes it: at most 4 decimals, like -2.0, 0.5, 6.8814."""
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if x != 0 and abs(x) < 5e-5:  # too small for 4 decimals: keep its digits
        return f"{x:.3g}"
    s = f"{x:.4f}".rstrip("0")
    s = s + "0" if s.endswith(".") else s
    return "0.0" if s == "-0.0" else s


def operand(x: float) -> str:
    """A number as a later operand: negative ones in parentheses, so '2.0 · (-3.0)' reads clearly."""
    s = number(x)
    return f"({s})" if s.startswith("-") else s


def wrap(name: str) -> str:
    """A name inside a larger formula: parenthesised unless it is a plain identifier."""
    return name if _IDENT.match(name) else f"({name})"


def dname(num: str, den: str) -> str:
    """'dL/dc' for the derivative of num with respect to den."""
    return f"d{wrap(num)}/d{wrap(den)}"


def cat(*parts) -> Template:
    """One template from strings, tokens and templates, adjacent strings merged."""
    out: Template = []
    for part in parts:
        for piece in part if isinstance(part, list) else [part]:
            if isinstance(piece, str) and out and isinstance(out[-1], str):
                out[-1] += piece
            elif piece != "":
                out.append(piece)
    return out


def fill(template: Template, values: list, grads: list, local: list, parents: list) -> str:
    """The template's text for these node values and gradients, and per edge its local derivative
    and its parent node (the page fills its templates the same way)."""
    out = []
    for piece in template:
        if isinstance(piece, str):
            out.append(piece)
            continue
        kind, i, style = piece
        if kind == "c":  # the edge's contribution to its child's gradient, as backward() computes it
            x = local[i] * grads[parents[i]]
        else:
            x = {"v": values, "g": grads, "d": local}[kind][i]
        out.append(operand(x) if style == "o" else number(x))
    return "".join(out)


def same(name: str, text: str) -> bool:
    """Whether a node's name is already what its formula says (a label like 'x1*w1'): no tautology."""
    return re.sub(r"\s+", "", name) == re.sub(r"\s+", "", text)


# how each primitive reads in the forward text, and why its local derivative is what it is
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_CALL = {"exp": "exp", "log": "log", "tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU"}
_REASON = {
    "add": ("a sum passes the gradient to each input unchanged",),
    "sum": ("a sum passes the gradient to each input unchanged",),
    "sub": ("the derivative of {a} - {b} by {a} is 1", "the derivative of {a} - {b} by {b} is -1"),
    "mul": ("a product's derivative by one factor is the other factor, {b} = {vb}",
            "a product's derivative by one factor is the other factor, {a} = {va}"),
    "div": ("d({a} / {b})/d{a} = 1 / {b} = 1 / {vb}", "d({a} / {b})/d{b} = -({a} / {b}) / {b}"),
    "pow": ("d({a} ** {b})/d{a} = {b} · {a} ** ({b} - 1)", "d({a} ** {b})/d{b} = {a} ** {b} · ln {a}"),
    "pow_const": ("d({a} ** {k})/d{a} = {k} · {a} ** {k1} = {k} · {oa} ** {k1}",),
    "neg": ("negation flips the sign: the local derivative is -1",),
    "exp": ("the derivative of exp is exp itself, the output {z} = {vz}",),
    "log": ("the derivative of log {a} is 1 / {a} = 1 / {oa}",),
    "tanh": ("the derivative of tanh is 1 - tanh², that is 1 - {z}² = 1 - {oz}² = {d}",),
    "sigmoid": ("the derivative of sigmoid is {z} · (1 - {z}) = {vz} · (1 - {vz}) = {d}",),
    "relu": ("ReLU passes the gradient where its output is positive (1) and blocks it elsewhere (0); "
             "here its output is {vz}",),
}  # fmt: skip


def written(node: Value, operands: list, plain: list | None = None) -> Template:
    """The node's operation on the given operands: 'd + c', 'tanh(n)', 'a ** 2'.

    ``operands`` go between infix signs (names wrapped in parentheses where needed),
    ``plain`` inside a call's own parentheses (default: ``operands``).
    """
    prim = node._prim
    if prim.name in _INFIX and len(operands) == 2:
        return cat(operands[0], f" {_INFIX[prim.name]} ", operands[1])
    if prim.name == "sum":  # one n-ary '+' node
        return cat(*[cat(" + " if j else "", x) for j, x in enumerate(operands)])
    if prim.name == "dot":  # b + w0*x0 + w1*x1 + ...: operands are b, the weights, then the inputs
        n = len(operands) // 2
        terms = zip(operands[1 : n + 1], operands[n + 1 :])
        return cat(operands[0], *[cat(" + ", w, "*", x) for w, x in terms])
    if prim.name == "pow_const":
        return cat(operands[0], f" ** {number(prim.const)}")
    if prim.name == "neg":
        return cat("-", operands[0])
    inside = plain if plain is not None else operands
    args = cat(*[cat(", " if j else "", x) for j, x in enumerate(inside)])
    return cat(f"{_CALL.get(prim.name, node._op or '?')}(", args, ")")


def symbolic(node: Value, names: list[str], index: dict) -> str:
    """The node's operation on its inputs' names: 'x1*w1 + x2*w2' (no number in it)."""
    kids = [names[index[c]] for c in node._children]
    return "".join(written(node, [wrap(k) for k in kids], kids))


def forward_text(i: int, node: Value, names: list[str], index: dict) -> Template:
    """'e = d + c = -6.0 + 10.0 = 4.0': how a node's value was computed, names first, then numbers."""
    kids = [index[c] for c in node._children]
    if node._prim.name in _CALL:  # inside a call's parentheses a negative number needs none of its own
        numbers = [("v", k, "n") for k in kids]
    else:
        numbers = [("v", k, "n" if j == 0 and len(kids) > 1 else "o") for j, k in enumerate(kids)]
    formula = symbolic(node, names, index)
    named = [] if same(names[i], formula) else [" = ", formula]
    return cat(names[i], *named, " = ", written(node, numbers), " = ", ("v", i, "n"))


def reason(node: Value, slot: int, edge: int, names: list[str], index: dict) -> Template:
    """Why the local derivative of ``node`` by its input ``slot`` (drawn as ``edge``) is what it is."""
    kids = node._children
    i = index[node]
    formula = symbolic(node, names, index)
    since = "" if same(names[i], formula) else f"since {names[i]} = {formula}: "
    if node._prim.name == "dot":  # slot 0 the bias, then the weights, then the inputs
        n = len(kids) // 2
        if slot == 0:
            return cat(since, "the bias is added as it is, so its local derivative is 1")
        partner = index[kids[slot + n] if slot <= n else kids[slot - n]]
        return cat(since, f"a product's derivative by one factor is the other factor, {names[partner]} = ",
                   ("v", partner, "n"))  # fmt: skip
    templates = _REASON.get(node._prim.name)
    if templates is None:
        return cat(since or f"{names[i]} = {formula}: ", f"by the rule of {node._op!r}")
    k = node._prim.const
    tokens = {
        "vz": ("v", i, "n"),
        "oz": ("v", i, "o"),
        "va": ("v", index[kids[0]], "n"),
        "oa": ("v", index[kids[0]], "o"),
        "vb": ("v", index[kids[1]], "n") if len(kids) > 1 else "",
        "d": ("d", edge, "n"),
    }
    words = {
        "z": wrap(names[i]),
        "a": wrap(names[index[kids[0]]]),
        "b": wrap(names[index[kids[1]]]) if len(kids) > 1 else "",
        "k": number(k) if k is not None else "",
        "k1": operand(k - 1) if k is not None else "",
    }
    text = templates[min(slot, len(templates) - 1)]
    out = [since]
    for literal, field in _FIELDS.findall(text + "{}"):
        out.append(literal)
        if field in tokens:
            out.append(tokens[field])
        elif field:
            out.append(words[field])
    return cat(*out)


# a template text split at its fields: ("literal text", "field", ...)
_FIELDS = re.compile(r"([^{]*)\{(\w*)\}")
