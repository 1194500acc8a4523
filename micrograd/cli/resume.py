"""Stopping and resuming ``micrograd train``: a run's folder holds checkpoint.json while it is unfinished.

``RunKeeper`` takes a snapshot of the model and the optimizer after every step (cheap: their
``state_dict()``), and writes it, with ``config.json``, when the run is interrupted (Ctrl-C),
stops (``--stop-after``), every ``--checkpoint-every`` steps, and never mid-step. A run that finishes removes
``checkpoint.json``: a folder holds one exactly while its run can be resumed.
``saved_arguments`` and ``open_checkpoint`` read a stopped run back for ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from ..nn import MLP
from ..optim import Optimizer
from ..runfolder import staged_files
from ..train import StepResult
from .common import CommandError
from .options import RESUME_OPTIONS, add_options, config_argv, fill_defaults

CHECKPOINT = "checkpoint.json"
CONFIG = "config.json"


def resume_command(directory: str | Path) -> str:
    """The command that resumes the run in ``directory``, quoted for a shell."""
    return f"micrograd train --resume {shlex.quote(str(directory))}"


class StopRequested(Exception):
    """Raised after the step ``--stop-after`` asked to stop at; the run is saved as on Ctrl-C."""


class RunKeeper:
    """Keeps a training run resumable: ``after_step`` is ``fit``'s ``on_step``; ``save`` writes the
    state after the last complete step (even when called mid-step, e.g. on Ctrl-C).

    ``every``: also write it every that many steps; ``stop_after``: raise ``StopRequested``
    once that many steps are done in this session (None: neither).
    """

    def __init__(
        self,
        out: Path,
        config_text: str,
        mlp: MLP,
        optimizer: Optimizer,
        done: list[StepResult],
        every: int | None = None,
        stop_after: int | None = None,
    ) -> None:
        self.out, self.config_text, self.mlp, self.optimizer = out, config_text, mlp, optimizer
        self.every, self.stop_at = every, None if stop_after is None else len(done) + stop_after
        self.history = list(done)  # every complete step's record, from step 0
        self._snapshot = self._take()

    def _take(self) -> tuple[int, dict[str, Any], dict[str, Any]]:
        return len(self.history), self.mlp.state_dict(), self.optimizer.state_dict()

    def after_step(self, record: StepResult) -> None:
        """Record a finished step (and write the checkpoint if ``every`` says so)."""
        self.history.append(record)
        self._snapshot = self._take()  # one assignment: a Ctrl-C sees the old snapshot or the new one
        if self.every and len(self.history) % self.every == 0:
            self._write(len(self.history))
        if len(self.history) == self.stop_at:
            raise StopRequested

    def save(self) -> int:
        """Put the last snapshot back into the model and the optimizer and write it; returns its step."""
        steps, model_state, optimizer_state = self._snapshot
        self.mlp.load_state_dict(model_state)
        self.optimizer.load_state_dict(optimizer_state)
        self._write(steps)
        return steps

    def _write(self, steps: int) -> None:
        with staged_files(self.out) as stage:  # together: never one run's config with another's checkpoint
            atomic_write_text(stage / CONFIG, self.config_text)
            save_checkpoint(stage / CHECKPOINT, self.mlp, self.optimizer, self.history[:steps])

    def finished(self) -> None:
        """The run's results are written: it has nothing left to resume."""
        (self.out / CHECKPOINT).unlink(missing_ok=True)


class _ConfigParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise CommandError(message)


def check_resume_options(given: set[str]) -> None:
    """Refuse, with ``--resume``, every option that would change the results."""
    others = sorted(given - set(RESUME_OPTIONS))
    if others:
        allowed = ", ".join(f for f in RESUME_OPTIONS if f != "--resume")
        raise CommandError(
            f"--resume continues a run with the settings of its config.json, so {', '.join(others)} "
            f"cannot be given with it (only {allowed}); to change settings, start a new run"
        )


def saved_arguments(directory: Path) -> tuple[argparse.Namespace, dict[str, Any]]:
    """The options of the run in ``directory`` as parsed arguments, and its config.json as read."""
    path = directory / CONFIG
    if not directory.is_dir():
        raise CommandError(
            f"--resume {directory}: no such directory; give the --out of a run of micrograd train"
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(
            f"--resume {directory}: no {CONFIG} there, so no run of micrograd train to resume"
        ) from None
    except (ValueError, RecursionError) as e:  # bad UTF-8 or JSON, too many digits, nested too deep
        raise CommandError(f"{path}: not valid JSON ({e}); it may be truncated") from None
    try:
        argv = config_argv(config)
    except (KeyError, TypeError) as e:
        raise CommandError(f"{path}: not a configuration of micrograd train (missing {e})") from None
    parser = _ConfigParser(prog="micrograd train", add_help=False)
    add_options(parser)
    try:
        args = parser.parse_args(argv)
    except CommandError as e:
        raise CommandError(f"{path}: {e}") from None
    fill_defaults(args)
    return args, config


def open_checkpoint(directory: Path) -> Checkpoint:
    """The checkpoint of the stopped run in ``directory``."""
    try:
        return load_checkpoint(directory / CHECKPOINT)
    except CheckpointError as e:
        raise CommandError(str(e)) from None


def restore(checkpoint: Checkpoint, mlp: MLP, optimizer: Optimizer, steps: int, path: Path) -> int:
    """Load ``checkpoint`` into the freshly built ``mlp`` and ``optimizer``; returns the step to resume at."""
    if checkpoint.step > steps:
        raise CommandError(f"{path}: {checkpoint.step} steps done, but config.json says {steps} in all")
    mine = {k: v for k, v in optimizer.state_dict()["settings"].items() if k != "lr"}
    saved = checkpoint.optimizer.get("settings", {})
    differ = [k for k, v in mine.items() if k in saved and saved[k] != v]
    if differ:
        raise CommandError(f"{path}: the optimizer's {', '.join(differ)} differ from config.json's")
    try:
        return checkpoint.restore(mlp, optimizer)
    except ValueError as e:
        raise CommandError(
            f"{path} does not fit the run of config.json: {' '.join(str(e).split())}"
        ) from None
