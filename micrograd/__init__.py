"""micrograd: a tiny scalar-valued autograd engine and a neural-network library on top."""

from .engine import Value, is_grad_enabled, no_grad
from .nn import MLP, Layer, Module, Neuron


def compile(root: Value, params: list[Value] | None = None):  # numpy is imported on the first call
    """Compile the static graph under ``root`` into a fast numpy program (see ``micrograd.compile``)."""
    from .compile import compile as _compile  # the submodule, once imported, is callable too

    return _compile(root, params)


__all__ = ["Value", "no_grad", "is_grad_enabled", "Module", "Neuron", "Layer", "MLP", "compile"]
__version__ = "0.2.0"
