"""The training loop, usable from Python; ``micrograd train`` is a thin layer on top.

One training step is four stages, each a line in ``train_step``::

    optimizer.zero_grad()
    loss, outputs = engine.forward_backward(X, y)   # forward, loss, backward
    optimizer.step()                                 # update

An *engine* does the forward pass, the loss and the backward pass. ``EagerEngine``
rebuilds the expression graph from ``Value`` operations every step (as the moons
demo of Karpathy's micrograd notebook does); ``CompiledEngine`` builds it once per
batch and re-runs it with ``micrograd.compile``, with the same results to the last
bit. Engines are registered in ``ENGINES``; ``choose_engine`` picks one for
``engine="auto"``.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

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


class Loss(NamedTuple):
    """A loss ``Objective`` can train with: the function, and the targets it takes."""

    function: Callable[[list, list], Value]
    targets: Callable[[int], float]  # a class index as this loss's target
    per_class: bool  # one output per class (else one score: class 1 when it is > 0)


def _signed(t: int) -> float:
    return 2 * t - 1  # class 0 -> -1, class 1 -> +1


def _index(t: int) -> int:
    return t


# name -> Loss: the one table the command line's choices and Objective's dispatch come from
LOSSES: dict[str, Loss] = {
    "hinge": Loss(hinge_loss, _signed, per_class=False),
    "mse": Loss(mse_loss, _signed, per_class=False),
    "bce": Loss(binary_cross_entropy_with_logits, _index, per_class=False),
    "cross-entropy": Loss(cross_entropy, _index, per_class=True),
}
BINARY_LOSSES = tuple(name for name, loss in LOSSES.items() if not loss.per_class)
MULTICLASS_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.per_class)


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
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


class Objective:
    """What training minimises on a batch: the loss of the model's outputs, plus ``l2 * sum(p * p)``.

    Calling it builds the graph: ``objective(X, y)`` returns the total loss (a Value)
    and the model's outputs. ``y`` holds class indices; each loss gets the targets in
    its own encoding (hinge and mse: -1/+1, bce: 0/1, cross-entropy: the index).
    """

    def __init__(self, model: MLP, loss: str, l2: float = 0.0) -> None:
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.model = model
        self.loss = loss
        self.l2 = l2

    def __call__(self, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[Value, list]:
        inputs = [list(map(Value, row)) for row in X]  # the demo wraps each number in a Value
        outputs = list(map(self.model, inputs))
        loss = LOSSES[self.loss]
        data_loss = loss.function(outputs, [loss.targets(t) for t in y])
        if self.l2:
            return data_loss + l2_regularization(self.model.parameters(), self.l2), outputs
        return data_loss, outputs

    def __repr__(self) -> str:
        return f"Objective(loss={self.loss!r}, l2={self.l2!r})"


class Engine(Protocol):
    """What computes a step's forward pass, loss and backward pass (see ``EagerEngine``)."""

    name: str

    def forward_backward(self, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, list]:
        """The loss on (X, y) as a number and the model's outputs; the gradients end up in ``p.grad``."""
        ...


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


# losses whose graph depends only on the batch (not on the values flowing through it), so
# one recorded program reproduces the eager graph at every step; the stable cross-entropy
# shifts by the current largest logit, and bce picks a formula by the sign of the logit
STATIC_LOSSES = ("hinge", "mse")


