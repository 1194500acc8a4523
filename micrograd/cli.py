"""The ``micrograd`` command line (also ``python -m micrograd``).

    micrograd train                      the seeds' moons demo, exactly
    micrograd train --csv iris.csv --target species --optimizer adam
    micrograd predict --model runs/iris/model.json --csv new.csv
    micrograd evaluate --model runs/iris/model.json --csv test.csv

Each subcommand is a ``Command``: a name, a line of help, a function that adds its
arguments and a function that runs it. To add one, write those two functions and
append the Command to ``COMMANDS``.

Bad input (a missing file, a bad option value, a malformed CSV or model file) ends
with a one-line error and exit status 2, and never with a half-written file: every
output is written atomically, after the work that produces it has succeeded.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from . import graph_cli
from .classifier import Classifier
from .data import (
    DataError,
    Dataset,
    Standardizer,
    load_csv,
    load_csv_features,
    make_blobs,
    make_circles,
    make_moons,
    read_csv,
    train_val_split,
)
from .io import ModelFileError, atomic_write_text, load_model, save_model
from .nn import ACTIVATIONS, MLP
from .optim import OPTIMIZERS, SCHEDULES, ConstantLR, CosineDecay, LinearDecay
from .train import (
    BINARY_LOSSES,
    ENGINES,
    MULTICLASS_LOSSES,
    STATIC_LOSSES,
    StepResult,
    TrainingError,
    choose_engine,
    default_loss,
    fit,
    n_outputs,
)

DATASETS = ("moons", "circles", "blobs")


class CommandError(Exception):
    """A problem with what the user asked for; ``main`` prints it on one line and exits with status 2."""


@dataclass(frozen=True)
class Command:
    """A subcommand: ``add_arguments(parser)`` declares its options, ``run(args)`` returns the exit status."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (and still exit status 2)."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# --- option types: each names what it wants --------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _nonnegative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def _layer_sizes(text: str) -> list[int]:
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


