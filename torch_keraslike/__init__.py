"""torch_keraslike: Keras's Layer semantics as first-class ``torch.nn.Module``s.

    >>> import torch, torch_keraslike as tkl
    >>> layer = tkl.layers.Dense(4, activation="relu")
    >>> layer(torch.ones(2, 3)).shape     # weights created on the first call
    torch.Size([2, 4])
"""

from . import activations, config, constraints, initializers, regularizers, saving
from . import callbacks
from ._session import clear_session
from .graph import executing_eagerly, function
from .initializers import Initializer
from .input_spec import InputSpec, assert_input_compatibility
from .layer import Layer, StateDictMismatchError, UnbuiltLayerWarning
from .models import Model, Sequential
from .models.input_layer import Input
from .regularizers import Regularizer
from .scopes import device, name_scope
from .symbolic import KerasTensor
from . import _torch_ops  # noqa: F401  (registers TorchOpLayer for configs)

__version__ = "0.1.0"

__all__ = [
    "Initializer",
    "Input",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Regularizer",
    "Sequential",
    "StateDictMismatchError",
    "UnbuiltLayerWarning",
    "activations",
    "assert_input_compatibility",
    "backend",
    "callbacks",
    "clear_session",
    "config",
    "device",
    "executing_eagerly",
    "function",
    "constraints",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "quantization",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "version",
]

# Imported on first use (tkl.layers, tkl.ops...), keeping ``import torch_keraslike`` cheap
# on top of ``import torch``.
_LAZY_SUBMODULES = ("layers", "ops", "utils", "random", "backend", "optimizers", "dtype_policies",
                    "quantization", "losses", "metrics", "tree")
# Top-level names of classes that live in a lazily imported submodule.
_LAZY_ATTRIBUTES = {"Loss": "losses", "Metric": "metrics"}


def version():
    """The version of torch_keraslike (``keras.version()``'s counterpart)."""
    return __version__


def __getattr__(name):
    if name in _LAZY_SUBMODULES or name in _LAZY_ATTRIBUTES:
        import importlib

        module = importlib.import_module(f".{_LAZY_ATTRIBUTES.get(name, name)}", __name__)
        return getattr(module, name) if name in _LAZY_ATTRIBUTES else module
    raise AttributeError(f"module 'torch_keraslike' has no attribute {name!r}")
