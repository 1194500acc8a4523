"""Gradients that are Values: grad(), backward(create_graph=True), hessian, hvp, gradgradcheck.

References: PyTorch float64 (torch.autograd.grad with create_graph=True, and
torch.autograd.functional), and central finite differences.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import random
import re
from pathlib import Path

import pytest
from test_ops import BINARY, TORCH_NAMES, UNARY, binary_cases, unary_cases

import micrograd
import micrograd.engine as engine
from micrograd import MLP, Neuron, Value, grad, gradcheck, gradgradcheck, hessian, hvp
from micrograd.engine import dot, sum_of
from micrograd.primitives import PRIMITIVES, TANH

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

REPO = Path(__file__).resolve().parents[1]
CLOSE = {"rel": 1e-10, "abs": 1e-12}


def torch_grads(y, xs, create_graph=True):
    """torch.autograd.grad, with zeros where y does not depend on an input (or on anything)."""
    if not y.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in xs]
    gs = torch.autograd.grad(y, xs, create_graph=create_graph, allow_unused=True)
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in gs]


def tensors(values):
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]


def derivative_tree(out, xs, order, grads):
    """Every derivative of ``out`` up to ``order``: {(i,): d/dx_i, (i, j): d2/dx_i dx_j, ...}."""
    found, frontier = {}, {(): out}
    for _ in range(order):
        nxt = {}
        for key, y in frontier.items():
            for i, g in enumerate(grads(y, xs)):
                nxt[key + (i,)] = g
        found.update(nxt)
        frontier = nxt
    return found


def ours_tree(f, point, order=3):
    xs = [Value(v) for v in point]
    tree = derivative_tree(f(*xs), xs, order, lambda y, xs: grad(y, xs, create_graph=True))
    return {k: v.data for k, v in tree.items()}


def torch_tree(f, point, order=3):
    xs = tensors(point)
    tree = derivative_tree(f(*xs), xs, order, torch_grads)
    return {k: v.item() for k, v in tree.items()}


def torch_unary_fn(name):
    if name in TORCH_NAMES:
        return TORCH_NAMES[name]
    if name == "sigmoid":
        return torch.sigmoid
    return UNARY[name]


# --- every primitive, to the third derivative, against PyTorch -----------------------------------


@pytest.mark.parametrize("name,x", list(unary_cases()))
def test_unary_derivatives_to_third_order_match_torch(name, x):
    ours = ours_tree(UNARY[name], [x])
    theirs = torch_tree(torch_unary_fn(name), [x])
    assert [ours[k] for k in sorted(theirs)] == pytest.approx([theirs[k] for k in sorted(theirs)], **CLOSE)


@pytest.mark.parametrize("name,x,y", list(binary_cases()))
def test_binary_derivatives_to_third_order_match_torch(name, x, y):
    ours = ours_tree(BINARY[name], [x, y])
    theirs = torch_tree(BINARY[name], [x, y])
    assert len(theirs) == 2 + 4 + 8
    if name == "a**b" and y == 1.0:
        # PyTorch's d(a**b)/da is where(b == 0, 0, b * a**(b-1)); differentiating it again at b = 1
        # hits where(b - 1 == 0, ...) and loses d/db: it reports d3/da2db = 0 where the truth is
        # (2b - 1) a**(b-2) + b (b-1) a**(b-2) log a = 1/a. Take PyTorch's d2/da2 by central differences.
        eps = 1e-6
        up, down = torch_tree(BINARY[name], [x, y + eps], 2), torch_tree(BINARY[name], [x, y - eps], 2)
        assert theirs[(0, 0, 1)] == 0.0
        theirs[(0, 0, 1)] = (up[(0, 0)] - down[(0, 0)]) / (2 * eps)
        assert ours[(0, 0, 1)] == pytest.approx(theirs[(0, 0, 1)], rel=1e-8)
        assert ours[(0, 0, 1)] == pytest.approx(1 / x, rel=1e-15)
        del theirs[(0, 0, 1)]
    assert [ours[k] for k in sorted(theirs)] == pytest.approx([theirs[k] for k in sorted(theirs)], **CLOSE)


def test_sum_and_dot_to_third_order_match_torch():
    point = [0.3, -0.7, 1.1, 0.4, -0.2]

    def ours(b, w0, w1, x0, x1):
        return dot((b, w0, w1), (x0, x1)).tanh() * sum_of([x0, w1, x0 * b])

    def theirs(b, w0, w1, x0, x1):
        return torch.tanh(b + w0 * x0 + w1 * x1) * (x0 + w1 + x0 * b)

    mine, ref = ours_tree(ours, point), torch_tree(theirs, point)
    assert len(ref) == 5 + 25 + 125
    assert [mine[k] for k in sorted(ref)] == pytest.approx([ref[k] for k in sorted(ref)], **CLOSE)


def test_every_primitive_is_differentiated_twice_here():
    """The cases above reach every primitive of the table (a new one without a case fails)."""
    seen = set()

    def record(out):
        for node in micrograd.topological_order(out, leaves=False):
            seen.add(node._prim.name)

    for name, x in unary_cases():
        a = Value(x)
        (g,) = grad(UNARY[name](a), a, create_graph=True)
        record(UNARY[name](a))
        if g._children:
            record(g)
    for name, x, y in binary_cases():
        record(BINARY[name](Value(x), Value(y)))
    record(dot((Value(1.0), Value(2.0)), (Value(3.0),)).tanh() * sum_of([Value(1.0), Value(2.0), Value(3.0)]))
    assert seen == set(PRIMITIVES)


def test_relu_has_a_step_for_derivative():
    for x in (-1.5, 2.0):
        a = Value(x)
        (d1,) = grad(a.relu() * a, a, create_graph=True)  # x * relu(x): 2x or 0, then 2 or 0
        (d2,) = grad(d1, a)
        t = tensors([x])[0]
        (t1,) = torch_grads(torch.relu(t) * t, [t])
        (t2,) = torch_grads(t1, [t])
        assert (d1.data, d2.data) == (t1.item(), t2.item())
    a = Value(0.7)
    (d1,) = grad(a.relu(), a, create_graph=True)
    assert d1.data == 1.0 and grad(d1, a)[0].data == 0.0


def test_powers_differentiated_down_to_a_constant_at_zero_match_torch():
    """x**3 at 0: 3x**2, 6x, 6, then 0 (d(x**1)/dx is the constant 1, never 0 * 0**-1 = 0 * inf)."""
    for k, point in ((3, 0.0), (2, 0.0), (3, -1.5)):
        ours = ours_tree(lambda a, k=k: a**k * 1.0, [point], order=4)
        theirs = torch_tree(lambda a, k=k: a**k * 1.0, [point], order=4)
        assert [ours[key] for key in sorted(theirs)] == [theirs[key] for key in sorted(theirs)]


def test_edge_cases_of_pow_on_values_match_the_numbers():
    """The first derivative built as a Value has the float path's value at the edges too."""
    for build, x in [(lambda a: a**0.5, 0.0), (lambda a: a ** Value(2.0), 0.0), (lambda a: a**-1.5, 1e-300)]:
        a = Value(x)
        try:
            out = build(a)
        except (OverflowError, ZeroDivisionError):
            continue
        (with_graph,) = grad(out, a, create_graph=True)
        (numbers,) = grad(out, a)
        assert math.isclose(with_graph.data, numbers.data) or with_graph.data == numbers.data
    a, b = Value(-2.0), Value(2.0)
    out = a**b  # d/db at a negative base: nan, as PyTorch
    db_graph, db_numbers = grad(out, b, create_graph=True)[0].data, grad(out, b)[0].data
    ta, tb = tensors([-2.0, 2.0])
    assert math.isnan(db_graph) and math.isnan(db_numbers) and math.isnan(torch_grads(ta**tb, [tb])[0].item())