# --- train -------------------------------------------------------------------------


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    data = p.add_argument_group("data (default: the seeds' moons, 100 points, noise 0.1)")
    source = data.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset", choices=DATASETS, help="a scikit-learn generated dataset (default: moons)"
    )
    source.add_argument("--csv", metavar="PATH", help="a CSV file with a header row, one example per row")
    data.add_argument(
        "--target", metavar="COLUMN", help="the CSV column holding the class (default: the last)"
    )
    data.add_argument("--samples", type=_positive_int, default=100, help="points to generate (default: 100)")
    data.add_argument(
        "--noise",
        type=_nonnegative_float,
        help="noise of the generated data: std of the moons/circles jitter (default 0.1), "
        "or of each blob (default 1.0)",
    )
    data.add_argument("--centers", type=_positive_int, default=3, help="number of blobs (default: 3)")
    data.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        help="scale each feature to mean 0, std 1 (default: on for --csv, off for generated data)",
    )
    data.add_argument(
        "--val-fraction",
        type=_fraction,
        default=0.0,
        help="hold out this fraction of the examples to measure accuracy on (default: 0, train on all)",
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--hidden",
        type=_layer_sizes,
        default=[16, 16],
        metavar="SIZES",
        help="hidden layer widths, comma-separated, or 'none' (default: 16,16)",
    )
    model.add_argument(
        "--activation",
        choices=[a for a in ACTIVATIONS if a != "linear"],
        default="relu",
        help="nonlinearity of the hidden layers (default: relu)",
    )

    opt = p.add_argument_group("optimisation (default: the demo's SVM loss + 1e-4 L2, SGD 1.0 -> 0.1)")
    opt.add_argument(
        "--loss",
        choices=("auto",) + BINARY_LOSSES + MULTICLASS_LOSSES,
        default="auto",
        help="hinge (SVM max-margin), mse, bce (binary cross-entropy) for two classes; cross-entropy "
        "(softmax) for any number (default: hinge for two classes, cross-entropy for more)",
    )
    opt.add_argument("--l2", type=_nonnegative_float, default=1e-4, help="L2 penalty alpha (default: 1e-4)")
    opt.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="sgd", help="(default: sgd)")
    opt.add_argument(
        "--lr",
        type=_nonnegative_float,
        help="initial learning rate (default: 1.0 for sgd, 0.05 for adam and adamw)",
    )
    opt.add_argument(
        "--schedule",
        choices=tuple(SCHEDULES),
        default="linear",
        help="learning-rate schedule over the steps (default: linear, the demo's decay)",
    )
    opt.add_argument(
        "--lr-end",
        type=_nonnegative_float,
        help="learning rate the schedule reaches at the last step + 1 (default: lr / 10)",
    )
    opt.add_argument("--momentum", type=_fraction, default=0.0, help="SGD momentum (default: 0)")
    opt.add_argument("--nesterov", action="store_true", help="use Nesterov momentum with SGD")
    opt.add_argument(
        "--weight-decay",
        type=_nonnegative_float,
        help="optimizer weight decay (default: 0, or 0.01 for adamw)",
    )
    opt.add_argument("--steps", type=_positive_int, default=100, help="optimizer steps (default: 100)")
    opt.add_argument(
        "--batch-size",
        type=_positive_int,
        help="examples per step, drawn as shuffled mini-batches (default: all of them every step)",
    )

    run = p.add_argument_group("run")
    run.add_argument(
        "--seed",
        type=int,
        default=1337,
        help="seed of the data, the initial weights and the shuffling (default: 1337)",
    )
    run.add_argument(
        "--engine",
        choices=("auto", *ENGINES),
        default="auto",
        help="how each step is computed: 'eager' rebuilds the graph every step (the plain engine); "
        "'compiled' builds it once per batch and re-runs it with numpy (same results to the last bit; "
        f"losses {', '.join(STATIC_LOSSES)} only; each new mini-batch is compiled, which costs more "
        "than an eager step); 'auto' (default) is compiled for full-batch training with those losses, "
        "eager otherwise (e.g. with --batch-size)",
    )
    run.add_argument("--out", metavar="DIR", help="where to write the results (default: runs/<data name>)")
    run.add_argument(
        "--print-every",
        type=int,
        default=0,
        metavar="N",
        help="also print 'step k loss ..., accuracy ...%%' every N steps, as the seeds do (default: never)",
    )
    run.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    run.add_argument("--no-plots", action="store_true", help="do not draw loss.png and decision_boundary.png")


@dataclass
class TrainConfig:
    """Every setting of a training run, with each default resolved (printed and saved as config.json)."""

    data: str
    csv: str | None
    target: str | None
    samples: int | None
    noise: float | None
    centers: int | None
    standardize: bool
    val_fraction: float
    hidden: list[int]
    activation: str
    loss: str
    l2: float
    optimizer: str
    lr: float
    schedule: str
    lr_end: float
    momentum: float
    nesterov: bool
    weight_decay: float
    steps: int
    batch_size: int | None
    seed: int
    engine: str
    out: str


DEFAULT_NOISE = {"moons": 0.1, "circles": 0.1, "blobs": 1.0}  # blobs: the std of each cluster


def _noise(args: argparse.Namespace) -> float:
    return DEFAULT_NOISE[args.dataset or "moons"] if args.noise is None else args.noise


def _load_training_data(args: argparse.Namespace) -> Dataset:
    if args.csv is not None:
        return load_csv(args.csv, args.target)
    if args.target is not None:
        raise CommandError("--target names a column of a CSV file: give --csv PATH too")
    name = args.dataset or "moons"
    if name == "moons":
        data = make_moons(args.samples, _noise(args), random_state=args.seed)
    elif name == "circles":
        data = make_circles(args.samples, _noise(args), random_state=args.seed)
    else:
        data = make_blobs(args.samples, args.centers, _noise(args), random_state=args.seed)
    if len(data.classes) < 2:
        raise CommandError(f"{args.samples} samples make a single class; use --samples of at least 4")
    return data


