"""Loss functions, each built from ``Value`` operations so ``backward()`` and ``draw_dot`` see every step.

Every loss averages over the batch the way the moons demo of Karpathy's micrograd notebook does,
``sum(losses) * (1.0 / len(losses))``, so the demo's numbers come out to the last digit.
Targets are plain numbers (or class indices); predictions are ``Value``s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .engine import Value

Scalar = Value | float


def _mean(losses: list[Value]) -> Value:
    """The batch mean, written exactly as the demo writes it."""
    if not losses:
        raise ValueError("a loss needs at least one example; the batch is empty")
    return sum(losses) * (1.0 / len(losses))


def _check_lengths(predictions: Sequence, targets: Sequence) -> None:
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions but {len(targets)} targets; they must pair up")


def hinge_loss(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """SVM max-margin loss, mean of ``relu(1 - y * score)``, for targets ``y`` in {-1, +1}.

    Exactly the demo's ``(1 + -yi * scorei).relu()``.
    """
    _check_lengths(scores, targets)
    return _mean([(1 + -yi * si).relu() for yi, si in zip(targets, scores, strict=True)])


def mse_loss(predictions: Sequence[Value], targets: Sequence[float]) -> Value:
    """Mean squared error, mean of ``(prediction - target) ** 2``."""
    _check_lengths(predictions, targets)
    return _mean([(p - t) ** 2 for p, t in zip(predictions, targets, strict=True)])


def _bce_with_logit(x: Value, y: float) -> Value:
    # -y log(sigmoid(x)) - (1 - y) log(1 - sigmoid(x)), rearranged so exp never sees a large
    # positive argument: the branch taken depends only on the sign of x (as in softplus).
    if x.data >= 0:
        return x * (1 - y) + (1 + (-x).exp()).log()
    return -x * y + (1 + x.exp()).log()


def binary_cross_entropy_with_logits(logits: Sequence[Value], targets: Sequence[float]) -> Value:
    """Binary cross-entropy of ``sigmoid(logit)`` against targets in [0, 1], computed stably from logits.

    Matches ``torch.nn.functional.binary_cross_entropy_with_logits`` (mean reduction).
    """
    _check_lengths(logits, targets)
    return _mean([_bce_with_logit(x, y) for x, y in zip(logits, targets, strict=True)])


def log_softmax(logits: Sequence[Value]) -> list[Value]:
    """``logit_j - log(sum_k exp(logit_k))`` for each j, stable for large logits.

    The largest logit is subtracted as a plain number first: it changes neither the
    result nor the gradient, and keeps every ``exp`` argument at or below 0.
    """
    m = max(z.data for z in logits)
    shifted = [z - m for z in logits]
    log_sum = sum(s.exp() for s in shifted).log()
    return [s - log_sum for s in shifted]


def cross_entropy(logits: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    """Softmax cross-entropy over several classes: mean of ``-log_softmax(logits)[target]``.

    ``logits`` holds one list of class scores per example, ``targets`` the class indices.
    Matches ``torch.nn.functional.cross_entropy`` (mean reduction).
    """
    _check_lengths(logits, targets)
    losses = []
    for row, t in zip(logits, targets, strict=True):
        if not 0 <= t < len(row):
            raise ValueError(f"class index {t} is out of range for {len(row)} classes")
        losses.append(-log_softmax(row)[t])
    return _mean(losses)


def l2_regularization(params: Iterable[Value], alpha: float) -> Value:
    """``alpha * sum(p * p)``, the demo's L2 penalty on the parameters."""
    return alpha * sum(p * p for p in params)


LOSSES = {
    "hinge": hinge_loss,
    "mse": mse_loss,
    "bce": binary_cross_entropy_with_logits,
    "cross-entropy": cross_entropy,
}
