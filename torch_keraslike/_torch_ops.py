"""torch functions applied to ``KerasTensor``s join the functional graph.

``torch.cat([a, b], 1)``, ``x + y`` or ``x[:, 0]`` on symbolic tensors become calls of a
``TorchOpLayer`` that holds the function; configs name the function by its path under
the ``torch`` namespace (``"torch.cat"``), resolved by attribute lookup, never by import.
"""

import torch

from ._naming import unique_name
from .layer import Layer
from .saving import register_serializable
from .symbolic import KerasTensor, flatten, raise_op_error

# Methods that produce Python values (not tensors) from tensor data cannot be symbolic.
_VALUE_METHODS = {"item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "__len__"}


def _function_path(func):
    """``torch.cat`` -> ``"torch.cat"``; ``torch.Tensor.__getitem__`` ->
    ``"torch.Tensor.__getitem__"``; None when it cannot be named under ``torch``."""
    name = getattr(func, "__name__", None)
    if name is None:
        return None
    for prefix, owner in (("torch", torch), ("torch.Tensor", torch.Tensor),
                          ("torch.nn.functional", torch.nn.functional), ("torch.linalg", torch.linalg),
                          ("torch.special", torch.special), ("torch.fft", torch.fft)):
        if getattr(owner, name, None) is func:
            return f"{prefix}.{name}"
    return None


def _resolve_function(path):
    parts = path.split(".")
    if parts[0] != "torch":
        raise ValueError(f"TorchOpLayer: {path!r} is not a torch function; configs only name torch functions.")
    obj = torch
    for part in parts[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            raise ValueError(f"TorchOpLayer: torch has no function {path!r} in this version.")
    return obj


@register_serializable(package="keras")
class TorchOpLayer(Layer):
    """A torch function applied to the outputs of other layers in a functional model.

    Created automatically when a torch function or operator receives ``KerasTensor``s.

    Args:
        function: the torch function, or its path under ``torch`` (``"torch.cat"``).
    """

    _allow_non_tensor_positional_args = True

    def __init__(self, function, **kwargs):
        kwargs.setdefault("autocast", False)  # torch ops keep their inputs' dtypes
        super().__init__(**kwargs)
        self.function = _resolve_function(function) if isinstance(function, str) else function

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def _convert_inputs(self, args, kwargs):
        # Constants stay as given (``x + 1``, ``torch.cat(xs, dim=1)``): torch takes them.
        return args, kwargs

    def compute_output_spec(self, *args, **kwargs):
        try:
            return super().compute_output_spec(*args, **kwargs)
        except Exception as error:
            tensor = next(t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor))
            raise TypeError(
                f"{_function_path(self.function) or self.function!r} failed on symbolic inputs "
                f"({error}). If it needs values, wrap it in tkl.layers.Lambda."
            ) from None

    def get_config(self):
        path = _function_path(self.function)
        if path is None:
            raise ValueError(
                f'Layer "{self.name}" applies {self.function!r}, which is not a torch function '
                "and cannot be named in a config. Fix: use a tkl.layers.Lambda with a "
                "registered function."
            )
        config = super().get_config()
        config["function"] = path
        return config


def symbolic_torch_call(func, args, kwargs):
    """``__torch_function__`` of ``KerasTensor``: records ``func`` as a graph node."""
    tensor = next(t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor))
    name = getattr(func, "__name__", repr(func))
    if name in _VALUE_METHODS or _function_path(func) is None:
        raise_op_error(f"torch.{name}" if _function_path(func) is None else _function_path(func), tensor)
    layer = TorchOpLayer(func, name=unique_name(f"torch_op_{name.strip('_')}"))
    return layer(*args, **kwargs)