# --- grad() -------------------------------------------------------------------------------------


def test_grad_gives_backward_numbers_bit_for_bit_and_touches_no_grad():
    model = MLP(3, [4, 4, 1], activation="tanh", rng=random.Random(0))
    xs = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]]
    loss = sum_of([(model(x) - 1.0) ** 2 for x in xs])
    params = model.parameters()
    plain = grad(loss, params)
    with_graph = grad(loss, params, create_graph=True)
    assert all(p.grad == 0 for p in params)
    loss.backward()
    assert [g.data for g in plain] == [p.grad for p in params]
    assert [g.data for g in with_graph] == [p.grad for p in params]
    assert all(not g._children for g in plain)


def test_grad_with_respect_to_interior_nodes_and_unused_inputs():
    x, y, unused = Value(0.5), Value(-1.5), Value(3.0)
    u = x * y
    out = (u + x).tanh() * u
    gx, gu, gz = grad(out, [x, u, unused])
    tx, ty = tensors([0.5, -1.5])
    tu = tx * ty
    tu.retain_grad()
    tout = torch.tanh(tu + tx) * tu
    tout.backward()
    assert (gx.data, gu.data) == pytest.approx((tx.grad.item(), tu.grad.item()), rel=1e-15)
    assert gz.data == 0.0  # PyTorch: an error, or None with allow_unused=True


