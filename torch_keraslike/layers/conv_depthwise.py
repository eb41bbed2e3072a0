"""Depthwise and depthwise-separable convolutions: ``DepthwiseConv1D``,
``DepthwiseConv2D``, ``SeparableConv1D`` and ``SeparableConv2D``.

A depthwise convolution is one grouped ``F.convNd`` (``groups`` = input channels) on a
``(c * depth_multiplier, 1, *kernel)`` view of the kernel; the separable layers follow
it with a 1x1 convolution.
"""

from .. import constraints, initializers, regularizers
from ..saving import register_serializable
from ._common import serialize_options
from ._conv_base import CONV, BaseConv, keras_layout

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]


class _DepthwiseConv(BaseConv):
    """Depthwise N-D convolution: each input channel is convolved with its own
    ``depth_multiplier`` filters (output channel ``c * depth_multiplier + m``).

    Args:
        kernel_size, strides, dilation_rate: int or tuple of ``rank`` ints.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: filters per input channel (default 1).
        data_format, activation, use_bias: as in the regular convolutions.
        depthwise_initializer, bias_initializer: initializers (fans from Keras's layout).
        depthwise_regularizer, bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, bias_constraint: constraints.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, *spatial, c)`` (channels_last) or ``(batch, c, *spatial)``;
        output likewise with ``c * depth_multiplier`` channels. The kernel is
        ``layer.kernel`` (Keras 3's name; ``layer.depthwise_kernel`` is an alias), stored
        ``(c, depth_multiplier, *kernel_size)``; ``get_weights()`` returns Keras's
        ``(*kernel_size, c, depth_multiplier)``.
    """

    def __init__(
        self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
        dilation_rate=1, activation=None, use_bias=True,
        depthwise_initializer="glorot_uniform", bias_initializer="zeros",
        depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
        depthwise_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = self._positive(depth_multiplier, "depth_multiplier")
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    @property
    def depthwise_kernel(self):
        """Alias of ``kernel`` (the Keras 2 name of this weight)."""
        return self.kernel

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self._add_keras_weight(
            "kernel", self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint,
        )
        self._add_bias(channels * self.depth_multiplier)

    def _convolve(self, x):
        return self._depthwise(x, self.kernel, self.bias)

    def _output_channels(self, input_shape):
        channels = input_shape[-1 if self._channels_last else 1]
        return None if channels is None else channels * self.depth_multiplier

    def get_config(self):
        config = super().get_config()
        config["depth_multiplier"] = self.depth_multiplier
        return serialize_options(
            config,
            depthwise_initializer=self.depthwise_initializer,
            depthwise_regularizer=self.depthwise_regularizer,
            depthwise_constraint=self.depthwise_constraint,
        )


class _SeparableConv(BaseConv):
    """Depthwise separable N-D convolution: a depthwise convolution
    (``depth_multiplier`` filters per input channel) followed by a pointwise
    (kernel size 1) convolution to ``filters`` channels.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of ``rank`` ints (of the
            depthwise step).
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: depthwise filters per input channel (default 1).
        data_format, activation, use_bias: as in the regular convolutions.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, *spatial, c)`` (channels_last) or ``(batch, c, *spatial)``;
        output likewise with ``filters`` channels. ``depthwise_kernel`` is stored
        ``(c, depth_multiplier, *kernel_size)`` and ``pointwise_kernel``
        ``(filters, c * depth_multiplier, 1...)``; ``get_weights()`` returns Keras's
        ``(*kernel_size, c, depth_multiplier)``, ``(1..., c * depth_multiplier, filters)``
        and the bias.
    """

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None,
        dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
        depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
        bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
        pointwise_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive(filters, "filters")
        self.depth_multiplier = self._positive(depth_multiplier, "depth_multiplier")
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self._add_keras_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint,
        )
        self.pointwise_kernel = self._add_keras_weight(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint,
        )
        self._add_bias(self.filters)

    def _convolve(self, x):
        x = self._depthwise(x, self.depthwise_kernel, None)
        return CONV[self.rank](x, self.pointwise_kernel, self.bias)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, depth_multiplier=self.depth_multiplier)
        return serialize_options(
            config,
            depthwise_initializer=self.depthwise_initializer,
            pointwise_initializer=self.pointwise_initializer,
            depthwise_regularizer=self.depthwise_regularizer,
            pointwise_regularizer=self.pointwise_regularizer,
            depthwise_constraint=self.depthwise_constraint,
            pointwise_constraint=self.pointwise_constraint,
        )

    def extra_repr(self):
        return f"filters={self.filters}, " + super().extra_repr()


def _doc(base, rank, example):
    return base.__doc__.replace("N-D", f"{rank}-D").replace("``rank``", str(rank)) + example


@register_serializable(package="keras")
class DepthwiseConv1D(_DepthwiseConv):
    __doc__ = _doc(_DepthwiseConv, 1, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.DepthwiseConv1D(3, depth_multiplier=2)(torch.ones(2, 8, 3)).shape
        torch.Size([2, 6, 6])
    """)

    rank = 1
    _keras_weight_layouts = {"kernel": keras_layout(1, (0, 1))}


@register_serializable(package="keras")
class DepthwiseConv2D(_DepthwiseConv):
    __doc__ = _doc(_DepthwiseConv, 2, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.DepthwiseConv2D(3, depth_multiplier=2)(torch.ones(1, 8, 8, 3)).shape
        torch.Size([1, 6, 6, 6])
    """)

    rank = 2
    _keras_weight_layouts = {"kernel": keras_layout(2, (0, 1))}


@register_serializable(package="keras")
class SeparableConv1D(_SeparableConv):
    __doc__ = _doc(_SeparableConv, 1, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.SeparableConv1D(8, 3, padding="same")(torch.ones(2, 10, 3)).shape
        torch.Size([2, 10, 8])
    """)

    rank = 1
    _keras_weight_layouts = {"depthwise_kernel": keras_layout(1, (0, 1)),
                             "pointwise_kernel": keras_layout(1, (1, 0))}


@register_serializable(package="keras")
class SeparableConv2D(_SeparableConv):
    __doc__ = _doc(_SeparableConv, 2, """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.SeparableConv2D(8, 3, padding="same")(torch.ones(1, 8, 8, 3)).shape
        torch.Size([1, 8, 8, 8])
    """)

    rank = 2
    _keras_weight_layouts = {"depthwise_kernel": keras_layout(2, (0, 1)),
                             "pointwise_kernel": keras_layout(2, (1, 0))}
