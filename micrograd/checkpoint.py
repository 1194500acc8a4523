"""Training checkpoints: stop a run after any step, resume it, and get the uninterrupted run's numbers.

A checkpoint is versioned JSON, written atomically: how many steps are done, the model's and
the optimizer's ``state_dict()`` and the record of the steps so far::

    {"format": "micrograd-checkpoint", "version": 1, "step": 7,
     "model": {"0.weight": [[...], ...], "0.bias": [...], ...},
     "optimizer": {"type": "Adam", "settings": {...}, "state": {"step": 7, ...}},
     "history": [{"step": 0, "loss": ..., "accuracy": ..., "lr": ...}, ...]}

To resume, build the model, the optimizer and the schedule as the run did, then::

    checkpoint = load_checkpoint(path)
    start = checkpoint.restore(model, optimizer)
    history = checkpoint.history + fit(model, data, optimizer, steps=total, start_step=start,
                                       schedule=schedule, rng=random.Random(seed), ...)

A schedule keeps no state: its position is the step number, so ``start_step`` is all it
needs. ``rng`` must start as the run's did (``fit`` skips the batches of the steps done).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .jsonfile import read_json, shown
from .nn import Module
from .optim import Optimizer
from .train import StepResult

FORMAT = "micrograd-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read: not JSON, not a checkpoint, or inconsistent."""


@dataclass
class Checkpoint:
    """A training run after ``step`` steps: the model's and optimizer's states and the steps' record."""

    step: int
    model: dict[str, Any]
    optimizer: dict[str, Any]
    history: list[StepResult]

    def restore(self, model: Module, optimizer: Optimizer) -> int:
        """Load the saved states into ``model`` and ``optimizer``; returns the step to resume at.

        Raises CheckpointError (a ValueError) when a state does not fit them."""
        try:
            model.load_state_dict(self.model)
            optimizer.load_state_dict(self.optimizer)
        except ValueError as e:
            raise CheckpointError(str(e)) from None
        return self.step


def save_checkpoint(path: str | Path, model: Module, optimizer: Optimizer, history: list[StepResult]) -> None:
    """Write the run after ``len(history)`` steps to ``path`` (atomically; call it between steps,
    e.g. from ``fit``'s ``on_step``). ``history`` is every step's record from step 0 on."""
    if [r.step for r in history] != list(range(len(history))):
        raise ValueError("history must hold the record of every step from step 0 on, in order")
    d = {
        "format": FORMAT,
        "version": VERSION,
        "step": len(history),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "history": [asdict(r) for r in history],
    }
    atomic_write_text(path, json.dumps(d, allow_nan=False) + "\n")


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint``, checking its format."""
    path = Path(path)
    d = read_json(path, CheckpointError, "checkpoint", allow_nan=False)
    if not (isinstance(d, dict) and d.get("format") == FORMAT):
        raise CheckpointError(f"{path}: not a micrograd checkpoint")
    version = d.get("version")
    if not (type(version) is int and version >= 1):
        raise CheckpointError(
            f"{path}: the checkpoint version must be a whole number from 1 on, not {shown(version)}"
        )
    if version > VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {version}; this micrograd reads up to version {VERSION}: "
            "upgrade micrograd"
        )
    step, history = d.get("step"), d.get("history")
    fields = set(StepResult.__dataclass_fields__)
    ok = (
        type(step) is int
        and isinstance(history, list)
        and all(isinstance(r, dict) and set(r) == fields and _is_record(r) for r in history)
        and len(history) == step  # before range(step): a step of 10**18 must not fill the memory
        and [r["step"] for r in history] == list(range(step))
    )
    if not ok:
        raise CheckpointError(f"{path}: the checkpoint's step and history disagree or are malformed")
    if not (isinstance(d.get("model"), dict) and isinstance(d.get("optimizer"), dict)):
        raise CheckpointError(f"{path}: the checkpoint lacks the model's or the optimizer's state")
    return Checkpoint(step, d["model"], d["optimizer"], [StepResult(**r) for r in history])


def _is_record(r: dict[str, Any]) -> bool:
    """A step's record as ``save_checkpoint`` writes it: a whole step number, then finite numbers."""
    numbers = [r[k] for k in ("loss", "accuracy", "lr")]
    return type(r["step"]) is int and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers
    )
