"""``micrograd train``: train an MLP classifier and write the model, its metrics, its config and pictures.

With no options it is the moons demo of Karpathy's micrograd notebook, to the last digit.
The options and their defaults are the table in ``micrograd.cli.options``.
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
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .. import memory
from ..atomic import atomic_write_text
from ..classifier import Classifier
from ..data import Dataset, Standardizer, load_csv, make_blobs, make_circles, make_moons, train_val_split
from ..modelfile import save_model
from ..nn import MLP
from ..optim import OPTIMIZERS, ConstantLR, CosineDecay, LinearDecay, Optimizer
from ..runfolder import report_recovery, staged_files
from ..train import STATIC_LOSSES, StepResult, choose_engine, default_loss, fit, n_outputs
from .common import Command, CommandError, check_writable_directory
from .options import (
    LEARNING_RATES,
    LR_END_FACTOR,
    NOISE,
    TrainConfig,
    add_options,
    fill_defaults,
    optimizer_default,
)
from .resume import (
    CHECKPOINT,
    CONFIG,
    RunKeeper,
    StopRequested,
    check_resume_options,
    open_checkpoint,
    restore,
    resume_command,
    saved_arguments,
)

PICTURES = ("loss.png", "decision_boundary.png")  # every picture a run may draw, in the order drawn


def _noise(args: argparse.Namespace) -> float:
    return NOISE[args.dataset] if args.noise is None else args.noise


def load_training_data(args: argparse.Namespace) -> Dataset:
    """The data the options name: a CSV file, or a generated data set."""
    if args.csv is not None:
        return load_csv(args.csv, args.target)
    if args.target is not None:
        raise CommandError("--target names a column of a CSV file: give --csv PATH too")
    noise = _noise(args)
    if args.dataset == "moons":
        data = make_moons(args.samples, noise, random_state=args.seed)
    elif args.dataset == "circles":
        data = make_circles(args.samples, noise, random_state=args.seed)
    else:
        data = make_blobs(args.samples, args.centers, noise, random_state=args.seed)
    if len(data.classes) < 2:
        raise CommandError(f"{args.samples} samples make a single class; use --samples of at least 4")
    return data


def _check_combination(args: argparse.Namespace, loss: str, n_classes: int) -> None:
    """Refuse options that contradict each other, before any work."""
    try:
        n_outputs(loss, n_classes)
    except ValueError as e:
        raise CommandError(str(e)) from None
    if args.nesterov and (args.optimizer != "sgd" or args.momentum == 0):
        raise CommandError("--nesterov needs --optimizer sgd and a --momentum above 0")
    if args.momentum and args.optimizer != "sgd":
        raise CommandError("--momentum applies to --optimizer sgd (Adam's momentum is built in)")
    if args.engine == "compiled" and loss not in STATIC_LOSSES:
        raise CommandError(
            f"--engine compiled reproduces the eager results only for --loss {' or '.join(STATIC_LOSSES)} "
            f"(the {loss} graph depends on the values computed); use --engine eager or auto"
        )


def resolve(args: argparse.Namespace, data: Dataset) -> TrainConfig:
    """The run's ``TrainConfig``: the options as given, and a value for each default that depends on others.

    Refuses contradicting options with a ``CommandError``.
    """
    from_csv = args.csv is not None
    loss = default_loss(len(data.classes)) if args.loss == "auto" else args.loss
    _check_combination(args, loss, len(data.classes))
    lr = LEARNING_RATES[args.optimizer] if args.lr is None else args.lr
    if args.schedule == "constant":
        lr_end = lr
    else:
        lr_end = lr * LR_END_FACTOR if args.lr_end is None else args.lr_end
    weight_decay = args.weight_decay
    if weight_decay is None:
        weight_decay = optimizer_default(args.optimizer, "weight_decay")
    engine = choose_engine(args.engine, loss, args.batch_size)
    if engine == "compiled":
        try:
            import numpy  # noqa: F401
        except ImportError:
            raise CommandError("--engine compiled needs numpy: pip install numpy") from None
    out = str(Path("runs") / data.name) if args.out is None else args.out
    given = dict(vars(args), data=data.name if from_csv else args.dataset)
    return TrainConfig(
        **{
            **{f.name: given[f.name] for f in fields(TrainConfig)},  # as given, then the derived ones:
            "target": data.target if from_csv else None,
            "samples": None if from_csv else args.samples,
            "noise": None if from_csv else _noise(args),
            "centers": args.centers if args.dataset == "blobs" else None,
            "standardize": from_csv if args.standardize is None else args.standardize,
            "loss": loss,
            "lr": lr,
            "lr_end": lr_end,
            "weight_decay": weight_decay,
            "engine": engine,
            "out": out,
        }
    )


def make_optimizer(cfg: TrainConfig, params: list) -> Optimizer:
    """The configured optimizer over ``params``."""
    if cfg.optimizer == "sgd":
        return OPTIMIZERS["sgd"](params, cfg.lr, cfg.momentum, cfg.nesterov, cfg.weight_decay)
    return OPTIMIZERS[cfg.optimizer](params, cfg.lr, weight_decay=cfg.weight_decay)


def make_schedule(cfg: TrainConfig) -> Callable[[int], float]:
    """The configured learning-rate schedule, a callable ``step -> lr``."""
    if cfg.schedule == "constant":
        return ConstantLR(cfg.lr)
    kind = LinearDecay if cfg.schedule == "linear" else CosineDecay
    return kind(cfg.lr, cfg.lr_end, cfg.steps)


def _progress(steps: int, start: int, disable: bool) -> Any:
    """A tqdm bar over the steps (``start`` of them done), or None when tqdm is missing or the bar is off."""
    if disable:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=steps, initial=start, desc="training", unit="step", file=sys.stderr, dynamic_ncols=True)


def metrics_csv(history: list[StepResult]) -> str:
    """metrics.csv's text: step, loss and accuracy of every step."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["step", "loss", "accuracy"])
    for r in history:
        w.writerow([r.step, repr(r.loss), repr(r.accuracy)])
    return buf.getvalue()