def _resolve(args: argparse.Namespace, data: Dataset) -> TrainConfig:
    """The full configuration: the user's options, and a value for every default that depends on others."""
    from_csv = args.csv is not None
    loss = default_loss(len(data.classes)) if args.loss == "auto" else args.loss
    try:
        n_outputs(loss, len(data.classes))
    except ValueError as e:
        raise CommandError(str(e)) from None
    if args.nesterov and (args.optimizer != "sgd" or args.momentum == 0):
        raise CommandError("--nesterov needs --optimizer sgd and a --momentum above 0")
    if args.momentum and args.optimizer != "sgd":
        raise CommandError("--momentum applies to --optimizer sgd (Adam's momentum is built in)")
    lr = args.lr if args.lr is not None else (1.0 if args.optimizer == "sgd" else 0.05)
    if args.schedule == "constant":
        lr_end = lr
    else:
        lr_end = args.lr_end if args.lr_end is not None else lr * 0.1
    weight_decay = args.weight_decay
    if weight_decay is None:
        weight_decay = 0.01 if args.optimizer == "adamw" else 0.0
    if args.engine == "compiled" and loss not in STATIC_LOSSES:
        raise CommandError(
            f"--engine compiled reproduces the eager results only for --loss {' or '.join(STATIC_LOSSES)} "
            f"(the {loss} graph depends on the values computed); use --engine eager or auto"
        )
    engine = choose_engine(args.engine, loss, args.batch_size)
    if engine == "compiled":
        try:
            import numpy  # noqa: F401
        except ImportError:
            raise CommandError("--engine compiled needs numpy: pip install numpy") from None
    out = args.out if args.out is not None else str(Path("runs") / data.name)
    if Path(out).exists() and not Path(out).is_dir():
        raise CommandError(f"--out {out} is a file; give a directory")
    return TrainConfig(
        data=data.name if from_csv else (args.dataset or "moons"),
        csv=args.csv,
        target=data.target if from_csv else None,
        samples=None if from_csv else args.samples,
        noise=None if from_csv else _noise(args),
        centers=args.centers if args.dataset == "blobs" else None,
        standardize=from_csv if args.standardize is None else args.standardize,
        val_fraction=args.val_fraction,
        hidden=args.hidden,
        activation=args.activation,
        loss=loss,
        l2=args.l2,
        optimizer=args.optimizer,
        lr=lr,
        schedule=args.schedule,
        lr_end=lr_end,
        momentum=args.momentum,
        nesterov=args.nesterov,
        weight_decay=weight_decay,
        steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed,
        engine=engine,
        out=out,
    )


def _make_optimizer(cfg: TrainConfig, params: list):
    if cfg.optimizer == "sgd":
        return OPTIMIZERS["sgd"](params, cfg.lr, cfg.momentum, cfg.nesterov, cfg.weight_decay)
    return OPTIMIZERS[cfg.optimizer](params, cfg.lr, weight_decay=cfg.weight_decay)


def _make_schedule(cfg: TrainConfig):
    if cfg.schedule == "constant":
        return ConstantLR(cfg.lr)
    kind = LinearDecay if cfg.schedule == "linear" else CosineDecay
    return kind(cfg.lr, cfg.lr_end, cfg.steps)


def _progress(cfg: TrainConfig, disable: bool):
    """A tqdm bar over the steps, or None when tqdm is missing or the bar is off."""
    if disable:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=cfg.steps, desc="training", unit="step", file=sys.stderr, dynamic_ncols=True)


def _metrics_csv(history: list[StepResult]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["step", "loss", "accuracy"])
    for r in history:
        w.writerow([r.step, repr(r.loss), repr(r.accuracy)])
    return buf.getvalue()


