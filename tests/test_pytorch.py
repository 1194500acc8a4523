"""micrograd.pytorch against torch float64: outputs, gradients, optimizer steps, torch files."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from micrograd.classifier import Classifier
from micrograd.data import Standardizer
from micrograd.engine import Value
from micrograd.io import load_model, save_model
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam, AdamW
from micrograd.pytorch import export_model, from_torch, import_model, optimizer_to_torch

torch = pytest.importorskip("torch")
TOL = 1e-12
ACTS = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "linear": torch.nn.Identity,
}


def batch(nin, n=8, seed=3):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


def outputs(mlp, X):
    out = [mlp(list(map(Value, x))) for x in X]
    return [[v.data for v in o] if isinstance(o, list) else [o.data] for o in out]


def worst(a, b):
    return max(abs(x - y) for r, s in zip(a, b, strict=True) for x, y in zip(r, s, strict=True))


def torch_net(layers, seed=0, dtype=torch.float64):
    """A Sequential of the given layer factories, initialised by torch with the RNG scoped."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(*(make() for make in layers)).to(dtype)


def mse(outs, Y):
    return sum(((o[0] if isinstance(o, list) else o) - y) ** 2 for o, y in zip(outs, Y, strict=True)) * (
        1.0 / len(Y)
    )


@pytest.mark.parametrize("activation", list(ACTS))
@pytest.mark.parametrize("nouts", [[1], [4, 3], [5, 4, 2]])
def test_to_torch_gives_the_same_outputs(activation, nouts):
    mlp = MLP(3, nouts, activation=activation, rng=random.Random(11))
    net = mlp.to_torch()
    assert isinstance(net, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    assert [type(m) for m in net][1::2] == [ACTS[activation]] * (len(nouts) - 1)
    X = batch(3)
    assert worst(outputs(mlp, X), net(torch.tensor(X, dtype=torch.float64)).tolist()) <= TOL


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_same_gradients_and_one_sgd_step_in_each_keeps_them_equal(activation):
    mlp = MLP(3, [6, 5, 1], activation=activation, rng=random.Random(5))
    net = mlp.to_torch()
    X, Y = batch(3), [random.Random(9).uniform(-1, 1) for _ in range(8)]
    loss = mse([mlp(list(map(Value, x))) for x in X], Y)
    loss.backward()
    tloss = (
        (net(torch.tensor(X, dtype=torch.float64)).squeeze(1) - torch.tensor(Y, dtype=torch.float64)) ** 2
    ).mean()
    tloss.backward()
    assert abs(loss.data - tloss.item()) <= TOL
    grads = [t.grad for t in net.parameters()]  # in state-dict order: weight (rows), bias, per Linear
    for i, layer in enumerate(mlp.layers):
        ours_w = [[w.grad for w in n.w] for n in layer.neurons]
        assert worst(ours_w, grads[2 * i].tolist()) <= TOL
        assert worst([[n.b.grad for n in layer.neurons]], [grads[2 * i + 1].tolist()]) <= TOL
    moved = max(abs(g) for g in (p.grad for p in mlp.parameters()))
    assert moved > 1e-3  # the gradients compared are not all zero
    SGD(mlp.parameters(), lr=0.1).step()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    after = [p.data for p in from_torch(net).parameters()]  # torch's weights, in our order
    assert worst([after], [[p.data for p in mlp.parameters()]]) <= TOL


def test_to_torch_leaves_torchs_random_generator_alone():
    before = torch.get_rng_state()
    MLP(2, [16, 16, 1], rng=random.Random(0)).to_torch()
    assert torch.equal(before, torch.get_rng_state())


@pytest.mark.parametrize("activation", list(ACTS))
def test_from_torch_gives_the_same_outputs(activation):
    act = ACTS[activation]
    net = torch_net(
        [
            lambda: torch.nn.Linear(3, 7),
            act,
            lambda: torch.nn.Linear(7, 4),
            act,
            lambda: torch.nn.Linear(4, 2),
        ]
    )
    state = random.getstate()
    mlp = MLP.from_torch(net)
    assert random.getstate() == state  # the global generator did not advance
    assert [len(layer.neurons) for layer in mlp.layers] == [7, 4, 2]
    X = batch(3)
    assert worst(outputs(mlp, X), net(torch.tensor(X, dtype=torch.float64)).tolist()) <= TOL
    assert list(mlp.state_dict()) == list(net.state_dict())


def test_from_torch_reads_a_float32_model_exactly():
    net32 = torch_net(
        [lambda: torch.nn.Linear(2, 5), torch.nn.ReLU, lambda: torch.nn.Linear(5, 1)], dtype=torch.float32
    )
    mlp = from_torch(net32)
    X = batch(2)
    net64 = net32.double()  # float32 weights are float64 numbers exactly
    assert worst(outputs(mlp, X), net64(torch.tensor(X, dtype=torch.float64)).tolist()) <= TOL


def test_from_torch_and_to_torch_are_inverse():
    mlp = MLP(2, [8, 8, 3], activation="tanh", rng=random.Random(2))
    back = from_torch(mlp.to_torch())
    assert [p.data for p in back.parameters()] == [p.data for p in mlp.parameters()]
    assert repr(back) == repr(mlp)


def L(i, o, **kw):
    return lambda: torch.nn.Linear(i, o, **kw)


@pytest.mark.parametrize(
    "layers, message",
    [
        (
            [L(2, 3), lambda: torch.nn.Dropout(0.5), L(3, 1)],
            r"layer 1 \(Dropout\(p=0\.5.*\)\) is not supported",
        ),
        (
            [L(2, 3), torch.nn.GELU, L(3, 1)],
            r"layer 1 \(GELU\(.*\)\) is not supported: from_torch takes Linear",
        ),
        (
            [L(2, 3), lambda: torch.nn.BatchNorm1d(3), L(3, 1)],
            r"layer 1 \(BatchNorm1d\(3.*\)\) is not supported",
        ),
        (
            [L(2, 3), torch.nn.ReLU, L(3, 1), torch.nn.Sigmoid],
            r"ends with layer 3 \(Sigmoid\(\)\).*out\.sigmoid\(\)",
        ),
        ([L(2, 3), L(3, 1)], r"layer 1 \(Linear\(.*\)\) follows another Linear layer"),
        ([torch.nn.ReLU, L(2, 1)], r"layer 0 \(ReLU\(\)\) is not after a Linear layer"),
        (
            [L(2, 3), torch.nn.ReLU, L(3, 3), torch.nn.Tanh, L(3, 1)],
            r"layer 3 \(Tanh\(\)\) differs .* one activation",
        ),
        ([L(2, 3, bias=False)], r"layer 0 \(Linear\(.*bias=False\)\) has no bias"),
        ([L(2, 3), torch.nn.ReLU, L(4, 1)], r"layer 2 .* takes 4 inputs, but the layer before gives 3"),
        ([], r"empty Sequential"),
    ],
)
def test_from_torch_names_what_it_cannot_take(layers, message):
    with pytest.raises(ValueError, match=message):
        from_torch(torch_net(layers))


def test_from_torch_wants_a_sequential():
    with pytest.raises(TypeError, match="takes a torch.nn.Sequential .* got Linear"):
        from_torch(torch.nn.Linear(2, 1))


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: Adam(p, lr=0.02),
        lambda p: AdamW(p, lr=0.02),
    ],
)
def test_training_goes_on_in_torch_where_it_stopped_here(make):
    """7 steps here, then 8 in torch.optim from the carried-over state = 15 steps here."""
    X, Y = batch(3), [random.Random(9).uniform(-1, 1) for _ in range(8)]

    def steps(mlp, opt, n):
        for _ in range(n):
            opt.zero_grad()
            mse([mlp(list(map(Value, x))) for x in X], Y).backward()
            opt.step()

    whole = MLP(3, [5, 1], activation="tanh", rng=random.Random(4))
    steps(whole, make(whole.parameters()), 15)

    mlp = MLP(3, [5, 1], activation="tanh", rng=random.Random(4))
    opt = make(mlp.parameters())
    steps(mlp, opt, 7)
    net = mlp.to_torch()
    topt = optimizer_to_torch(opt, mlp, net)
    tX, tY = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    for _ in range(8):
        topt.zero_grad()
        ((net(tX).squeeze(1) - tY) ** 2).mean().backward()
        topt.step()
    carried_on = [p.data for p in from_torch(net).parameters()]
    assert worst([carried_on], [[p.data for p in whole.parameters()]]) <= TOL
    assert max(abs(a.data - b.data) for a, b in zip(whole.parameters(), mlp.parameters(), strict=True)) > 1e-3