def test_grad_of_several_outputs_with_grad_outputs_matches_torch():
    def build(a, b):
        c = a * b
        return [c.exp() if isinstance(c, Value) else torch.exp(c), c + a * a]

    a, b = Value(0.3), Value(-0.8)
    outs = build(a, b)
    ga, gb = grad(outs, [a, b], grad_outputs=[2.0, -0.5])
    ta, tb = tensors([0.3, -0.8])
    touts = build(ta, tb)
    want = torch.autograd.grad(
        touts,
        [ta, tb],
        grad_outputs=[torch.tensor(2.0, dtype=torch.float64)] * 1 + [torch.tensor(-0.5, dtype=torch.float64)],
    )
    assert (ga.data, gb.data) == pytest.approx([w.item() for w in want], rel=1e-15)
    # a Value as grad_output, differentiated through
    w = Value(1.5)
    (g,) = grad(a * a * a, a, grad_outputs=w, create_graph=True)
    assert grad(g, [a, w])[0].data == pytest.approx(6 * 0.3 * 1.5) and grad(g, w)[0].data == pytest.approx(
        0.27
    )


def test_grad_refuses_bad_arguments_clearly():
    x = Value(1.0)
    with pytest.raises(TypeError, match="needs Values as inputs, got float 2.0"):
        grad(x * x, [x, 2.0])
    with pytest.raises(TypeError, match="as outputs, got int"):
        grad(3, x)
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        grad(x * x, x, grad_outputs=[1.0, 2.0])
    with pytest.raises(TypeError, match="grad_outputs must be numbers or Values, got str"):
        grad(x * x, x, grad_outputs=["a"])


def test_a_gradient_of_a_leaf_output_is_one():
    x = Value(2.0)
    assert [g.data for g in grad(x, [x, Value(1.0)])] == [1.0, 0.0]


# --- backward(create_graph=True) ----------------------------------------------------------------


@pytest.mark.filterwarnings(
    "ignore:Using backward\\(\\) with create_graph=True:UserWarning"
)  # PyTorch's cycle note
def test_backward_with_create_graph_accumulates_values_like_torch():
    def f(a, b):
        return (a * b).tanh() * a + b**3

    a, b = Value(0.4), Value(-0.9)
    out = f(a, b)
    out.backward(create_graph=True)
    out.backward(create_graph=True)  # adds again, as in PyTorch
    assert isinstance(a.grad, Value) and isinstance(b.grad, Value)
    ta, tb = tensors([0.4, -0.9])
    tout = f(ta, tb)
    tout.backward(create_graph=True)
    tout.backward(create_graph=True)
    assert (a.grad.data, b.grad.data) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-15)
    # the gradient's own gradient: d(da + db)/da, d(da + db)/db, against torch.autograd.grad
    second = grad(a.grad + b.grad, [a, b])
    want = torch_grads(ta.grad + tb.grad, [ta, tb])
    assert [g.data for g in second] == pytest.approx([w.item() for w in want], rel=1e-13)
    # interior nodes get plain numbers, so no node refers to itself through its grad
    assert all(type(n.grad) is float for n in micrograd.topological_order(out, leaves=False))


def test_backward_with_create_graph_on_a_leaf_adds_one():
    a = Value(3.0)
    a.backward(create_graph=True)
    a.backward(create_graph=True)
    assert isinstance(a.grad, Value) and a.grad.data == 2.0


def test_default_backward_still_gives_numbers():
    a = Value(2.0)
    (a * a).backward()
    assert type(a.grad) is float and a.grad == 4.0


# --- hessian, hvp, gradgradcheck ----------------------------------------------------------------

