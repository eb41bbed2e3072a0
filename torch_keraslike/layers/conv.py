"""Convolution layers: ``Conv1D``, ``Conv2D``, ``Conv3D``, ``Conv2DTranspose``,
``DepthwiseConv2D`` and ``SeparableConv2D``.

Kernels are stored in torch's layout (``(out, in, *kernel)`` for convolutions), so a
call is one ``F.convNd`` on a permuted *view* of a channels_last input (torch then runs
its channels_last kernels; nothing is copied). Everything a user sees is in Keras's
layout (``(*kernel, in, out)``...): ``get_weights``/``set_weights`` (through
``_keras_weight_layouts``), the fans of the initializers, and the axes of regularizers
and constraints.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .. import activations, constraints, initializers, regularizers
from ..config import standardize_data_format
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import (
    add_weight_from_options,
    int_tuple,
    is_positive_int,
    layer_label,
    same_pads,
    serialize_options,
)

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
# Permutation from torch's (out, in, *k) storage to Keras's (*k, in, out) layout.
_TORCH_TO_KERAS = {1: (2, 1, 0), 2: (2, 3, 1, 0), 3: (2, 3, 4, 1, 0)}


def _inverse(permutation):
    return tuple(int(i) for i in np.argsort(permutation))


class _InKerasLayout(initializers.Initializer):
    """Runs an initializer on the Keras-layout shape, then permutes into storage, so
    fans (glorot, he...) and values are exactly Keras's."""

    def __init__(self, initializer, permutation):
        self.initializer, self.permutation = initializer, permutation

    def __call__(self, shape, dtype=None, device=None):
        keras_shape = tuple(shape[p] for p in self.permutation)
        init = self.initializer
        if isinstance(init, initializers.Initializer):
            value = init(keras_shape, dtype=dtype, device=device)
        else:
            value = torch.as_tensor(init(keras_shape, dtype), device=device)
        return value.permute(_inverse(self.permutation))


class _OnKerasLayout:
    """Applies a regularizer or constraint to the Keras-layout view of a weight (their
    ``axis`` arguments refer to Keras's layout); constraint results are permuted back."""

    def __init__(self, function, permutation, permute_back):
        self.function, self.permutation, self.permute_back = function, permutation, permute_back

    def __call__(self, weight):
        result = self.function(weight.permute(self.permutation))
        return result.permute(_inverse(self.permutation)) if self.permute_back else result


