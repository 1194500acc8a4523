"""The training loop from Python: it is the demo's loop, it trains several classes, it stops on divergence."""

import random

import pytest

from micrograd.classifier import Classifier, decide
from micrograd.data import make_blobs, make_moons
from micrograd.engine import Value
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam, AdamW, LinearDecay
from micrograd.train import TrainingError, choose_engine, fit, n_outputs

pytest.importorskip("sklearn")


def demo_loop(steps):
    """The seeds' code, nearly verbatim (numpy data as lists), for the first ``steps`` steps."""
    data = make_moons(100, 0.1, random_state=1337)
    X, y = data.X, [2 * t - 1 for t in data.y]
    model = MLP(2, [16, 16, 1], rng=random.Random(1337))
    trace = []
    for k in range(steps):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        acc = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores, strict=True)]
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        trace.append((total_loss.data, sum(acc) / len(acc)))
    return trace, model


@pytest.mark.parametrize("engine", ["eager", "compiled", "auto"])
def test_fit_is_the_demos_loop_to_the_last_digit(engine):
    expected, demo_model = demo_loop(6)
    data = make_moons(100, 0.1, random_state=1337)
    model = MLP(2, [16, 16, 1], rng=random.Random(1337))
    history = fit(
        model,
        data,
        SGD(model.parameters(), lr=1.0),
        loss="hinge",
        steps=6,
        schedule=LinearDecay(1.0, 0.1, 100),
        l2=1e-4,
        engine=engine,
    )
    assert [(r.loss, r.accuracy) for r in history] == expected
    assert [p.data for p in model.parameters()] == [p.data for p in demo_model.parameters()]
    assert [r.lr for r in history] == [1.0 - 0.9 * k / 100 for k in range(6)]


@pytest.mark.parametrize("optimizer", ["sgd-momentum", "adamw"])
def test_compiled_engine_gives_the_eager_results_to_the_last_bit(optimizer):
    data = make_moons(40, 0.2, random_state=3)
    runs = []
    for engine in ("eager", "compiled"):
        model = MLP(2, [5, 4, 1], rng=random.Random(7))
        params = model.parameters()
        opt = SGD(params, lr=0.5, momentum=0.9, weight_decay=1e-3) if optimizer == "sgd-momentum" else None
        opt = opt or AdamW(params, lr=0.05)
        history = fit(model, data, opt, loss="hinge", steps=12, l2=1e-4, engine=engine)
        runs.append(([(r.loss, r.accuracy) for r in history], [(p.data, p.grad) for p in params]))
    assert runs[0] == runs[1]


def test_choose_engine():
    assert choose_engine("auto", "hinge", None) == "compiled"
    assert choose_engine("auto", "mse", None) == "compiled"
    assert choose_engine("auto", "hinge", 32) == "eager"  # a program per shuffled batch does not pay
    assert choose_engine("auto", "cross-entropy", None) == "eager"  # its graph depends on the logits
    assert choose_engine("eager", "hinge", None) == "eager"
    with pytest.raises(ValueError, match="unknown engine"):
        choose_engine("fast", "hinge", None)
    model = MLP(2, [3], rng=random.Random(0))
    blobs = make_blobs(12, 3, 1.0, random_state=0)
    with pytest.raises(ValueError, match="compiled engine reproduces"):
        fit(model, blobs, SGD(model.parameters(), lr=0.1), loss="cross-entropy", steps=1, engine="compiled")


def test_fit_leaves_the_global_random_alone():
    data = make_moons(40, 0.1, random_state=0)
    model = MLP(2, [4, 1], rng=random.Random(0))
    state = random.getstate()
    fit(
        model,
        data,
        SGD(model.parameters(), lr=0.1),
        loss="hinge",
        steps=3,
        batch_size=8,
        rng=random.Random(1),
    )
    assert random.getstate() == state


@pytest.mark.parametrize("loss", ["hinge", "mse", "bce"])
def test_binary_losses_learn_the_moons_with_minibatches(loss):
    data = make_moons(60, 0.1, random_state=2)
    model = MLP(2, [8, 8, 1], rng=random.Random(2))
    history = fit(
        model,
        data,
        Adam(model.parameters(), lr=0.03),
        loss=loss,
        steps=60,
        batch_size=20,
        rng=random.Random(3),
    )
    assert len(history) == 60 and history[-1].loss < history[0].loss
    clf = Classifier(model, data.classes)
    acc = sum(p == t for p, t in zip(clf.predict_indices(data.X), data.y, strict=True)) / len(data)
    # a linear boundary gets ~85% on moons; 60 Adam steps of a small MLP beat that comfortably
    assert acc >= 0.85, acc


def test_cross_entropy_learns_three_blobs():
    linear_model = pytest.importorskip("sklearn.linear_model")
    data = make_blobs(60, centers=3, cluster_std=1.0, random_state=1)
    model = MLP(2, [8, n_outputs("cross-entropy", 3)], rng=random.Random(5))
    history = fit(model, data, Adam(model.parameters(), lr=0.05), loss="cross-entropy", steps=40)
    assert history[-1].loss < history[0].loss / 3
    clf = Classifier(model, data.classes)
    acc = sum(p == t for p, t in zip(clf.predict_indices(data.X), data.y, strict=True)) / len(data)
    # the reference: scikit-learn's logistic regression on the same points (it separates them all)
    reference = linear_model.LogisticRegression().fit(data.X, data.y).score(data.X, data.y)
    assert acc >= reference - 0.05, (acc, reference)


def test_divergence_stops_with_a_clear_error():
    data = make_moons(20, 0.1, random_state=0)
    model = MLP(2, [4, 1], rng=random.Random(0))
    with pytest.raises(TrainingError, match="smaller learning rate"):
        fit(model, data, SGD(model.parameters(), lr=1e300), loss="mse", steps=5)


def test_loss_and_class_count_must_agree():
    with pytest.raises(ValueError, match="use the cross-entropy loss"):
        n_outputs("hinge", 3)
    assert n_outputs("cross-entropy", 2) == 2 and n_outputs("bce", 2) == 1


def test_decide():
    assert decide(0.5) == 1 and decide(0.0) == 0 and decide(-1.0) == 0
    assert decide([0.1, 3.0, 2.0]) == 1 and decide([1.0, 1.0]) == 0
