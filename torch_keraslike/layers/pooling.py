"""Windowed pooling layers: ``MaxPooling1D/2D/3D`` and ``AveragePooling1D/2D/3D``
(the global and adaptive pooling layers live in ``pooling_global`` and
``pooling_adaptive``; the global ones are re-exported here).

The windowed layers run torch's fused pooling kernels. ``channels_last`` inputs are
viewed as ``channels_first`` with a permutation (no copy) and the result is permuted
back. ``padding="same"`` follows Keras: the output has ``ceil(size / stride)`` steps,
the total padding ``max((out - 1) * stride + pool - size, 0)`` is split with the
smaller half before (asymmetric when it is odd), max pooling never picks a padded
position and average pooling leaves padded positions out of the average (as Keras's
TensorFlow and JAX backends do; Keras's torch backend instead averages copies of the
edge values into asymmetric pads, so its numbers differ where such a window holds
more than one real value).
"""

import torch.nn.functional as F

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import int_tuple, layer_label, same_pads

# Re-exported: the global pooling layers lived in this module before it was split.
from .pooling_global import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
]

_PADDINGS = ("valid", "same")


def _int_tuple(layer, value, n, arg):
    """``value`` (an int or ``n`` ints, all positive) as a tuple of ``n`` ints."""
    items = int_tuple(value, n)
    if items is None:
        example = "2" if n == 1 else "2 or (2, 2)"
        raise ValueError(
            f"{layer_label(layer)}: the `{arg}` argument must be a positive int or a tuple of "
            f"{n} positive ints, received {arg}={value!r}. Fix: e.g. {arg}={example}."
        )
    return items


def _check_padding(layer, padding):
    normalized = padding.lower() if isinstance(padding, str) else padding
    if normalized not in _PADDINGS:
        raise ValueError(
            f'{layer_label(layer)}: `padding` must be "valid" or '
            f'"same", received padding={padding!r}. Fix: padding="same" keeps '
            'ceil(size / strides) steps, padding="valid" uses only full windows.'
        )
    return normalized


