"""Cropping layers: ``Cropping1D``, ``Cropping2D`` and ``Cropping3D``.

The output is a view of the input (``narrow`` on each spatial axis, nothing copied).
A crop that leaves no element on an axis is rejected with Keras's message, before the
layer is built and on every later call.
"""

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import layer_label, standardize_pairs, standardize_tuple

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D"]


class _Cropping(Layer):
    """Crops the spatial axes; subclasses set ``_rank`` and ``self._pairs`` (one
    ``(before, after)`` per spatial axis)."""

    _rank = 2

    def _setup(self, data_format):
        self.data_format = _config.standardize_data_format(data_format)
        self._start = 1 if self.data_format == "channels_last" else 2
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        shape = inputs.shape
        for axis, (before, after) in enumerate(self._pairs, start=self._start):
            if before + after >= shape[axis]:
                self._raise_too_large(shape, "inputs.shape")
        for axis, (before, after) in enumerate(self._pairs, start=self._start):
            if before or after:
                inputs = inputs.narrow(axis, before, shape[axis] - before - after)
        return inputs

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, (before, after) in enumerate(self._pairs, start=self._start):
            if output[axis] is not None:
                output[axis] -= before + after
                if output[axis] <= 0:
                    self._raise_too_large(input_shape, "input_shape")
        return tuple(output)

    def _raise_too_large(self, shape, name):
        raise ValueError(
            f"{layer_label(self)}: Values in `cropping` argument should be smaller than the "
            f"corresponding spatial dimension of the input. Received: {name}={tuple(shape)}, "
            f"cropping={self.cropping}. Fix: crop less, or check data_format="
            f"{self.data_format!r}."
        )

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        if self._rank > 1:  # Cropping1D has no data_format in Keras
            config["data_format"] = self.data_format
        return config


@register_serializable(package="keras")
class Cropping1D(_Cropping):
    """Crops sequences at the start and the end of the steps axis.

    Args:
        cropping: an int (the same at both ends) or a tuple ``(start_crop, end_crop)``
            of non-negative ints.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, steps, features)``; output
        ``(batch, steps - start_crop - end_crop, features)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Cropping1D((1, 2))(torch.arange(5).reshape(1, 5, 1))[0, :, 0]
        tensor([1, 2])
    """

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(self, cropping, 2, "cropping", allow_zero=True)
        self._pairs = (self.cropping,)
        self._setup("channels_last")

    def _raise_too_large(self, shape, name):
        raise ValueError(
            f"{layer_label(self)}: `cropping` parameter of `Cropping1D` layer must be smaller "
            f"than the input length. Received: {name}={tuple(shape)}, cropping={self.cropping}. "
            "Fix: crop fewer steps than the sequence has."
        )


@register_serializable(package="keras")
class Cropping2D(_Cropping):
    """Crops images along height and width.

    Args:
        cropping: an int (every side), a tuple of 2 ints ``(symmetric_height_crop,
            symmetric_width_crop)``, or a tuple of 2 tuples of 2 ints
            ``((top_crop, bottom_crop), (left_crop, right_crop))``. Non-negative.
        data_format: ``"channels_last"`` (default): inputs ``(batch, height, width,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, height, width)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Height shrinks by ``top_crop + bottom_crop``, width by ``left_crop + right_crop``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Cropping2D(((2, 2), (4, 4)))(torch.ones(2, 28, 28, 3)).shape
        torch.Size([2, 24, 20, 3])
    """

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = self._pairs = standardize_pairs(self, cropping, 2, "cropping")
        self._setup(data_format)


@register_serializable(package="keras")
class Cropping3D(_Cropping):
    """Crops volumes along their three spatial axes.

    Args:
        cropping: an int (every side), a tuple of 3 ints (symmetric per axis), or a
            tuple of 3 tuples of 2 ints ``((left_dim1, right_dim1), (left_dim2,
            right_dim2), (left_dim3, right_dim3))``. Non-negative.
        data_format: ``"channels_last"`` (default): inputs ``(batch, dim1, dim2, dim3,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, dim1, dim2,
            dim3)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Each spatial axis shrinks by the sum of its two crops.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Cropping3D((1, (0, 2), 0))(torch.ones(1, 4, 4, 4, 2)).shape
        torch.Size([1, 2, 2, 4, 2])
    """

    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = self._pairs = standardize_pairs(self, cropping, 3, "cropping")
        self._setup(data_format)
