"""Model files: exact round trips, atomic writes, and clear errors for files that are not models."""

import json
import os
import random

import pytest

from micrograd.classifier import Classifier
from micrograd.data import Standardizer
from micrograd.modelfile import ModelFileError, load_model, save_model
from micrograd.nn import MLP, Layer


def trained_looking_classifier():
    rng = random.Random(3)
    mlp = MLP(3, [5, 4, 3], activation="tanh", rng=rng)
    for p in mlp.parameters():  # make the biases nonzero too, with full-precision floats
        p.data += rng.gauss(0, 0.1)
    std = Standardizer([1.5, -2.0, 0.1], [2.0, 0.5, 3.25])
    return Classifier(
        mlp, ["setosa", "versicolor", "virginica"], ["a", "b", "c"], std, "cross-entropy", "kind"
    )


def test_round_trip_is_exact(tmp_path):
    clf = trained_looking_classifier()
    path = tmp_path / "model.json"
    save_model(clf, path)
    back = load_model(path)
    assert [p.data for p in back.parameters()] == [p.data for p in clf.parameters()]  # bit for bit
    assert back.classes == clf.classes and back.feature_names == ["a", "b", "c"]
    assert back.standardizer == clf.standardizer and back.loss == "cross-entropy" and back.target == "kind"
    assert repr(back.mlp) == repr(clf.mlp)
    rows = [[random.Random(i).uniform(-3, 3) for _ in range(3)] for i in range(30)]
    assert back.predict(rows) == clf.predict(rows)


def test_file_is_versioned_readable_json(tmp_path):
    path = tmp_path / "model.json"
    save_model(trained_looking_classifier(), path)
    d = json.loads(path.read_text())
    assert d["format"] == "micrograd-model" and d["version"] == 1
    assert d["architecture"] == {"type": "MLP", "nin": 3, "nouts": [5, 4, 3], "activation": "tanh"}
    assert len(d["layers"][0]) == 5 and len(d["layers"][0][0]["w"]) == 3
    assert path.read_text().count("\n") > 10  # indented, for people to read


def test_bare_mlp_saves_with_numbered_classes(tmp_path):
    mlp = MLP(2, [3, 1], rng=random.Random(0))
    save_model(mlp, tmp_path / "m.json")
    back = load_model(tmp_path / "m.json")
    assert back.classes == ["0", "1"] and [p.data for p in back.parameters()] == [
        p.data for p in mlp.parameters()
    ]


def test_loading_does_not_advance_the_global_random(tmp_path):
    save_model(trained_looking_classifier(), tmp_path / "m.json")
    state = random.getstate()
    load_model(tmp_path / "m.json")
    assert random.getstate() == state


def test_a_failed_save_leaves_the_old_file_and_no_litter(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    save_model(trained_looking_classifier(), path)
    good = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        save_model(MLP(2, [1], rng=random.Random(0)), path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_model_with_nan_weights_is_refused_and_the_old_file_kept(tmp_path):
    path = tmp_path / "model.json"
    save_model(trained_looking_classifier(), path)
    good = path.read_bytes()
    bad = MLP(2, [1], rng=random.Random(0))
    bad.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="nan or infinite"):
        save_model(bad, path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["model.json"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda text: text[: len(text) // 2], "bad JSON .* truncated or corrupt"),
        (lambda text: "", "bad JSON"),
        (lambda text: '{"name": "something else"}', "not a micrograd model file"),
        (lambda text: "[1, 2, 3]", "not a micrograd model file"),
        (lambda text: text.replace('"version": 1', '"version": 7'), "version 7.*upgrade"),
        (lambda text: text.replace('"nin": 3', '"nin": 4'), "do not match|expected 4 finite weights"),
        (lambda text: text.replace('"activation": "tanh"', '"activation": "swish"'), "unknown activation"),
        (lambda text: text.replace('"virginica"', '"virginica", "x"'), "4 outputs|cannot score 4"),
    ],
)
def test_corrupt_truncated_or_foreign_files_give_a_clear_error(tmp_path, mutate, message):
    path = tmp_path / "model.json"
    save_model(trained_looking_classifier(), path)
    path.write_text(mutate(path.read_text()))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_a_bad_weight_is_named(tmp_path):
    path = tmp_path / "model.json"
    save_model(trained_looking_classifier(), path)
    d = json.loads(path.read_text())
    d["layers"][1][2]["w"][0] = "oops"
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="layer 1, neuron 2"):
        load_model(path)


def test_binary_garbage_is_a_model_file_error(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(ModelFileError, match="not a micrograd model file"):
        load_model(path)


def test_the_architecture_saved_is_the_one_the_mlp_was_built_with(tmp_path):
    # a one-layer MLP never applies its activation; the file still records the argument given
    mlp = MLP(2, [1], activation="tanh", rng=random.Random(0))
    save_model(mlp, tmp_path / "m.json")
    d = json.loads((tmp_path / "m.json").read_text())
    assert d["architecture"] == {"type": "MLP", "nin": 2, "nouts": [1], "activation": "tanh"}
    back = load_model(tmp_path / "m.json").mlp
    assert (back.nin, back.nouts, back.activation) == (2, [1], "tanh") and repr(back) == repr(mlp)


def test_an_mlp_whose_layers_were_changed_is_refused(tmp_path):
    mlp = MLP(2, [3, 1], rng=random.Random(0))
    mlp.layers.append(Layer(1, 2, rng=random.Random(1)))  # no longer the MLP(2, [3, 1]) it was built as
    with pytest.raises(ValueError, match=r"no longer match the nouts \[3, 1\]"):
        save_model(mlp, tmp_path / "m.json")
    assert os.listdir(tmp_path) == []