def run_train(args: argparse.Namespace) -> int:
    """Train a model as the options say, then write model.json, metrics.csv, config.json and plots."""
    data = _load_training_data(args)
    cfg = _resolve(args, data)
    print("configuration:")
    for key, value in asdict(cfg).items():
        print(f"  {key}: {json.dumps(value)}")

    train_data, val_data = data, None
    if cfg.val_fraction > 0:
        try:
            train_data, val_data = train_val_split(data, cfg.val_fraction, random.Random(cfg.seed))
        except ValueError as e:
            raise CommandError(str(e)) from None
    standardizer = Standardizer.fit(train_data.X) if cfg.standardize else None
    fit_data = train_data  # what the network sees: the training rows, standardised if asked
    if standardizer is not None:
        fit_data = Dataset(
            standardizer.transform(train_data.X), train_data.y, data.classes, data.feature_names
        )

    rng = random.Random(cfg.seed)  # the initial weights, as after random.seed(seed)
    mlp = MLP(data.n_features, cfg.hidden + [n_outputs(cfg.loss, len(data.classes))], cfg.activation, rng=rng)
    optimizer = _make_optimizer(cfg, mlp.parameters())
    print(
        f"model: MLP({data.n_features}, {[len(layer.neurons) for layer in mlp.layers]}, "
        f"activation={cfg.activation!r}) with {len(mlp.parameters())} parameters; "
        f"{len(train_data)} training examples, classes {', '.join(data.classes)}"
    )

    bar = _progress(cfg, args.no_progress)

    def on_step(r: StepResult) -> None:
        if bar is not None:
            bar.set_postfix(loss=f"{r.loss:.4g}", acc=f"{100 * r.accuracy:.1f}%", refresh=False)
            bar.update(1)
        if args.print_every > 0 and r.step % args.print_every == 0:
            line = f"step {r.step} loss {r.loss}, accuracy {r.accuracy * 100}%"
            if bar is not None:
                bar.write(line, file=sys.stdout)
            else:
                print(line)

    started = time.perf_counter()
    try:
        history = fit(
            mlp,
            fit_data,
            optimizer,
            loss=cfg.loss,
            steps=cfg.steps,
            schedule=_make_schedule(cfg),
            l2=cfg.l2,
            batch_size=cfg.batch_size,
            rng=random.Random(cfg.seed),
            engine=cfg.engine,
            on_step=on_step,
        )
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started

    # every file is written only now, after training succeeded, and each one atomically
    clf = Classifier(mlp, data.classes, data.feature_names, standardizer, cfg.loss, cfg.target)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_model(clf, out / "model.json")
    atomic_write_text(out / "metrics.csv", _metrics_csv(history))
    atomic_write_text(out / "config.json", json.dumps(asdict(cfg), indent=2) + "\n")
    written = ["model.json", "metrics.csv", "config.json"]
    if not args.no_plots:
        written += _draw(clf, data, history, out)

    last = history[-1]
    print(
        f"trained {cfg.steps} steps in {seconds:.1f} s; last step: loss {last.loss:.6g}, "
        f"accuracy {100 * last.accuracy:.1f}%"
    )
    print(f"final model: {_accuracy_line(clf, train_data, 'training')}")
    if val_data is not None:
        print(f"final model: {_accuracy_line(clf, val_data, 'held-out')}")
    print(f"wrote {', '.join(written)} to {out}{os.sep}")
    pictures = [str(out / name) for name in written if name.endswith(".png")]
    if pictures:
        print(f"pictures: {' and '.join(pictures)}")
    return 0


def _accuracy_line(clf: Classifier, data: Dataset, kind: str) -> str:
    predicted = clf.predict_indices(data.X)
    right = sum(p == t for p, t in zip(predicted, data.y, strict=True))
    return f"accuracy {100 * right / len(data):.1f}% ({right} of {len(data)} {kind} examples)"


def _draw(clf: Classifier, data: Dataset, history: list[StepResult], out: Path) -> list[str]:
    """loss.png, and decision_boundary.png for 2 features; skipped with a note when matplotlib is missing."""
    try:
        from .plot import plot_decision_boundary, plot_history
    except ImportError:
        print("note: matplotlib is not installed, so no pictures were drawn", file=sys.stderr)
        return []
    try:
        plot_history(
            [r.step for r in history],
            [r.loss for r in history],
            [r.accuracy for r in history],
            out / "loss.png",
        )
        drawn = ["loss.png"]
        if data.n_features == 2:
            plot_decision_boundary(
                clf,
                data.X,
                data.y,
                out / "decision_boundary.png",
                title=f"{data.name}: decision boundary after {len(history)} steps",
            )
            drawn.append("decision_boundary.png")
    except ImportError as e:
        print(f"note: {e}; no pictures were drawn", file=sys.stderr)
        return []
    return drawn


TRAIN = Command(
    "train", "train an MLP classifier (no options: the seeds' moons demo)", _add_train_arguments, run_train
)


# --- predict and evaluate --------------------------------------------------------------