FUNCTIONS = [
    (lambda x, y: x * x * y + (x * y).tanh(), lambda x, y: x * x * y + torch.tanh(x * y), [0.5, -1.3]),
    (
        lambda x, y, z: (x * y + z).exp() / (1 + z * z) + (x**2 + 0.5).log() * y.sigmoid(),
        lambda x, y, z: torch.exp(x * y + z) / (1 + z * z) + torch.log(x**2 + 0.5) * torch.sigmoid(y),
        [0.2, -0.4, 0.7],
    ),
    (
        lambda x, y: x**y + dot((x, y), (y,)).relu() * x,
        lambda x, y: x**y + torch.relu(x + y * y) * x,
        [1.3, 0.6],
    ),
]


@pytest.mark.parametrize("ours,theirs,point", FUNCTIONS)
def test_hessian_and_hvp_match_torch_functional(ours, theirs, point):
    want = torch.autograd.functional.hessian(lambda *t: theirs(*t), tuple(tensors(point)))
    want = [[want[i][j].item() for j in range(len(point))] for i in range(len(point))]
    got = hessian(ours, point)
    assert got == [pytest.approx(row, **CLOSE) for row in want]
    v = [0.5 + i for i in range(len(point))]
    value, hv = hvp(ours, point, v)
    tvalue, thv = torch.autograd.functional.hvp(
        lambda *t: theirs(*t), tuple(tensors(point)), tuple(torch.tensor(x, dtype=torch.float64) for x in v)
    )
    assert value == pytest.approx(tvalue.item(), rel=1e-15)
    assert hv == pytest.approx([t.item() for t in thv], **CLOSE)


def test_hessian_matches_finite_differences():
    for ours, _, point in FUNCTIONS:
        assert gradgradcheck(ours, point)


@pytest.mark.parametrize("name,x", list(unary_cases()))
def test_gradgradcheck_passes_on_every_unary_case(name, x):
    assert gradgradcheck(UNARY[name], [x])  # relu's cases stay away from its kink at 0


@pytest.mark.parametrize("name,x,y", list(binary_cases()))
def test_gradgradcheck_passes_on_every_binary_case(name, x, y):
    assert gradgradcheck(BINARY[name], [x, y])


def test_gradgradcheck_passes_on_the_n_ary_primitives():
    assert gradgradcheck(lambda a, b, c: sum_of([a * b, b * c, c * a]), [0.3, -1.2, 2.0])
    assert gradgradcheck(
        lambda b, w0, w1, x0, x1: dot((b, w0, w1), (x0, x1)).tanh(), [0.1, 0.5, -0.3, 1.5, -0.8]
    )


def test_every_primitive_is_checked_by_gradgradcheck():
    """The cases above cover the whole table (sum and dot by the n-ary test)."""
    covered = {UNARY[name](Value(x))._prim.name for name, x in unary_cases()}
    covered |= {BINARY[name](Value(x), Value(y))._prim.name for name, x, y in binary_cases()}
    assert covered | {"sum", "dot"} == set(PRIMITIVES)


def test_gradgradcheck_catches_a_wrong_second_derivative(monkeypatch):
    """tanh's derivative written with .data: right as a number, so gradcheck passes; wrong as a
    function (its derivative is 0), and gradgradcheck says so."""
    wrong = dataclasses.replace(
        TANH, derivative=lambda z, a: 1.0 - (z.data if isinstance(z, Value) else z) ** 2
    )
    monkeypatch.setattr(engine, "TANH", wrong)

    def f(x, y):
        return (x * y).tanh() + y

    assert gradcheck(f, [0.5, 0.8])
    assert not gradgradcheck(f, [0.5, 0.8], raise_exception=False)
    with pytest.raises(
        AssertionError, match=r"second derivative mismatch .* d2f/dx0dx0: second derivative 0\.0"
    ):
        gradgradcheck(f, [0.5, 0.8])


