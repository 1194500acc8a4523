"""Optimizers against torch.optim in float64, step by step; schedules against their formulas and torch."""

import json
import math
import random

import pytest

from micrograd.engine import Value
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam, AdamW, ConstantLR, CosineDecay, LinearDecay

torch = pytest.importorskip("torch")

STEPS = 50
TOL = 1e-9


def make_problem():
    """A small regression: MLP(3, [4, 1]) with tanh on 8 points, and the same in torch (float64)."""
    data_rng = random.Random(0)
    X = [[data_rng.uniform(-1, 1) for _ in range(3)] for _ in range(8)]
    Y = [data_rng.uniform(-1, 1) for _ in range(8)]
    model = MLP(3, [4, 1], activation="tanh", rng=random.Random(1))
    layers = model.layers
    W1 = torch.tensor(
        [[w.data for w in n.w] for n in layers[0].neurons], dtype=torch.float64, requires_grad=True
    )
    b1 = torch.tensor([n.b.data for n in layers[0].neurons], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor(
        [[w.data for w in n.w] for n in layers[1].neurons], dtype=torch.float64, requires_grad=True
    )
    b2 = torch.tensor([n.b.data for n in layers[1].neurons], dtype=torch.float64, requires_grad=True)
    tX, tY = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)

    def our_loss():
        return sum((model(x) - y) ** 2 for x, y in zip(X, Y, strict=True)) * (1.0 / len(X))

    def torch_loss():
        out = (torch.tanh(tX @ W1.T + b1) @ W2.T + b2).squeeze(1)
        return ((out - tY) ** 2).mean()

    def torch_params_flat():
        # in micrograd's order: neuron by neuron, weights then bias
        flat = []
        for W, b in ((W1, b1), (W2, b2)):
            for row, bias in zip(W.tolist(), b.tolist(), strict=True):
                flat += row + [bias]
        return flat

    return model, our_loss, [W1, b1, W2, b2], torch_loss, torch_params_flat


CASES = {
    "sgd": (lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd-momentum": (
        lambda p: SGD(p, lr=0.05, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    "sgd-nesterov": (
        lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "sgd-weight-decay": (
        lambda p: SGD(p, lr=0.1, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01),
    ),
    "sgd-all": (
        lambda p: SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05),
    ),
    "adam": (lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01, foreach=False)),
    "adam-weight-decay": (
        lambda p: Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, foreach=False),
    ),
    "adamw": (lambda p: AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01, foreach=False)),
    "adamw-strong-decay": (
        lambda p: AdamW(p, lr=0.03, weight_decay=0.5),
        lambda p: torch.optim.AdamW(p, lr=0.03, weight_decay=0.5, foreach=False),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_torch_optim_step_by_step(case):
    ours_factory, theirs_factory = CASES[case]
    model, our_loss, tparams, torch_loss, torch_flat = make_problem()
    ours, theirs = ours_factory(model.parameters()), theirs_factory(tparams)
    worst = 0.0
    start = [p.data for p in model.parameters()]
    for step in range(STEPS):
        ours.zero_grad()
        loss = our_loss()
        loss.backward()
        ours.step()

        theirs.zero_grad()
        tloss = torch_loss()
        tloss.backward()
        theirs.step()

        assert loss.data == pytest.approx(tloss.item(), abs=TOL), f"loss differs at step {step}"
        diffs = [abs(p.data - q) for p, q in zip(model.parameters(), torch_flat(), strict=True)]
        worst = max(worst, max(diffs))
        assert max(diffs) <= TOL, f"parameters differ by {max(diffs):.3g} after step {step}"
    moved = max(abs(p.data - s) for p, s in zip(model.parameters(), start, strict=True))
    assert moved > 1e-2  # the comparison is not of parameters that never changed
    print(f"{case}: max |param diff| over {STEPS} steps = {worst:.3g}")


def test_zero_grad_and_repr():
    p = Value(1.0)
    p.grad = 3.0
    opt = Adam([p], lr=0.5)
    opt.zero_grad()
    assert p.grad == 0
    assert repr(opt) == "Adam(1 parameters, lr=0.5, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        SGD([Value(1.0)], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        Adam([Value(1.0)], betas=(1.0, 0.9))


def test_linear_decay_is_the_demos_rate_to_the_last_digit():
    schedule = LinearDecay(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]


def test_cosine_decay_matches_torch():
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=0.01)
    expected = []
    for _ in range(41):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = CosineDecay(0.5, 0.01, 40)
    assert [ours(k) for k in range(41)] == pytest.approx(expected, rel=1e-12)
    assert ours(0) == 0.5 and math.isclose(ours(40), 0.01)


def test_constant_lr():
    assert ConstantLR(0.3)(0) == ConstantLR(0.3)(99) == 0.3


RESUME_CASES = {
    "sgd-momentum": lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda p: Adam(p, lr=0.02, weight_decay=0.1),
    "adamw": lambda p: AdamW(p, lr=0.02),
}


def run_losses(model, our_loss, optimizer, schedule, steps):
    losses = []
    for k in steps:
        optimizer.lr = schedule(k)
        optimizer.zero_grad()
        loss = our_loss()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