# --- torch files ---------------------------------------------------------------------


def saved_classifier(tmp_path):
    mlp = MLP(2, [6, 3], activation="tanh", rng=random.Random(3))
    clf = Classifier(
        mlp,
        ["a", "b", "c"],
        ["height", "width"],
        Standardizer([1.5, -2.0], [0.5, 3.0]),
        "cross-entropy",
        "kind",
    )
    path = tmp_path / "model.json"
    save_model(clf, path)
    return clf, path


def test_an_exported_model_loads_with_plain_torch_and_the_documented_lines(tmp_path):
    clf, path = saved_classifier(tmp_path)
    export_model(path, tmp_path / "model.pt")
    # the lines export_model's docstring and docs/pytorch.md give
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args) for name, *args in ckpt["layers"]))
    net = net.double()
    net.load_state_dict(ckpt["state_dict"])
    X = batch(2)
    std = ckpt["standardization"]
    tX = (torch.tensor(X, dtype=torch.float64) - torch.tensor(std["mean"])) / torch.tensor(std["std"])
    ours = [[v.data for v in clf(x)] for x in X]
    assert worst(ours, net(tX).tolist()) <= TOL
    assert (ckpt["classes"], ckpt["feature_names"], ckpt["loss"], ckpt["target"]) == (
        ["a", "b", "c"],
        ["height", "width"],
        "cross-entropy",
        "kind",
    )


