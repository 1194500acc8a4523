"""The bridge to PyTorch: an MLP as a ``torch.nn.Sequential`` and back, a model file as a torch file.

``to_torch(mlp)`` builds a float64 ``Sequential`` of ``Linear`` and activation layers with the
same weights; its ``state_dict()`` has the keys of ``mlp.state_dict()`` (layer i of the MLP is
module 2i, the activations sit between). ``from_torch(module)`` goes the other way.
``optimizer_to_torch`` carries an optimizer's state over, so training continues in PyTorch
where it stopped here. ``export_model`` / ``import_model`` turn a saved ``model.json`` into a
file for ``torch.load(path, weights_only=True)`` and back.

torch is an optional extra: it is imported only when one of these functions is called.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .classifier import Classifier
from .data import Standardizer
from .modelfile import load_model, save_model
from .nn import MLP
from .optim import SGD, Adam, Optimizer

FORMAT = "micrograd-torch"
VERSION = 1
ACTIVATION_LAYERS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}
_ACTIVATIONS = {layer: name for name, layer in ACTIVATION_LAYERS.items()}
SUPPORTED = "Linear layers with ReLU, Tanh or Sigmoid (or Identity) between them"


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "this needs PyTorch, which is not installed: pip install torch (the CPU build is enough)"
        ) from None
    return torch


def layer_specs(mlp: MLP) -> list[list]:
    """The ``Sequential``'s layers as ``[name, *arguments]`` of ``torch.nn``: ``[["Linear", 2, 16],
    ["ReLU"], ..., ["Linear", 16, 1]]`` (an activation follows the last layer only if it has one)."""
    specs = []
    for i, layer in enumerate(mlp.layers):
        kinds = {n.activation for n in layer.neurons}
        if len(kinds) != 1:
            raise ValueError(f"layer {i} mixes the activations {sorted(kinds)}; torch needs one per layer")
        (kind,) = kinds
        specs.append(["Linear", len(layer.neurons[0].w), len(layer.neurons)])
        if i < len(mlp.layers) - 1 or kind != "linear":
            specs.append([ACTIVATION_LAYERS[kind]])
    return specs


def _sequential(torch, specs: list[list]):
    """A float64 Sequential from ``layer_specs``; ``skip_init`` leaves torch's random generator alone."""
    layers = [
        torch.nn.utils.skip_init(torch.nn.Linear, *args, dtype=torch.float64)
        if name == "Linear"
        else getattr(torch.nn, name)(*args)
        for name, *args in specs
    ]
    return torch.nn.Sequential(*layers)


def to_torch(mlp: MLP):
    """``mlp`` as a float64 ``torch.nn.Sequential`` with the same weights and the same outputs."""
    torch = _torch()
    module = _sequential(torch, layer_specs(mlp))
    module.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in mlp.state_dict().items()})
    return module


def from_torch(module: Any) -> MLP:
    """The MLP computing what ``module`` computes: a ``torch.nn.Sequential`` of Linear layers (with
    biases) and one kind of activation between them, ending with a Linear layer."""
    torch = _torch()
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch takes a torch.nn.Sequential of {SUPPORTED}; got {type(module).__name__}")
    children = list(module.named_children())
    if not children:
        raise ValueError("from_torch got an empty Sequential; an MLP needs at least one Linear layer")
    linears, activation = [], None
    for position, (name, child) in enumerate(children):
        where = f"layer {name} ({child})"
        if isinstance(child, torch.nn.Linear):
            if position % 2:
                raise ValueError(
                    f"{where} follows another Linear layer; put an activation (or nn.Identity()) between them"
                )
            if child.bias is None:
                raise ValueError(f"{where} has no bias; every micrograd neuron has one (use bias=True)")
            if linears and child.in_features != linears[-1].out_features:
                raise ValueError(
                    f"{where} takes {child.in_features} inputs, but the layer before gives "
                    f"{linears[-1].out_features}"
                )
            linears.append(child)
        elif type(child).__name__ in _ACTIVATIONS and type(child) is getattr(torch.nn, type(child).__name__):
            kind = _ACTIVATIONS[type(child).__name__]
            if position % 2 == 0:
                raise ValueError(f"{where} is not after a Linear layer; from_torch takes {SUPPORTED}")
            if position == len(children) - 1:
                raise ValueError(
                    f"the Sequential ends with {where}, but an MLP's last layer is linear: drop it "
                    f"and apply the activation to the MLP's output (e.g. out.{kind}())"
                )
            if activation is not None and kind != activation:
                raise ValueError(f"{where} differs from the activation before it; an MLP has one activation")
            activation = kind
        else:
            raise ValueError(f"{where} is not supported: from_torch takes {SUPPORTED}")
    nouts = [lin.out_features for lin in linears]
    # a private generator: the weights are overwritten, and the global one must not advance
    mlp = MLP(linears[0].in_features, nouts, activation=activation or "relu", rng=random.Random(0))
    state = {}
    for i, lin in enumerate(linears):
        state[f"{2 * i}.weight"] = lin.weight.detach().cpu().tolist()
        state[f"{2 * i}.bias"] = lin.bias.detach().cpu().tolist()
    mlp.load_state_dict(state)
    return mlp


