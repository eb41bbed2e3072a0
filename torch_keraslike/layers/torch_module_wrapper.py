"""``TorchModuleWrapper``: any ``torch.nn.Module`` as a layer of a functional model.

A torch module (``nn.Linear``, a torchvision or timm block) called through the wrapper
on ``KerasTensor``s becomes one node of the graph and a tracked sub-module of the model:
its parameters are in ``parameters()`` and ``state_dict`` (``layers.<i>.module.<name>``),
``fit`` trains them, ``.to()`` moves them, its BatchNorm statistics update in training
and are saved and loaded with the model's ``state_dict``. Output shapes are inferred
on fake tensors, like any layer's.

The module runs in ``train()`` mode in training calls (``fit``, ``training=True``) and in
``eval()`` mode otherwise (``predict``, ``evaluate``, ``training=False``), as in Keras:
``Dropout`` drops and ``BatchNorm`` updates its statistics only while training. A
wrapper with ``trainable=False`` always runs its module in ``eval()`` mode (a frozen
backbone keeps its BatchNorm statistics, as Keras's frozen ``BatchNormalization``).

A torch module called directly on a ``KerasTensor`` while a model is being built
(``nn.Linear(4, 2)(x)`` after ``tkl.Input``) is wrapped automatically (see
``models/_auto_wrap.py``).

Its config cannot describe arbitrary torch code: ``get_config``/``save_model`` raise a
clear error; save such models with ``state_dict()`` (or ``torch.save``).

Example:
    >>> import torch, torch_keraslike as tkl
    >>> inputs = tkl.Input((4,))
    >>> hidden = tkl.layers.TorchModuleWrapper(torch.nn.Linear(4, 8))(inputs)
    >>> model = tkl.Model(inputs, tkl.layers.Dense(1)(hidden))
    >>> hidden.shape, [k for k in model.state_dict() if ".module." in k]
    ((None, 8), ['layers.1.module.weight', 'layers.1.module.bias'])
"""

import contextlib
import inspect

import numpy as np

from torch import nn

from ..layer import Layer
from ..saving import register_serializable

__all__ = ["TorchModuleWrapper"]


@contextlib.contextmanager
def inference_mode(module):
    """Shape inference must not update running statistics: the module runs in ``eval()``."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def _forward_parameters(module):
    try:
        return inspect.signature(module.forward).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return {}


@register_serializable(package="keras")
class TorchModuleWrapper(Layer):
    """Wraps a ``torch.nn.Module`` as a layer.

    Args:
        module: the torch module.
        name: layer name.
        output_shape: optional output shape (without batch), instead of inferring it.
        **kwargs: base ``Layer`` arguments (``trainable``).
    """

    _allow_non_tensor_positional_args = True

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"TorchModuleWrapper: module must be a torch.nn.Module, received {module!r} (of type "
                f"{type(module).__name__}). Fix: TorchModuleWrapper(torch.nn.Linear(4, 8))."
            )
        kwargs.setdefault("autocast", False)  # the torch module decides its own dtypes
        super().__init__(name=name, **kwargs)
        self.module = module
        self._module_takes_training = "training" in _forward_parameters(module)
        self.output_shape = None if output_shape is None else tuple(output_shape)

    def call(self, *args, training=None, **kwargs):
        module = self.module
        if self._module_takes_training:
            kwargs["training"] = training  # the module's own argument: passed on as given
        if training is not None:
            # As Keras's frozen BatchNormalization: a non-trainable wrapper runs its
            # module in inference mode, so frozen statistics stay frozen.
            training = bool(training) and self.trainable
            if module.training is not training:
                module.train(training)
        return module(*args, **kwargs)

    def _convert_inputs(self, args, kwargs):
        # The module gets its arguments as given, as when called directly: Python
        # numbers and lists stay what its forward expects (``isinstance(n, int)``);
        # only NumPy arrays become tensors, as Keras converts them.
        def convert(value):
            return self._array_to_tensor(value) if isinstance(value, np.ndarray) else value

        return tuple(convert(a) for a in args), {k: convert(v) for k, v in kwargs.items()}

    def compute_output_spec(self, *args, **kwargs):
        if self.output_shape is None:
            # Inferred by running the module on fakes: output dtypes are the module's
            # (Embedding on integer ids), not assumed from the inputs.
            return self._infer_output_spec(args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def _infer_output_spec(self, args, kwargs):
        with inference_mode(self.module):
            return super()._infer_output_spec(args, kwargs)

    def compute_output_shape(self, input_shape):
        if self.output_shape is not None:
            return (tuple(input_shape)[0],) + self.output_shape
        return super().compute_output_shape(input_shape)

    def get_config(self):
        raise NotImplementedError(
            f'Layer "{self.name}" (TorchModuleWrapper) holds the torch module '
            f"{type(self.module).__name__}, which a config cannot describe without running code. "
            "Fix: save the model's weights with torch.save(model.state_dict(), path) and rebuild "
            "the model in Python before load_state_dict (or torch.save(model) for a pickle)."
        )
