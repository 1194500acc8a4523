"""An MLP's forward pass over many rows at once, as numpy matrix multiplies (numpy is imported lazily).

The engine scores one row at a time through ``Value``s; here a layer is ``X @ W.T + b`` over a
whole block of rows, then the activation, with the engine's formulas. BLAS adds the products
in its own order and numpy's ``tanh``/``exp`` may differ from ``math``'s in the last bit, so the
scores agree with the engine's to about 1e-15 relative, not bit for bit. ``decisions`` therefore
also says which rows sit so near a tie that such a difference could change their class: the
caller (``Classifier.predict_indices``) scores those few again with the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .nn import MLP

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import numpy as np

# a class is recomputed with the engine when its margin is below this fraction of the score's size
# (the sum of |w| |x| that made it): far above the 1e-15 or so that BLAS order and libm can move it
UNSURE = 1e-10


def numpy_or_none() -> Any:
    """The numpy module, or None when it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def weights(mlp: MLP) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(W, b, activation) per layer: W holds one row of weights per neuron."""
    import numpy as np

    return [
        (
            np.array([[w.data for w in n.w] for n in layer.neurons], dtype=np.float64),
            np.array([n.b.data for n in layer.neurons], dtype=np.float64),
            layer.neurons[0].activation,
        )
        for layer in mlp.layers
    ]


def _activate(z: np.ndarray, activation: str) -> np.ndarray:
    """The engine's activations (``micrograd.primitives``), elementwise."""
    import numpy as np

    if activation == "linear":
        return z
    if activation == "relu":
        return np.where(z < 0, 0.0, z)  # as the engine: nan stays nan, -0.0 stays -0.0
    if activation == "tanh":
        return np.tanh(z)
    # sigmoid, by the engine's two branches, so exp never overflows
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def forward(layers: list[tuple[np.ndarray, np.ndarray, str]], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outputs of the network for the rows of ``X`` (rows x outputs), and the size of each:
    ``|W| @ |h| + |b|`` of the last layer, what a rounding difference is relative to."""
    import numpy as np

    h = X
    for i, (W, b, activation) in enumerate(layers):
        z = h @ W.T + b
        if i == len(layers) - 1:
            return z, np.abs(h) @ np.abs(W.T) + np.abs(b)
        h = _activate(z, activation)
    raise ValueError("an MLP has at least one layer")


def decisions(
    layers: list[tuple[np.ndarray, np.ndarray, str]], X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class index, unsure, not finite) per row of ``X``: the class ``micrograd.classifier.decide``
    picks from the outputs, whether the row lies within ``UNSURE`` of a tie, and whether any
    output is inf or nan."""
    import numpy as np

    with np.errstate(all="ignore"):  # overflow is reported per row, as "not finite"
        z, size = forward(layers, X)
        bad = ~np.isfinite(z).all(axis=1)
        if z.shape[1] == 1:
            picked = (z[:, 0] > 0).astype(np.int64)
            margin, scale = np.abs(z[:, 0]), size[:, 0]
        else:
            picked = np.argmax(z, axis=1)  # the first of equal largest scores, as decide()
            top2 = np.sort(z, axis=1)[:, -2:]
            margin, scale = top2[:, 1] - top2[:, 0], size.max(axis=1)
        unsure = ~bad & (margin <= UNSURE * scale)
    return picked, unsure, bad


def as_array(rows: Sequence[Sequence[float]], mean: Sequence[float] | None, std: Sequence[float] | None):
    """The rows as a float64 array, standardised as ``Standardizer.transform`` does (same operations)."""
    import numpy as np

    X = np.array(rows, dtype=np.float64)
    if mean is not None:
        with np.errstate(all="ignore"):  # what overflows here makes a score that is not finite, reported
            X = (X - np.array(mean, dtype=np.float64)) / np.array(std, dtype=np.float64)
    return X
