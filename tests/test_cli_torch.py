"""`micrograd export` and `micrograd import`, called in-process through ``main``: the torch file is
read by plain torch (``weights_only=True``) and gives torch's own outputs of the same weights, and
comes back as the same model file, byte for byte."""

import random
import re
from pathlib import Path

import pytest

from micrograd.cli import main
from micrograd.io import load_model, save_model
from micrograd.nn import MLP

# --- micrograd export / import -----------------------------------------------------------


@pytest.fixture
def model_file(tmp_path):
    mlp = MLP(3, [4, 4, 2], activation="tanh", rng=random.Random(2))
    from micrograd.classifier import Classifier
    from micrograd.data import Standardizer

    clf = Classifier(mlp, ["a", "b"], ["x", "y", "z"], Standardizer([1.0, 2.0, 3.0], [0.5, 1.0, 2.0]),
                     "cross-entropy", "label")  # fmt: skip
    save_model(clf, tmp_path / "model.json")
    return tmp_path / "model.json"


def test_export_is_read_by_plain_torch_and_import_gives_the_model_file_back(model_file, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    pt, back = tmp_path / "model.pt", tmp_path / "back.json"
    assert main(["export", str(model_file), str(pt)]) == 0
    assert capsys.readouterr().err == f"wrote {pt}\n"

    ckpt = torch.load(pt, weights_only=True)  # plain torch, the lines docs/cli.md shows
    net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args) for name, *args in ckpt["layers"])).double()
    net.load_state_dict(ckpt["state_dict"])
    clf = load_model(model_file)
    mlp = clf.mlp
    rows = [[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]]
    theirs = net(torch.tensor(rows, dtype=torch.float64)).tolist()
    # torch's own float64 forward of the saved weights, against the model file's
    for row, out in zip(rows, theirs, strict=True):
        ours = [v.data for v in mlp(row)]
        assert max(abs(a - b) for a, b in zip(ours, out, strict=True)) < 1e-12
    assert ckpt["classes"] == ["a", "b"] and ckpt["standardization"]["std"] == [0.5, 1.0, 2.0]

    assert main(["import", str(pt), str(back)]) == 0
    assert back.read_bytes() == model_file.read_bytes()


BAD_TORCH_FILES = {
    "export: missing model": (["export", "nope.json", "x.pt"], r"file not found: nope\.json"),
    "export: a torch file as the model": (["export", "{pt}", "x.pt"], r"not a micrograd model file"),
    "export: onto itself": (["export", "{model}", "{model}"], r"is the file to read"),
    "export: no such directory": (["export", "{model}", "no/where.pt"], r"the directory no does not exist"),
    "import: a model file": (["import", "{model}", "x.json"], r"not a torch file \(torch\.save writes a zip"),
    "import: another torch file": (["import", "{other}", "x.json"], r"not a file written by .*export_model"),
    "import: missing": (["import", "nope.pt", "x.json"], r"file not found: nope\.pt"),
}


@pytest.mark.parametrize("case", list(BAD_TORCH_FILES))
def test_bad_export_and_import_are_one_line_status_2(case, model_file, tmp_path, monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(model_file), "m.pt"]) == 0
    torch.save({"weights": torch.zeros(2)}, "other.pt")
    capsys.readouterr()
    argv, message = BAD_TORCH_FILES[case]
    names = {"pt": "m.pt", "model": str(model_file), "other": "other.pt"}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and len(err.strip().splitlines()) == 1, err
    assert not Path("x.pt").exists() and not Path("x.json").exists()


@pytest.mark.parametrize("command", ["export", "import"])
def test_without_torch_the_error_says_how_to_install_it(command, model_file, tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    assert main(["export", str(model_file), str(tmp_path / "m.pt")]) == 0
    capsys.readouterr()
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # `import torch` fails, as uninstalled
    source = model_file if command == "export" else tmp_path / "m.pt"
    assert main([command, str(source), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "pip install torch" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()
