"""What every command shares: the ``Command`` record, ``CommandError``, option types, ``--out`` checks."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class CommandError(Exception):
    """A problem with what the user asked for; ``main`` prints it on one line and exits with ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Command:
    """A subcommand: ``add_arguments(parser)`` declares its options, ``run(args)`` returns the exit status."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- option types: each names what it wants --------------------------------------


def positive_int(text: str) -> int:
    """``text`` as a whole number >= 1, else an argparse error saying so."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    """``text`` as a finite number >= 0, else an argparse error saying so."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    """``text`` as a number in [0, 1), else an argparse error saying so."""
    value = nonnegative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def layer_sizes(text: str) -> list[int]:
    """``'16,16'`` as ``[16, 16]``; ``'none'`` (or nothing) as no hidden layer."""
    if text.strip() in ("", "none"):
        return []
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = [0]
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected layer widths separated by commas, such as 16,16 (or 'none'), got {text!r}"
        )
    return sizes


# --- where results go ---------------------------------------------------------------


def check_writable_directory(out: str | Path, option: str = "--out") -> None:
    """Raise ``CommandError`` unless ``out`` is, or can be made as, a directory we may write in.

    Checked before any work, so a run never computes its results only to find it cannot keep
    them. Nothing is created: the nearest existing folder is probed with an unnamed temporary file.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise CommandError(f"{option} {out} is a file; give a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"{option} {out}: {existing} is a file, so no directory can be made inside it")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        raise CommandError(f"{option} {out}: cannot write in {existing} ({e.strerror})") from None