def test_hvp_and_hessian_refuse_bad_input():
    with pytest.raises(ValueError, match="one entry of v per input"):
        hvp(lambda x, y: x * y, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one input"):
        hessian(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="must return a Value, got float"):
        hessian(lambda x: 2.0, [1.0])


# --- the compiled backend runs a gradient graph like any other ----------------------------------


def newton_step(x, y):
    """One Newton step on f(x, y) = (x - 1)**4 + (x*y - 2)**2 + exp(0.3*y), as Value nodes."""
    f = (x - 1) ** 4 + (x * y - 2) ** 2 + (0.3 * y).exp()
    gx, gy = grad(f, [x, y], create_graph=True)
    hxx, hxy = grad(gx, [x, y], create_graph=True)
    hyx, hyy = grad(gy, [x, y], create_graph=True)
    det = hxx * hyy - hxy * hyx
    return x - (hyy * gx - hxy * gy) / det, y - (hxx * gy - hyx * gx) / det


def test_a_compiled_newton_step_equals_the_eager_one():
    pytest.importorskip("numpy")
    x, y = Value(2.0), Value(1.5)
    new_x, new_y = newton_step(x, y)
    prog = micrograd.compile(new_x + new_y, [x, y])
    point = (2.0, 1.5)
    for _ in range(5):
        x.data, y.data = point
        prog.forward()
        compiled = tuple(float(v) for v in prog.values([new_x, new_y]))
        eager = tuple(v.data for v in newton_step(Value(point[0]), Value(point[1])))
        assert compiled == eager  # bit for bit
        point = eager
    # and the point reached is the minimum: PyTorch's gradient there is ~0
    tx, ty = tensors(point)
    tg = torch_grads((tx - 1) ** 4 + (tx * ty - 2) ** 2 + torch.exp(0.3 * ty), [tx, ty], create_graph=False)
    assert max(abs(g.item()) for g in tg) < 1e-6


def test_a_compiled_gradient_graph_backpropagates_like_the_eager_one():
    pytest.importorskip("numpy")
    x, y = Value(0.4), Value(-0.7)
    f = (x * y).tanh() * x.exp() + y**3
    gx, gy = grad(f, [x, y], create_graph=True)
    root = gx * gx + gy  # something of the gradient: backward gives third-order terms
    prog = micrograd.compile(root, [x, y])
    assert prog.forward() == root.data
    prog.backward()
    compiled = (x.grad, y.grad)
    x.grad = y.grad = 0
    root.backward()
    assert compiled == (x.grad, y.grad)


# --- the tutorial's section, checked against PyTorch ---------------------------------------------


def tutorial_outputs() -> str:
    from test_docs import parse_cells

    cells = parse_cells(REPO / "docs" / "tutorial.md")
    return "\n".join(c.output.text for c in cells if c.output is not None)


def test_the_tutorials_second_derivatives_are_pytorchs():
    section = tutorial_outputs()
    # 3x**2 - 4x + 5: first and second derivatives at the tutorial's points
    for x0 in (-2.0, 0.0, 3.0):
        (t,) = tensors([x0])
        (d1,) = torch_grads(3 * t**2 - 4 * t + 5, [t])
        (d2,) = torch_grads(d1, [t])
        assert f"x = {x0}: f'(x) = {d1.item()}, f''(x) = {d2.item()}" in section
    # a tanh neuron's output: its gradient and curvature with respect to its inputs
    n = Neuron(2, activation="tanh", rng=random.Random(7))
    w, b = [p.data for p in n.w], n.b.data
    tx = tensors([0.5, -1.0])
    out = torch.tanh(b + w[0] * tx[0] + w[1] * tx[1])
    H = [[g.item() for g in torch_grads(gi, tx, create_graph=True)] for gi in torch_grads(out, tx)]
    shown = re.search(r"Hessian of the neuron's output: (\[\[.*\]\])", section)
    assert shown and ast.literal_eval(shown.group(1)) == [pytest.approx(row, rel=1e-12) for row in H]
    # Newton's method on the tutorial's f: where it stops
    shown = re.findall(r"^newton step (\d): x = (\S+), y = (\S+)$", section, re.M)
    point = [2.0, 1.5]
    assert len(shown) >= 4
    for _, sx, sy in shown:
        tx, ty = tensors(point)
        f = (tx - 1) ** 4 + (tx * ty - 2) ** 2 + torch.exp(0.3 * ty)
        g = torch_grads(f, [tx, ty])
        H = torch.stack([torch.stack(torch_grads(gi, [tx, ty], create_graph=True)) for gi in g])
        step = torch.linalg.solve(H, torch.stack(g).detach())
        point = [point[0] - step[0].item(), point[1] - step[1].item()]
        assert (float(sx), float(sy)) == pytest.approx(point, rel=1e-12)
