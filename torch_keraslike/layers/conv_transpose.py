"""Transposed convolution layers: ``Conv1DTranspose``, ``Conv2DTranspose`` and
``Conv3DTranspose``, with Keras's output sizes and ``output_padding``.

Keras (all backends) defines the result as the transposed convolution of JAX/TF: the
dilated input is padded by ``(before, after)`` computed from ``padding`` and
``output_padding``. torch's ``conv_transposeNd`` crops ``p`` on both sides and adds
``output_padding`` at the end, so the layer hands the kernel whatever it can express
and crops (or zero-pads) the remainder itself.
"""

import torch.nn.functional as F

from ..saving import register_serializable
from ._common import layer_label
from ._conv_base import CONV_TRANSPOSE, KernelConv, keras_layout

__all__ = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


def _transpose_pads(kernel, stride, dilation, padding, output_padding):
    """Keras's (TF/JAX) transposed-convolution padding of the dilated input, as
    ``(crop_before, crop_after)`` of torch's unpadded output of size
    ``(in - 1) * stride + effective_kernel``; negative crops mean zero padding."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        before, after = k - 1, k - 1 + extra
    else:
        total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        before = min(total // 2 + total % 2, k - 1)
        after = total - before
    return k - 1 - before, k - 1 - after


def _transpose_size(size, kernel, stride, dilation, padding, output_padding):
    if size is None:
        return None
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (size - 1) * stride + k + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k % 2 + output_padding


class _ConvTranspose(KernelConv):
    """Transposed N-D convolution ("deconvolution"), with Keras's output sizes.

    Output size per spatial axis (``k`` the dilated kernel size): ``"valid"``:
    ``(in - 1) * stride + max(k, stride)``; ``"same"``: ``in * stride``; with
    ``output_padding`` given: ``(in - 1) * stride + k + output_padding`` ("valid") or
    ``(in - 1) * stride + k % 2 + output_padding`` ("same"). The values equal Keras's
    on every backend, also where torch's symmetric padding cannot express them.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of ``rank`` ints.
        padding: ``"valid"`` or ``"same"``.
        output_padding: None, or int / tuple of ``rank`` non-negative ints, each strictly
            less than the stride of its axis.
        data_format, activation, use_bias, *_initializer, *_regularizer, *_constraint:
            as in the regular convolutions.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, *spatial, in)`` (channels_last) or ``(batch, in, *spatial)``;
        output likewise with ``filters`` channels. ``kernel`` is stored
        ``(in, filters, *kernel_size)`` (torch's layout); ``get_weights()`` returns
        Keras's ``(*kernel_size, filters, in)``.
    """

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
        data_format=None, dilation_rate=1, activation=None, use_bias=True,
        kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self._setup_kernel(filters, kernel_initializer, kernel_regularizer, kernel_constraint)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.output_padding = None if output_padding is None else self._int_tuple(
            output_padding, "output_padding", allow_zero=True)
        for axis, (op, stride) in enumerate(zip(self.output_padding or (), self.strides)):
            if op >= stride:
                raise ValueError(
                    f"{layer_label(self)}: `output_padding` must be strictly less than "
                    f"`strides` for all dimensions. At dimension {axis}, `output_padding` is "
                    f"{op} but `strides` is {stride}. Received: output_padding="
                    f"{self.output_padding}, strides={self.strides}. Fix: lower output_padding "
                    "below the stride of each axis, or leave it None."
                )
        self._conv_fn = CONV_TRANSPOSE[rank]
        self._bias_shape = (-1,) + (1,) * rank
        crops = [_transpose_pads(k, s, d, self.padding, op) for k, s, d, op in zip(
            self.kernel_size, self.strides, self.dilation_rate, self.output_padding or (None,) * rank)]
        # torch's conv_transpose crops ``p`` on both sides, then adds ``op`` back at
        # the end (``op < max(stride, dilation)``): exact when the crops fit that form.
        if all(0 <= before - after < max(s, d) and before >= 0 for (before, after), s, d in
               zip(crops, self.strides, self.dilation_rate)):
            self._torch_args = (tuple(b for b, _ in crops), tuple(b - a for b, a in crops))
            self._residual = None
        else:
            torch_pad = tuple(max(0, min(b, a)) for b, a in crops)
            self._torch_args = (torch_pad, (0,) * rank)
            self._residual = [(b - p, a - p) for (b, a), p in zip(crops, torch_pad)]

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._add_kernel(self.kernel_size + (self.filters, channels))
        self._add_bias(self.filters)

    def _convolve(self, x):
        padding, output_padding = self._torch_args
        if self._residual is None:
            return self._conv_fn(x, self.kernel, self.bias, self.strides, padding,
                                 output_padding, 1, self.dilation_rate)
        out = self._conv_fn(x, self.kernel, None, self.strides, padding, 0, 1, self.dilation_rate)
        if all(b >= 0 and a >= 0 for b, a in self._residual):
            for dim, (before, after) in enumerate(self._residual, start=2):
                out = out.narrow(dim, before, out.shape[dim] - before - after)
        else:
            out = F.pad(out, [-c for pair in reversed(self._residual) for c in pair])
        return out if self.bias is None else out + self.bias.view(self._bias_shape)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(_transpose_size(size, k, s, d, self.padding, op) for size, k, s, d, op in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate,
            self.output_padding or (None,) * self.rank))
        if self._channels_last:
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


def _doc(rank, example):
    return _ConvTranspose.__doc__.replace("Transposed N-D", f"Transposed {rank}-D").replace(
        "``rank``", str(rank)) + example


@register_serializable(package="keras")
class Conv1DTranspose(_ConvTranspose):
    __doc__ = _doc(1, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv1DTranspose(4, 3, strides=2)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 11, 4])
    """)

    rank = 1
    _keras_weight_layouts = {"kernel": keras_layout(1, (1, 0))}


@register_serializable(package="keras")
class Conv2DTranspose(_ConvTranspose):
    __doc__ = _doc(2, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(torch.ones(1, 5, 5, 2)).shape
        torch.Size([1, 10, 10, 4])
    """)

    rank = 2
    _keras_weight_layouts = {"kernel": keras_layout(2, (1, 0))}


@register_serializable(package="keras")
class Conv3DTranspose(_ConvTranspose):
    __doc__ = _doc(3, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv3DTranspose(2, 2, strides=2)(torch.ones(1, 3, 4, 5, 3)).shape
        torch.Size([1, 6, 8, 10, 2])
    """)

    rank = 3
    _keras_weight_layouts = {"kernel": keras_layout(3, (1, 0))}

    # Keras's argument order puts data_format before output_padding here.
    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None,
        output_padding=None, dilation_rate=1, activation=None, use_bias=True,
        kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )
