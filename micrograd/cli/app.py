"""The ``micrograd`` parser, with one subparser per ``Command``, and ``main``, the one error path."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from ..classifier import NonFiniteScoreError
from ..data import DataError
from ..modelfile import ModelFileError
from ..train import TrainingError
from .common import Command, CommandError
from .evaluate import EVALUATE
from .graph import GRAPH
from .predict import PREDICT
from .torchfile import EXPORT, IMPORT
from .train import TRAIN

# the subcommands, in the order 'micrograd --help' lists them; append new ones here
COMMANDS: list[Command] = [TRAIN, PREDICT, EVALUATE, GRAPH, EXPORT, IMPORT]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (and still exit status 2)."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``micrograd`` parser with one subparser per Command of ``COMMANDS``."""
    parser = _Parser(
        prog="micrograd",
        description="Train, use and evaluate small neural networks built on micrograd's scalar autograd.",
    )
    parser.add_argument(
        "--version", action="version", version=f"micrograd-plus {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(p)
        p.set_defaults(command=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``micrograd`` with ``argv`` (default: the process's arguments); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed on one line
        return e.code if isinstance(e.code, int) else 2
    prog = f"micrograd {args.command.name}"
    status = 2
    try:
        return args.command.run(args)
    except CommandError as e:
        message, status = str(e), e.status
    except (DataError, ModelFileError, TrainingError, NonFiniteScoreError) as e:
        message = str(e)
    except FileNotFoundError as e:
        message = f"file not found: {e.filename}"
    except IsADirectoryError as e:
        message = f"{e.filename} is a directory, not a file"
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:
        message = f"{e.filename}: {e.strerror}" if e.filename else str(e)
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status
