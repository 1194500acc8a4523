"""micrograd: a tiny scalar-valued autograd engine and a neural-network library on top."""

from .engine import Value, is_grad_enabled, no_grad, sum_of
from .gradcheck import gradcheck
from .losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, l2_regularization, mse_loss
from .nn import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, AdamW, CosineDecay, LinearDecay

__all__ = ["Value", "no_grad", "is_grad_enabled", "sum_of", "gradcheck", "Module", "Neuron", "Layer", "MLP"]
__all__ += ["hinge_loss", "mse_loss", "binary_cross_entropy_with_logits", "cross_entropy"]
__all__ += ["l2_regularization"]
__all__ += ["SGD", "Adam", "AdamW", "LinearDecay", "CosineDecay"]
__version__ = "0.2.0"