def _split(cfg: TrainConfig, data: Dataset) -> tuple[Dataset, Dataset | None, Standardizer | None, Dataset]:
    """(training rows, held-out rows or None, the standardizer or None, what the network sees)."""
    train_data, val_data = data, None
    if cfg.val_fraction > 0:
        try:
            train_data, val_data = train_val_split(data, cfg.val_fraction, random.Random(cfg.seed))
        except ValueError as e:
            raise CommandError(str(e)) from None
    standardizer = Standardizer.fit(train_data.X) if cfg.standardize else None
    fit_data = train_data
    if standardizer is not None:
        fit_data = Dataset(
            standardizer.transform(train_data.X), train_data.y, data.classes, data.feature_names
        )
    return train_data, val_data, standardizer, fit_data


def _train(
    args: argparse.Namespace, cfg: TrainConfig, fit_data: Dataset, keeper: RunKeeper, start: int
) -> list[StepResult]:
    """Run ``fit`` from step ``start`` as configured, with the progress bar and the ``--print-every``
    lines; ``keeper`` records every step. Returns the record of every step, from step 0."""
    bar = _progress(cfg.steps, start, args.no_progress)

    def on_step(r: StepResult) -> None:
        keeper.after_step(r)
        if bar is not None:
            bar.set_postfix(loss=f"{r.loss:.4g}", acc=f"{100 * r.accuracy:.1f}%", refresh=False)
            bar.update(1)
        if args.print_every > 0 and r.step % args.print_every == 0:
            line = f"step {r.step} loss {r.loss}, accuracy {r.accuracy * 100}%"
            if bar is not None:
                bar.write(line, file=sys.stdout)
            else:
                print(line)

    try:
        fit(
            keeper.mlp,
            fit_data,
            keeper.optimizer,
            loss=cfg.loss,
            steps=cfg.steps,
            schedule=make_schedule(cfg),
            l2=cfg.l2,
            batch_size=cfg.batch_size,
            rng=random.Random(cfg.seed),  # as the run started: fit skips the batches of steps done
            engine=cfg.engine,
            on_step=on_step,
            start_step=start,
        )
    finally:
        if bar is not None:
            bar.close()
    return keeper.history


