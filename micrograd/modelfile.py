"""Model files: versioned, human-readable JSON, written atomically. Never pickle.

``micrograd.io`` re-exports these names (and ``micrograd.atomic``'s) for code written against 0.2.0.

A model file holds the architecture (``nin``, ``nouts``, ``activation``), every weight
and bias (as Python writes floats, so they load back to the last bit), the class
names, the feature names and the input standardisation::

    {"format": "micrograd-model", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu"},
     "classes": ["0", "1"], "feature_names": ["x0", "x1"], "standardization": null,
     "loss": "hinge", "target": null, "layers": [[{"w": [...], "b": 0.0}, ...], ...]}
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .classifier import Classifier
from .data import Standardizer
from .nn import ACTIVATIONS, MLP

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


def _is_int_list(x: object) -> bool:
    return isinstance(x, list) and bool(x) and all(isinstance(v, int) and v >= 1 for v in x)


def model_from_dict(d: Any, path: str | Path = "<model>") -> Classifier:
    """Rebuild the Classifier that ``model_to_dict`` described, checking every part of it."""
    path = Path(path)
    _expect(isinstance(d, dict) and d.get("format") == FORMAT, path, "not a micrograd model file")
    version = d.get("version")
    _expect(isinstance(version, int), path, "the model file has no format version")
    _expect(
        version <= VERSION,
        path,
        f"written in model format version {version}, but this micrograd reads up to version {VERSION}; "
        "upgrade micrograd",
    )
    arch = d.get("architecture")
    _expect(isinstance(arch, dict) and arch.get("type") == "MLP", path, "missing or unknown architecture")
    nin, nouts, activation = arch.get("nin"), arch.get("nouts"), arch.get("activation")
    _expect(isinstance(nin, int) and nin >= 1, path, f"architecture: bad nin {nin!r}")
    _expect(_is_int_list(nouts), path, f"architecture: bad nouts {nouts!r}")
    _expect(activation in ACTIVATIONS, path, f"architecture: unknown activation {activation!r}")
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
                w.data = v
            neuron.b.data = s["b"]
    classes = d.get("classes")
    _expect(
        isinstance(classes, list) and len(classes) >= 2 and all(isinstance(c, str) for c in classes),
        path,
        "classes must be a list of at least two names",
    )
    _expect(
        nouts[-1] == len(classes) or (nouts[-1] == 1 and len(classes) == 2),
        path,
        f"{nouts[-1]} outputs cannot score {len(classes)} classes",
    )
    names = d.get("feature_names")
    _expect(
        isinstance(names, list) and len(names) == nin and all(isinstance(n, str) for n in names),
        path,
        f"feature_names must list {nin} names",
    )
    std = d.get("standardization")
    standardizer = None
    if std is not None:
        ok = isinstance(std, dict) and all(
            isinstance(std.get(k), list) and len(std[k]) == nin and all(_is_number(v) for v in std[k])
            for k in ("mean", "std")
        )
        _expect(ok and all(s > 0 for s in std["std"]), path, f"standardization needs {nin} means and stds")
        standardizer = Standardizer(list(std["mean"]), list(std["std"]))
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
    raw = path.read_bytes()
    try:
        d = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: not a micrograd model file (not UTF-8 text)") from None
    except json.JSONDecodeError as e:
        raise ModelFileError(
            f"{path}: not a valid model file (bad JSON at line {e.lineno}, column {e.colno}: {e.msg}); "
            "the file may be truncated or corrupt"
        ) from None
    return model_from_dict(d, path)
