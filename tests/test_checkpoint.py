"""A run stopped after any step and resumed from its checkpoint equals the uninterrupted run, bit for bit."""

from __future__ import annotations

import json
import random

import pytest

from micrograd.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from micrograd.data import make_moons
from micrograd.nn import MLP
from micrograd.optim import SGD, AdamW, CosineDecay, LinearDecay
from micrograd.train import fit

STEPS = 20
RUNS = {  # optimizer, schedule, loss, batch size, engine
    "adamw-minibatches": (
        lambda p: AdamW(p, lr=0.05),
        LinearDecay(0.05, 0.005, STEPS),
        "cross-entropy",
        16,
        "eager",
    ),
    "sgd-momentum-full-batch": (
        lambda p: SGD(p, lr=0.5, momentum=0.9),
        CosineDecay(0.5, 0.05, STEPS),
        "hinge",
        None,
        "auto",  # the compiled engine where numpy is installed
    ),
}


class Stop(Exception):
    pass


def start(name):
    make_opt, schedule, loss, batch_size, engine = RUNS[name]
    data = make_moons(60, 0.1, random_state=0)
    model = MLP(2, [8, 8, 2 if loss == "cross-entropy" else 1], rng=random.Random(1))
    kwargs = dict(loss=loss, steps=STEPS, schedule=schedule, batch_size=batch_size, engine=engine)
    return model, data, make_opt(model.parameters()), kwargs


def metrics_csv(history):
    return "step,loss,accuracy\n" + "".join(f"{r.step},{r.loss!r},{r.accuracy!r}\n" for r in history)


@pytest.mark.parametrize("name", list(RUNS))
@pytest.mark.parametrize("stop_after", [1, 7, 19])
def test_a_stopped_run_resumed_from_its_checkpoint_gives_the_same_metrics(tmp_path, name, stop_after):
    model, data, opt, kwargs = start(name)
    whole = fit(model, data, opt, rng=random.Random(5), **kwargs)

    # the run checkpoints after every step and is killed after step stop_after - 1
    model, data, opt, kwargs = start(name)
    done = []

    def on_step(r):
        done.append(r)
        save_checkpoint(tmp_path / "checkpoint.json", model, opt, done)
        if len(done) == stop_after:
            raise Stop

    with pytest.raises(Stop):
        fit(model, data, opt, rng=random.Random(5), on_step=on_step, **kwargs)

    # a new process: everything rebuilt as the run did, then the checkpoint loaded
    model, data, opt, kwargs = start(name)
    checkpoint = load_checkpoint(tmp_path / "checkpoint.json")
    step = checkpoint.restore(model, opt)
    assert step == stop_after
    rest = fit(model, data, opt, rng=random.Random(5), start_step=step, **kwargs)
    assert [r.step for r in rest] == list(range(stop_after, STEPS))
    assert checkpoint.history + rest == whole
    assert metrics_csv(checkpoint.history + rest) == metrics_csv(whole)
    assert len({r.loss for r in whole}) > STEPS // 2  # the run does move


def test_without_the_optimizer_state_the_resumed_run_differs(tmp_path):
    """The check above can fail: momentum lost on resuming changes the numbers."""
    model, data, opt, kwargs = start("sgd-momentum-full-batch")
    whole = fit(model, data, opt, rng=random.Random(5), **kwargs)
    model, data, opt, kwargs = start("sgd-momentum-full-batch")
    first = fit(model, data, opt, rng=random.Random(5), **{**kwargs, "steps": 7})
    state = json.loads(json.dumps(model.state_dict()))
    model, data, opt, kwargs = start("sgd-momentum-full-batch")
    model.load_state_dict(state)
    rest = fit(model, data, opt, rng=random.Random(5), start_step=7, **kwargs)
    assert first == whole[:7] and rest != whole[7:]


def test_bad_checkpoints_are_refused_by_name(tmp_path):
    model, data, opt, _ = start("adamw-minibatches")
    path = tmp_path / "checkpoint.json"
    path.write_text('{"format": "micrograd-checkpoint", "ver', encoding="utf-8")
    with pytest.raises(CheckpointError, match="not a valid checkpoint .bad JSON.*truncated"):
        load_checkpoint(path)
    path.write_text('{"format": "micrograd-model"}', encoding="utf-8")
    with pytest.raises(CheckpointError, match="not a micrograd checkpoint"):
        load_checkpoint(path)
    history = fit(model, data, opt, loss="cross-entropy", steps=3, engine="eager")
    save_checkpoint(path, model, opt, history)
    d = json.loads(path.read_text(encoding="utf-8"))
    d["step"] = 4
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(CheckpointError, match="step and history disagree"):
        load_checkpoint(path)
    d["step"], d["version"] = 3, 99
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(CheckpointError, match="version 99.*upgrade micrograd"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match="every step from step 0 on"):
        save_checkpoint(path, model, opt, history[1:])
