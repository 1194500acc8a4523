"""Model files: versioned, human-readable JSON, written atomically. Never pickle.

``micrograd.io`` re-exports these names (and ``micrograd.atomic``'s) for code written against 0.2.0.

A model file holds the architecture (``nin``, ``nouts``, ``activation``), every weight
and bias (as Python writes floats, so they load back to the last bit), the class
names, the feature names and the input standardisation::

    {"format": "micrograd-model", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu"},
     "classes": ["0", "1"], "feature_names": ["x0", "x1"], "standardization": null,
     "loss": "hinge", "target": null, "layers": [[{"w": [...], "b": 0.0}, ...], ...]}

Loading checks every part before anything is built, and any file (truncated, nested thousands
deep, with numbers beyond a float's range, ...) gives a ``ModelFileError`` naming the problem.
Besides the shapes, the rules are: ``version`` a whole number from 1 to ``VERSION``; class names
distinct (also as numbers: ``1`` and ``1.0`` are one class) and feature names distinct; every
weight, bias and mean a finite number; every ``std`` positive with a finite reciprocal (standardizing
divides by it, so a smaller one would turn ordinary rows into infinities). A UTF-8 byte order mark
is skipped, as the CSV reader skips one.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .classifier import Classifier
from .data import Standardizer
from .jsonfile import parse_json, shown
from .nn import ACTIVATIONS, MLP
from .runfolder import recover

FORMAT = "micrograd-model"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be read: not JSON, not a micrograd model, truncated or inconsistent."""


# --- save ------------------------------------------------------------------------


def model_to_dict(model: Classifier | MLP) -> dict[str, Any]:
    """The JSON-ready description of a model (a bare MLP is saved with classes "0", "1", ...)."""
    clf = model if isinstance(model, Classifier) else _bare_classifier(model)
    mlp = clf.mlp
    if [len(layer.neurons) for layer in mlp.layers] != mlp.nouts:
        raise ValueError(
            f"the MLP's layers no longer match the nouts {mlp.nouts} it was built with; "
            "build a new MLP with the sizes wanted instead of changing its layers"
        )
    weights = []
    for layer in mlp.layers:
        neurons = []
        for n in layer.neurons:
            values = [float(w.data) for w in n.w] + [float(n.b.data)]
            if not all(math.isfinite(v) for v in values):
                raise ValueError("the model has a weight that is nan or infinite; it cannot be saved")
            neurons.append({"w": values[:-1], "b": values[-1]})
        weights.append(neurons)
    std = clf.standardizer
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {
            "type": "MLP",
            "nin": mlp.nin,
            "nouts": list(mlp.nouts),
            "activation": mlp.activation,
        },
        "classes": clf.classes,
        "feature_names": clf.feature_names,
        "standardization": None if std is None else {"mean": std.mean, "std": std.std},
        "loss": clf.loss,
        "target": clf.target,
        "layers": weights,
    }


def _bare_classifier(mlp: MLP) -> Classifier:
    return Classifier(mlp, [str(i) for i in range(max(mlp.nouts[-1], 2))])


def save_model(model: Classifier | MLP, path: str | Path) -> None:
    """Save ``model`` as JSON at ``path``, atomically: an existing file is replaced only by a whole one."""
    text = json.dumps(model_to_dict(model), indent=1, allow_nan=False) + "\n"
    atomic_write_text(path, text)


# --- load ------------------------------------------------------------------------


def _expect(condition: bool, path: Path, problem: str) -> None:
    if not condition:
        raise ModelFileError(f"{path}: {problem}")


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _is_count(x: object) -> bool:
    return type(x) is int and x >= 1  # not bool: True is no size


def _is_int_list(x: object) -> bool:
    return isinstance(x, list) and bool(x) and all(_is_count(v) for v in x)


def _is_name(x: object) -> bool:
    """A str that can be printed and written as UTF-8 (JSON allows lone surrogates such as \\ud800)."""
    if not isinstance(x, str):
        return False
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _same_named(names: list[str], *, as_numbers: bool) -> list[str]:
    """The names that repeat an earlier one (exactly, or as the same number when ``as_numbers``)."""
    seen, repeated = set(), []
    for name in names:
        key: object = name
        if as_numbers:
            try:
                key = float(name)
            except ValueError:
                pass
        if key in seen:
            repeated.append(name)
        seen.add(key)
    return repeated


