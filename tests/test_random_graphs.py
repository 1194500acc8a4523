"""Property-based: random expression DAGs with shared subexpressions, against PyTorch."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.engine import Value, dot, sum_of
from micrograd.functional import grad

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand

# each op takes earlier nodes (so subexpressions are shared) and stays in its domain
OPS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1.5 + b * b)),
    "rdiv": (1, lambda a: 2.0 / (1 + a * a)),
    "pow": (2, lambda a, b: (1 + a * a) ** b.tanh()),
    "rpow": (1, lambda a: 1.5 ** a.tanh()),
    "neg": (1, lambda a: -a),
    "square": (1, lambda a: a**2),
    "cube": (1, lambda a: a.tanh() ** 3),
    "sqrt": (1, lambda a: (a * a + 0.25) ** 0.5),
    "exp": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (a * a + 0.5).log()),
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()),
    "rsub": (1, lambda a: 1 - a),
    "scale": (1, lambda a: 0.5 * a),
    "dot": (2, None),  # b + w0*x0 + w1*x1 over a, b and earlier nodes: an n-ary node
}
TORCH_FN = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "exp": torch.exp,
    "log": torch.log,
}


class T:
    """A torch float64 scalar with micrograd's method names, so one program runs on both."""

    def __init__(self, t):
        self.t = t

    def _wrap(other):
        return other.t if isinstance(other, T) else other

    def __add__(self, o):
        return T(self.t + T._wrap(o))

    def __radd__(self, o):
        return T(T._wrap(o) + self.t)

    def __sub__(self, o):
        return T(self.t - T._wrap(o))

    def __rsub__(self, o):
        return T(T._wrap(o) - self.t)

    def __mul__(self, o):
        return T(self.t * T._wrap(o))

    def __rmul__(self, o):
        return T(T._wrap(o) * self.t)

    def __truediv__(self, o):
        return T(self.t / T._wrap(o))

    def __rtruediv__(self, o):
        return T(T._wrap(o) / self.t)

    def __pow__(self, o):
        return T(self.t ** T._wrap(o))

    def __rpow__(self, o):
        return T(T._wrap(o) ** self.t)

    def __neg__(self):
        return T(-self.t)

    def __getattr__(self, name):
        return lambda: T(TORCH_FN[name](self.t))


def run(program, leaves, make_leaf, add_all, make_dot):
    nodes = [make_leaf(x) for x in leaves]
    inputs = list(nodes)
    for op, i, j in program:
        arity, fn = OPS[op]
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "dot":
            nodes.append(make_dot(a, b, nodes[(i + j) % len(nodes)]))
        else:
            nodes.append(fn(a, b) if arity == 2 else fn(a))
    return inputs, add_all(nodes[len(leaves) :])


programs = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 10**6), st.integers(0, 10**6)),
    min_size=1,
    max_size=25,
)
leaf_values = st.lists(
    st.floats(-2.0, 2.0, allow_nan=False).filter(lambda x: abs(x) > 1e-3), min_size=1, max_size=5
)


@settings(max_examples=300, deadline=None)
@given(program=programs, leaves=leaf_values, nary=st.booleans())
def test_random_dags_match_torch(program, leaves, nary):
    def add_ours(ns):
        return sum_of(ns) if nary else sum(ns[1:], ns[0])

    inputs, root = run(program, leaves, Value, add_ours, lambda a, b, c: dot((a, b, c), (c, a)))
    root.backward()

    def leaf(x):
        return T(torch.tensor(x, dtype=torch.float64, requires_grad=True))

    def add_torch(ns):
        return sum(ns[1:], ns[0])

    tinputs, troot = run(program, leaves, leaf, add_torch, lambda a, b, c: a + b * c + c * a)
    troot.t.backward()
    want = troot.t.item()
    assert math.isclose(root.data, want, rel_tol=1e-9, abs_tol=1e-12)
    for ours, theirs in zip(inputs, tinputs):
        g = theirs.t.grad.item() if theirs.t.grad is not None else 0.0
        assert math.isclose(ours.grad, g, rel_tol=1e-9, abs_tol=1e-9), (ours.grad, g)


def torch_grads(y, xs):
    """torch.autograd.grad with create_graph=True, zeros where y does not depend on an input."""
    if not y.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in xs]
    gs = torch.autograd.grad(y, xs, create_graph=True, allow_unused=True)
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in gs]


def ours_grads(y, xs):
    return grad(y, xs, create_graph=True)


def higher_derivatives(root, inputs, grads):
    """Gradient, full Hessian, and the third derivative D3f[v, v, .] for v = (1, -0.5, 1, -0.5, ...)."""
    v = [1.0 if i % 2 == 0 else -0.5 for i in range(len(inputs))]
    g = grads(root, inputs)
    hessian = [grads(gi, inputs) for gi in g]
    hv = grads(sum((vi * gi for vi, gi in zip(v, g)), 0.0 * g[0]), inputs)  # H v
    third = grads(sum((vi * hi for vi, hi in zip(v, hv)), 0.0 * hv[0]), inputs)  # d(v.Hv)/dx
    return [x.item() for x in g], [[x.item() for x in row] for row in hessian], [x.item() for x in third]


@settings(max_examples=150, deadline=None)
@given(program=programs, leaves=leaf_values, nary=st.booleans())
def test_random_dags_second_and_third_derivatives_match_torch(program, leaves, nary):
    """create_graph=True on random DAGs (every primitive, shared subexpressions) against
    torch.autograd.grad(create_graph=True) in float64, within 1e-10 relative."""

    def add_ours(ns):
        return sum_of(ns) if nary else sum(ns[1:], ns[0])

    inputs, root = run(program, leaves, Value, add_ours, lambda a, b, c: dot((a, b, c), (c, a)))
    ours = higher_derivatives(root, inputs, ours_grads)

    def leaf(x):
        return T(torch.tensor(x, dtype=torch.float64, requires_grad=True))

    tinputs, troot = run(
        program, leaves, leaf, lambda ns: sum(ns[1:], ns[0]), lambda a, b, c: a + b * c + c * a
    )
    theirs = higher_derivatives(troot.t, [t.t for t in tinputs], torch_grads)
    for mine, want in zip(ours, theirs):
        flat_mine = [x for row in mine for x in row] if isinstance(mine[0], list) else mine
        flat_want = [x for row in want for x in row] if isinstance(want[0], list) else want
        assert flat_mine == pytest.approx(flat_want, rel=1e-10, abs=1e-10)
