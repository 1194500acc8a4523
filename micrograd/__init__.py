"""micrograd: a tiny scalar-valued autograd engine and a neural-network library on top."""

from .engine import Value, is_grad_enabled, no_grad
from .nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "no_grad", "is_grad_enabled", "Module", "Neuron", "Layer", "MLP"]
__version__ = "0.2.0"


def __getattr__(name: str):
    # the pictures load on first use, so `import micrograd` never imports graphviz
    if name in ("draw_dot", "draw_html"):
        from . import viz

        return getattr(viz, name)
    raise AttributeError(f"module 'micrograd' has no attribute {name!r}")