def config_json(cfg: TrainConfig) -> str:
    """config.json's text."""
    return json.dumps(asdict(cfg), indent=2) + "\n"


def run_train(args: argparse.Namespace) -> int:
    """Train a model as the options say (or resume a stopped run), then write model.json,
    metrics.csv, config.json and plots."""
    given = fill_defaults(args)
    if args.resume is not None:
        return _resume(args, given)
    data = load_training_data(args)
    cfg = resolve(args, data)
    check_writable_directory(cfg.out)
    return _run(args, cfg, data, Path(cfg.out))


def _resume(args: argparse.Namespace, given: set[str]) -> int:
    """Continue the stopped run in ``--resume DIR``, rebuilt from its config.json and checkpoint.json."""
    check_resume_options(given)
    out = Path(args.resume)
    report_recovery(out)  # finish or clear what a killed run left, before reading the folder
    saved, config = saved_arguments(out)
    data = load_training_data(saved)
    cfg = resolve(saved, data)
    if asdict(cfg) != config:
        changed = ", ".join(k for k, v in asdict(cfg).items() if config.get(k) != v)
        raise CommandError(
            f"{out / CONFIG} is not as micrograd train writes it (see {changed}); start a new run"
        )
    if not (out / CHECKPOINT).exists():
        if (out / "model.json").exists():
            print(f"the run in {out} is finished ({cfg.steps} steps): nothing to resume")
            return 0
        raise CommandError(f"--resume {out}: no {CHECKPOINT} there, so no stopped run to resume")
    check_writable_directory(out, "--resume")
    return _run(args, cfg, data, out, open_checkpoint(out))


def _run(args: argparse.Namespace, cfg: TrainConfig, data: Dataset, out: Path, checkpoint: Any = None) -> int:
    """Train the run ``cfg`` describes into ``out`` (from ``checkpoint``, if given) and report."""
    report_recovery(out)
    print("configuration:")
    for key, value in asdict(cfg).items():
        print(f"  {key}: {json.dumps(value)}")
    train_data, val_data, standardizer, fit_data = _split(cfg, data)
    nouts = cfg.hidden + [n_outputs(cfg.loss, len(data.classes))]
    batch = min(cfg.batch_size or len(train_data), len(train_data))
    too_big = memory.refusal(data.n_features, nouts, batch, cfg.engine, memory.available_bytes())
    if too_big is not None:
        raise CommandError(too_big)
    rng = random.Random(cfg.seed)  # the initial weights, as after random.seed(seed)
    mlp = MLP(data.n_features, nouts, cfg.activation, rng=rng)
    print(
        f"model: MLP({data.n_features}, {[len(layer.neurons) for layer in mlp.layers]}, "
        f"activation={cfg.activation!r}) with {len(mlp.parameters())} parameters; "
        f"{len(train_data)} training examples, classes {', '.join(data.classes)}"
    )
    optimizer = make_optimizer(cfg, mlp.parameters())
    start = 0 if checkpoint is None else restore(checkpoint, mlp, optimizer, cfg.steps, out / CHECKPOINT)
    if checkpoint is not None:
        print(f"resuming at step {start} of {cfg.steps}, from {out / CHECKPOINT}")
    done = [] if checkpoint is None else checkpoint.history
    keeper = RunKeeper(out, config_json(cfg), mlp, optimizer, done, args.checkpoint_every, args.stop_after)
    started = time.perf_counter()
    try:
        history = _train(args, cfg, fit_data, keeper, start)
        seconds = time.perf_counter() - started
        # every result is written only now, after training succeeded, and each one atomically
        clf = Classifier(mlp, data.classes, data.feature_names, standardizer, cfg.loss, cfg.target)
        written = write_results(clf, data, history, cfg, out, plots=not args.no_plots)
    except (KeyboardInterrupt, StopRequested) as e:
        return _stopped(keeper, cfg, out, interrupted=isinstance(e, KeyboardInterrupt))
    keeper.finished()
    _report(cfg, history, start, seconds, clf, train_data, val_data, written, out, not args.no_progress)
    return 0


