"""Global pooling layers: ``GlobalAveragePooling1D/2D/3D`` and
``GlobalMaxPooling1D/2D/3D`` (one reduction over every spatial axis)."""

import torch

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import layer_label

__all__ = [
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
]


class _GlobalPooling(Layer):
    """Shared implementation of the global pooling layers: the mean or the maximum
    over the spatial axes, which ``keepdims=True`` keeps with size 1.

    Args:
        data_format: ``"channels_last"`` (default): inputs ``(batch, *spatial,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, *spatial)``.
        keepdims: keep the reduced axes with size 1 (default False).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Output ``(batch, channels)``, or the input's rank with every spatial size 1
        when ``keepdims=True``.
    """

    build_at_init = True

    _rank = 2
    _mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        if not isinstance(keepdims, bool):
            raise ValueError(
                f"{layer_label(self)}: keepdims must be True or False, "
                f"received keepdims={keepdims!r}."
            )
        self.keepdims = keepdims
        start = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(start, start + self._rank))
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs):
        if self._mode == "max":
            return torch.amax(inputs, dim=self._axes, keepdim=self.keepdims)
        return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.keepdims:
            return tuple(1 if i in self._axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in self._axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


def _doc(reduction, axes, example):
    return f"""{reduction} over the {axes} of the input.
""" + _GlobalPooling.__doc__.split("\n", 2)[2] + example


@register_serializable(package="keras")
class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = _doc("Mean", "steps axis", """
    Call arguments:
        inputs: the sequence batch, ``(batch, steps, channels)`` (channels_last).
        mask: optional boolean ``(batch, steps)`` tensor (e.g. from
            ``Embedding(mask_zero=True).compute_mask``); only steps where it is True
            enter the mean. The output has no mask.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GlobalAveragePooling1D()(torch.ones(2, 5, 3)).shape
        torch.Size([2, 3])
    """)

    cast_integer_inputs = True  # the mean of integers is a float (Keras)

    _rank = 1
    _mode = "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)
        keep = mask.bool().unsqueeze(-1 if self.data_format == "channels_last" else 1)
        # ``where``, not a product: a masked-out inf or nan must not reach the sum.
        total = torch.sum(torch.where(keep, inputs, 0), dim=self._axes, keepdim=self.keepdims)
        return total / torch.sum(keep.to(inputs.dtype), dim=self._axes, keepdim=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


@register_serializable(package="keras")
class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = _doc("Maximum", "steps axis", """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GlobalMaxPooling1D()(torch.ones(2, 5, 3)).shape
        torch.Size([2, 3])
    """)

    _rank = 1
    _mode = "max"


@register_serializable(package="keras")
class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = _doc("Mean", "two spatial axes", """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GlobalAveragePooling2D(keepdims=True)(torch.ones(2, 4, 4, 3)).shape
        torch.Size([2, 1, 1, 3])
    """)

    cast_integer_inputs = True  # the mean of integers is a float (Keras)

    _rank = 2
    _mode = "avg"


@register_serializable(package="keras")
class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = _doc("Maximum", "two spatial axes", """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GlobalMaxPooling2D()(torch.ones(2, 4, 4, 3)).shape
        torch.Size([2, 3])
    """)

    _rank = 2
    _mode = "max"


@register_serializable(package="keras")
class GlobalAveragePooling3D(_GlobalPooling):
    __doc__ = _doc("Mean", "three spatial axes", """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GlobalAveragePooling3D(data_format="channels_first")(torch.ones(2, 3, 4, 4, 4)).shape
        torch.Size([2, 3])
    """)

    cast_integer_inputs = True  # the mean of integers is a float (Keras)

    _rank = 3
    _mode = "avg"


@register_serializable(package="keras")
class GlobalMaxPooling3D(_GlobalPooling):
    __doc__ = _doc("Maximum", "three spatial axes", """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GlobalMaxPooling3D(keepdims=True)(torch.ones(2, 4, 4, 4, 3)).shape
        torch.Size([2, 1, 1, 1, 3])
    """)

    _rank = 3
    _mode = "max"
