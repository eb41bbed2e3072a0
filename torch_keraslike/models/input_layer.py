"""``InputLayer``: the layer behind ``tkl.Input``; its output is the graph's entry."""

from .._dtypes import dtype_name
from ..layer import Layer
from ..saving import register_serializable
from ..symbolic import KerasTensor, Node


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
