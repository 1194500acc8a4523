"""Module, Neuron, Layer and MLP, built from Value operations.

Initialisation and ``__repr__`` follow Karpathy's micrograd exactly (weights
``random.uniform(-1, 1)`` drawn in the same order, bias 0), so the same seeds
give the same models and the same training runs.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Sequence

from .engine import Value, dot

Input = Value | float
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
_NEURON_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}


def _as_inputs(x: Sequence[Input] | Input) -> tuple[Value, ...]:
    """The inputs as a tuple of Values (numbers wrapped); a lone Value or number is one input."""
    if isinstance(x, (Value, int, float)):
        x = (x,)  # e.g. the output of a layer of width 1
    return tuple(v if isinstance(v, Value) else Value(v) for v in x)


class Module:
    """Anything with parameters: ``parameters()`` lists them, ``zero_grad()`` clears their grads."""

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (backward() adds to the leaves' grads)."""
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list[Value]:
        """The trainable Values, in a fixed order."""
        return []


class Neuron(Module):
    """act(w . x + b); ``nonlin=False`` makes it linear, ``activation`` picks the nonlinearity.

    Weights come from ``rng.uniform(-1, 1)`` (the global ``random`` module unless
    an ``rng`` such as ``random.Random(1337)`` is given), the bias starts at 0.
    ``w . x + b`` is one node; ``fused=False`` builds it node by node instead,
    ``b + w0*x0``, then ``+ w1*x1``, ... (a ``*`` and a ``+`` per weight), as the
    original micrograd does: the lecture's picture, with the same numbers.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str = "relu",
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"a neuron needs at least one input, got nin={nin!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        uniform = (rng or random).uniform  # the global generator unless given one
        self.w = [Value(uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        self.activation = activation if nonlin else "linear"
        self.fused = fused
        self._bias_and_weights: tuple[Value, ...] = ()

    def __call__(self, x: Sequence[Input] | Input) -> Value:
        return self._fire(_as_inputs(x))

    def _fire(self, inputs: tuple[Value, ...]) -> Value:
        if len(inputs) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(inputs)}")
        # b + w0*x0 + w1*x1 + ..., added left to right like the original's sum(), in one node
        if self.fused:
            act = dot(self._parameters_tuple(), inputs)
        else:  # the original's sum(products, b): the same additions, one node each
            act = self.b
            for wi, xi in zip(self.w, inputs):
                act = act + wi * xi
        if self.activation == "relu":
            return act.relu()
        if self.activation == "linear":
            return act
        return act.tanh() if self.activation == "tanh" else act.sigmoid()

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return self.w + [self.b]

    def _parameters_tuple(self) -> tuple[Value, ...]:
        """(b, w0, w1, ...), made once and shared by every node this neuron builds."""
        cached = self._bias_and_weights
        fresh = (
            len(cached) == len(self.w) + 1
            and cached[0] is self.b
            and all(map(operator.is_, cached[1:], self.w))  # still the same Value objects
        )
        if not fresh:
            self._bias_and_weights = cached = (self.b, *self.w)
        return cached

    def __repr__(self) -> str:
        return f"{_NEURON_NAMES[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same inputs; returns a list, or a bare Value when ``nout == 1``.

    Keyword arguments go to each ``Neuron`` (``nonlin``, ``activation``, ``rng``, ``fused``).
    """

    def __init__(self, nin: int, nout: int, **kwargs) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"a layer needs at least one neuron, got nout={nout!r}")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Input] | Input) -> Value | list[Value]:
        inputs = _as_inputs(x)  # one tuple, shared by every neuron's node
        out = [n._fire(inputs) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """Each neuron's parameters, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: hidden layers nonlinear, the last one linear.

    ``fused=False`` builds each neuron's ``w . x + b`` node by node, as ``Neuron`` explains.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        if not nouts:
            raise ValueError("an MLP needs at least one layer: give nouts such as [16, 16, 1]")
        sz = [nin] + list(nouts)
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1, activation=activation, rng=rng, fused=fused)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Input] | Input) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """Each layer's parameters, from the first layer to the last."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
