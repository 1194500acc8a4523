"""Numbers, names and formulas as the ``draw_html`` page writes them: '2.0 * (-3.0)', 'dL/dc', 'tanh(n)'."""

from __future__ import annotations

import math
import re

from ..engine import Value

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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


def written(node: Value, operands: list[str]) -> str:
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
        return f"{operands[0]} ** {number(prim.const)}"
    if prim.name == "neg":
        return f"-{operands[0]}"
    return f"{_CALL.get(prim.name, node._op or '?')}({', '.join(operands)})"


def forward_text(z: str, node: Value, names: list[str], index: dict) -> str:
    """'e = d + c = -6.0 + 10.0 = 4.0': how a node's value was computed, in words."""
    kids = node._children
    symbolic = written(node, [wrap(names[index[c]]) for c in kids])
    numbers = [number(c.data) if j == 0 and len(kids) > 1 else operand(c.data) for j, c in enumerate(kids)]
    if node._prim.name in _CALL:  # inside a call's parentheses a negative number needs none of its own
        numbers = [number(c.data) for c in kids]
    return f"{z} = {symbolic} = {written(node, numbers)} = {number(node.data)}"


def reason(node: Value, slot: int, names: list[str], index: dict) -> str:
    """Why the local derivative of ``node`` by its input ``slot`` is what it is."""
    templates = _REASON.get(node._prim.name)
    kids = node._children
    since = f"since {names[index[node]]} = {written(node, [wrap(names[index[c]]) for c in kids])}"
    if node._prim.name == "dot":  # slot 0 the bias, then the weights, then the inputs
        n = len(kids) // 2
        if slot == 0:
            return f"{since}: the bias is added as it is, so its local derivative is 1"
        partner = kids[slot + n] if slot <= n else kids[slot - n]
        return f"{since}: a product's derivative by one factor is the other factor, {names[index[partner]]}"
    z = wrap(names[index[node]])
    if templates is None:
        return f"{since}, by the rule of {node._op!r}"
    k = node._prim.const
    return f"{since}: " + templates[min(slot, len(templates) - 1)].format(
        z=z,
        a=wrap(names[index[kids[0]]]),
        b=wrap(names[index[kids[1]]]) if len(kids) > 1 else "",
        k=number(k) if k is not None else "",
        k1=operand(k - 1) if k is not None else "",
    )
