"""``InputLayer`` and ``tkl.Input``: the symbolic entry of a functional graph."""

from .._dtypes import dtype_name
from ..layer import Layer
from ..saving import register_serializable
from ..symbolic import KerasTensor, Node
from . import _auto_wrap

__all__ = ["Input", "InputLayer"]


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802
    """Creates a symbolic input of shape ``(batch_size,) + shape`` for a functional model.

    From here until the first call on real tensors (or ``torch.compile(module)``), a
    torch module called on the symbolic tensors becomes a ``TorchModuleWrapper`` layer
    of the graph (see ``tkl.layers.TorchModuleWrapper``).

    Args:
        shape: shape of one sample, without the batch axis; ``None`` for unknown sizes.
        batch_size: fixed batch size, or ``None`` (default) for any.
        dtype: dtype name or ``torch.dtype``; default ``torch.get_default_dtype()``.
        name: name of the input (also the key for dict inputs).
        batch_shape: the full shape including the batch axis, instead of shape/batch_size.

    Returns:
        A :class:`KerasTensor`.

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.Input((28, 28, 1)).shape
        (None, 28, 28, 1)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)
    _auto_wrap.arm()
    return layer.output


@register_serializable(package="keras")
class InputLayer(Layer):
    """Holds the symbolic input of a functional model (see :func:`tkl.Input`).

    Args:
        shape: shape of one sample, without the batch axis.
        batch_size: fixed batch size or ``None``.
        dtype: dtype of the input.
        batch_shape: the full shape, instead of ``shape``/``batch_size``.
        name: name of the input.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None, **kwargs):
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "Input() needs a shape: pass shape=(...) for one sample without the batch "
                    "axis, e.g. tkl.Input(shape=(28, 28, 1)), or batch_shape=(None, 28, 28, 1)."
                )
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        elif shape is not None:
            raise ValueError("Input(): pass either shape (with batch_size) or batch_shape, not both.")
        input_dtype = dtype
        super().__init__(name=name, dtype=None, **kwargs)
        tensor = KerasTensor(tuple(batch_shape), dtype=input_dtype, name=self.name)
        vars(self).update(batch_shape=tensor.shape, input_dtype=tensor.dtype, output=tensor)
        Node(self, (), {}, tensor)
        self.built = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": dtype_name(self.input_dtype),
            "name": self.name,
        }
