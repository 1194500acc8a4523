"""Module.state_dict / load_state_dict against torch.nn's: the same names, shapes, values and errors."""

from __future__ import annotations

import json
import random
import re

import pytest

from micrograd.engine import Value
from micrograd.nn import MLP, Layer, Module, Neuron

torch = pytest.importorskip("torch")
TOL = 1e-12


def torch_net(sizes, act=torch.nn.Tanh, seed=0):
    """A float64 Sequential of Linear layers with ``act`` between, initialised by torch (RNG scoped)."""
    layers = []
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(act())
    return torch.nn.Sequential(*layers).double()


def batch(nin, n=6, seed=3):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


def test_a_torch_state_dict_loads_into_an_mlp_and_gives_its_outputs():
    net = torch_net([3, 5, 4, 2])
    mlp = MLP(3, [5, 4, 2], activation="tanh", rng=random.Random(1))
    assert mlp.load_state_dict(net.state_dict()) == ([], [])
    X = batch(3)
    expected = net(torch.tensor(X, dtype=torch.float64)).tolist()
    ours = [[v.data for v in mlp(x)] for x in X]
    worst = max(abs(a - b) for r, s in zip(ours, expected, strict=True) for a, b in zip(r, s, strict=True))
    assert worst <= TOL


def test_an_mlp_state_dict_has_torchs_names_order_and_shapes_and_loads_into_torch():
    mlp = MLP(3, [5, 4, 2], activation="tanh", rng=random.Random(1))
    net = torch_net([3, 5, 4, 2])
    ours = mlp.state_dict()
    assert list(ours) == list(net.state_dict())
    assert [list(torch.tensor(v).shape) for v in ours.values()] == [list(t.shape) for t in net.parameters()]
    net.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in ours.items()})  # strict
    # the rows of weight are the neurons' weights, bias their biases
    assert ours["2.weight"][1] == [w.data for w in mlp.layers[1].neurons[1].w]
    assert ours["4.bias"] == [n.b.data for n in mlp.layers[2].neurons]


def test_the_state_dict_survives_json_to_the_last_bit():
    mlp = MLP(2, [16, 16, 1], rng=random.Random(7))
    text = json.dumps(mlp.state_dict(), allow_nan=False)
    fresh = MLP(2, [16, 16, 1], rng=random.Random(8))
    fresh.load_state_dict(json.loads(text))
    assert [p.data for p in fresh.parameters()] == [p.data for p in mlp.parameters()]
    assert all(isinstance(p.data, float) for p in fresh.parameters())


def test_neuron_and_layer_are_named_like_a_linear_module():
    layer = Layer(3, 2, rng=random.Random(0))
    lin = torch_net([3, 2])[0]
    assert list(layer.state_dict()) == list(lin.state_dict())
    layer.load_state_dict(lin.state_dict())
    assert [n.b.data for n in layer.neurons] == lin.bias.tolist()
    neuron = Neuron(3, rng=random.Random(0))
    assert list(neuron.state_dict()) == ["weight", "bias"]
    assert neuron.state_dict()["weight"] == [w.data for w in neuron.w]


def test_a_module_with_only_parameters_names_them_by_position():
    class Line(Module):
        def __init__(self):
            self.a, self.b = Value(2.0), Value(-1.0)

        def parameters(self):
            return [self.a, self.b]

    line = Line()
    assert line.state_dict() == {"0": 2.0, "1": -1.0}
    line.load_state_dict({"0": 5.0, "1": 6})
    assert (line.a.data, line.b.data) == (5.0, 6.0)


def _torch_lines(net, state):
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(state)
    lines = str(err.value).splitlines()[1:]
    return [re.sub(r"torch\.Size\((\[.*?\])\)", r"\1", line).strip() for line in lines]


def test_missing_unexpected_and_misshapen_keys_are_reported_as_torch_reports_them():
    net = torch_net([2, 3, 1], act=torch.nn.ReLU)
    mlp = MLP(2, [3, 1], rng=random.Random(0))
    state = dict(net.state_dict())
    state["0.weight"] = torch.zeros(4, 2, dtype=torch.float64)
    del state["2.bias"]
    state["5.extra"] = torch.zeros(1, dtype=torch.float64)
    before = [p.data for p in mlp.parameters()]
    with pytest.raises(ValueError) as err:
        mlp.load_state_dict(state)
    lines = str(err.value).splitlines()
    assert lines[0] == "Error(s) in loading state_dict for MLP:"
    assert [line.strip() for line in lines[1:4]] == _torch_lines(net, state)
    assert "strict=False" in lines[-1]  # says what to do
    assert [p.data for p in mlp.parameters()] == before  # nothing was loaded


def test_non_strict_loads_what_matches_and_lists_the_rest_as_torch_does():
    net = torch_net([2, 3, 1], act=torch.nn.ReLU)
    mlp = MLP(2, [3, 1], rng=random.Random(0))
    partial = {"0.bias": torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), "q": torch.zeros(1)}
    theirs = net.load_state_dict(partial, strict=False)
    ours = mlp.load_state_dict(partial, strict=False)
    assert ours.missing_keys == theirs.missing_keys and ours.unexpected_keys == theirs.unexpected_keys
    assert [n.b.data for n in mlp.layers[0].neurons] == [1.0, 2.0, 3.0]
    # a shape mismatch is an error even when not strict, as in torch
    with pytest.raises(ValueError, match=r"size mismatch for 0\.bias: .* shape \[2\] .* is \[3\]\."):
        mlp.load_state_dict({"0.bias": [1.0, 2.0]}, strict=False)


def test_values_that_are_not_numbers_are_refused_by_name():
    mlp = MLP(2, [3, 1], rng=random.Random(0))
    state = mlp.state_dict()
    state["0.weight"][1] = ["a", "b"]
    with pytest.raises(ValueError, match=r"0\.weight must hold numbers, in lists of shape \[3, 2\]"):
        mlp.load_state_dict(state)
    state = mlp.state_dict()
    state["2.bias"] = [True]
    with pytest.raises(ValueError, match=r"2\.bias must hold numbers"):
        mlp.load_state_dict(state)