def test_export_then_import_gives_back_the_same_model_file(tmp_path):
    _, path = saved_classifier(tmp_path)
    export_model(path, tmp_path / "model.pt")
    import_model(tmp_path / "model.pt", tmp_path / "back.json")
    assert (tmp_path / "back.json").read_bytes() == path.read_bytes()


def test_a_model_trained_further_in_torch_comes_back(tmp_path):
    _, path = saved_classifier(tmp_path)
    export_model(path, tmp_path / "model.pt")
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args) for name, *args in ckpt["layers"])).double()
    net.load_state_dict(ckpt["state_dict"])
    with torch.no_grad():
        net[0].bias += 0.25
    ckpt["state_dict"] = net.state_dict()
    torch.save(ckpt, tmp_path / "tuned.pt")
    import_model(tmp_path / "tuned.pt", tmp_path / "tuned.json")
    tuned = load_model(tmp_path / "tuned.json")
    assert tuned.classes == ["a", "b", "c"]
    X = batch(2)
    assert worst(outputs(tuned.mlp, X), net(torch.tensor(X, dtype=torch.float64)).tolist()) <= TOL


def test_importing_a_file_that_is_not_an_export_says_what_to_do(tmp_path):
    torch.save(torch.nn.Linear(2, 1).state_dict(), tmp_path / "plain.pt")
    with pytest.raises(
        ValueError, match="not a file written by micrograd.pytorch.export_model.*MLP.from_torch"
    ):
        import_model(tmp_path / "plain.pt", tmp_path / "m.json")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="junk.pt: not a torch file"):
        import_model(tmp_path / "junk.pt", tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match="pip install torch"):
        MLP(2, [1], rng=random.Random(0)).to_torch()


def test_importing_micrograd_does_not_import_torch():
    code = "import sys, micrograd, micrograd.nn, micrograd.pytorch; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
