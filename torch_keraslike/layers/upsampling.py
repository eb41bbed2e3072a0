"""Upsampling layers: ``UpSampling1D``, ``UpSampling2D`` and ``UpSampling3D``.

``"nearest"`` repeats every element ``size`` times along each spatial axis, which
keeps the input's dtype (integers included). ``UpSampling2D`` also interpolates
(``"bilinear"``, ``"bicubic"``) as Keras's ``image.resize`` on torch does:
``F.interpolate`` with half-pixel centers (``align_corners=False``) in float32 or
float64; other inputs are computed in float32 and cast back, integers rounded first
(and ``uint8`` clamped to ``[0, 255]`` after bicubic).
"""

import struct
from fractions import Fraction

import torch
import torch.nn.functional as F

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import is_int, layer_label, standardize_tuple

__all__ = ["UpSampling1D", "UpSampling2D", "UpSampling3D"]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
_NOT_ON_TORCH = ("lanczos3", "lanczos5")
_RESIZE_DTYPES = (torch.float32, torch.float64)


def _torch_nearest_is_exact(factor):
    """Whether torch's nearest upsampling by ``factor`` repeats pixels exactly.

    torch maps output index ``i`` to ``floor(i * float32(1 / factor))``: that is
    ``i // factor`` when the float32 reciprocal is not below ``1 / factor`` (true for
    2, 3, 4, 5, 8, 10...), but not for e.g. 25 or 41, whose reciprocals round down.
    """
    reciprocal = struct.unpack("f", struct.pack("f", 1.0 / factor))[0]
    return Fraction(reciprocal) >= Fraction(1, factor)


def _repeat(x, factors, first_axis):
    """Repeats every element ``factors[i]`` times along axis ``first_axis + i``: one
    broadcast copy, exact for any factor and dtype."""
    view, expanded, out = [], [], []
    for axis, size in enumerate(x.shape):
        i = axis - first_axis
        if 0 <= i < len(factors):
            view += [size, 1]
            expanded += [size, factors[i]]
            out.append(size * factors[i])
        else:
            view.append(size)
            expanded.append(size)
            out.append(size)
    return x.reshape(view).expand(expanded).reshape(out)


class _UpSampling(Layer):
    """Shared shape logic: ``size`` multiplies the spatial axes."""

    _rank = 2

    def _spatial_axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self._rank))

    @property
    def _factors(self):
        return self.size if self._rank > 1 else (self.size,)

    def call(self, inputs):
        return _repeat(inputs, self._factors, self._spatial_axes()[0])

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self._factors):
            if input_shape[axis] is not None:
                input_shape[axis] *= factor
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        if self._rank > 1:  # UpSampling1D has no data_format in Keras
            config["data_format"] = self.data_format
        return config


@register_serializable(package="keras")
class UpSampling1D(_UpSampling):
    """Repeats every step of a sequence ``size`` times.

    Args:
        size: the upsampling factor, a positive int.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, steps, features)``; output ``(batch, steps * size, features)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.UpSampling1D(2)(torch.tensor([[[1], [2]]]))[0, :, 0]
        tensor([1, 1, 2, 2])
    """

    _rank = 1
    data_format = "channels_last"

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not is_int(size):
            raise TypeError(
                f"{layer_label(self)}: Expected an integer value for `size`, got {type(size)}. "
                "Fix: e.g. UpSampling1D(size=2)."
            )
        if size <= 0:
            raise ValueError(
                f"{layer_label(self)}: Argument `size` should be a positive integer. Received: "
                f"size={size}. Fix: e.g. UpSampling1D(size=2)."
            )
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)


@register_serializable(package="keras")
class UpSampling2D(_UpSampling):
    """Upsamples images by integer factors along height and width.

    ``"nearest"`` repeats every pixel ``size`` times (torch's fused kernel for floats,
    or an exact broadcast copy for integers and for the few factors where the kernel's
    float index arithmetic is inexact); ``"bilinear"`` and ``"bicubic"`` interpolate
    with half-pixel centers as Keras's ``image.resize`` does on torch (integer inputs
    are interpolated in float32, rounded and cast back to their dtype).

    Args:
        size: upsampling factors ``(rows, cols)``, or one int for both.
        data_format: ``"channels_last"`` (default): inputs ``(batch, height, width,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, height, width)``.
        interpolation: ``"nearest"`` (default), ``"bilinear"`` or ``"bicubic"``
            (Keras's ``"lanczos3"``/``"lanczos5"`` do not exist on torch).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Height and width are multiplied by ``size``; batch and channels are unchanged.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.UpSampling2D((2, 3))(torch.ones(1, 4, 5, 3)).shape
        torch.Size([1, 8, 15, 3])
        >>> tkl.layers.UpSampling2D(2, interpolation="bilinear")(torch.tensor([[[[0], [4]]]]))[0, 0, :, 0]
        tensor([0, 1, 3, 4])
    """

    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = standardize_tuple(self, size, 2, "size")
        self.data_format = _config.standardize_data_format(data_format)
        normalized = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if normalized in _NOT_ON_TORCH:
            raise ValueError(
                f"{layer_label(self)}: interpolation={interpolation!r} (Lanczos resampling) is "
                "not supported on torch, as in Keras's torch backend. Fix: use one of "
                f"{list(_INTERPOLATIONS)}."
            )
        if normalized not in _INTERPOLATIONS:
            raise ValueError(
                f"{layer_label(self)}: `interpolation` argument should be one of "
                f"{list(_INTERPOLATIONS)}, received interpolation={interpolation!r}. Fix: e.g. "
                'interpolation="bilinear".'
            )
        self.interpolation = normalized
        self._fused_nearest = all(_torch_nearest_is_exact(f) for f in self.size)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        if self.interpolation == "nearest":
            if not (self._fused_nearest and inputs.is_floating_point()):
                return super().call(inputs)
            return self._resize(inputs, "nearest", inputs.dtype)
        dtype = inputs.dtype
        x = inputs if dtype in _RESIZE_DTYPES else inputs.to(torch.float32)
        outputs = self._resize(x, self.interpolation, dtype)
        if dtype in _RESIZE_DTYPES:
            return outputs
        if not dtype.is_floating_point:
            if dtype == torch.uint8 and self.interpolation == "bicubic":
                outputs = outputs.clamp(0, 255)
            outputs = torch.round(outputs)
        return outputs.to(dtype)

    def _resize(self, x, mode, dtype):
        channels_last = self.data_format == "channels_last"
        x = x.permute(0, 3, 1, 2) if channels_last else x  # a view
        size = (x.shape[2] * self.size[0], x.shape[3] * self.size[1])
        if mode == "nearest":
            outputs = F.interpolate(x, size=size, mode="nearest")
        else:
            outputs = F.interpolate(x, size=size, mode=mode, align_corners=False)
        return outputs.permute(0, 2, 3, 1) if channels_last else outputs

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


@register_serializable(package="keras")
class UpSampling3D(_UpSampling):
    """Repeats every voxel of a volume ``size`` times along its three spatial axes.

    Args:
        size: upsampling factors ``(dim1, dim2, dim3)``, or one int for all three.
        data_format: ``"channels_last"`` (default): inputs ``(batch, dim1, dim2, dim3,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, dim1, dim2,
            dim3)``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        The spatial axes are multiplied by ``size``; batch and channels are unchanged.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.UpSampling3D((1, 2, 3))(torch.ones(1, 2, 2, 2, 4)).shape
        torch.Size([1, 2, 4, 6, 4])
    """

    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = standardize_tuple(self, size, 3, "size")
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)
