"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``UpSampling2D``,
``ZeroPadding2D``."""

import math
import struct
from fractions import Fraction

import torch.nn.functional as F

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import as_tuple, int_tuple, is_int

__all__ = ["Flatten", "Permute", "Reshape", "UpSampling2D", "ZeroPadding2D"]


@register_serializable(package="keras")
class Flatten(Layer):
    """Flattens every axis but the batch axis.

    With ``data_format="channels_first"`` the channels are first moved last, so the
    flattened order matches the ``channels_last`` layout (as in Keras).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Shapes:
        Input ``(batch, d1, ..., dn)``; output ``(batch, d1 * ... * dn)``; a 1-D input
        ``(batch,)`` gives ``(batch, 1)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Flatten()(torch.ones(2, 3, 4)).shape
        torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        # ``flatten`` rather than ``reshape(batch, -1)``: an empty batch has no size to infer.
        return inputs.flatten(1) if inputs.dim() > 1 else inputs.unsqueeze(1)

    def compute_output_shape(self, input_shape):
        size = 1
        for dim in input_shape[1:]:
            if dim is None:
                return (input_shape[0], None)
            size *= dim
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_serializable(package="keras")
class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (the batch axis is kept).

    Elements keep their row-major (C) order, as in ``torch.reshape`` and Keras; the
    result is a view of the input whenever its strides allow.

    Args:
        target_shape: shape of one output sample, without the batch axis: a tuple of
            positive ints, of which one may be ``-1`` (inferred from the input's size).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, ...)`` with as many elements per sample as ``target_shape``
        holds; output ``(batch,) + target_shape``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Reshape((3, 4))(torch.ones(2, 12)).shape
        torch.Size([2, 3, 4])
        >>> tkl.layers.Reshape((-1, 2))(torch.ones(2, 12)).shape
        torch.Size([2, 6, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        shape = as_tuple(target_shape)
        if shape is None or not all(is_int(d) and (d > 0 or d == -1) for d in shape):
            raise ValueError(
                f'Layer "{self.name}" (Reshape): target_shape must be a tuple of positive ints '
                f"(one of them may be -1), without the batch axis, received "
                f"target_shape={target_shape!r}. Fix: e.g. Reshape((3, 4)) or Reshape((-1, 4))."
            )
        if shape.count(-1) > 1:
            raise ValueError(
                f"There must be at most one unknown dimension (-1) in target_shape. Received: "
                f"target_shape={shape}. Fix: give all sizes but one "
                f'(layer "{self.name}").'
            )
        self.target_shape = tuple(int(d) for d in shape)
        self._unknown = self.target_shape.index(-1) if -1 in self.target_shape else None
        self._known = math.prod(d for d in self.target_shape if d != -1)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = inputs.shape
        return inputs.reshape((shape[0],) + self._resolved(shape[1:]))

    def _resolved(self, sample_shape):
        """``target_shape`` with its -1 filled in; raises Keras's error on a size mismatch."""
        size = math.prod(sample_shape)
        if self._unknown is None:
            if size != self._known:
                self._raise_size(sample_shape)
            return self.target_shape
        if size % self._known:
            self._raise_size(sample_shape)
        shape = list(self.target_shape)
        shape[self._unknown] = size // self._known
        return tuple(shape)

    def _raise_size(self, sample_shape):
        raise ValueError(
            f"The total size of the tensor must be unchanged. Received: "
            f"input_shape={tuple(sample_shape)}, target_shape={self.target_shape}. Fix: a "
            f"sample of {math.prod(sample_shape)} elements cannot become target_shape "
            f"{self.target_shape}; change target_shape (one entry may be -1) "
            f'(layer "{self.name}").'
        )

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        sample = input_shape[1:]
        if any(d is None for d in sample):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolved(sample)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


@register_serializable(package="keras")
class Permute(Layer):
    """Permutes the axes of every sample (the batch axis stays first).

    Args:
        dims: permutation of the sample axes, 1-based as in Keras (the batch axis
            is 0 and never moves): ``(2, 1)`` swaps the two axes after the batch.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, d1, ..., dn)`` with ``n == len(dims)``; output axes
        ``(batch, d[dims[0]], ..., d[dims[n-1]])``. The result is a view (no copy).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Permute((2, 1))(torch.ones(4, 10, 64)).shape
        torch.Size([4, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims_tuple = tuple(dims)
        except TypeError:
            dims_tuple = None
        if (
            not dims_tuple
            or not all(is_int(d) for d in dims_tuple)
            or sorted(dims_tuple) != list(range(1, len(dims_tuple) + 1))
        ):
            raise ValueError(
                f"Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims!r}. Fix: "
                f'e.g. Permute((2, 1)); axis 0 (the batch) is left out (layer "{self.name}").'
            )
        self.dims = tuple(int(d) for d in dims_tuple)
        self._permutation = (0,) + self.dims
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return inputs.permute(self._permutation)

    def compute_output_shape(self, input_shape):
        return tuple(tuple(input_shape)[i] for i in self._permutation)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


_INTERPOLATIONS = ("nearest", "bilinear")


def _torch_nearest_is_exact(factor):
    """Whether torch's nearest upsampling by ``factor`` repeats pixels exactly.

    torch maps output index ``i`` to ``floor(i * float32(1 / factor))``: that is
    ``i // factor`` when the float32 reciprocal is not below ``1 / factor`` (true for
    2, 3, 4, 5, 8, 10...), but not for e.g. 25 or 41, whose reciprocals round down.
    """
    reciprocal = struct.unpack("f", struct.pack("f", 1.0 / factor))[0]
    return Fraction(reciprocal) >= Fraction(1, factor)


@register_serializable(package="keras")
class UpSampling2D(Layer):
    """Upsamples images by integer factors along height and width.

    ``"nearest"`` repeats every pixel ``size`` times (torch's fused kernel, or a
    broadcast copy for the few factors where its float index arithmetic is inexact);
    ``"bilinear"`` interpolates with half-pixel centers (Keras's ``image.resize``,
    ``F.interpolate(mode="bilinear", align_corners=False)``).

    Args:
        size: upsampling factors ``(rows, cols)``, or one int for both.
        data_format: ``"channels_last"`` (default): inputs ``(batch, height, width,
            channels)``; ``"channels_first"``: inputs ``(batch, channels, height, width)``.
        interpolation: ``"nearest"`` (default) or ``"bilinear"``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Height and width are multiplied by ``size``; batch and channels are unchanged.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.UpSampling2D((2, 3))(torch.ones(1, 4, 5, 3)).shape
        torch.Size([1, 8, 15, 3])
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple(size, 2)
        if self.size is None:
            raise ValueError(
                f'Layer "{self.name}" (UpSampling2D): size must be a positive int or a tuple of '
                f"2 positive ints, received size={size!r}. Fix: e.g. size=2 or size=(2, 3)."
            )
        self.data_format = _config.standardize_data_format(data_format)
        normalized = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if normalized not in _INTERPOLATIONS:
            raise ValueError(
                f'Layer "{self.name}" (UpSampling2D): `interpolation` argument should be one of '
                f"{list(_INTERPOLATIONS)}, received interpolation={interpolation!r}. Fix: use "
                '"nearest" or "bilinear" (other Keras modes are not supported).'
            )
        self.interpolation = normalized
        self._fused_nearest = all(_torch_nearest_is_exact(f) for f in self.size)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        rows, cols = self.size
        channels_last = self.data_format == "channels_last"
        if self.interpolation == "nearest" and not self._fused_nearest:
            # Broadcast each pixel over a (rows, cols) block: one copy, exact indices.
            if channels_last:
                n, h, w, c = inputs.shape
                blocks = inputs[:, :, None, :, None, :].expand(n, h, rows, w, cols, c)
                return blocks.reshape(n, h * rows, w * cols, c)
            n, c, h, w = inputs.shape
            blocks = inputs[:, :, :, None, :, None].expand(n, c, h, rows, w, cols)
            return blocks.reshape(n, c, h * rows, w * cols)
        x = inputs.permute(0, 3, 1, 2) if channels_last else inputs  # a view
        if self.interpolation == "nearest":
            outputs = F.interpolate(x, scale_factor=(float(rows), float(cols)), mode="nearest")
        else:
            outputs = F.interpolate(
                x, scale_factor=(float(rows), float(cols)), mode="bilinear", align_corners=False
            )
        return outputs.permute(0, 2, 3, 1) if channels_last else outputs

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis, factor in zip(axes, self.size):
            if input_shape[axis] is not None:
                input_shape[axis] *= factor
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, data_format=self.data_format, interpolation=self.interpolation)
        return config


@register_serializable(package="keras")
class ZeroPadding2D(Layer):
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

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = self._standardize(padding)
        self.data_format = _config.standardize_data_format(data_format)
        (top, bottom), (left, right) = self.padding
        if self.data_format == "channels_last":
            self._pads = (0, 0, left, right, top, bottom)
        else:
            self._pads = (left, right, top, bottom)
        self._noop = not any(self._pads)
        self.input_spec = InputSpec(ndim=4)

    def _standardize(self, padding):
        fix = (
            "`padding` should be either an int, a tuple of 2 ints (symmetric_height_pad, "
            "symmetric_width_pad), or a tuple of 2 tuples of 2 ints ((top_pad, bottom_pad), "
            f"(left_pad, right_pad)), all non-negative. Received: padding={padding!r}. Fix: "
            f'e.g. padding=1 or padding=((1, 0), (2, 1)) (layer "{self.name}").'
        )
        if is_int(padding):
            pair = int_tuple(padding, 2, minimum=0)
            if pair is None:
                raise ValueError(fix)
            return (pair, pair)
        try:
            entries = tuple(padding)
        except TypeError:
            raise ValueError(fix) from None
        if len(entries) != 2:
            raise ValueError(
                f"`padding` should have two elements. Received: padding={padding!r}. Fix: "
                f'e.g. padding=(1, 2) or padding=((1, 0), (2, 1)) (layer "{self.name}").'
            )
        pairs = tuple(int_tuple(entry, 2, minimum=0) for entry in entries)
        if None in pairs:
            raise ValueError(fix)
        return pairs

    def call(self, inputs):
        if self._noop:
            return inputs
        return F.pad(inputs, self._pads)

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis, (before, after) in zip(axes, self.padding):
            if input_shape[axis] is not None:
                input_shape[axis] += before + after
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding, data_format=self.data_format)
        return config
