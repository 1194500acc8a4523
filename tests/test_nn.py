"""micrograd.nn against the original micrograd 0.1.0 and against PyTorch."""

from __future__ import annotations

import random

import pytest

from micrograd.engine import Value
from micrograd.nn import MLP, Layer, Module, Neuron

torch = pytest.importorskip("torch")  # the reference; not installed where no wheel is at hand


def both_models(original, nin, nouts, seed=1337):
    random.seed(seed)
    ours = MLP(nin, nouts)
    random.seed(seed)
    theirs = original.nn.MLP(nin, nouts)
    return ours, theirs


def test_same_seed_same_parameters_and_repr(original):
    ours, theirs = both_models(original, 2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    assert len(ours.parameters()) == 337
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"


def test_forward_and_gradients_equal_the_original(original):
    ours, theirs = both_models(original, 3, [4, 4, 1], seed=42)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    for model, V in ((ours, Value), (theirs, original.engine.Value)):
        preds = [model([V(x) for x in row]) for row in xs]
        loss = sum((p - y) ** 2 for p, y in zip(preds, ys))
        loss.backward()
        model.loss = loss.data
    assert ours.loss == theirs.loss
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12
    )


def test_mlp_gradients_match_torch():
    random.seed(7)
    model = MLP(3, [5, 4, 2], activation="tanh")
    x = [0.5, -1.5, 2.0]
    out = model(x)
    loss = out[0] * out[1] + out[0].exp()
    loss.backward()
    layers = []
    for layer in model.layers:
        w = torch.tensor(
            [[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True
        )
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        layers.append((w, b))
    h = torch.tensor(x, dtype=torch.float64)
    for i, (w, b) in enumerate(layers):
        h = w @ h + b
        if i < len(layers) - 1:
            h = torch.tanh(h)
    tloss = h[0] * h[1] + h[0].exp()
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-14)
    for layer, (w, b) in zip(model.layers, layers):
        ours = [p.grad for n in layer.neurons for p in n.w]
        assert ours == pytest.approx(w.grad.flatten().tolist(), rel=1e-12)
        assert [n.b.grad for n in layer.neurons] == pytest.approx(b.grad.tolist(), rel=1e-12)


def test_hidden_layer_of_width_one_works():
    random.seed(0)
    model = MLP(2, [1, 3, 1])
    out = model([1.0, -2.0])
    assert isinstance(out, Value)
    out.backward()
    # the same network in plain floats
    (n1,), hidden, (last,) = (layer.neurons for layer in model.layers)
    h1 = max(0.0, n1.b.data + n1.w[0].data * 1.0 + n1.w[1].data * -2.0)
    h2 = [max(0.0, n.b.data + n.w[0].data * h1) for n in hidden]
    want = last.b.data + sum(w.data * h for w, h in zip(last.w, h2))
    assert out.data == pytest.approx(want, rel=1e-15)
    assert last.b.grad == 1.0


def test_layer_returns_a_list_for_several_outputs_and_a_value_for_one():
    assert isinstance(Layer(2, 3)([1.0, 2.0]), list)
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)


def test_activations():
    random.seed(3)
    x = [0.3, -0.4]
    for activation, fn in (("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu)):
        n = Neuron(2, activation=activation)
        n.w[0].data, n.w[1].data, n.b.data = 0.7, -1.1, 0.2
        pre = 0.2 + 0.7 * 0.3 + -1.1 * -0.4
        assert n(x).data == pytest.approx(fn(torch.tensor(pre, dtype=torch.float64)).item(), rel=1e-15)
    assert repr(Neuron(2, activation="tanh")) == "TanhNeuron(2)"


def test_zero_grad_and_parameters():
    model = MLP(2, [3, 1])
    model([1.0, 1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    assert Module().parameters() == []


def test_rng_reproduces_without_touching_the_global_generator():
    random.seed(5)
    state = random.getstate()
    a = MLP(2, [4, 1], rng=random.Random(11))
    assert random.getstate() == state
    b = MLP(2, [4, 1], rng=random.Random(11))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: MLP(2, [3, 1])([1.0, 2.0, 3.0]), "takes 2 inputs, got 3"),
        (lambda: MLP(2, []), "at least one layer"),
        (lambda: Neuron(0), "at least one input"),
        (lambda: Layer(2, 0), "at least one neuron"),
        (lambda: Neuron(2, activation="swish"), "unknown activation"),
    ],
)
def test_bad_shapes_and_options_raise_value_errors(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_mlp_keeps_its_constructor_arguments():
    nouts = [4, 4, 1]
    mlp = MLP(3, nouts, activation="tanh", rng=random.Random(0))
    nouts.append(9)  # the model keeps a copy of its own
    assert (mlp.nin, mlp.nouts, mlp.activation) == (3, [4, 4, 1], "tanh")
    assert [len(layer.neurons) for layer in mlp.layers] == [4, 4, 1]
    assert all(len(n.w) == 3 for n in mlp.layers[0].neurons)
    assert [n.activation for layer in mlp.layers for n in layer.neurons] == ["tanh"] * 8 + ["linear"]


def test_a_neuron_gives_every_node_it_builds_the_same_parameter_tuple():
    """The contract the compiled backend relies on (stated at Neuron._parameters_tuple): one tuple
    object of (b, w0, w1, ...) per neuron, and one inputs tuple per layer call, shared by its nodes."""
    layer = Layer(2, 3, activation="linear", rng=random.Random(0))
    first, second = layer([1.0, 2.0]), layer([3.0, 4.0])
    for n, a, b in zip(layer.neurons, first, second):
        assert a._a is b._a and a._a == (n.b, *n.w)
    assert first[0]._b is first[1]._b is first[2]._b
    old = first[0]._a
    layer.neurons[0].w[1] = Value(5.0)  # a replaced weight gets a new tuple, with the new weight in it
    again = layer([1.0, 2.0])[0]
    assert again._a is not old and again._a[2] is layer.neurons[0].w[1]
    assert again.data == layer.neurons[0].b.data + layer.neurons[0].w[0].data * 1.0 + 5.0 * 2.0