def _output_size(size, k, s, padding):
    if size is None:
        return None
    if padding == "same":
        return -(-size // s)
    return (size - k) // s + 1


class _Pooling(Layer):
    """Shared implementation of the windowed pooling layers."""

    build_at_init = True

    _rank = 2
    _mode = "max"
    _kernel = staticmethod(F.max_pool2d)  # torch's fused kernel, channels_first

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        rank = self._rank
        self.pool_size = _int_tuple(self, pool_size, rank, "pool_size")
        self.strides = self.pool_size if strides is None else _int_tuple(self, strides, rank, "strides")
        self.padding = _check_padding(self, padding)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        channels_last = self.data_format == "channels_last"
        x = inputs.movedim(-1, 1) if channels_last else inputs  # a view, never a copy
        sizes = x.shape[2:]
        k, s = self.pool_size, self.strides
        if self.padding == "valid":
            for size, window in zip(sizes, k):
                if size < window:
                    self._raise_too_small(inputs.shape)
            outputs = self._pool(x, 0)
        else:
            pads = [same_pads(size, window, step) for size, window, step in zip(sizes, k, s)]
            if all(before == after for before, after in pads):
                outputs = self._pool(x, tuple(before for before, _ in pads))
            else:
                outputs = self._pool_asymmetric(x, pads)
        return outputs.movedim(1, -1) if channels_last else outputs

    def _pool(self, x, padding):
        if self._mode == "max":
            return self._kernel(x, self.pool_size, self.strides, padding)
        return self._kernel(x, self.pool_size, self.strides, padding, count_include_pad=False)

    def _pool_asymmetric(self, x, pads):
        # torch pads both sides alike, so pad explicitly (F.pad lists the last axis first).
        pads = [p for pair in reversed(pads) for p in pair]
        if self._mode == "max":
            return self._kernel(F.pad(x, pads, value=float("-inf")), self.pool_size, self.strides)
        # Average of the real values only: the mean over the zero-padded window divided
        # by the share of real positions in that window.
        sums = self._kernel(F.pad(x, pads), self.pool_size, self.strides)
        ones = x.new_ones((1, 1) + tuple(x.shape[2:]))
        share = self._kernel(F.pad(ones, pads), self.pool_size, self.strides)
        return sums / share

    def _raise_too_small(self, shape):
        raise ValueError(
            f'{layer_label(self)}: with padding="valid" every spatial '
            f"size must be at least pool_size={self.pool_size}, received an input of shape "
            f"{tuple(shape)} (data_format={self.data_format!r}). Fix: use padding=\"same\", a "
            "smaller pool_size, or a larger input."
        )

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        if self.padding == "valid" and any(
            size is not None and size < k for size, k in zip(spatial, self.pool_size)
        ):
            self._raise_too_small(input_shape)
        out = tuple(
            _output_size(size, k, s, self.padding)
            for size, k, s in zip(spatial, self.pool_size, self.strides)
        )
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (input_shape[-1],)
        return input_shape[:2] + out

    def get_config(self):
        config = super().get_config()
        config.update(
            pool_size=self.pool_size,
            padding=self.padding,
            strides=self.strides,
            data_format=self.data_format,
        )
        return config

    def extra_repr(self):
        return (
            f"name={self.name!r}, pool_size={self.pool_size}, strides={self.strides}, "
            f"padding={self.padding!r}, data_format={self.data_format!r}"
        )


@register_serializable(package="keras")
class MaxPooling1D(_Pooling):
    """Max pooling over the steps of a sequence.

    Args:
        pool_size: size of the pooling window, an int (or a 1-tuple).
        strides: step of the window (int or 1-tuple); ``None`` (default)
            means ``pool_size``.
        padding: ``"valid"`` (only full windows) or ``"same"`` (output size
            ``ceil(size / strides)``; padded positions never count).
        data_format: ``"channels_last"`` (default): inputs ``(batch, steps, channels)``;
            ``"channels_first"``: inputs ``(batch, channels, steps)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, steps, channels)`` (``channels_last``) or ``(batch, channels,
        steps)``; the steps axis becomes ``(steps - pool_size) // strides + 1``
        (``"valid"``) or ``ceil(steps / strides)`` (``"same"``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.MaxPooling1D(2)(torch.arange(6.0).reshape(1, 6, 1)).flatten()
        tensor([1., 3., 5.])
    """

    _rank = 1
    _mode = "max"
    _kernel = staticmethod(F.max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable(package="keras")
class AveragePooling1D(_Pooling):
    """Average pooling over the steps of a sequence.

    Args:
        pool_size: size of the pooling window, an int (or a 1-tuple).
        strides: step of the window (int or 1-tuple); ``None`` (default)
            means ``pool_size``.
        padding: ``"valid"`` (only full windows) or ``"same"`` (output size
            ``ceil(size / strides)``; padded positions never count).
        data_format: ``"channels_last"`` (default): inputs ``(batch, steps, channels)``;
            ``"channels_first"``: inputs ``(batch, channels, steps)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        As :class:`MaxPooling1D`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> x = torch.arange(5.0).reshape(1, 5, 1)
        >>> tkl.layers.AveragePooling1D(2, padding="same")(x).flatten()
        tensor([0.5000, 2.5000, 4.0000])
    """

    _rank = 1
    _mode = "avg"
    _kernel = staticmethod(F.avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable(package="keras")
class MaxPooling2D(_Pooling):
    """Max pooling over the two spatial axes of an image.

    Args:
        pool_size: size of the pooling window, an int or a tuple of 2 ints.
        strides: step of the window (int or tuple of 2 ints); ``None`` (default)
            means ``pool_size``.
        padding: ``"valid"`` (only full windows) or ``"same"`` (output size
            ``ceil(size / strides)``; padded positions never count).
        data_format: ``"channels_last"`` (default): inputs
            ``(batch, height, width, channels)``; ``"channels_first"``: inputs
            ``(batch, channels, height, width)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, height, width, channels)`` (``channels_last``) or ``(batch,
        channels, height, width)``; each spatial axis becomes ``(size - pool) //
        stride + 1`` (``"valid"``) or ``ceil(size / stride)`` (``"same"``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.MaxPooling2D((2, 2))(torch.ones(4, 6, 6, 3)).shape
        torch.Size([4, 3, 3, 3])
    """

    _rank = 2
    _mode = "max"
    _kernel = staticmethod(F.max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable(package="keras")
class AveragePooling2D(_Pooling):
    """Average pooling over the two spatial axes of an image.

    Args:
        pool_size: size of the pooling window, an int or a tuple of 2 ints.
        strides: step of the window (int or tuple of 2 ints); ``None`` (default)
            means ``pool_size``.
        padding: ``"valid"`` (only full windows) or ``"same"`` (output size
            ``ceil(size / strides)``; padded positions never count).
        data_format: ``"channels_last"`` (default): inputs
            ``(batch, height, width, channels)``; ``"channels_first"``: inputs
            ``(batch, channels, height, width)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        As :class:`MaxPooling2D`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AveragePooling2D(2, padding="same")(torch.ones(1, 5, 5, 2)).shape
        torch.Size([1, 3, 3, 2])
    """

    _rank = 2
    _mode = "avg"
    _kernel = staticmethod(F.avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable(package="keras")
class MaxPooling3D(_Pooling):
    """Max pooling over the three spatial axes of a volume.

    Args:
        pool_size: size of the pooling window, an int or a tuple of 3 ints.
        strides: step of the window (int or tuple of 3 ints); ``None`` (default)
            means ``pool_size``.
        padding: ``"valid"`` (only full windows) or ``"same"`` (output size
            ``ceil(size / strides)``; padded positions never count).
        data_format: ``"channels_last"`` (default): inputs
            ``(batch, dim1, dim2, dim3, channels)``; ``"channels_first"``: inputs
            ``(batch, channels, dim1, dim2, dim3)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Each spatial axis becomes ``(size - pool) // stride + 1`` (``"valid"``) or
        ``ceil(size / stride)`` (``"same"``); batch and channels are unchanged.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.MaxPooling3D(2)(torch.ones(1, 4, 6, 8, 3)).shape
        torch.Size([1, 2, 3, 4, 3])
    """

    _rank = 3
    _mode = "max"
    _kernel = staticmethod(F.max_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_serializable(package="keras")
class AveragePooling3D(_Pooling):
    """Average pooling over the three spatial axes of a volume.

    Args:
        pool_size: size of the pooling window, an int or a tuple of 3 ints.
        strides: step of the window (int or tuple of 3 ints); ``None`` (default)
            means ``pool_size``.
        padding: ``"valid"`` (only full windows) or ``"same"`` (output size
            ``ceil(size / strides)``; padded positions are left out of the mean).
        data_format: ``"channels_last"`` (default): inputs
            ``(batch, dim1, dim2, dim3, channels)``; ``"channels_first"``: inputs
            ``(batch, channels, dim1, dim2, dim3)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        As :class:`MaxPooling3D`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.AveragePooling3D(2, padding="same")(torch.ones(1, 3, 3, 3, 2)).shape
        torch.Size([1, 2, 2, 2, 2])
    """

    _rank = 3
    _mode = "avg"
    _kernel = staticmethod(F.avg_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
