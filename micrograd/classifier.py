"""Classifier: an MLP together with what it takes to use it on raw rows and name its answers."""

from __future__ import annotations

from collections.abc import Sequence

from .data import Standardizer
from .engine import Value, no_grad
from .nn import MLP, Module


def decide(output: float | Sequence[float]) -> int:
    """The class index an output picks: one score means class 1 when it is > 0 (the demo's rule),
    several scores mean the index of the largest (the first one on a tie)."""
    if isinstance(output, (int, float)):
        return 1 if output > 0 else 0
    return max(range(len(output)), key=output.__getitem__)


def output_data(output: Value | Sequence[Value]) -> float | list[float]:
    """The plain numbers of a model's output (one Value, or a list of them)."""
    return output.data if isinstance(output, Value) else [v.data for v in output]


class Classifier(Module):
    """An MLP plus its class names, feature (and target) names and input standardisation.

    ``classifier(row)`` standardises a raw row and returns the network's output;
    ``predict(rows)`` returns class names. This is what ``micrograd.modelfile`` saves and loads.
    """

    def __init__(
        self,
        mlp: MLP,
        classes: Sequence[str],
        feature_names: Sequence[str] | None = None,
        standardizer: Standardizer | None = None,
        loss: str | None = None,
        target: str | None = None,
    ) -> None:
        n_out = mlp.nouts[-1]
        if len(classes) < 2:
            raise ValueError(f"a classifier needs at least two classes, got {list(classes)!r}")
        if not (n_out == len(classes) or (n_out == 1 and len(classes) == 2)):
            raise ValueError(f"an MLP with {n_out} outputs cannot score {len(classes)} classes")
        self.mlp = mlp
        self.classes = [str(c) for c in classes]
        self.nin = mlp.nin
        self.feature_names = list(feature_names) if feature_names else [f"x{j}" for j in range(self.nin)]
        if len(self.feature_names) != self.nin:
            raise ValueError(f"{len(self.feature_names)} feature names for an MLP with {self.nin} inputs")
        self.standardizer = standardizer
        self.loss = loss
        self.target = target  # the name of the column the classes came from, if known

    def prepare(self, rows: Sequence[Sequence[float]]) -> list[list[float]]:
        """Raw feature rows as the network sees them (standardised when the model was trained so)."""
        rows = [[float(v) for v in row] for row in rows]
        for row in rows:
            if len(row) != self.nin:
                raise ValueError(f"this model takes {self.nin} features per row, got {len(row)}")
        return self.standardizer.transform(rows) if self.standardizer else rows

    def __call__(self, row: Sequence[float]) -> Value | list[Value]:
        return self.mlp(self.prepare([row])[0])

    def predict_indices(self, rows: Sequence[Sequence[float]]) -> list[int]:
        """The class index of each raw row."""
        with no_grad():
            return [decide(output_data(self.mlp(x))) for x in self.prepare(rows)]

    def predict(self, rows: Sequence[Sequence[float]]) -> list[str]:
        """The class name of each raw row."""
        return [self.classes[i] for i in self.predict_indices(rows)]

    def parameters(self) -> list[Value]:
        """The MLP's parameters."""
        return self.mlp.parameters()

    def __repr__(self) -> str:
        return f"Classifier({self.mlp!r}, classes={self.classes!r})"