def _stopped(keeper: RunKeeper, cfg: TrainConfig, out: Path, *, interrupted: bool) -> int:
    """Save the stopped run for ``--resume`` and say so; the exit status (130 after Ctrl-C, as a shell's)."""
    steps = keeper.save()
    done, saved = f"after {steps} of {cfg.steps} steps", f"saved them to {out / CHECKPOINT}"
    if interrupted:
        print(
            f"\nmicrograd train: interrupted {done}; {saved}; resume with `{resume_command(out)}`",
            file=sys.stderr,
        )
        return 130
    print(f"stopped {done}, as --stop-after asked; {saved}\nresume with: {resume_command(out)}")
    return 0


def _report(
    cfg: TrainConfig,
    history: list[StepResult],
    start: int,
    seconds: float,
    clf: Classifier,
    train_data: Dataset,
    val_data: Dataset | None,
    written: list[str],
    out: Path,
    progress: bool,
) -> None:
    """The lines a run ends with: its last step, the final accuracy, and the files written."""
    last = history[-1]
    trained = f"{cfg.steps} steps" if start == 0 else f"steps {start} to {cfg.steps - 1}"
    if start == cfg.steps:
        trained = "no steps (all were done)"
    print(
        f"trained {trained} in {seconds:.1f} s; last step: loss {last.loss:.6g}, "
        f"accuracy {100 * last.accuracy:.1f}%"
    )
    print(f"final model: {_accuracy_line(clf, train_data, 'training', progress)}")
    if val_data is not None:
        print(f"final model: {_accuracy_line(clf, val_data, 'held-out', progress)}")
    print(f"wrote {', '.join(written)} to {out}{os.sep}")
    pictures = [str(out / name) for name in written if name in PICTURES]
    if pictures:
        print(f"pictures: {' and '.join(pictures)}")


def write_results(
    clf: Classifier, data: Dataset, history: list[StepResult], cfg: TrainConfig, out: Path, *, plots: bool
) -> list[str]:
    """Write a run's files into ``out``, all replacing the earlier run's together (see
    ``micrograd.runfolder``), and return their names.

    A picture of an earlier run that this one did not draw (``--no-plots``, a data set
    without two features, no matplotlib) is removed, so that every file in ``out`` named
    in ``PICTURES`` shows this run, and so is the finished run's checkpoint; no other file is touched.
    """
    with staged_files(out, remove=[*PICTURES, CHECKPOINT]) as stage:
        save_model(clf, stage / "model.json")
        atomic_write_text(stage / "metrics.csv", metrics_csv(history))
        atomic_write_text(stage / CONFIG, config_json(cfg))
        written = ["model.json", "metrics.csv", "config.json"]
        if plots:
            written += _draw(clf, data, history, stage)
    return written


def _accuracy_line(clf: Classifier, data: Dataset, kind: str, progress: bool) -> str:
    # the final pass over every row: numpy blocks, a bar on a terminal when the data is large
    # (unless --no-progress)
    predicted = clf.predict_indices(data.X, progress=progress and sys.stderr.isatty())
    right = sum(p == t for p, t in zip(predicted, data.y, strict=True))
    return f"accuracy {100 * right / len(data):.1f}% ({right} of {len(data)} {kind} examples)"


def _draw(clf: Classifier, data: Dataset, history: list[StepResult], out: Path) -> list[str]:
    """loss.png, and decision_boundary.png for 2 features; skipped with a note when matplotlib is missing."""
    try:
        from ..plot import plot_decision_boundary, plot_history
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
    "train",
    "train an MLP classifier (no options: the moons demo of Karpathy's micrograd notebook)",
    add_options,
    run_train,
)
