"""Zero-padding layers: ``ZeroPadding1D``, ``ZeroPadding2D`` and ``ZeroPadding3D``
(one ``F.pad`` call; any dtype)."""

import torch.nn.functional as F

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import standardize_pairs, standardize_tuple

__all__ = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]


class _ZeroPadding(Layer):
    """Pads the spatial axes with zeros; subclasses set ``_rank`` and
    ``self._pairs`` (one ``(before, after)`` per spatial axis)."""

    _rank = 2

    def _setup(self, data_format):
        self.data_format = _config.standardize_data_format(data_format)
        # F.pad lists the last axis first; channels_last inputs are padded through their
        # channels-first view, so the output keeps the input's memory layout.
        self._pads = tuple(p for pair in reversed(self._pairs) for p in pair)
        self._noop = not any(self._pads)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs):
        if self._noop:
            return inputs
        if self.data_format == "channels_last":
            return F.pad(inputs.movedim(-1, 1), self._pads).movedim(1, -1)
        return F.pad(inputs, self._pads)

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        start = 1 if self.data_format == "channels_last" else 2
        for axis, (before, after) in enumerate(self._pairs, start=start):
            if input_shape[axis] is not None:
                input_shape[axis] += before + after
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding, data_format=self.data_format)
        return config


@register_serializable(package="keras")
class ZeroPadding1D(_ZeroPadding):
    """Pads sequences with zeros at the start and the end of the steps axis.

    Args:
        padding: an int (the same at both ends) or a tuple ``(left_pad, right_pad)`` of
            non-negative ints.
        data_format: ``"channels_last"`` (default): inputs ``(batch, steps, features)``;
            ``"channels_first"``: inputs ``(batch, features, steps)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        The steps axis grows by ``left_pad + right_pad``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ZeroPadding1D((1, 2))(torch.ones(1, 2, 1))[0, :, 0]
        tensor([0., 1., 1., 0., 0.])
    """

    _rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = standardize_tuple(self, padding, 2, "padding", allow_zero=True)
        self._pairs = (self.padding,)
        self._setup(data_format)


@register_serializable(package="keras")
class ZeroPadding2D(_ZeroPadding):
    """Pads images with zeros at the top, bottom, left and right.

    Args:
        padding: an int (the same padding on all four sides), a tuple of 2 ints
            ``(symmetric_height_pad, symmetric_width_pad)``, or a tuple of 2 tuples of
            2 ints ``((top_pad, bottom_pad), (left_pad, right_pad))``. Non-negative.
        data_format: ``"channels_last"`` (default): inputs ``(batch, height, width,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, height, width)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Height grows by ``top_pad + bottom_pad``, width by ``left_pad + right_pad``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ZeroPadding2D(((1, 0), (2, 1)))(torch.ones(1, 4, 4, 3)).shape
        torch.Size([1, 5, 7, 3])
    """

    _rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = self._pairs = standardize_pairs(self, padding, 2, "padding")
        self._setup(data_format)


@register_serializable(package="keras")
class ZeroPadding3D(_ZeroPadding):
    """Pads volumes with zeros on both sides of their three spatial axes.

    Args:
        padding: an int (every side), a tuple of 3 ints (symmetric per axis), or a
            tuple of 3 tuples of 2 ints ``((left_dim1, right_dim1), (left_dim2,
            right_dim2), (left_dim3, right_dim3))``. Non-negative.
        data_format: ``"channels_last"`` (default): inputs ``(batch, dim1, dim2, dim3,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, dim1, dim2,
            dim3)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Each spatial axis grows by the sum of its two paddings.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ZeroPadding3D((1, (0, 2), 0))(torch.ones(1, 2, 2, 2, 3)).shape
        torch.Size([1, 4, 4, 2, 3])
    """

    _rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = self._pairs = standardize_pairs(self, padding, 3, "padding")
        self._setup(data_format)
