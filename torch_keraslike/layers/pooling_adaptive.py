"""Adaptive pooling layers (Keras 3): ``AdaptiveAveragePooling1D/2D/3D`` and
``AdaptiveMaxPooling1D/2D/3D``.

The output has a fixed spatial size whatever the input's size. Output index ``i`` of
an axis of input size ``n`` and output size ``m`` pools the input positions
``floor(i * n / m)`` to ``ceil((i + 1) * n / m) - 1`` (torch's fused adaptive kernels,
which Keras's torch backend also runs; windows overlap when ``n`` is not a multiple of
``m``). ``channels_last`` inputs go through as permuted views.
"""

import torch.nn.functional as F

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import is_int, is_positive_int, layer_label

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
]

_AXES = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


class _AdaptivePooling(Layer):
    """Adaptive pooling to a fixed output size.

    Args:
        output_size: the size of every spatial axis of the output: an int (the same
            for all axes) or a tuple of one positive int per spatial axis.
        data_format: ``"channels_last"`` (default): inputs ``(batch, *spatial,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, *spatial)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        The spatial axes become ``output_size``; batch and channels are unchanged.
    """

    _rank = 2
    _kernel = staticmethod(F.adaptive_avg_pool2d)  # torch's fused kernel, channels_first

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = self._standardize(output_size)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _standardize(self, output_size):
        rank = self._rank
        if is_int(output_size):
            sizes = (output_size,) * rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == rank:
            sizes = tuple(output_size)
        elif rank == 1 and isinstance(output_size, (tuple, list)):
            raise ValueError(
                f"{layer_label(self)}: For 1D input, `output_size` tuple must have length 1. "
                f"Received: {output_size!r}. Fix: pass an int, e.g. output_size=8."
            )
        else:
            raise TypeError(
                f"{layer_label(self)}: `output_size` must be an integer or {_AXES[rank]} tuple. "
                f"Received: {output_size!r} of type {type(output_size)}. Fix: e.g. "
                f"output_size={(4,) * rank if rank > 1 else 4}."
            )
        if not all(is_positive_int(s) for s in sizes):
            raise ValueError(
                f"{layer_label(self)}: every entry of `output_size` must be a positive int, "
                f"received output_size={output_size!r}. Fix: e.g. output_size={(4,) * rank}."
            )
        return tuple(int(s) for s in sizes)

    def call(self, inputs):
        channels_last = self.data_format == "channels_last"
        x = inputs.movedim(-1, 1) if channels_last else inputs
        outputs = self._kernel(x, self.output_size)
        return outputs.movedim(1, -1) if channels_last else outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + self.output_size + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + self.output_size

    def get_config(self):
        config = super().get_config()
        config.update(output_size=self.output_size, data_format=self.data_format)
        return config


def _doc(kind, rank, example):
    return f"Adaptive {kind} pooling over the {rank} spatial axis(es) of the input." + (
        _AdaptivePooling.__doc__.split("\n", 1)[1] + example)


@register_serializable(package="keras")
class AdaptiveAveragePooling1D(_AdaptivePooling):
    __doc__ = _doc("average", 1, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AdaptiveAveragePooling1D(2)(torch.arange(6.0).reshape(1, 6, 1)).flatten()
        tensor([1., 4.])
    """)

    cast_integer_inputs = True  # the mean of integers is a float
    _rank = 1
    _kernel = staticmethod(F.adaptive_avg_pool1d)


@register_serializable(package="keras")
class AdaptiveAveragePooling2D(_AdaptivePooling):
    __doc__ = _doc("average", 2, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AdaptiveAveragePooling2D((2, 3))(torch.ones(1, 7, 9, 4)).shape
        torch.Size([1, 2, 3, 4])
    """)

    cast_integer_inputs = True  # the mean of integers is a float
    _rank = 2
    _kernel = staticmethod(F.adaptive_avg_pool2d)


@register_serializable(package="keras")
class AdaptiveAveragePooling3D(_AdaptivePooling):
    __doc__ = _doc("average", 3, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AdaptiveAveragePooling3D(2)(torch.ones(1, 5, 6, 7, 3)).shape
        torch.Size([1, 2, 2, 2, 3])
    """)

    cast_integer_inputs = True  # the mean of integers is a float
    _rank = 3
    _kernel = staticmethod(F.adaptive_avg_pool3d)


@register_serializable(package="keras")
class AdaptiveMaxPooling1D(_AdaptivePooling):
    __doc__ = _doc("max", 1, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AdaptiveMaxPooling1D(2)(torch.arange(6.0).reshape(1, 6, 1)).flatten()
        tensor([2., 5.])
    """)
    _rank = 1
    _kernel = staticmethod(F.adaptive_max_pool1d)


@register_serializable(package="keras")
class AdaptiveMaxPooling2D(_AdaptivePooling):
    __doc__ = _doc("max", 2, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AdaptiveMaxPooling2D(4, data_format="channels_first")(torch.ones(2, 3, 8, 8)).shape
        torch.Size([2, 3, 4, 4])
    """)
    _rank = 2
    _kernel = staticmethod(F.adaptive_max_pool2d)


@register_serializable(package="keras")
class AdaptiveMaxPooling3D(_AdaptivePooling):
    __doc__ = _doc("max", 3, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AdaptiveMaxPooling3D((1, 2, 3))(torch.ones(1, 4, 4, 4, 2)).shape
        torch.Size([1, 1, 2, 3, 2])
    """)
    _rank = 3
    _kernel = staticmethod(F.adaptive_max_pool3d)