@pytest.mark.parametrize("case", list(RESUME_CASES))
def test_a_run_stopped_and_resumed_gives_the_uninterrupted_runs_losses_bit_for_bit(case):
    make = RESUME_CASES[case]
    schedule = CosineDecay(0.05, 0.005, 20)
    model, our_loss, *_ = make_problem()
    whole = run_losses(model, our_loss, make(model.parameters()), schedule, range(20))

    model, our_loss, *_ = make_problem()
    opt = make(model.parameters())
    first = run_losses(model, our_loss, opt, schedule, range(7))
    saved = json.dumps({"model": model.state_dict(), "optimizer": opt.state_dict()})

    model, our_loss, *_ = make_problem()  # a fresh process would rebuild both from scratch
    opt = make(model.parameters())
    state = json.loads(saved)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    rest = run_losses(model, our_loss, opt, schedule, range(7, 20))
    assert first + rest == whole
    assert len(set(whole)) == 20  # the losses do change from step to step


@pytest.mark.parametrize("case", ["sgd-momentum", "adam", "adamw"])
def test_the_saved_state_is_torch_optims_state(case):
    """After 5 steps, our momentum buffers / moments / step count equal torch.optim's (float64)."""
    ours_factory, theirs_factory = CASES[case]
    model, our_loss, tparams, torch_loss, _ = make_problem()
    ours, theirs = ours_factory(model.parameters()), theirs_factory(tparams)
    for _ in range(5):
        for opt, loss in ((ours, our_loss), (theirs, torch_loss)):
            opt.zero_grad()
            loss().backward()
            opt.step()
    saved = ours.state_dict()
    keys = ["momentum_buffer"] if case.startswith("sgd") else ["exp_avg", "exp_avg_sq"]
    for key in keys:
        flat = []  # torch's state in our order: neuron by neuron, weights then bias
        for W, b in zip(tparams[::2], tparams[1::2], strict=True):
            rows, biases = theirs.state[W][key].tolist(), theirs.state[b][key].tolist()
            for row, bias in zip(rows, biases, strict=True):
                flat += row + [bias]
        assert saved["state"][key] == pytest.approx(flat, abs=1e-12, rel=0)
    if not case.startswith("sgd"):
        assert saved["state"]["step"] == theirs.state[tparams[0]]["step"].item() == 5
    assert saved["settings"]["lr"] == theirs.param_groups[0]["lr"]


def test_loading_an_optimizer_state_checks_it():
    params = [Value(1.0), Value(2.0)]
    adam = Adam(params, lr=0.1)
    with pytest.raises(ValueError, match="of a Adam optimizer; load it into a Adam, not SGD"):
        SGD(params, lr=0.1).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="'exp_avg' for 2 parameters, but this optimizer has 3"):
        Adam([*params, Value(3.0)]).load_state_dict(adam.state_dict())
    broken = adam.state_dict()
    broken["state"]["step"] = -1
    with pytest.raises(ValueError, match="'step' must be a count >= 0"):
        adam.load_state_dict(broken)
    with pytest.raises(ValueError, match="not an optimizer state"):
        adam.load_state_dict({"type": "Adam"})
    assert adam.t == 0 and adam.lr == 0.1  # the refused loads changed nothing


def test_loading_restores_the_settings_too():
    p = [Value(1.0)]
    saved = AdamW(p, lr=0.3, betas=(0.8, 0.9), eps=1e-6).state_dict()
    fresh = AdamW(p)
    fresh.load_state_dict(json.loads(json.dumps(saved)))
    assert (fresh.lr, fresh.betas, fresh.eps, fresh.weight_decay) == (0.3, (0.8, 0.9), 1e-6, 0.01)


def test_adamw_default_decay_is_torchs_and_adams_is_zero():
    w = torch.zeros(1, requires_grad=True)
    assert AdamW([Value(0.0)]).weight_decay == torch.optim.AdamW([w]).defaults["weight_decay"]
    assert Adam([Value(0.0)]).weight_decay == torch.optim.Adam([w]).defaults["weight_decay"] == 0
    assert AdamW([Value(0.0)], weight_decay=0.5).weight_decay == 0.5


@pytest.mark.parametrize("key, value", [("lr", "fast"), ("betas", [0.9]), ("eps", None), ("lr", -1.0)])
def test_loading_a_setting_of_the_wrong_kind_is_refused(key, value):
    adam = Adam([Value(1.0)], lr=0.1)
    saved = adam.state_dict()
    saved["settings"][key] = value
    with pytest.raises(ValueError, match=f"setting '{key}' is"):
        Adam([Value(1.0)]).load_state_dict(saved)
    sgd = SGD([Value(1.0)], lr=0.1)
    saved = sgd.state_dict()
    saved["settings"]["nesterov"] = 1
    with pytest.raises(ValueError, match="setting 'nesterov' is 1; expected one like False"):
        sgd.load_state_dict(saved)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_a_step_after_backward_with_create_graph_uses_the_gradients_value_as_torch_does(case):
    # create_graph=True makes each p.grad a Value; the step must still leave numbers in p.data
    ours_factory, theirs_factory = CASES[case]
    model, our_loss, tparams, torch_loss, torch_flat = make_problem()
    ours, theirs = ours_factory(model.parameters()), theirs_factory(tparams)
    for step in range(3):
        ours.zero_grad()
        our_loss().backward(create_graph=True)
        assert all(isinstance(p.grad, Value) for p in model.parameters())
        ours.step()
        theirs.zero_grad()
        torch_loss().backward(create_graph=True)
        theirs.step()
        assert all(type(p.data) is float for p in model.parameters()), f"a Value in p.data after step {step}"
        diffs = [abs(p.data - q) for p, q in zip(model.parameters(), torch_flat(), strict=True)]
        assert max(diffs) <= TOL, f"parameters differ by {max(diffs):.3g} after step {step}"
    json.dumps(ours.state_dict())  # the optimizer's own state holds numbers too
