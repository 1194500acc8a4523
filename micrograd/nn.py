"""Module, Neuron, Layer and MLP, built from Value operations.

Initialisation and ``__repr__`` follow Karpathy's micrograd exactly (weights
``random.uniform(-1, 1)`` drawn in the same order, bias 0), so the same seeds
give the same models and the same training runs.

``state_dict()`` names the parameters as PyTorch does: an MLP's are those of the
``nn.Sequential`` that ``MLP.to_torch()`` builds (``"0.weight"``, ``"0.bias"``,
``"2.weight"``, ...), so the two state dicts load into each other.
"""

from __future__ import annotations

import operator
import random
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from .engine import Value, dot

Input = Value | float
Entry = Value | list  # one state-dict entry: a Value, a list of Values, or rows of them
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

    def state_dict(self) -> dict[str, Any]:
        """The parameters' numbers by dotted name, in order, as plain floats and lists (JSON-ready).

        Named as PyTorch names them: a Layer's ``weight`` is its rows (one per neuron) and
        ``bias`` one number per neuron; an MLP's layer i is ``f"{2 * i}.weight"`` and
        ``f"{2 * i}.bias"``, the names of ``to_torch().state_dict()``. A Module that only
        defines ``parameters()`` names each parameter by its position, ``"0"``, ``"1"``, ...
        """
        return {name: _numbers(entry) for name, entry in self._state_entries()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Set the parameters from ``state_dict`` (numbers and lists as ``state_dict()`` gives, or
        anything with ``.tolist()``, such as the tensors of a torch state dict).

        Every shape must match. With ``strict`` (the default) a missing or an unexpected key is
        an error too; otherwise they are skipped and listed in the result, as in PyTorch.
        Nothing changes unless everything loads.
        """
        entries = dict(self._state_entries())
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict if k not in entries]
        errors = []
        if strict and missing:
            errors.append(f"Missing key(s) in state_dict: {', '.join(map(_quoted, missing))}.")
        if strict and unexpected:
            errors.append(f"Unexpected key(s) in state_dict: {', '.join(map(_quoted, unexpected))}.")
        updates = []
        for name, entry in entries.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            value = value.tolist() if hasattr(value, "tolist") else value  # a tensor or an array
            want, got = _shape(entry), _value_shape(value)
            if got is None:
                errors.append(f"{name} must hold numbers, in lists of shape {want}; got {value!r:.60}")
            elif got != want:
                errors.append(
                    f"size mismatch for {name}: copying a param with shape {got} from checkpoint, "
                    f"the shape in current model is {want}."
                )
            else:
                updates += zip(_flat(entry), _flat(value), strict=True)
        if errors:
            raise ValueError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
                + "\n(load a state dict saved from a model of the same architecture; "
                "strict=False skips missing and unexpected keys)"
            )
        for p, v in updates:
            p.data = float(v)
        return LoadResult(missing, unexpected)

    def _state_entries(self) -> list[tuple[str, Entry]]:
        """(name, entry) pairs for ``state_dict``; each subclass names its own parameters."""
        return [(str(i), p) for i, p in enumerate(self.parameters())]


LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])
LoadResult.__doc__ = """What ``load_state_dict`` skipped (only ever non-empty with ``strict=False``)."""


def _quoted(key: object) -> str:
    return f'"{key}"'


def _numbers(entry: Entry) -> float | list:
    return float(entry.data) if isinstance(entry, Value) else [_numbers(e) for e in entry]


def _flat(entry: Any) -> list:
    return [entry] if not isinstance(entry, list) else [x for e in entry for x in _flat(e)]


def _shape(entry: Entry) -> list[int]:
    return [] if isinstance(entry, Value) else [len(entry), *(_shape(entry[0]) if entry else [])]


def _value_shape(value: Any) -> list[int] | None:
    """The shape of nested lists of numbers, or None if they are ragged or hold something else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return []
    if not isinstance(value, list):
        return None
    shapes = [_value_shape(v) for v in value]
    if any(s is None or s != shapes[0] for s in shapes):
        return None
    return [len(value), *(shapes[0] if shapes else [])]


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

    def _state_entries(self) -> list[tuple[str, Entry]]:
        return [("weight", self.w), ("bias", self.b)]

    def _parameters_tuple(self) -> tuple[Value, ...]:
        """(b, w0, w1, ...), made once and shared by every node this neuron builds.

        A contract with the compiled backend: it lists a DOT node's children once
        per tuple object (keyed by ``id``), so this must return the same tuple for
        as long as ``b`` and ``w`` hold the same Values (and ``Layer`` hands one
        inputs tuple to all its neurons). A new tuple per call would stay correct
        but make ``compile`` list the same weights again for every sample.
        """
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

    def _state_entries(self) -> list[tuple[str, Entry]]:
        return [("weight", [n.w for n in self.neurons]), ("bias", [n.b for n in self.neurons])]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: hidden layers nonlinear, the last one linear.

    ``nin``, ``nouts`` and ``activation`` stay on the model as given (a model file saves them).
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
        self.nin, self.nouts, self.activation = nin, list(nouts), activation  # the architecture, as given
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

    def _state_entries(self) -> list[tuple[str, Entry]]:
        # layer i is module 2i of to_torch()'s Sequential: an activation sits between two Linears
        return [
            (f"{2 * i}.{name}", e)
            for i, layer in enumerate(self.layers)
            for name, e in layer._state_entries()
        ]

    def to_torch(self):
        """This network as a float64 ``torch.nn.Sequential`` of ``Linear`` and activation layers, with
        the same weights (needs PyTorch; see ``micrograd.pytorch``)."""
        from .pytorch import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, module) -> MLP:
        """The MLP computing what ``module`` does: a ``torch.nn.Sequential`` of ``Linear`` layers with
        ``ReLU``, ``Tanh`` or ``Sigmoid`` (all the same) between them (see ``micrograd.pytorch``)."""
        from .pytorch import from_torch

        return from_torch(module)

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
