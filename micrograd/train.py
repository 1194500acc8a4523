"""The training loop, usable from Python; ``micrograd train`` is a thin layer on top.

One training step is four stages, each a line in ``train_step``::

    optimizer.zero_grad()
    loss, outputs = engine.forward_backward(X, y)   # forward, loss, backward
    optimizer.step()                                 # update

An *engine* does the forward pass, the loss and the backward pass. ``EagerEngine``
rebuilds the expression graph from ``Value`` operations every step (the seeds'
way). A faster backend plugs in as another class with the same
``forward_backward(X, y)`` method, registered in ``ENGINES``; ``--engine`` picks it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .classifier import decide, output_data
from .data import Dataset, minibatches
from .engine import Value
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_regularization,
    mse_loss,
)
from .nn import MLP
from .optim import Optimizer

BINARY_LOSSES = ("hinge", "mse", "bce")  # one output score; class 1 when it is > 0
MULTICLASS_LOSSES = ("cross-entropy",)  # one output per class


class TrainingError(RuntimeError):
    """Training cannot go on, e.g. the loss is no longer a finite number."""


def default_loss(n_classes: int) -> str:
    """The demo's hinge loss for two classes, softmax cross-entropy for more."""
    return "hinge" if n_classes == 2 else "cross-entropy"


def n_outputs(loss: str, n_classes: int) -> int:
    """How many outputs the last layer needs for this loss and number of classes."""
    if loss in MULTICLASS_LOSSES:
        return n_classes
    if loss in BINARY_LOSSES:
        if n_classes != 2:
            raise ValueError(
                f"the {loss} loss separates two classes, but the data has {n_classes}; "
                "use the cross-entropy loss"
            )
        return 1
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(BINARY_LOSSES + MULTICLASS_LOSSES)}")


class Objective:
    """What training minimises on a batch: the loss of the model's outputs, plus ``l2 * sum(p * p)``.

    Calling it builds the graph: ``objective(X, y)`` returns the total loss (a Value)
    and the model's outputs. ``y`` holds class indices; each loss gets the targets in
    its own encoding (hinge and mse: -1/+1, bce: 0/1, cross-entropy: the index).
    """

    def __init__(self, model: MLP, loss: str, l2: float = 0.0) -> None:
        self.model = model
        self.loss = loss
        self.l2 = l2

    def __call__(self, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[Value, list]:
        inputs = [list(map(Value, row)) for row in X]  # the demo wraps each number in a Value
        outputs = list(map(self.model, inputs))
        if self.loss == "hinge":
            data_loss = hinge_loss(outputs, [2 * t - 1 for t in y])
        elif self.loss == "mse":
            data_loss = mse_loss(outputs, [2 * t - 1 for t in y])
        elif self.loss == "bce":
            data_loss = binary_cross_entropy_with_logits(outputs, list(y))
        elif self.loss == "cross-entropy":
            data_loss = cross_entropy(outputs, list(y))
        else:
            raise ValueError(f"unknown loss {self.loss!r}")
        if self.l2:
            return data_loss + l2_regularization(self.model.parameters(), self.l2), outputs
        return data_loss, outputs

    def __repr__(self) -> str:
        return f"Objective(loss={self.loss!r}, l2={self.l2!r})"


class Engine(Protocol):
    """What computes a step's forward pass, loss and backward pass (see ``EagerEngine``)."""

    name: str

    def forward_backward(self, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, list]: ...


class EagerEngine:
    """Forward, loss and backward with the plain engine, building a fresh graph every step."""

    name = "eager"

    def __init__(self, objective: Objective) -> None:
        self.objective = objective

    def forward_backward(self, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, list]:
        """The loss on (X, y) and the model's outputs as numbers; leaves the gradients in ``p.grad``."""
        total, outputs = self.objective(X, y)
        total.backward()
        return total.data, [output_data(o) for o in outputs]

    def __repr__(self) -> str:
        return f"EagerEngine({self.objective!r})"


# name -> factory taking the Objective; a compiled backend registers itself here
ENGINES: dict[str, Callable[[Objective], Engine]] = {"eager": EagerEngine}


def accuracy(outputs: Sequence, y: Sequence[int]) -> float:
    """The fraction of outputs whose decided class equals the target index."""
    return sum(decide(o) == t for o, t in zip(outputs, y, strict=True)) / len(y)


@dataclass
class StepResult:
    """The loss and accuracy on the batch of one step, measured before its update (as the demo prints)."""

    step: int
    loss: float
    accuracy: float
    lr: float


def train_step(engine: Engine, optimizer: Optimizer, X: Sequence, y: Sequence[int]) -> tuple[float, float]:
    """One training step on the batch (X, y): forward, loss, backward, update. Returns (loss, accuracy)."""
    optimizer.zero_grad()
    loss, outputs = engine.forward_backward(X, y)  # forward, loss, backward
    if not math.isfinite(loss):
        raise TrainingError(f"the loss became {loss}; try a smaller learning rate")
    optimizer.step()  # update
    return loss, accuracy(outputs, y)


def fit(
    model: MLP,
    data: Dataset,
    optimizer: Optimizer,
    *,
    loss: str,
    steps: int,
    schedule: Callable[[int], float] | None = None,
    l2: float = 0.0,
    batch_size: int | None = None,
    rng: random.Random | None = None,
    engine: str = "eager",
    on_step: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Train ``model`` on ``data`` for ``steps`` optimizer steps and return the per-step record.

    Before step k the optimizer's rate is set to ``schedule(k)`` (if given). With
    ``batch_size`` None every step sees the whole data set (the demo); otherwise
    shuffled mini-batches drawn with ``rng``. ``on_step`` is called after each step.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    runner = ENGINES[engine](Objective(model, loss, l2))
    batches = minibatches(len(data), batch_size or len(data), rng or random.Random(0))
    history = []
    for k in range(steps):
        if schedule is not None:
            optimizer.lr = schedule(k)
        idx = next(batches)
        X, y = (
            (data.X, data.y)
            if len(idx) == len(data)
            else ([data.X[i] for i in idx], [data.y[i] for i in idx])
        )
        batch_loss, batch_acc = train_step(runner, optimizer, X, y)
        record = StepResult(k, batch_loss, batch_acc, optimizer.lr)
        history.append(record)
        if on_step is not None:
            on_step(record)
    return history
