"""Hostile model files (issue 11, item 2): each is a ModelFileError of one line, exit 2 from the CLI."""

import json
import math
import random
import sys

import pytest

from micrograd.classifier import Classifier
from micrograd.cli.app import main
from micrograd.data import Standardizer
from micrograd.modelfile import ModelFileError, load_model, model_from_dict, save_model
from micrograd.nn import MLP


def saved(tmp_path, **changes):
    """The path of a valid model file, with ``changes`` to its top-level entries."""
    clf = Classifier(
        MLP(2, [3, 2], rng=random.Random(1)), ["a", "b"], ["x0", "x1"], Standardizer([0.5, -1.0], [2.0, 0.25])
    )
    path = tmp_path / "model.json"
    save_model(clf, path)
    d = json.loads(path.read_text())
    d.update(changes)
    path.write_text(json.dumps(d))
    return path


def with_first_weight(tmp_path, text):
    """A model file whose first weight is written as ``text``."""
    path = saved(tmp_path)
    d = json.loads(path.read_text())
    d["layers"][0][0]["w"][0] = "HERE"
    path.write_text(json.dumps(d).replace('"HERE"', text))
    return path


def refused_by_the_cli(tmp_path, path, capsys):
    """Run ``micrograd predict`` on the model ``path``: its exit status and its stderr lines."""
    csv = tmp_path / "rows.csv"
    csv.write_text("x0,x1\n1,2\n")
    capsys.readouterr()
    status = main(["predict", "--model", str(path), "--csv", str(csv)])
    return status, capsys.readouterr().err.splitlines()


HOSTILE = {
    "nested 100,000 deep": lambda tmp_path: _write(tmp_path, "[" * 100_000 + "]" * 100_000),
    "nested inside the model": lambda tmp_path: with_first_weight(tmp_path, "[" * 100_000 + "]" * 100_000),
    "a weight of 10**400": lambda tmp_path: with_first_weight(tmp_path, str(10**400)),
    "a weight of -10**400": lambda tmp_path: with_first_weight(tmp_path, "-" + str(10**400)),
    "an integer of 5,000 digits": lambda tmp_path: with_first_weight(tmp_path, "7" * 5000),
    "a weight of 1e400": lambda tmp_path: with_first_weight(tmp_path, "1e400"),
    "a weight of NaN": lambda tmp_path: with_first_weight(tmp_path, "NaN"),
}


def _write(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_is_a_model_file_error_of_one_line(tmp_path, kind, capsys):
    path = HOSTILE[kind](tmp_path)
    with pytest.raises(ModelFileError) as e:
        load_model(path)
    message = str(e.value)
    assert message.startswith(str(path)) and "\n" not in message and len(message) < 300
    status, err = refused_by_the_cli(tmp_path, path, capsys)
    assert status == 2 and len(err) == 1 and err[0].startswith("micrograd predict: error: ")


def test_the_recursion_limit_is_left_as_it_was(tmp_path):
    limit = sys.getrecursionlimit()
    with pytest.raises(ModelFileError, match="nested too deeply"):
        load_model(HOSTILE["nested 100,000 deep"](tmp_path))
    assert sys.getrecursionlimit() == limit


@pytest.mark.parametrize("version", [True, False, 0, -1, 1.0, "1", None])
def test_a_version_that_is_not_a_whole_number_from_1_is_refused(tmp_path, version):
    with pytest.raises(ModelFileError, match="format version"):
        load_model(saved(tmp_path, version=version))


def test_sizes_written_as_booleans_are_refused(tmp_path):
    path = saved(tmp_path)
    d = json.loads(path.read_text())
    d["architecture"]["nouts"] = [3, True]  # True == 1 to Python, but it is no size
    with pytest.raises(ModelFileError, match="bad nouts"):
        model_from_dict(d)


@pytest.mark.parametrize(
    "classes, repeated", [(["a", "a"], "'a'"), (["1", "1.0"], "'1.0'"), (["x", "y", "x"], "'x'")]
)
def test_duplicate_class_names_are_refused(tmp_path, classes, repeated):
    path = saved(tmp_path)
    d = json.loads(path.read_text())
    d["layers"][-1] = [d["layers"][-1][0]] * len(classes)
    d["architecture"]["nouts"][-1] = len(classes)
    d["classes"] = classes
    with pytest.raises(ModelFileError, match=f"classes: {repeated} names a class already listed"):
        model_from_dict(d)


def test_duplicate_feature_names_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="feature_names: 'x' is listed twice"):
        load_model(saved(tmp_path, feature_names=["x", "x"]))


