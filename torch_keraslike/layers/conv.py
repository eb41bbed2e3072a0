"""Regular convolution layers: ``Conv1D``, ``Conv2D`` and ``Conv3D``.

The shared machinery (layouts, padding, argument checks) is in ``_conv_base``; the
transposed, depthwise and separable convolutions live in ``conv_transpose`` and
``conv_depthwise`` and are re-exported here for code importing them from this module.
"""

import math

import torch
import torch.nn.functional as F

from ..saving import register_serializable
from ._conv_base import CONV, KernelConv, keras_layout
from ._common import is_positive_int, layer_label
# Re-exported: these classes lived in this module before the family was split.
from .conv_depthwise import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from .conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
           "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]

# Images of at most this many pixels (per sample) keep the kernel contiguous.
_SMALL_SPATIAL = 16


class _Conv(KernelConv):
    """N-D convolution (``rank`` set by the subclass): ``activation(conv(x, kernel) + bias)``.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of ``rank`` ints.
        strides: int or tuple of ``rank`` ints (default 1). Cannot be > 1 together with
            ``dilation_rate > 1`` (as in Keras).
        padding: ``"valid"`` (none) or ``"same"`` (Keras's: the extra pixel of an even
            total goes after); ``Conv1D`` also accepts ``"causal"`` (left padding).
        data_format: ``"channels_last"`` (default, from ``tkl.config``) or
            ``"channels_first"``.
        dilation_rate: int or tuple of ``rank`` ints (default 1).
        groups: number of channel groups; input channels and ``filters`` must be
            divisible by it.
        activation: activation name or callable (default: none).
        use_bias: whether to add a bias (default True).
        kernel_initializer, bias_initializer: initializers; fans follow Keras's kernel
            layout ``(*kernel_size, in_channels // groups, filters)``.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints (axes in Keras's layout).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ``input_shape``...).

    Shapes:
        Input ``(batch, *spatial, channels)`` (channels_last) or
        ``(batch, channels, *spatial)``; output likewise with ``filters`` channels.
        ``kernel`` is stored as ``(filters, in // groups, *kernel_size)`` (torch's layout);
        ``get_weights()`` returns it as ``(*kernel_size, in // groups, filters)``.
    """

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None,
        dilation_rate=1, groups=1, activation=None, use_bias=True,
        kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup_kernel(filters, kernel_initializer, kernel_regularizer, kernel_constraint)
        if not is_positive_int(groups):
            raise ValueError(
                f"{layer_label(self)}: The number of groups must be a positive integer. "
                f"Received: groups={groups!r}. Fix: groups=1 (a regular convolution) or a "
                "divisor of the input channels and of filters."
            )
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(
                f"{layer_label(self)}: The number of filters must be evenly divisible by the "
                f"number of groups. Received: groups={self.groups}, filters={self.filters}. "
                "Fix: pick filters as a multiple of groups."
            )
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self._conv_fn = CONV[self.rank]
        # A 1x1 kernel on channels_last inputs is a matrix product over the channel axis
        # (padding is always zero): F.linear on the (strided) input skips the im2col copy
        # and layout checks of the convolution kernels. Keras's NHWC layout makes this
        # the common case (ResNet's bottlenecks); it measured 1-3x faster on the CPU.
        self._pointwise = (self._channels_last and self.groups == 1
                           and all(k == 1 for k in self.kernel_size))
        self._stride_slices = (
            (slice(None),) + tuple(slice(None, None, s) for s in self.strides)
            if max(self.strides) > 1 else None)

    def call(self, inputs):
        if not self._pointwise:
            return super().call(inputs)
        if self._stride_slices is not None:
            inputs = inputs[self._stride_slices]
        # (an NHWC view of NCHW memory, after a small-image convolution, would make
        # F.linear run a strided matrix product, twice as slow as the copy it saves)
        outputs = F.linear(inputs.contiguous(), self.kernel.flatten(1), self.bias)
        if self._activation_fn is not None:
            outputs = self._activation_fn(outputs)
        return outputs

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{layer_label(self)}: The number of input channels must be evenly divisible by "
                f"the number of groups. Received groups={self.groups}, but the input has "
                f"{channels} channels (full input shape is {tuple(input_shape)}). Fix: choose "
                "groups dividing the input channels."
            )
        self.compute_output_shape(input_shape)
        self._add_kernel(self.kernel_size + (channels // self.groups, self.filters))
        self._add_bias(self.filters)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        small = all(size is not None for size in spatial) and math.prod(spatial) <= _SMALL_SPATIAL
        if self._channels_last and self.rank in (2, 3) and not small:
            # The kernel in the channels_last memory format of the (permuted) inputs:
            # torch's kernels then never convert it on a call. On small images (ResNet's
            # last stage: 3x3) torch's CPU kernels are up to 2x faster in the contiguous
            # format; ``call`` then copies the (smaller) input instead.
            memory_format = torch.channels_last if self.rank == 2 else torch.channels_last_3d
            self.kernel.data = self.kernel.data.contiguous(memory_format=memory_format)

    def _convolve(self, x):
        x, padding = self._pad(x)
        return self._conv_fn(x, self.kernel, self.bias, self.strides, padding,
                             self.dilation_rate, self.groups)

    def get_config(self):
        config = super().get_config()
        config["groups"] = self.groups
        return config


@register_serializable(package="keras")
class Conv1D(_Conv):
    __doc__ = _Conv.__doc__.replace("N-D convolution (``rank`` set by the subclass)", "1-D convolution") + """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv1D(8, 3, padding="causal")(torch.ones(2, 10, 4)).shape
        torch.Size([2, 10, 8])
    """

    rank = 1
    _paddings = ("valid", "same", "causal")
    _keras_weight_layouts = {"kernel": keras_layout(1, (1, 0))}


@register_serializable(package="keras")
class Conv2D(_Conv):
    __doc__ = _Conv.__doc__.replace("N-D convolution (``rank`` set by the subclass)", "2-D convolution") + """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv2D(16, 3, padding="same")(torch.ones(2, 32, 32, 3)).shape
        torch.Size([2, 32, 32, 16])
    """

    rank = 2
    _keras_weight_layouts = {"kernel": keras_layout(2, (1, 0))}


@register_serializable(package="keras")
class Conv3D(_Conv):
    __doc__ = _Conv.__doc__.replace("N-D convolution (``rank`` set by the subclass)", "3-D convolution") + """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv3D(4, 3)(torch.ones(1, 8, 8, 8, 2)).shape
        torch.Size([1, 6, 6, 6, 4])
    """

    rank = 3
    _keras_weight_layouts = {"kernel": keras_layout(3, (1, 0))}