class _BaseConv(Layer):
    """Shared machinery: argument checks, data formats, Keras "same"/"causal" padding,
    bias, activation, weights created in Keras's layout. Subclasses set ``rank``."""

    rank = 2
    _paddings = ("valid", "same")

    def _setup(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
               use_bias, bias_initializer, bias_regularizer, bias_constraint):
        rank = self.rank
        self.kernel_size = self._int_tuple(kernel_size, "kernel_size")
        self.strides = self._int_tuple(strides, "strides")
        self.dilation_rate = self._int_tuple(dilation_rate, "dilation_rate")
        name = padding.lower() if isinstance(padding, str) else padding
        if name not in self._paddings:
            raise ValueError(
                f"{layer_label(self)}: padding must be one of {list(self._paddings)} "
                f"(case-insensitive), received padding={padding!r}. Fix: e.g. padding='same'."
            )
        self.padding = name
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{layer_label(self)}: `strides > 1` not supported in conjunction with "
                f"`dilation_rate > 1`. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}. Fix: use strides=1 with dilation, or "
                "dilation_rate=1 with strides."
            )
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self._activation_fn = activations.fused(self.activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self._channels_last = self.data_format == "channels_last"
        self._to_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_last = (0,) + tuple(range(2, rank + 2)) + (1,)
        self.input_spec = InputSpec(min_ndim=rank + 2, max_ndim=rank + 2)
        # Padding known without the input size: a torch ``padding`` argument, or an
        # explicit F.pad list (asymmetric/causal); ``None`` for both: decided per call.
        self._torch_padding, self._pad_list = None, None
        if self.padding == "valid":
            self._torch_padding = (0,) * rank
        elif self.padding == "causal":
            self._torch_padding = (0,)
            self._pad_list = [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0]
        elif max(self.strides) == 1:
            pads = [same_pads(1, k, 1, d) for k, d in zip(self.kernel_size, self.dilation_rate)]
            if all(a == b for a, b in pads):
                self._torch_padding = tuple(a for a, _ in pads)
            else:
                self._torch_padding = (0,) * rank
                self._pad_list = [p for pair in reversed(pads) for p in pair]

    def _int_tuple(self, value, arg, minimum=1):
        rank = self.rank
        items = int_tuple(value, rank, minimum)
        if items is None:
            kind = "positive" if minimum == 1 else "non-negative"
            raise ValueError(
                f"{layer_label(self)}: {arg} must be a {kind} int or a tuple of {rank} {kind} "
                f"ints, received {arg}={value!r}. Fix: e.g. {arg}={(minimum + 1,) * rank}."
            )
        return items

    def _positive(self, value, arg, example):
        if not is_positive_int(value):
            raise ValueError(
                f"{layer_label(self)}: {arg} must be a positive integer, received {arg}={value!r}. "
                f"Fix: e.g. {example}."
            )
        return int(value)

    def _input_channels(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{layer_label(self)} expects inputs of rank {self.rank + 2} (batch, "
                f"{self.rank} spatial axes, channels), received input_shape={tuple(input_shape)}."
            )
        channels = input_shape[-1 if self._channels_last else 1]
        if channels is None:
            raise ValueError(
                f"{layer_label(self)} needs the channel axis of its input to be known, received "
                f"input_shape={tuple(input_shape)} (data_format={self.data_format!r}). Fix: "
                "give the number of channels, or check data_format."
            )
        self.input_spec = InputSpec(
            min_ndim=self.rank + 2, max_ndim=self.rank + 2,
            axes={-1 if self._channels_last else 1: channels},
        )
        return channels

    def _add_keras_weight(self, name, keras_shape, initializer, regularizer, constraint):
        permutation = self._keras_weight_layouts[name]
        return self.add_weight(
            shape=tuple(keras_shape[i] for i in _inverse(permutation)),
            initializer=_InKerasLayout(initializer, permutation),
            regularizer=None if regularizer is None else _OnKerasLayout(regularizer, permutation, False),
            constraint=None if constraint is None else _OnKerasLayout(constraint, permutation, True),
            name=name,
        )

    def _add_bias(self, size):
        self.bias = add_weight_from_options(self, "bias", (size,)) if self.use_bias else None

    def _pad(self, x):
        """Returns ``(x, torch_padding)`` for a channels_first ``x``: symmetric padding
        goes to torch's kernel, asymmetric padding is applied with F.pad."""
        if self._torch_padding is not None:
            if self._pad_list is not None:
                x = F.pad(x, self._pad_list)
            return x, self._torch_padding
        pads = [same_pads(size, k, s, d) for size, k, s, d in zip(
            x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        if all(a == b for a, b in pads):
            return x, tuple(a for a, _ in pads)
        return F.pad(x, [p for pair in reversed(pads) for p in pair]), 0

    def call(self, inputs):
        x = inputs.permute(self._to_first) if self._channels_last else inputs
        outputs = self._convolve(x)
        if self._channels_last:
            outputs = outputs.permute(self._to_last)
        if self._activation_fn is not None:
            outputs = self._activation_fn(outputs)
        return outputs

    def _output_size(self, size, k, s, d):
        if size is None:
            return None
        effective = (k - 1) * d + 1
        if self.padding == "same":
            return -(-size // s)
        if self.padding == "causal":
            return (size - 1) // s + 1
        return (size - effective) // s + 1 if size >= effective else 0

    def _output_channels(self, input_shape):
        return self.filters

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(self._output_size(*args) for args in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"{layer_label(self)}: computed output size would be negative or zero. Received "
                f"input_shape={input_shape}, kernel_size={self.kernel_size}, strides="
                f"{self.strides}, dilation_rate={self.dilation_rate}, padding={self.padding!r}. "
                "Fix: use larger inputs, a smaller kernel, or padding='same'."
            )
        channels = self._output_channels(input_shape)
        if self._channels_last:
            return (input_shape[0],) + out + (channels,)
        return (input_shape[0], channels) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
        )
        return serialize_options(
            config,
            bias_initializer=self.bias_initializer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            bias_constraint=self.bias_constraint,
        )

    def extra_repr(self):
        return (f"name={self.name!r}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, data_format={self.data_format!r}")


class _Conv(_BaseConv):
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
        self.filters = self._positive(filters, "filters", f"{type(self).__name__}(32, 3)")
        self.groups = self._positive(groups, "groups", "groups=1")
        if self.filters % self.groups:
            raise ValueError(
                f"{layer_label(self)}: the number of filters must be evenly divisible by the "
                f"number of groups. Received: groups={self.groups}, filters={self.filters}. "
                "Fix: pick filters as a multiple of groups."
            )
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._conv_fn = _CONV[self.rank]

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{layer_label(self)}: the number of input channels must be evenly divisible by "
                f"the number of groups. Received groups={self.groups}, but the input has "
                f"{channels} channels (full input shape is {tuple(input_shape)}). Fix: choose "
                "groups dividing the input channels."
            )
        self.compute_output_shape(input_shape)
        self.kernel = self._add_keras_weight(
            "kernel", self.kernel_size + (channels // self.groups, self.filters),
            self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint,
        )
        self._add_bias(self.filters)

    def _convolve(self, x):
        x, padding = self._pad(x)
        return self._conv_fn(x, self.kernel, self.bias, self.strides, padding,
                             self.dilation_rate, self.groups)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, groups=self.groups)
        return serialize_options(
            config,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            kernel_constraint=self.kernel_constraint,
        )

    def extra_repr(self):
        return f"filters={self.filters}, " + super().extra_repr()


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
    _keras_weight_layouts = {"kernel": _TORCH_TO_KERAS[1]}


@register_serializable(package="keras")
class Conv2D(_Conv):
    __doc__ = _Conv.__doc__.replace("N-D convolution (``rank`` set by the subclass)", "2-D convolution") + """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv2D(16, 3, padding="same")(torch.ones(2, 32, 32, 3)).shape
        torch.Size([2, 32, 32, 16])
    """

    rank = 2
    _keras_weight_layouts = {"kernel": _TORCH_TO_KERAS[2]}


@register_serializable(package="keras")
class Conv3D(_Conv):
    __doc__ = _Conv.__doc__.replace("N-D convolution (``rank`` set by the subclass)", "3-D convolution") + """
    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv3D(4, 3)(torch.ones(1, 8, 8, 8, 2)).shape
        torch.Size([1, 6, 6, 6, 4])
    """

    rank = 3
    _keras_weight_layouts = {"kernel": _TORCH_TO_KERAS[3]}


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


@register_serializable(package="keras")
class Conv2DTranspose(_BaseConv):
    """Transposed 2-D convolution ("deconvolution"), with Keras's output sizes.

    Output size per spatial axis (``k`` the dilated kernel size): ``"valid"``:
    ``(in - 1) * stride + max(k, stride)``; ``"same"``: ``in * stride``; with
    ``output_padding`` given: ``(in - 1) * stride + k + output_padding`` ("valid") or
    ``(in - 1) * stride + k % 2 + output_padding`` ("same"). The values equal Keras's
    TensorFlow/JAX results, also where torch's symmetric padding cannot express them.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of 2 ints.
        padding: ``"valid"`` or ``"same"``.
        output_padding: None, or int / tuple of 2 non-negative ints.
        data_format, activation, use_bias, *_initializer, *_regularizer, *_constraint:
            as in :class:`Conv2D`.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, h, w, in)`` (channels_last); output ``(batch, h', w', filters)``.
        ``kernel`` is stored ``(in, filters, kh, kw)`` (torch's layout); ``get_weights()``
        returns Keras's ``(kh, kw, filters, in)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(torch.ones(1, 5, 5, 2)).shape
        torch.Size([1, 10, 10, 4])
    """

    rank = 2
    _keras_weight_layouts = {"kernel": (2, 3, 1, 0)}

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
        data_format=None, dilation_rate=1, activation=None, use_bias=True,
        kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive(filters, "filters", "Conv2DTranspose(32, 3)")
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.output_padding = None if output_padding is None else self._int_tuple(
            output_padding, "output_padding", minimum=0)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        crops = [_transpose_pads(k, s, d, self.padding, op) for k, s, d, op in zip(
            self.kernel_size, self.strides, self.dilation_rate, self.output_padding or (None,) * 2)]
        # torch's conv_transpose crops ``p`` on both sides, then adds ``op`` back at
        # the end (``op < max(stride, dilation)``): exact when the crops fit that form.
        if all(0 <= before - after < max(s, d) and before >= 0 for (before, after), s, d in
               zip(crops, self.strides, self.dilation_rate)):
            self._torch_args = (tuple(b for b, _ in crops), tuple(b - a for b, a in crops))
            self._residual = None
        else:
            torch_pad = tuple(max(0, min(b, a)) for b, a in crops)
            self._torch_args = (torch_pad, (0, 0))
            self._residual = [(b - p, a - p) for (b, a), p in zip(crops, torch_pad)]

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self._add_keras_weight(
            "kernel", self.kernel_size + (self.filters, channels),
            self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint,
        )
        self._add_bias(self.filters)

    def _convolve(self, x):
        padding, output_padding = self._torch_args
        if self._residual is None:
            return F.conv_transpose2d(x, self.kernel, self.bias, self.strides, padding,
                                      output_padding, 1, self.dilation_rate)
        out = F.conv_transpose2d(x, self.kernel, None, self.strides, padding, 0, 1,
                                 self.dilation_rate)
        if all(b >= 0 and a >= 0 for b, a in self._residual):
            for dim, (before, after) in enumerate(self._residual, start=2):
                out = out.narrow(dim, before, out.shape[dim] - before - after)
        else:
            out = F.pad(out, [-c for pair in reversed(self._residual) for c in pair])
        return out if self.bias is None else out + self.bias.view(-1, 1, 1)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(_transpose_size(size, k, s, d, self.padding, op) for size, k, s, d, op in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate,
            self.output_padding or (None,) * 2))
        if self._channels_last:
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, output_padding=self.output_padding)
        return serialize_options(
            config,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            kernel_constraint=self.kernel_constraint,
        )


@register_serializable(package="keras")
class DepthwiseConv2D(_BaseConv):
    """Depthwise 2-D convolution: each input channel is convolved with its own
    ``depth_multiplier`` filters (output channel ``c * depth_multiplier + m``).

    Args:
        kernel_size, strides, dilation_rate: int or tuple of 2 ints.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: filters per input channel (default 1).
        data_format, activation, use_bias: as in :class:`Conv2D`.
        depthwise_initializer, bias_initializer: initializers (fans from Keras's layout).
        depthwise_regularizer, bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, bias_constraint: constraints.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, h, w, c)``; output ``(batch, h', w', c * depth_multiplier)``.
        The kernel is ``layer.kernel`` (Keras 3's name; ``layer.depthwise_kernel`` is an
        alias), stored ``(c, depth_multiplier, kh, kw)``; ``get_weights()`` returns
        Keras's ``(kh, kw, c, depth_multiplier)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.DepthwiseConv2D(3, depth_multiplier=2)(torch.ones(1, 8, 8, 3)).shape
        torch.Size([1, 6, 6, 6])
    """

    rank = 2
    _keras_weight_layouts = {"kernel": (2, 3, 0, 1)}

    def __init__(
        self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
        dilation_rate=1, activation=None, use_bias=True,
        depthwise_initializer="glorot_uniform", bias_initializer="zeros",
        depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
        depthwise_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = self._positive(depth_multiplier, "depth_multiplier", "depth_multiplier=1")
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
        x, padding = self._pad(x)
        kernel = self.kernel
        weight = kernel.reshape(kernel.shape[0] * kernel.shape[1], 1, *kernel.shape[2:])
        return F.conv2d(x, weight, self.bias, self.strides, padding, self.dilation_rate,
                        kernel.shape[0])

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


@register_serializable(package="keras")
class SeparableConv2D(_BaseConv):
    """Depthwise separable 2-D convolution: a depthwise convolution (``depth_multiplier``
    filters per input channel) followed by a 1x1 pointwise convolution to ``filters``.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of 2 ints (of the depthwise step).
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: depthwise filters per input channel (default 1).
        data_format, activation, use_bias: as in :class:`Conv2D`.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, h, w, c)``; output ``(batch, h', w', filters)``.
        ``depthwise_kernel`` is stored ``(c, depth_multiplier, kh, kw)`` and
        ``pointwise_kernel`` ``(filters, c * depth_multiplier, 1, 1)``; ``get_weights()``
        returns Keras's ``(kh, kw, c, depth_multiplier)`` and
        ``(1, 1, c * depth_multiplier, filters)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.SeparableConv2D(8, 3, padding="same")(torch.ones(1, 8, 8, 3)).shape
        torch.Size([1, 8, 8, 8])
    """

    rank = 2
    _keras_weight_layouts = {"depthwise_kernel": (2, 3, 0, 1), "pointwise_kernel": (2, 3, 1, 0)}

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None,
        dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
        depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
        bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
        pointwise_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive(filters, "filters", "SeparableConv2D(32, 3)")
        self.depth_multiplier = self._positive(depth_multiplier, "depth_multiplier", "depth_multiplier=1")
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
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint,
        )
        self._add_bias(self.filters)

    def _convolve(self, x):
        x, padding = self._pad(x)
        kernel = self.depthwise_kernel
        weight = kernel.reshape(kernel.shape[0] * kernel.shape[1], 1, *kernel.shape[2:])
        x = F.conv2d(x, weight, None, self.strides, padding, self.dilation_rate, kernel.shape[0])
        return F.conv2d(x, self.pointwise_kernel, self.bias)

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
