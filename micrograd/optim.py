"""Optimizers and learning-rate schedules, with the update rules of ``torch.optim``.

An optimizer holds a list of parameters (``Value`` leaves); ``step()`` moves each
``p.data`` using its ``p.grad``, ``zero_grad()`` clears the grads. The formulas are
those of ``torch.optim.SGD``, ``Adam`` and ``AdamW`` (their ``foreach=False`` code
paths), written out per scalar, so a run matches PyTorch in float64 step by step.

A schedule is a callable ``schedule(step) -> lr``; set ``optimizer.lr = schedule(k)``
before the k-th ``step()``, as the demo does with its decaying rate. A schedule holds no
state: its position is the step number ``k`` itself (``fit``'s ``start_step`` on resuming).

``state_dict()`` / ``load_state_dict()`` save and restore an optimizer's settings and its
per-parameter state (momentum buffers, Adam's moments and step count) as JSON-ready numbers,
so a run stopped and resumed continues with exactly the numbers of the uninterrupted run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .engine import Value


class Optimizer:
    """Base class: keeps the parameters and the learning rate ``lr``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list")
        if not lr >= 0:
            raise ValueError(f"the learning rate must be a number >= 0, got {lr!r}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, ready for the next ``backward()``."""
        for p in self.params:
            p.grad = 0

    def step(self) -> None:
        """Update every parameter once from its current grad (each optimizer defines it)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The settings (``lr`` as last set, e.g. by a schedule) and the per-parameter state, in the
        order of ``params``, named as in ``torch.optim``: plain numbers and lists, ready for JSON."""
        settings = {k: list(v) if isinstance(v, tuple) else v for k, v in self._settings().items()}
        return {"type": type(self).__name__, "settings": settings, "state": self._state()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (also after a trip through JSON): the settings and
        the per-parameter state. The optimizer must be of the same type, on as many parameters."""
        d = state_dict
        name = type(self).__name__
        if not (
            isinstance(d, dict) and isinstance(d.get("settings"), dict) and isinstance(d.get("state"), dict)
        ):
            raise ValueError(f"not an optimizer state: expected a dict from {name}.state_dict()")
        if d.get("type") != name:
            raise ValueError(
                f"this state is of a {d.get('type')} optimizer; load it into a {d.get('type')}, not {name}"
            )
        settings = {}
        for k, current in self._settings().items():
            v = d["settings"].get(k)
            v = tuple(v) if isinstance(v, list) else v
            if not _same_kind(v, current):
                raise ValueError(
                    f"the optimizer state's setting {k!r} is {v!r}; expected one like {current!r}"
                )
            settings[k] = v
        self._load_state(d["state"])  # checked before any setting changes
        for k, v in settings.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"

    def _settings(self) -> dict:
        return {"lr": self.lr}

    def _state(self) -> dict[str, Any]:
        return {}

    def _load_state(self, state: dict[str, Any]) -> None:
        pass

    def _per_parameter(self, state: dict[str, Any], key: str, allow_none: bool = False) -> list:
        """``state[key]`` checked to hold one number (or None, if allowed) per parameter."""
        values = state.get(key)
        ok = isinstance(values, list) and all(
            (v is None and allow_none) or (isinstance(v, (int, float)) and not isinstance(v, bool))
            for v in values
        )
        if not ok:
            raise ValueError(f"the optimizer state's {key!r} must be a list of numbers, one per parameter")
        if len(values) != len(self.params):
            raise ValueError(
                f"the optimizer state holds {key!r} for {len(values)} parameters, but this optimizer has "
                f"{len(self.params)}: build it on the parameters of the same model as the saved one"
            )
        return list(values)


def _grad_number(p: Value) -> float:
    """``p.grad`` as a number: after ``backward(create_graph=True)`` it is a Value, and a step
    uses its value (as ``torch.optim`` does under ``no_grad``), so ``p.data`` stays a number."""
    g = p.grad
    return g.data if isinstance(g, Value) else g


def _same_kind(value: Any, like: Any) -> bool:
    """True when a loaded setting is what the setting holds: a flag, a number or a tuple of numbers."""
    if isinstance(like, bool) or isinstance(value, bool):
        return type(value) is type(like)
    if isinstance(like, tuple):
        return isinstance(value, tuple) and len(value) == len(like) and all(map(_same_kind, value, like))
    return isinstance(value, (int, float)) and value >= 0


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    Per parameter, as ``torch.optim.SGD`` (dampening 0)::

        g = grad + weight_decay * p
        buf = g                       (first step)
        buf = momentum * buf + g      (later steps)
        g = g + momentum * buf        (nesterov)   or   g = buf   (momentum)
        p = p - lr * g

    With the defaults this is the demo's ``p.data -= lr * p.grad``.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("momentum and weight_decay must be >= 0")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs a momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter once from its current grad."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = _grad_number(p)
            if wd != 0:
                g = g + wd * p.data
            if mu != 0:
                buf = self.buffers[i]
                buf = g if buf is None else mu * buf + g
                self.buffers[i] = buf
                g = g + mu * buf if self.nesterov else buf
            p.data -= lr * g

    def _settings(self) -> dict:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

    def _state(self) -> dict[str, Any]:
        return {"momentum_buffer": list(self.buffers)}  # None until a parameter's first step

    def _load_state(self, state: dict[str, Any]) -> None:
        self.buffers = self._per_parameter(state, "momentum_buffer", allow_none=True)


class Adam(Optimizer):
    """Adam (Kingma & Ba), as ``torch.optim.Adam``; ``weight_decay`` adds ``weight_decay * p`` to the grad.

    Per parameter, at step t = 1, 2, ...::

        m = m + (1 - beta1) * (g - m)           (torch's lerp)
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``weight_decay=None`` means the class's ``default_weight_decay``: 0 here, 1e-2 for AdamW.
    """

    decoupled = False  # AdamW decays the weights directly instead of through the grad
    default_weight_decay = 0.0

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float | None = None,
    ) -> None:
        super().__init__(params, lr)
        if weight_decay is None:
            weight_decay = self.default_weight_decay
        beta1, beta2 = betas
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
        if eps < 0 or weight_decay < 0:
            raise ValueError("eps and weight_decay must be >= 0")
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter once from its current grad."""
        self.t += 1
        lr, (beta1, beta2), eps, wd = self.lr, self.betas, self.eps, self.weight_decay
        step_size = lr / (1 - beta1**self.t)
        bias_correction2_sqrt = (1 - beta2**self.t) ** 0.5
        for i, p in enumerate(self.params):
            g = _grad_number(p)
            if wd != 0:
                if self.decoupled:
                    p.data *= 1 - lr * wd
                else:
                    g = g + wd * p.data
            m = self.m[i] = self.m[i] + (1 - beta1) * (g - self.m[i])
            v = self.v[i] = self.v[i] * beta2 + (1 - beta2) * g * g
            p.data -= step_size * (m / (math.sqrt(v) / bias_correction2_sqrt + eps))

    def _settings(self) -> dict:
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay}

    def _state(self) -> dict[str, Any]:
        return {"step": self.t, "exp_avg": list(self.m), "exp_avg_sq": list(self.v)}

    def _load_state(self, state: dict[str, Any]) -> None:
        t = state.get("step")
        if not (isinstance(t, int) and not isinstance(t, bool) and t >= 0):
            raise ValueError(f"the optimizer state's 'step' must be a count >= 0, got {t!r}")
        m, v = self._per_parameter(state, "exp_avg"), self._per_parameter(state, "exp_avg_sq")
        self.t, self.m, self.v = t, m, v


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    Each step first shrinks the weights, ``p = p * (1 - lr * weight_decay)``, then
    takes the plain Adam step. The default decay is 1e-2, as in PyTorch.
    """

    decoupled = True
    default_weight_decay = 1e-2


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


# --- learning-rate schedules -------------------------------------------------


class ConstantLR:
    """The same rate at every step."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def __call__(self, step: int) -> float:
        return self.lr

    def __repr__(self) -> str:
        return f"ConstantLR(lr={self.lr!r})"


class LinearDecay:
    """From ``lr`` at step 0 down by equal amounts towards ``end_lr`` at step ``steps``.

    ``lr - (lr - end_lr) * k / steps``; the demo's ``1.0 - 0.9 * k / 100`` is
    ``LinearDecay(1.0, 0.1, 100)``, to the last digit.
    """

    def __init__(self, lr: float, end_lr: float, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"a schedule needs steps >= 1, got {steps!r}")
        self.lr, self.end_lr, self.steps = lr, end_lr, steps

    def __call__(self, step: int) -> float:
        return self.lr - (self.lr - self.end_lr) * step / self.steps

    def __repr__(self) -> str:
        return f"LinearDecay(lr={self.lr!r}, end_lr={self.end_lr!r}, steps={self.steps!r})"


class CosineDecay:
    """Half a cosine from ``lr`` at step 0 to ``end_lr`` at step ``steps`` (torch's CosineAnnealingLR).

    ``end_lr + (lr - end_lr) * (1 + cos(pi * k / steps)) / 2``.
    """

    def __init__(self, lr: float, end_lr: float, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"a schedule needs steps >= 1, got {steps!r}")
        self.lr, self.end_lr, self.steps = lr, end_lr, steps

    def __call__(self, step: int) -> float:
        return self.end_lr + (self.lr - self.end_lr) * (1 + math.cos(math.pi * step / self.steps)) / 2

    def __repr__(self) -> str:
        return f"CosineDecay(lr={self.lr!r}, end_lr={self.end_lr!r}, steps={self.steps!r})"


SCHEDULES = {"constant": ConstantLR, "linear": LinearDecay, "cosine": CosineDecay}
