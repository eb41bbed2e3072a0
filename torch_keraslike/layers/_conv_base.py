"""Machinery shared by every convolution layer (regular, transposed, depthwise and
separable): argument checks with Keras's messages, data formats, Keras's "same" and
"causal" padding, bias and activation, and weights created in Keras's layout.

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
from ._common import (
    add_weight_from_options,
    is_positive_int,
    layer_label,
    same_pads,
    serialize_options,
    standardize_tuple,
)

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def keras_layout(rank, channel_axes):
    """Permutation from a stored ``(a, b, *kernel)`` weight to Keras's
    ``(*kernel, ...)`` layout, ``channel_axes`` giving the order of ``a`` (0) and
    ``b`` (1) after the kernel axes: ``(1, 0)`` for ``(*kernel, in, out)``."""
    return tuple(range(2, rank + 2)) + tuple(channel_axes)


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


def add_keras_layout_weight(layer, name, keras_shape, permutation, initializer, regularizer,
                            constraint):
    """Creates weight ``name`` stored in a layout other than Keras's.

    ``permutation`` maps the stored layout to Keras's (as in ``_keras_weight_layouts``):
    the initializer runs on Keras's shape (same fans and values as Keras), regularizers
    and constraints see Keras's layout.
    """
    return layer.add_weight(
        shape=tuple(keras_shape[i] for i in _inverse(permutation)),
        initializer=_InKerasLayout(initializer, permutation),
        regularizer=None if regularizer is None else _OnKerasLayout(regularizer, permutation, False),
        constraint=None if constraint is None else _OnKerasLayout(constraint, permutation, True),
        name=name,
    )


class BaseConv(Layer):
    """Shared machinery of the convolution layers. Subclasses set ``rank``, call
    :meth:`_setup` in ``__init__`` and define ``build`` and ``_convolve`` (the
    channels_first computation, bias included)."""

    cast_integer_inputs = True

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

    def _int_tuple(self, value, arg, allow_zero=False):
        return standardize_tuple(self, value, self.rank, arg, allow_zero)

    def _positive(self, value, arg):
        """``value`` as an int > 0; Keras's message otherwise."""
        if not is_positive_int(value):
            raise ValueError(
                f"{layer_label(self)}: Invalid value for argument `{arg}`. Expected a strictly "
                f"positive value. Received {arg}={value!r}. Fix: pass a positive int, e.g. "
                f"{arg}=8."
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
        return add_keras_layout_weight(self, name, keras_shape, self._keras_weight_layouts[name],
                                       initializer, regularizer, constraint)

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

    def _depthwise(self, x, kernel, bias):
        """Depthwise convolution of a channels_first ``x`` with a ``(c, m, *k)`` kernel:
        output channel ``c * m + j`` is input channel ``c`` with filter ``j``."""
        x, padding = self._pad(x)
        weight = kernel.reshape(kernel.shape[0] * kernel.shape[1], 1, *kernel.shape[2:])
        return CONV[self.rank](x, weight, bias, self.strides, padding, self.dilation_rate,
                               kernel.shape[0])

    def call(self, inputs):
        x = inputs.permute(self._to_first) if self._channels_last else inputs
        if not x.is_cuda and not x.is_contiguous():
            # On the CPU a convolution whose input and kernel layouts differ copies one
            # of them on every call: copy the smaller one (a large kernel meeting a
            # small channels_last input makes the input contiguous instead).
            kernel = self._parameters.get("kernel")
            if kernel is not None and kernel.numel() > x.numel() and kernel.is_contiguous():
                x = x.contiguous()
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
                f"{layer_label(self)}: Computed output size would be zero or negative. Received "
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


class KernelConv(BaseConv):
    """A convolution with ``filters`` output channels and one ``kernel`` weight (the
    regular and the transposed convolutions)."""

    def _setup_kernel(self, filters, kernel_initializer, kernel_regularizer, kernel_constraint):
        self.filters = self._positive(filters, "filters")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def _add_kernel(self, keras_shape):
        self.kernel = self._add_keras_weight(
            "kernel", keras_shape, self.kernel_initializer, self.kernel_regularizer,
            self.kernel_constraint,
        )

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        return serialize_options(
            config,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            kernel_constraint=self.kernel_constraint,
        )

    def extra_repr(self):
        return f"filters={self.filters}, " + super().extra_repr()