def test_names_that_cannot_be_printed_are_refused(tmp_path):
    path = saved(tmp_path)
    path.write_text(path.read_text().replace('"a"', '"\\ud800"'))  # a lone surrogate, valid JSON
    with pytest.raises(ModelFileError, match="classes must be"):
        load_model(path)


@pytest.mark.parametrize("std", [5e-324, 1e-310, 1 / sys.float_info.max, 0.0, -1.0])
def test_a_std_whose_reciprocal_is_not_finite_is_refused(tmp_path, std):
    assert std <= 0 or (1.0 - 0.0) / std == math.inf  # what the value 1 with mean 0 would become
    path = saved(tmp_path, standardization={"mean": [0.0, 0.0], "std": [1.0, std]})
    with pytest.raises(ModelFileError, match="std .* of feature 1 must be positive"):
        load_model(path)


def test_the_smallest_std_allowed_keeps_ordinary_rows_finite(tmp_path):
    smallest = 1 / sys.float_info.max * (1 + 2**-50)
    assert math.isfinite(1 / smallest)
    clf = load_model(saved(tmp_path, standardization={"mean": [0.0, 0.0], "std": [1.0, smallest]}))
    assert all(math.isfinite(v) for v in clf.prepare([[1.0, 1.0]])[0])


def test_a_byte_order_mark_is_skipped_as_the_csv_reader_skips_it(tmp_path):
    path = saved(tmp_path)
    plain = load_model(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    back = load_model(path)
    assert [p.data for p in back.parameters()] == [p.data for p in plain.parameters()]
    assert back.classes == plain.classes and back.feature_names == plain.feature_names


def test_integer_weights_load_as_floats(tmp_path):
    clf = load_model(with_first_weight(tmp_path, "3"))
    w = clf.mlp.layers[0].neurons[0].w[0].data
    assert type(w) is float and w == 3.0


# --- the other saved state read back: checkpoints and run configs ------------------------


def stopped_run(tmp_path):
    """The folder of a run stopped after 2 steps, with its checkpoint.json and config.json."""
    out = tmp_path / "run"
    assert main(["train", "--steps", "4", "--stop-after", "2", "--samples", "20", "--hidden", "2",
                 "--no-plots", "--no-progress", "--out", str(out)]) == 0  # fmt: skip
    return out


@pytest.mark.parametrize("name", ["checkpoint.json", "config.json"])
@pytest.mark.parametrize(
    "hostile",
    ["[" * 100_000 + "]" * 100_000, "7" * 5000, '{"format": "micrograd-checkpoint", "version": true}'],
)
def test_hostile_saved_state_stops_a_resume_with_one_line(tmp_path, capsys, name, hostile):
    out = stopped_run(tmp_path)
    (out / name).write_text(hostile)
    capsys.readouterr()
    status = main(["train", "--resume", str(out), "--no-progress"])
    err = capsys.readouterr().err.splitlines()
    assert status == 2 and len(err) == 1 and str(out / name) in err[0], err


def test_a_checkpoint_with_nan_or_a_bad_record_is_refused(tmp_path):
    from micrograd.checkpoint import CheckpointError, load_checkpoint

    out = stopped_run(tmp_path)
    text = (out / "checkpoint.json").read_text()
    d = json.loads(text)
    for bad in ["NaN", '"0.5"', "true", "[1]"]:
        d["history"][1]["loss"] = "HERE"
        (out / "checkpoint.json").write_text(json.dumps(d).replace('"HERE"', bad))
        with pytest.raises(CheckpointError, match="NaN|history"):
            load_checkpoint(out / "checkpoint.json")


@pytest.mark.parametrize("step", [10**18, 10**300])
def test_a_huge_step_count_is_refused_without_counting_to_it(tmp_path, step):
    from micrograd.checkpoint import CheckpointError, load_checkpoint

    out = stopped_run(tmp_path)
    d = json.loads((out / "checkpoint.json").read_text())
    d["step"] = step  # found by tests/fuzz_files.py: range(10**300) overflows, range(10**18) fills memory
    (out / "checkpoint.json").write_text(json.dumps(d))
    with pytest.raises(CheckpointError, match="step and history disagree"):
        load_checkpoint(out / "checkpoint.json")