def _add_model_and_csv(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", required=True, help="a model.json written by 'micrograd train'")
    p.add_argument(
        "--csv",
        metavar="PATH",
        required=True,
        help="a CSV file with a header row holding the model's feature columns (others are ignored)",
    )


def _add_predict_arguments(p: argparse.ArgumentParser) -> None:
    _add_model_and_csv(p)
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the predictions to this CSV file (column 'prediction') instead of printing them",
    )


def run_predict(args: argparse.Namespace) -> int:
    """Print (or write) the predicted class of each row of the CSV file."""
    if args.out is not None and not Path(args.out).parent.is_dir():
        raise CommandError(f"--out {args.out}: the directory {Path(args.out).parent} does not exist")
    clf = load_model(args.model)
    X, _ = load_csv_features(args.csv, clf.feature_names)
    predictions = clf.predict(X)
    if args.out is None:
        print("\n".join(predictions))
        return 0
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["prediction"])
    w.writerows([p] for p in predictions)
    atomic_write_text(args.out, buf.getvalue())
    print(f"wrote {len(predictions)} predictions to {args.out}", file=sys.stderr)
    return 0


def _add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    _add_model_and_csv(p)
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="the column holding the true classes (default: the one the model was trained on)",
    )


def _class_index(label: str, classes: list[str]) -> int | None:
    """The index of ``label`` among the model's classes (numbers compare by value: 1 == 1.0), else None."""
    if label in classes:
        return classes.index(label)
    try:
        value = float(label)
        return [float(c) for c in classes].index(value)
    except ValueError:
        return None


def run_evaluate(args: argparse.Namespace) -> int:
    """Report the model's accuracy on a labelled CSV file, overall and per class."""
    clf = load_model(args.model)
    target = args.target or clf.target
    if target is None:
        raise CommandError("the model does not record its target column: give --target COLUMN")
    header, rows = read_csv(args.csv)
    if target not in header:
        raise DataError(f"{args.csv} has no column {target!r}; its columns are: {', '.join(header)}")
    X, _ = load_csv_features(args.csv, clf.feature_names)
    labels = [row[header.index(target)].strip() for _, row in rows]
    truth = [_class_index(label, clf.classes) for label in labels]
    unknown = sorted({label for label, t in zip(labels, truth, strict=True) if t is None})
    predicted = clf.predict_indices(X)
    right = sum(p == t for p, t in zip(predicted, truth, strict=True))
    print(f"accuracy {100 * right / len(rows):.2f}% ({right} of {len(rows)} rows of {args.csv})")
    for i, name in enumerate(clf.classes):
        of_class = [p for p, t in zip(predicted, truth, strict=True) if t == i]
        if of_class:
            hits = sum(p == i for p in of_class)
            print(f"  class {name}: {hits} of {len(of_class)} right")
    if unknown:
        print(f"note: labels the model never saw (counted as wrong): {', '.join(unknown)}", file=sys.stderr)
    return 0


PREDICT = Command(
    "predict", "print the predicted class of each row of a CSV file", _add_predict_arguments, run_predict
)
EVALUATE = Command(
    "evaluate", "report a model's accuracy on a labelled CSV file", _add_evaluate_arguments, run_evaluate
)

GRAPH = Command(
    "graph", "draw the graph of an expression, with its gradients", graph_cli.add_arguments, graph_cli.run
)

# the subcommands, in the order 'micrograd --help' lists them; append new ones here
COMMANDS: list[Command] = [TRAIN, PREDICT, EVALUATE, GRAPH]


# --- the entry point --------------------------------------------------------------------


def build_parser(commands: list[Command] | None = None) -> argparse.ArgumentParser:
    """The ``micrograd`` parser with one subparser per Command."""
    parser = _Parser(
        prog="micrograd",
        description="Train, use and evaluate small neural networks built on micrograd's scalar autograd.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS if commands is None else commands:
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(p)
        p.set_defaults(command=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``micrograd`` with ``argv`` (default: the process's arguments); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed on one line
        return e.code if isinstance(e.code, int) else 2
    prog = f"micrograd {args.command.name}"
    try:
        return args.command.run(args)
    except (CommandError, DataError, ModelFileError, TrainingError) as e:
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
    return 2
