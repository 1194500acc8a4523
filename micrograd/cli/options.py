"""The options of ``micrograd train``, each with its default, written once.

``TRAIN_OPTIONS`` is the one table: ``add_options`` makes the argparse options and their help
from it (a help text's ``{default}`` is the default as shown), and ``TrainConfig``, the
configuration a run prints and saves as config.json, has one field per saved option, in the
table's order. Defaults that depend on other options (the learning rate on the optimizer,
the noise on the data set, ...) are the named tables below, read by both the help and
``micrograd.cli.train``; the optimizers' own defaults come from their signatures in
``micrograd.optim``.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, make_dataclass
from typing import Any

from ..nn import ACTIVATIONS
from ..optim import OPTIMIZERS, SCHEDULES
from ..train import ENGINES, LOSSES, STATIC_LOSSES, default_loss
from .common import fraction, layer_sizes, nonnegative_float, positive_int

DATASETS = ("moons", "circles", "blobs")
NOISE = {"moons": 0.1, "circles": 0.1, "blobs": 1.0}  # moons/circles: the jitter; blobs: each cluster's std
LEARNING_RATES = {"sgd": 1.0, "adam": 0.05, "adamw": 0.05}  # the first step's rate, by optimizer
LR_END_FACTOR = 0.1  # a decaying schedule ends at lr * this (the demo's 1.0 -> 0.1)


def optimizer_default(optimizer: str, setting: str) -> Any:
    """The default of ``setting`` (e.g. ``"weight_decay"``) in the signature of ``OPTIMIZERS[optimizer]``."""
    cls = OPTIMIZERS[optimizer]
    default = inspect.signature(cls).parameters[setting].default
    if default is None:  # the class decides (Adam's and AdamW's weight decay: default_weight_decay)
        default = getattr(cls, f"default_{setting}")
    return default


def show(value: Any) -> str:
    """A value as the help text and the command line write it: ``16,16``, ``none``, ``0.0001``."""
    if isinstance(value, list):
        return ",".join(map(str, value)) if value else "none"
    return str(value)


def by_choice(values: Mapping[str, Any]) -> str:
    """``{"sgd": 1.0, "adam": 0.05, "adamw": 0.05}`` as ``1.0 for sgd, 0.05 for adam and adamw``."""
    groups: dict[str, list[str]] = {}
    for name, value in values.items():
        groups.setdefault(show(value), []).append(name)
    return ", ".join(f"{v} for {' and '.join(names)}" for v, names in groups.items())


@dataclass(frozen=True)
class Option:
    """One option of ``micrograd train``: its flag, where ``--help`` lists it, and its default.

    ``default`` None means "not given": the run derives the value, and ``help`` says how.
    ``field`` is its name in ``TrainConfig`` (default: the flag's name), None for the options
    that steer the run without changing its results; ``annotation`` is that field's type.
    """

    flag: str
    group: str
    help: str
    default: Any = None
    annotation: str = "str"
    type: Callable[[str], Any] | None = None
    choices: Sequence[str] | None = None
    metavar: str | None = None
    action: Any = None
    field: str | None = ""
    exclusive: bool = False  # one of the options that name the data: at most one may be given

    @property
    def dest(self) -> str:
        """The attribute of the parsed arguments: ``--val-fraction`` -> ``val_fraction``."""
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def config_field(self) -> str | None:
        """The ``TrainConfig`` field this option fills, or None."""
        return None if self.field is None else self.field or self.dest


DATA = "data (default: the moons demo of Karpathy's micrograd notebook)"
MODEL = "model"
OPTIMISATION = "optimisation (default: the demo's SVM loss, L2 penalty and learning-rate decay)"
RUN = "run"

_ENGINE_HELP = (
    "how each step is computed: 'eager' rebuilds the graph every step (the plain engine); "
    "'compiled' builds it once per batch and re-runs it with numpy (exact=True: "
    "same results to the last bit; "
    f"losses {', '.join(STATIC_LOSSES)} only; each new mini-batch is compiled, which costs more "
    "than an eager step); 'auto' (default) is compiled for full-batch training with those losses, "
    "eager otherwise (e.g. with --batch-size)"
)

TRAIN_OPTIONS: tuple[Option, ...] = (
    Option("--dataset", DATA, "a scikit-learn generated dataset (default: {default})", "moons",
           choices=DATASETS, field="data", exclusive=True),
    Option("--csv", DATA, "a CSV file with a header row, one example per row", None, "str | None",
           metavar="PATH", exclusive=True),
    Option("--target", DATA, "the CSV column holding the class (default: the last)", None, "str | None",
           metavar="COLUMN"),
    Option("--samples", DATA, "points to generate (default: {default})", 100, "int | None",
           type=positive_int),
    Option("--noise", DATA, "noise of the generated data: std of the moons/circles jitter "
           f"(default {NOISE['moons']}), or of each blob (default {NOISE['blobs']})", None, "float | None",
           type=nonnegative_float),
    Option("--centers", DATA, "number of blobs (default: {default})", 3, "int | None", type=positive_int),
    Option("--standardize", DATA, "scale each feature to mean 0, std 1 (default: on for --csv, off for "
           "generated data)", None, "bool", action=argparse.BooleanOptionalAction),
    Option("--val-fraction", DATA, "hold out this fraction of the examples to measure accuracy on "
           "(default: {default}, train on all)", 0.0, "float", type=fraction),
    Option("--hidden", MODEL, "hidden layer widths, comma-separated, or 'none' (default: {default})",
           [16, 16], "list[int]", type=layer_sizes, metavar="SIZES"),
    Option("--activation", MODEL, "nonlinearity of the hidden layers (default: {default})", "relu",
           choices=tuple(a for a in ACTIVATIONS if a != "linear")),
    Option("--loss", OPTIMISATION, "hinge (SVM max-margin), mse, bce (binary cross-entropy) for two "
           f"classes; cross-entropy (softmax) for any number (default: {default_loss(2)} for two classes, "
           f"{default_loss(3)} for more)", "auto", choices=("auto", *LOSSES)),
    Option("--l2", OPTIMISATION, "L2 penalty alpha (default: {default})", 1e-4, "float",
           type=nonnegative_float),
    Option("--optimizer", OPTIMISATION, "(default: {default})", "sgd", choices=tuple(OPTIMIZERS)),
    Option("--lr", OPTIMISATION, f"initial learning rate (default: {by_choice(LEARNING_RATES)})", None,
           "float", type=nonnegative_float),
    Option("--schedule", OPTIMISATION, "learning-rate schedule over the steps (default: {default}, the "
           "demo's decay)", "linear", choices=tuple(SCHEDULES)),
    Option("--lr-end", OPTIMISATION, "learning rate the schedule reaches at the last step + 1 "
           f"(default: lr * {LR_END_FACTOR})", None, "float", type=nonnegative_float),
    Option("--momentum", OPTIMISATION, "SGD momentum (default: {default})",
           optimizer_default("sgd", "momentum"), "float", type=fraction),
    Option("--nesterov", OPTIMISATION, "use Nesterov momentum with SGD", optimizer_default("sgd", "nesterov"),
           "bool", action="store_true"),
    Option("--weight-decay", OPTIMISATION, "optimizer weight decay (default: "
           f"{by_choice({name: optimizer_default(name, 'weight_decay') for name in OPTIMIZERS})})", None,
           "float", type=nonnegative_float),
    Option("--steps", OPTIMISATION, "optimizer steps (default: {default})", 100, "int", type=positive_int),
    Option("--batch-size", OPTIMISATION, "examples per step, drawn as shuffled mini-batches (default: all "
           "of them every step)", None, "int | None", type=positive_int),
    Option("--seed", RUN, "seed of the data, the initial weights and the shuffling (default: {default})",
           1337, "int", type=int),
    Option("--engine", RUN, _ENGINE_HELP, "auto", choices=("auto", *ENGINES)),
    Option("--out", RUN, "where to write the results (default: runs/<data name>)", None, metavar="DIR"),
    Option("--print-every", RUN, "also print 'step k loss ..., accuracy ...%%' every N steps, as the "
           "moons demo of Karpathy's micrograd notebook does (default: never)", 0, type=int, metavar="N",
           field=None),
    Option("--no-progress", RUN, "do not show the progress bar", False, action="store_true", field=None),
    Option("--no-plots", RUN, "do not draw loss.png and decision_boundary.png", False, action="store_true",
           field=None),
    Option("--resume", RUN, "continue the stopped run in DIR (its --out) where it stopped, with the settings "
           "of its config.json; only the options that change no result may be given with it", None,
           metavar="DIR", field=None),
    Option("--stop-after", RUN, "stop after N steps (of --steps), saved to checkpoint.json to resume from "
           "later", None, type=positive_int, metavar="N", field=None),
    Option("--checkpoint-every", RUN, "also save the run to checkpoint.json every N steps, so that a run "
           "killed without Ctrl-C can be resumed (default: only on Ctrl-C)", None, type=positive_int,
           metavar="N", field=None),
)  # fmt: skip

# what may be given with --resume: the options that change no result
RESUME_OPTIONS = tuple(o.flag for o in TRAIN_OPTIONS if o.field is None)


def add_options(parser: argparse.ArgumentParser) -> None:
    """Declare ``TRAIN_OPTIONS`` on ``parser``, each in its group, with its default and its help."""
    groups: dict[str, Any] = {}
    exclusive: dict[str, Any] = {}
    for o in TRAIN_OPTIONS:
        if o.group not in groups:
            groups[o.group] = parser.add_argument_group(o.group)
        target = groups[o.group]
        if o.exclusive:
            if o.group not in exclusive:
                exclusive[o.group] = target.add_mutually_exclusive_group()
            target = exclusive[o.group]
        settings = {"type": o.type, "choices": o.choices, "metavar": o.metavar, "action": o.action}
        kwargs = {k: v for k, v in settings.items() if v is not None}
        # no default here: fill_defaults gives them, so that a run can tell what was given
        target.add_argument(
            o.flag, help=o.help.format(default=show(o.default)), default=argparse.SUPPRESS, **kwargs
        )


def fill_defaults(args: argparse.Namespace) -> set[str]:
    """Give each option of ``TRAIN_OPTIONS`` missing from ``args`` its default; return the flags given."""
    given = set()
    for o in TRAIN_OPTIONS:
        if hasattr(args, o.dest):
            given.add(o.flag)
        else:
            setattr(args, o.dest, list(o.default) if isinstance(o.default, list) else o.default)
    return given


def config_argv(config: Mapping[str, Any]) -> list[str]:
    """The command line that makes the run ``config`` (a config.json) describes: each saved setting as
    its option (``--hidden 16,16``, ``--no-standardize``, ...); ``KeyError`` names a missing one."""
    argv = []
    for o in TRAIN_OPTIONS:
        field = o.config_field
        if field is None or config[field] is None or (o.flag == "--dataset" and config["csv"] is not None):
            continue
        value = config[field]
        if o.action == "store_true":
            argv += [o.flag] if value else []
        elif o.action is argparse.BooleanOptionalAction:
            argv.append(o.flag if value else f"--no-{o.dest.replace('_', '-')}")
        else:
            argv.append(f"{o.flag}={show(value)}")  # one word: a value may start with '-'
    return argv


TrainConfig = make_dataclass(
    "TrainConfig", [(o.config_field, o.annotation) for o in TRAIN_OPTIONS if o.config_field is not None]
)
TrainConfig.__module__ = __name__
TrainConfig.__doc__ = (
    "Every setting of a training run, with each default resolved (printed and saved as config.json);\n"
    "one field per option of ``TRAIN_OPTIONS`` that changes the results."
)