def optimizer_to_torch(optimizer: Optimizer, mlp: MLP, module: Any):
    """A ``torch.optim`` optimizer on ``module`` (= ``mlp.to_torch()``) with the settings and the
    state of ``optimizer`` (on ``mlp.parameters()``), so that its next step is the one ours would take."""
    torch = _torch()
    saved = optimizer.state_dict()
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in saved["settings"].items()}
    if isinstance(optimizer, Adam):
        kind = torch.optim.AdamW if optimizer.decoupled else torch.optim.Adam
        per_param = ("exp_avg", "exp_avg_sq")
    elif isinstance(optimizer, SGD):
        kind, per_param = torch.optim.SGD, ("momentum_buffer",)
    else:
        raise TypeError(f"optimizer_to_torch knows SGD, Adam and AdamW, not {type(optimizer).__name__}")
    theirs = kind(module.parameters(), foreach=False, **settings)
    position = {id(p): i for i, p in enumerate(optimizer.params)}
    if any(id(p) not in position for p in mlp.parameters()):
        raise ValueError("the optimizer is not on mlp.parameters(): build it on the same model")
    layout = []  # each torch parameter as indices into optimizer.params, in module.parameters() order
    for layer in mlp.layers:
        layout.append([[position[id(w)] for w in n.w] for n in layer.neurons])
        layout.append([position[id(n.b)] for n in layer.neurons])
    tensors = list(module.parameters())
    if [list(t.shape) for t in tensors] != [_shape(x) for x in layout]:
        raise ValueError("module is not mlp.to_torch(): its parameters have other shapes")
    for t, indices in zip(tensors, layout, strict=True):
        state = {}
        for key in per_param:
            values = saved["state"][key]
            if all(values[i] is not None for i in _flat(indices)):
                state[key] = torch.tensor(_lay_out(indices, values), dtype=torch.float64)
        if "step" in saved["state"] and saved["state"]["step"]:
            state["step"] = torch.tensor(float(saved["state"]["step"]))
        if state:
            theirs.state[t] = state
    return theirs


def _lay_out(indices: list, values: list) -> list:
    return [_lay_out(i, values) if isinstance(i, list) else values[i] for i in indices]


def _flat(indices: list) -> list[int]:
    return [j for i in indices for j in (_flat(i) if isinstance(i, list) else [i])]


def _shape(indices: list) -> list[int]:
    return [len(indices), *(_shape(indices[0]) if indices and isinstance(indices[0], list) else [])]


# --- model files as torch files ------------------------------------------------------


def export_model(model_json: str | Path, torch_file: str | Path) -> None:
    """Write the model saved at ``model_json`` as a torch file (atomically).

    The file holds plain containers and tensors (``torch.load(path, weights_only=True)``
    reads it): ``"layers"``, the ``torch.nn`` layers by name and arguments; ``"state_dict"``,
    the float64 weights of that Sequential; and the model file's classes, feature names,
    standardisation, loss and target. Rebuilding the network with plain torch::

        ckpt = torch.load(path, weights_only=True)
        net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args) for name, *args in ckpt["layers"]))
        net = net.double()
        net.load_state_dict(ckpt["state_dict"])
    """
    torch = _torch()
    clf = load_model(model_json)
    std = clf.standardizer
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "layers": layer_specs(clf.mlp),
        "state_dict": to_torch(clf.mlp).state_dict(),
        "classes": list(clf.classes),
        "feature_names": list(clf.feature_names),
        "standardization": None if std is None else {"mean": list(std.mean), "std": list(std.std)},
        "loss": clf.loss,
        "target": clf.target,
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(torch_file, buf.getvalue())


def import_model(torch_file: str | Path, model_json: str | Path) -> None:
    """Write the torch file made by ``export_model`` (perhaps trained further in PyTorch) back as a
    micrograd model file at ``model_json``. For any other torch model, use ``MLP.from_torch``."""
    torch = _torch()
    path = Path(torch_file)
    try:
        d = torch.load(path, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as e:  # torch raises several kinds for a file that is not its own
        raise ValueError(f"{path}: not a torch file that torch.load(weights_only=True) reads ({e})") from None
    if not (isinstance(d, dict) and d.get("format") == FORMAT):
        raise ValueError(
            f"{path}: not a file written by micrograd.pytorch.export_model; for another torch model, "
            "build it, load its weights and call MLP.from_torch(module)"
        )
    if not isinstance(d.get("version"), int) or d["version"] > VERSION:
        raise ValueError(
            f"{path}: written in export version {d.get('version')!r}; this micrograd reads "
            f"up to version {VERSION}: upgrade micrograd"
        )
    specs = d.get("layers")
    known = {"Linear", *ACTIVATION_LAYERS.values()}
    if not (
        isinstance(specs, list)
        and all(
            isinstance(s, list) and s and s[0] in known and all(type(a) is int for a in s[1:]) for s in specs
        )
    ):
        raise ValueError(f"{path}: 'layers' must list torch.nn layers among {', '.join(sorted(known))}")
    module = _sequential(torch, specs)
    try:
        module.load_state_dict(d.get("state_dict"))
    except (RuntimeError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: the weights do not fit the layers: {e}") from None
    std = d.get("standardization")
    clf = Classifier(
        from_torch(module),
        d.get("classes") or [],
        d.get("feature_names"),
        None if std is None else Standardizer(list(std["mean"]), list(std["std"])),
        d.get("loss"),
        d.get("target"),
    )
    save_model(clf, model_json)
