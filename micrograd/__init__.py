"""micrograd: a tiny scalar-valued autograd engine and a neural-network library on top."""

try:
    from .engine import Value, is_grad_enabled, no_grad, sum_of, topological_order
    from .functional import grad, hessian, hvp
    from .gradcheck import gradcheck, gradgradcheck
    from .losses import (
        binary_cross_entropy_with_logits,
        cross_entropy,
        hinge_loss,
        l2_regularization,
        mse_loss,
    )
    from .nn import MLP, Layer, Module, Neuron
    from .ops import define_op
    from .optim import SGD, Adam, AdamW, CosineDecay, LinearDecay
except ImportError as err:  # Karpathy's micrograd (the same import name) may have replaced some files
    from .installcheck import clash_message

    if (message := clash_message()) is None:
        raise
    raise ImportError(f"{err}\n{message}") from err


def compile(root: Value, params: list[Value] | None = None, *, exact: bool = True):  # numpy: on first call
    """Compile the static graph under ``root`` into a fast numpy ``Program`` (see ``micrograd.compiled``).

    ``exact=True`` gives the eager engine's results bit for bit; ``exact=False`` runs each
    layer as matrix products (BLAS), with results equal up to rounding (docs/compiled.md).
    A graph with operations made by ``define_op`` runs node by node in Python instead
    (``micrograd.compiled.defined``), with the same interface and the eager numbers.
    """
    from .compiled import CompileError, Program

    try:
        return Program(root, params, exact=exact)
    except CompileError:
        from .compiled.defined import compile_defined

        program = compile_defined(root, params)  # None where no defined op is the cause
        if program is None:
            raise
        return program


__all__ = [
    "Value",
    "no_grad",
    "is_grad_enabled",
    "sum_of",
    "topological_order",
    "gradcheck",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
]
__all__ += ["hinge_loss", "mse_loss", "binary_cross_entropy_with_logits", "cross_entropy"]
__all__ += ["l2_regularization"]
__all__ += ["SGD", "Adam", "AdamW", "LinearDecay", "CosineDecay"]
__all__ += ["compile"]
__all__ += ["grad", "hessian", "hvp", "gradgradcheck"]
__all__ += ["define_op"]
__version__ = "0.3.0"  # the one place the version is written (pyproject.toml reads it)


def __getattr__(name: str):
    # the pictures load on first use, so `import micrograd` never imports graphviz
    if name in ("draw_dot", "draw_html"):
        from . import viz

        return getattr(viz, name)
    raise AttributeError(f"module 'micrograd' has no attribute {name!r}")
