"""micrograd.define_op: operations of the user's own, checked against PyTorch float64 and finite differences.

The operations are defined once per test (the registry is restored after each),
applied to Values, and the same function is written with torch's own ops.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest

import micrograd
from micrograd import Value, define_op, grad, gradcheck, gradgradcheck, hessian, no_grad
from micrograd.primitives import DEFINED

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

CLOSE = {"rel": 1e-12, "abs": 1e-14}


@pytest.fixture(autouse=True)
def registry():
    """Each test defines what it needs; what it defined is forgotten afterwards."""
    saved = dict(DEFINED)
    yield
    DEFINED.clear()
    DEFINED.update(saved)


def trig():
    """sin and cos, each derivative written with the other: they work on numbers and Values alike."""
    sin = define_op("sin", math.sin, lambda z, a: cos(a))
    cos = define_op("cos", math.cos, lambda z, a: -sin(a))
    return sin, cos


def hypot():
    return define_op("hypot", lambda a, b: math.hypot(a, b), lambda z, a, b: (a / z, b / z))


def logsumexp():
    """Any number of inputs (``*xs``); e ** x works on numbers and on Values."""
    return define_op(
        "logsumexp",
        lambda *xs: math.log(sum(math.exp(x) for x in xs)),
        lambda z, *xs: tuple(math.e ** (x - z) for x in xs),
        symbol="LSE",
    )


def tensors(values):
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]


def test_unary_binary_and_nary_ops_match_pytorch_values_and_gradients():
    sin, cos = trig()
    hyp, lse = hypot(), logsumexp()
    for p in ([0.3, -1.2, 2.0], [-2.5, 0.7, 1.1], [1.0, 4.0, -0.5]):
        x, y, z = (Value(v) for v in p)
        out = sin(x * y) + cos(z) * hyp(x, z) + lse(x, y, z).tanh()
        out.backward()
        tx, ty, tz = tensors(p)
        t = (
            torch.sin(tx * ty)
            + torch.cos(tz) * torch.hypot(tx, tz)
            + torch.logsumexp(torch.stack([tx, ty, tz]), 0).tanh()
        )
        t.backward()
        assert out.data == pytest.approx(t.item(), **CLOSE)
        assert [x.grad, y.grad, z.grad] == pytest.approx(
            [tx.grad.item(), ty.grad.item(), tz.grad.item()], **CLOSE
        )


def test_gradcheck_and_gradgradcheck_against_finite_differences():
    sin, cos = trig()
    hyp, lse = hypot(), logsumexp()

    def f(a, b):
        return sin(a) * hyp(a, b) + lse(a, b, a * b)

    assert gradcheck(f, [0.4, -1.3])
    assert gradgradcheck(f, [0.4, -1.3])
    wrong = define_op("wrong", math.sin, lambda z, a: 2.0 * a)
    assert not gradcheck(wrong, [0.4], raise_exception=False)  # it can fail


def test_higher_derivatives_match_pytorch():
    sin, cos = trig()
    hyp = hypot()
    H = hessian(lambda a, b: sin(a * b) + hyp(a, b) ** 2.0 * cos(b), [0.8, -0.6])
    ta, tb = tensors([0.8, -0.6])
    expected = torch.autograd.functional.hessian(
        lambda a, b: torch.sin(a * b) + torch.hypot(a, b) ** 2.0 * torch.cos(b), (ta, tb)
    )
    assert H == [pytest.approx([e.item() for e in row], **CLOSE) for row in expected]
    x = Value(0.9)
    (d1,) = grad(sin(x), x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert [d1.data, d2.data, d3.data] == pytest.approx(
        [math.cos(0.9), -math.sin(0.9), -math.cos(0.9)], **CLOSE
    )
    y = Value(0.9)
    (sin(y) * 3).backward(create_graph=True)
    assert isinstance(y.grad, Value) and y.grad.data == pytest.approx(3 * math.cos(0.9), **CLOSE)


def test_a_derivative_written_with_math_works_once_and_says_why_not_twice():
    sin = define_op("sin_math", math.sin, lambda z, a: math.cos(a))
    x = Value(0.5)
    sin(x).backward()
    assert x.grad == math.cos(0.5)
    with pytest.raises(TypeError, match=r"'sin_math': its derivative failed on Values.*not math") as err:
        grad(sin(x), x, create_graph=True)
    assert isinstance(err.value.__cause__, TypeError)
    assert float(x) == 0.5  # float() of a Value works again afterwards


def test_errors_in_forward_and_derivative_carry_the_operations_name():
    log = define_op("mylog", math.log, lambda z, a: 1.0 / a)
    with pytest.raises(ValueError, match=r"operation 'mylog': forward\(-1.0\) raised ValueError") as err:
        log(-1.0)
    assert isinstance(err.value.__cause__, ValueError)
    inv = define_op("inv", lambda a: 1.0 / a if a else math.inf, lambda z, a: -1.0 / (a * a))
    y = inv(Value(0.0))
    with pytest.raises(ZeroDivisionError, match=r"operation 'inv': derivative\(inf, 0.0\) raised") as err:
        y.backward()
    assert isinstance(err.value.__cause__, ZeroDivisionError)
    with pytest.raises(TypeError, match="'cplx': forward must return a real number, got complex"):
        define_op("cplx", lambda a: complex(a, 1), lambda z, a: 1.0)(Value(1.0))
    two = define_op("two", lambda a, b: a * b, lambda z, a, b: (b,))
    with pytest.raises(TypeError, match="'two': derivative must return 2 value.*got 1 values"):
        two(Value(1.0), Value(2.0)).backward()
    one = define_op("one", lambda a: a, lambda z, a: "1")
    with pytest.raises(TypeError, match="'one': derivative must return numbers here, got str"):
        one(Value(1.0)).backward()


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("", math.sin, math.cos), TypeError, "needs a name, a non-empty str"),
        ((3, math.sin, math.cos), TypeError, "needs a name"),
        (("f", 1.0, math.cos), TypeError, "forward must be a function, got float"),
        (("f", math.sin, None), TypeError, "derivative must be a function"),
        (("f", math.sin, math.cos, ""), TypeError, "symbol must be a non-empty str"),
        (("exp", math.exp, lambda z, a: z), ValueError, "'exp' is a built-in operation's name"),
        (("myexp", math.exp, lambda z, a: z, "exp"), ValueError, "symbol 'exp' is a built-in"),
        (("p", math.exp, lambda z, a: z, "+"), ValueError, "symbol '\\+' is a built-in"),
        (("p", math.exp, lambda z, a: z, "**3"), ValueError, "symbol '\\*\\*3' is a built-in"),
        (("f", lambda: 1.0, lambda z: 0.0), TypeError, "forward must take the operation's inputs"),
        (
            ("f", lambda a, b: a, lambda z, a: 0.0),
            TypeError,
            r"derivative must take the output z.*\(z, x0, x1\)",
        ),
    ],
)
def test_bad_definitions_are_refused_clearly(args, error, match):
    with pytest.raises(error, match=match):
        define_op(*args)


def test_bad_calls_are_refused_clearly():
    hyp = hypot()
    with pytest.raises(TypeError, match="'hypot' takes 2 input"):
        hyp(Value(1.0))
    with pytest.raises(TypeError, match="'hypot' takes Values and numbers, got str"):
        hyp(Value(1.0), "2")
    with pytest.raises(TypeError, match="'logsumexp' takes at least one input, got 0"):
        logsumexp()()


def test_defining_a_name_again_replaces_it_for_new_functions_only():
    old = define_op("twice", lambda a: 2 * a, lambda z, a: 2.0, symbol="2x")
    before = old(Value(3.0))
    new = define_op("twice", lambda a: 2.0 * a + 0.5, lambda z, a: 2.0, symbol="2x")  # same symbol: fine
    assert DEFINED["twice"] is new(Value(1.0))._prim
    assert before.data == 6 and old(Value(3.0)).data == 6 and new(Value(3.0)).data == 6.5
    with pytest.raises(ValueError, match="symbol '2x' is taken by the operation 'twice'"):
        define_op("double", lambda a: 2 * a, lambda z, a: 2.0, symbol="2x")


def test_numbers_become_leaves_and_no_grad_records_nothing():
    hyp = hypot()
    out = hyp(3, Value(4.0))
    assert out.data == 5.0 and [c.data for c in out._children] == [3, 4.0] and out._op == "hypot"
    assert hyp(3, 4) == 5.0 and type(hyp(3, 4)) is float  # numbers only: a number, as math.hypot
    with no_grad():
        leaf = hyp(Value(3.0), Value(4.0))
    assert leaf.data == 5.0 and leaf._children == ()


def test_drawn_with_its_symbol_by_draw_dot_and_draw_html(tmp_path):
    pytest.importorskip("graphviz")
    lse = logsumexp()
    x = Value(0.5, label="x")
    out = lse(x, x * 2.0)
    out.label = "out"
    assert re.search(r'v\d+op \[label="?LSE"?\]', micrograd.draw_dot(out).source)
    page = micrograd.draw_html(out, tmp_path / "page.html")
    text = (
        page.read_text(encoding="utf-8")
        if hasattr(page, "read_text")
        else (tmp_path / "page.html").read_text()
    )
    assert "out = LSE(x, v" in text  # the forward step's wording


def test_compile_gives_the_eager_values_and_gradients_bit_for_bit():
    pytest.importorskip("numpy")
    sin, cos = trig()
    hyp, lse = hypot(), logsumexp()
    model = micrograd.MLP(2, [4, 1])
    params = model.parameters()
    points = [(0.3, -0.4), (1.2, 0.8), (-0.7, 0.1)]

    def loss():
        outs = [sin(model([Value(a), Value(b)])) * hyp(a, b) + lse(a, b, cos(Value(a))) for a, b in points]
        return micrograd.sum_of(outs) ** 2.0

    root = loss()
    prog = micrograd.compile(root, params)
    for _ in range(3):  # a few training steps, eager and compiled side by side
        eager = loss()
        model.zero_grad()
        eager.backward()
        eager_grads = [p.grad for p in params]
        model.zero_grad()
        assert prog.forward() == eager.data
        prog.backward()
        assert [p.grad for p in params] == eager_grads
        assert prog.backward_array().tolist() == eager_grads
        for p, g in zip(params, eager_grads, strict=True):
            p.data -= 0.1 * g
    prog.forward(write_back=True)
    assert prog.value_of(root) == root.data == loss().data
    assert prog.values([root]).tolist() == [root.data]


def test_compile_refuses_what_it_cannot_run():
    pytest.importorskip("numpy")
    from micrograd.compiled import CompileError

    x = Value(1.0)
    with pytest.raises(CompileError, match="op '@': only the primitives and the operations made by"):
        micrograd.compile(Value(2.0, (hypot()(x, x),), "@"))
    with pytest.raises(CompileError, match="op 'opaque'"):  # without a defined op: the backend's own error
        micrograd.compile(Value(2.0, (x * x,), "@"))
    out = Value(math.exp(x.data), (x,), "exp")
    out._backward = lambda: None
    with pytest.raises(CompileError, match="op 'exp': its _backward was assigned by hand.*define_op"):
        micrograd.compile(hypot()(out, x))


# --- the tutorial's section 20 ("Your own operation"), checked against PyTorch -----------------------


def test_the_tutorials_own_operations_print_pytorchs_numbers():
    text = (Path(__file__).resolve().parents[1] / "docs" / "tutorial.md").read_text(encoding="utf-8")
    section = text[text.index("## 20. Your own operation") : text.index("## Where next")]
    outputs = "\n".join(re.findall(r"```output\n(.*?)```", section, re.S))
    # the lecture's neuron, every way it is printed: (o, [x1, w1, x2, w2, b grads])
    leaves = [
        torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for v in (2.0, -3.0, 0.0, 1.0, 6.8813735870195432)
    ]
    o = torch.tanh(leaves[0] * leaves[1] + leaves[2] * leaves[3] + leaves[4])
    o.backward()
    expected = [o.item(), [t.grad.item() for t in leaves]]
    shown = [ast.literal_eval(line) for line in re.findall(r"^\(0\.7.*\)$", outputs, re.M)]
    assert len(shown) == 4
    for value, grads in shown:
        assert [value, grads] == [
            pytest.approx(expected[0], rel=1e-15),
            pytest.approx(expected[1], rel=1e-12),
        ]
    # tanh's first and second derivatives at 0.5
    (x,) = tensors([0.5])
    (d1,) = torch.autograd.grad(torch.tanh(x), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1, x)
    line = re.search(r"^(0\.786\S*) (\S+) (\S+)$", outputs, re.M)
    assert line, "the section prints tanh's first and second derivatives"
    assert [float(v) for v in line.groups()] == pytest.approx([d1.item(), d2.item(), d2.item()], rel=1e-12)