def _check_names(d: dict, nin: int, n_scores: int, path: Path) -> tuple[list[str], list[str]]:
    classes = d.get("classes")
    _expect(
        isinstance(classes, list) and len(classes) >= 2 and all(_is_name(c) for c in classes),
        path,
        "classes must be a list of at least two names",
    )
    _expect(
        n_scores == len(classes) or (n_scores == 1 and len(classes) == 2),
        path,
        f"{n_scores} outputs cannot score {len(classes)} classes",
    )
    for name in _same_named(classes, as_numbers=True)[:1]:
        raise ModelFileError(f"{path}: classes: {shown(name)} names a class already listed")
    names = d.get("feature_names")
    _expect(
        isinstance(names, list) and len(names) == nin and all(_is_name(n) for n in names),
        path,
        f"feature_names must list {nin} names",
    )
    for name in _same_named(names, as_numbers=False)[:1]:
        raise ModelFileError(f"{path}: feature_names: {shown(name)} is listed twice")
    return classes, names


def _check_standardization(std: object, nin: int, path: Path) -> Standardizer | None:
    """The saved Standardizer, or None; each std must have a finite reciprocal (see the docstring above)."""
    if std is None:
        return None
    ok = isinstance(std, dict) and all(
        isinstance(std.get(k), list) and len(std[k]) == nin and all(_is_number(v) for v in std[k])
        for k in ("mean", "std")
    )
    _expect(ok, path, f"standardization needs {nin} finite means and {nin} stds")
    for j, s in enumerate(std["std"]):
        _expect(
            s > 0 and math.isfinite(1 / s),
            path,
            f"standardization: the std {shown(s)} of feature {j} must be positive and above "
            f"{1 / sys.float_info.max:.3g}, so that 1/std is finite (standardizing divides by it)",
        )
    return Standardizer([float(v) for v in std["mean"]], [float(v) for v in std["std"]])


def model_from_dict(d: Any, path: str | Path = "<model>") -> Classifier:
    """Rebuild the Classifier that ``model_to_dict`` described, checking every part of it."""
    path = Path(path)
    _expect(isinstance(d, dict) and d.get("format") == FORMAT, path, "not a micrograd model file")
    version = d.get("version")
    _expect("version" in d, path, "the model file has no format version")
    _expect(
        _is_count(version), path, f"the format version must be a whole number from 1 on, not {shown(version)}"
    )
    _expect(
        version <= VERSION,
        path,
        f"written in model format version {version}, but this micrograd reads up to version {VERSION}; "
        "upgrade micrograd",
    )
    arch = d.get("architecture")
    _expect(isinstance(arch, dict) and arch.get("type") == "MLP", path, "missing or unknown architecture")
    nin, nouts, activation = arch.get("nin"), arch.get("nouts"), arch.get("activation")
    _expect(_is_count(nin), path, f"architecture: bad nin {shown(nin)}")
    _expect(_is_int_list(nouts), path, f"architecture: bad nouts {shown(nouts)}")
    _expect(
        isinstance(activation, str) and activation in ACTIVATIONS,
        path,
        f"architecture: unknown activation {shown(activation)}",
    )
    layers = d.get("layers")
    sizes = [nin] + nouts
    _expect(
        isinstance(layers, list) and [len(x) if isinstance(x, list) else None for x in layers] == nouts,
        path,
        f"the weights do not match the architecture {nin} -> {nouts}",
    )
    for i, saved in enumerate(layers):  # check every shape before building anything
        for j, s in enumerate(saved):
            ok = (
                isinstance(s, dict)
                and isinstance(s.get("w"), list)
                and len(s["w"]) == sizes[i]
                and all(_is_number(v) for v in s["w"])
                and _is_number(s.get("b"))
            )
            _expect(ok, path, f"layer {i}, neuron {j}: expected {sizes[i]} finite weights and a bias")
    # a private generator: the weights are overwritten, and the global one must not advance
    mlp = MLP(nin, nouts, activation=activation, rng=random.Random(0))
    for layer, saved in zip(mlp.layers, layers, strict=True):
        for neuron, s in zip(layer.neurons, saved, strict=True):
            for w, v in zip(neuron.w, s["w"], strict=True):
                w.data = float(v)
            neuron.b.data = float(s["b"])
    classes, names = _check_names(d, nin, nouts[-1], path)
    standardizer = _check_standardization(d.get("standardization"), nin, path)
    loss = d.get("loss")
    _expect(loss is None or isinstance(loss, str), path, "loss must be a name")
    target = d.get("target")
    _expect(target is None or isinstance(target, str), path, "target must be a column name")
    return Classifier(mlp, classes, names, standardizer, loss, target)


def load_model(path: str | Path) -> Classifier:
    """Load a model saved by ``save_model``: a Classifier (its ``.mlp`` is the network).

    Raises FileNotFoundError for a missing file and ModelFileError for a file that is
    not valid JSON (corrupt, truncated), not a micrograd model, or inconsistent.
    """
    path = Path(path)
    recover(path.parent, finish_only=True)  # a run killed while replacing its files: finish that first
    d = parse_json(path.read_bytes(), path, ModelFileError, "micrograd model file")
    return model_from_dict(d, path)