class CompiledEngine:
    """Forward, loss and backward with ``micrograd.compile``: the graph of a batch is built once,
    compiled with the model's parameters, and re-run at every step on their current ``.data``.

    Results equal ``EagerEngine``'s to the last bit (same values, same ``p.grad``, so every
    optimizer works unchanged). Needs numpy and a loss in ``STATIC_LOSSES``. Programs are kept
    per distinct batch (the ``cache`` most recent): full-batch training compiles once; shuffled
    mini-batches rarely repeat, and building and compiling a new batch's graph costs more than an
    eager step, so ``choose_engine`` prefers the eager engine for them.
    """

    name = "compiled"

    def __init__(self, objective: Objective, cache: int = 8) -> None:
        if objective.loss not in STATIC_LOSSES:
            raise ValueError(
                "the compiled engine reproduces the eager results only for the "
                f"{' and '.join(STATIC_LOSSES)} losses (the graph of {objective.loss!r} depends on "
                "the values computed); use the eager engine"
            )
        from .compiled import Program as compile_graph  # numpy: imported only when this engine is used

        self.objective = objective
        self._compile = compile_graph
        self._programs: OrderedDict = OrderedDict()  # batch -> (program, outputs, classes per output)
        self._cache = cache

    def _program(self, X: Sequence[Sequence[float]], y: Sequence[int]):
        key = (tuple(map(tuple, X)), tuple(y))
        entry = self._programs.get(key)
        if entry is None:
            total, outputs = self.objective(X, y)  # the eager graph, built once for this batch
            width = len(outputs[0]) if outputs and not isinstance(outputs[0], Value) else None
            nodes = [v for o in outputs for v in o] if width is not None else outputs
            entry = (self._compile(total, self.objective.model.parameters()), nodes, width)
            self._programs[key] = entry
            if len(self._programs) > self._cache:
                self._programs.popitem(last=False)
        else:
            self._programs.move_to_end(key)
        return entry

    def forward_backward(self, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, list]:
        """The loss on (X, y) and the model's outputs as numbers; adds the gradients to ``p.grad``."""
        prog, nodes, width = self._program(X, y)
        loss = prog.forward()
        prog.backward()
        values = prog.values(nodes)
        outputs = values.tolist() if width is None else values.reshape(-1, width).tolist()
        return loss, outputs

    def __repr__(self) -> str:
        return f"CompiledEngine({self.objective!r})"


# name -> factory taking the Objective
ENGINES: dict[str, Callable[[Objective], Engine]] = {"eager": EagerEngine, "compiled": CompiledEngine}


def choose_engine(engine: str, loss: str, batch_size: int | None) -> str:
    """The engine name to use: ``engine`` itself, or for ``"auto"`` the compiled engine where it
    gives the eager results and pays off (full-batch steps, a loss in ``STATIC_LOSSES``, numpy
    installed), else the eager one."""
    if engine != "auto":
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose auto or one of {', '.join(ENGINES)}")
        return engine
    if batch_size is not None or loss not in STATIC_LOSSES:
        return "eager"
    try:
        import numpy  # noqa: F401
    except ImportError:
        return "eager"
    return "compiled"


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
    try:
        loss, outputs = engine.forward_backward(X, y)  # forward, loss, backward
    except OverflowError:  # a float too large for Python's ** or math (the loss or its gradient)
        loss = math.inf
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
    engine: str = "auto",
    on_step: Callable[[StepResult], None] | None = None,
    start_step: int = 0,
) -> list[StepResult]:
    """Train ``model`` on ``data`` for ``steps`` optimizer steps and return the per-step record.

    Before step k the optimizer's rate is set to ``schedule(k)`` (if given). With
    ``batch_size`` None every step sees the whole data set (the demo); otherwise
    shuffled mini-batches drawn with ``rng``. ``engine``: ``"eager"``, ``"compiled"``
    or ``"auto"`` (see ``choose_engine``). ``on_step`` is called after each step.

    ``start_step`` resumes a stopped run (see ``micrograd.checkpoint``): steps
    ``start_step .. steps - 1`` run, and only they are returned; the batches of the
    earlier steps are drawn from ``rng`` and skipped, so with ``rng`` in its starting
    state every step sees the batch it would have seen in the uninterrupted run.
    """
    runner = ENGINES[choose_engine(engine, loss, batch_size)](Objective(model, loss, l2))
    batches = minibatches(len(data), batch_size or len(data), rng or random.Random(0))
    for _ in range(start_step):
        next(batches)
    history = []
    for k in range(start_step, steps):
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
