"""Classifier: an MLP together with what it takes to use it on raw rows and name its answers."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

from . import batched
from .data import Standardizer
from .engine import Value, no_grad
from .nn import MLP, Module

BATCHED_ROWS = 64  # from this many rows on, numpy scores them (when installed)
BLOCK = 65_536  # rows scored at once: bounds the memory numpy uses, and paces the progress bar
PROGRESS_ROWS = 200_000  # rows from which ``progress=True`` shows a bar


class NonFiniteScoreError(ValueError):
    """Some rows' scores are inf or nan, so they have no class; ``rows`` holds their indices (from 0)."""

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows
        shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
        super().__init__(
            f"{len(rows)} row(s) give a score that is not a finite number (rows {shown}, counting from 0), "
            "so they have no class; their features are too large for the model: check those rows"
        )


def _progress_bar(total: int) -> Any:
    """A tqdm bar over ``total`` rows on stderr, or None when tqdm is missing."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="scoring", unit="row", unit_scale=True, file=sys.stderr, dynamic_ncols=True)


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

    def predict_indices(self, rows: Sequence[Sequence[float]], *, progress: bool = False) -> list[int]:
        """The class index of each raw row: the class the engine's outputs decide.

        Many rows go through numpy in blocks (``micrograd.batched``) where it is installed,
        one at a time through the engine otherwise; either way every class is the engine's
        (rows within rounding of a tie are scored again by the engine). ``progress`` shows a
        bar on stderr for long work. Raises ``NonFiniteScoreError`` naming the rows whose
        score is inf or nan (features so large that the network's arithmetic overflows).
        """
        for row in rows:
            if len(row) != self.nin:
                raise ValueError(f"this model takes {self.nin} features per row, got {len(row)}")
        np = batched.numpy_or_none() if len(rows) >= BATCHED_ROWS else None
        layers = batched.weights(self.mlp) if np is not None else None
        picked: list[int] = []
        bad: list[int] = []
        bar = _progress_bar(len(rows)) if progress and len(rows) >= PROGRESS_ROWS else None
        for start in range(0, len(rows), BLOCK):
            block = rows[start : start + BLOCK]
            if layers is None:
                picked += self._engine_indices(self.prepare(block), start, bad)
            else:
                picked += self._batched_indices(layers, block, start, bad)
            if bar is not None:
                bar.update(len(block))
        if bar is not None:
            bar.close()
        if bad:
            raise NonFiniteScoreError(bad)
        return picked

    def _engine_indices(self, prepared: list[list[float]], start: int, bad: list[int]) -> list[int]:
        """The engine's class of each prepared row; those whose outputs are not finite go to ``bad``."""
        picked = []
        with no_grad():
            for i, x in enumerate(prepared):
                try:
                    out = output_data(self.mlp(x))
                except OverflowError:
                    out = math.inf
                finite = all(map(math.isfinite, out)) if isinstance(out, list) else math.isfinite(out)
                if not finite:
                    bad.append(start + i)
                picked.append(decide(out) if finite else 0)
        return picked

    def _batched_indices(self, layers: list, block: Sequence[Sequence[float]], start: int, bad: list[int]):
        std = self.standardizer
        X = batched.as_array(block, std and std.mean, std and std.std)
        picked, unsure, not_finite = batched.decisions(layers, X)
        picked = picked.tolist()
        for i in unsure.nonzero()[0].tolist():  # within rounding of a tie: the engine decides
            picked[i] = self._engine_indices([X[i].tolist()], start + i, bad)[0]
        bad += (start + not_finite.nonzero()[0]).tolist()
        return picked

    def predict(self, rows: Sequence[Sequence[float]], *, progress: bool = False) -> list[str]:
        """The class name of each raw row (see ``predict_indices``)."""
        return [self.classes[i] for i in self.predict_indices(rows, progress=progress)]

    def parameters(self) -> list[Value]:
        """The MLP's parameters."""
        return self.mlp.parameters()

    def __repr__(self) -> str:
        return f"Classifier({self.mlp!r}, classes={self.classes!r})"
