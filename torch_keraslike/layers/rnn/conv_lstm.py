"""Convolutional LSTMs (Shi et al., 2015): ``ConvLSTM1D``, ``ConvLSTM2D``, ``ConvLSTM3D``.

An LSTM whose input and recurrent transformations are convolutions. Kernels are stored
in torch's layout (``(4*filters, in, *kernel)``), Keras's ``(*kernel, in, 4*filters)`` in
``get_weights``. Internally the steps run channels_first (torch's convolutions); the
input convolution of all steps is one call on the batch and time axes merged, and
each step adds the recurrent convolution of the state.
"""

import torch
import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ...input_spec import InputSpec
from ...saving import register_serializable
from .._common import is_dropout_rate, is_seed, layer_label, same_pads, serialize_options
from .._conv_base import CONV, BaseConv, add_keras_layout_weight, keras_layout
from .._direct_call import direct_call_ok
from ._base import forward_cell_attributes
from ._dropout import DropoutRNNCell
from ._loop import run_steps
from .lstm import _UnitForgetBias
from .rnn import RNN

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


class ConvLSTMCell(BaseConv, DropoutRNNCell):
    """One step of a convolutional LSTM (Keras's internal ``ConvLSTMCell``).

    Args:
        rank: number of spatial axes (1, 2 or 3).
        filters, kernel_size, strides, padding, data_format, dilation_rate: the input
            convolution's arguments (the recurrent one has the same kernel size,
            stride 1 and ``"same"`` padding).
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed: as
            for ``LSTMCell``; dropout masks are per gate (4), as in Keras.
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: one step, ``(batch, *spatial, channels)`` (channels_last).
        states: ``[h, c]``, each the input convolution's output shape.
        training: whether dropout is active.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(
                f"{layer_label(self)}: Rank {rank} convolutions are not currently implemented. "
                f"Received: rank={rank!r}. Fix: use ConvLSTM1D, ConvLSTM2D or ConvLSTM3D."
            )
        self.rank = rank
        layout = keras_layout(rank, (1, 0))
        self._keras_weight_layouts = {"kernel": layout, "recurrent_kernel": layout}
        self.filters = self._positive(filters, "filters")
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not is_dropout_rate(rate):
                raise ValueError(
                    f"{layer_label(self)}: {arg} must be a float in [0, 1), received {arg}={rate!r}. "
                    f"Fix: e.g. {arg}=0.2."
                )
        if not is_seed(seed):
            raise ValueError(f"{layer_label(self)}: seed must be an int or None, received seed={seed!r}.")
        self.recurrent_activation = activations.get(recurrent_activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = None if seed is None else int(seed)
        self._generator = None
        self.dropout_mask_count = 4
        self.state_size = -1  # shaped states: get_initial_state knows them
        # The recurrent convolution: stride 1, Keras's "same" padding.
        pads = [same_pads(1, k, 1) for k in self.kernel_size]
        symmetric = all(a == b for a, b in pads)
        self._recurrent_padding = tuple(a for a, _ in pads) if symmetric else 0
        self._recurrent_pad_list = None if symmetric else [p for pair in reversed(pads) for p in pair]
        self.input_spec = InputSpec(ndim=rank + 2)

    # ----------------------------------------------------------------- build
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        if len(input_shape) != self.rank + 2 or None in spatial:
            raise ValueError(
                f"{layer_label(self)}: ConvLSTM layers only support static input shapes for the "
                f"spatial dimension. Received invalid input shape: input_shape={input_shape}. "
                "Fix: give the spatial sizes in the Input shape."
            )
        channels = self._input_channels(input_shape)
        self.spatial_dims, self.input_dim = spatial, channels
        width = 4 * self.filters
        layout = self._keras_weight_layouts["kernel"]
        self.kernel = add_keras_layout_weight(
            self, "kernel", self.kernel_size + (channels, width), layout, self.kernel_initializer,
            self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = add_keras_layout_weight(
            self, "recurrent_kernel", self.kernel_size + (self.filters, width), layout,
            self.recurrent_initializer, self.recurrent_regularizer, self.recurrent_constraint)
        if self.use_bias:
            initializer = (_UnitForgetBias(self.bias_initializer, self.filters) if self.unit_forget_bias
                           else self.bias_initializer)
            self.bias = self.add_weight(shape=(width,), initializer=initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, shape=(None,) + input_shape[1:])

    def state_shape(self, batch_size):
        """Shape of ``h`` and ``c`` for a batch (the input convolution's output shape)."""
        if self._channels_last:
            step = (batch_size,) + tuple(self.spatial_dims) + (self.input_dim,)
        else:
            step = (batch_size, self.input_dim) + tuple(self.spatial_dims)
        return self.compute_output_shape(step)

    def get_initial_state(self, batch_size=None):
        """Zero states ``[h, c]`` of :meth:`state_shape`."""
        device = self.kernel.device if self.built else self._tkl_device
        zeros = torch.zeros(self.state_shape(batch_size), dtype=self._tkl_dtype, device=device)
        return [zeros, zeros]

    # ------------------------------------------------------------------ call
    def _first(self, x):
        return x.permute(self._to_first) if self._channels_last else x

    def _last(self, x):
        return x.permute(self._to_last) if self._channels_last else x

    def call(self, inputs, states, training=False):
        masks = self.get_dropout_mask(inputs) if training and self.dropout else None
        h, c = self._first(states[0]), self._first(states[1])
        recurrent_masks = None
        if training and self.recurrent_dropout:
            recurrent_masks = [self._first(m) for m in self.get_recurrent_dropout_mask(states[0])]
        x = self._first(inputs)
        projected = self._input_conv(x, None if masks is None else [self._first(m) for m in masks])
        h, c = self._gates(projected, h, c, recurrent_masks)
        h = self._last(h)
        return h, [h, self._last(c)]

    def _input_conv(self, x, masks):
        """The input convolution of the four gates (channels_first ``x``): one
        convolution, or one per gate with its dropout mask."""
        conv = CONV[self.rank]
        if masks is None:
            x, padding = self._pad(x)
            return conv(x, self.kernel, self.bias, self.strides, padding, self.dilation_rate)
        kernels = self.kernel.chunk(4, dim=0)
        biases = self.bias.chunk(4) if self.bias is not None else (None,) * 4
        parts = []
        for mask, kernel, bias in zip(masks, kernels, biases):
            masked, padding = self._pad(x * mask)
            parts.append(conv(masked, kernel, bias, self.strides, padding, self.dilation_rate))
        return torch.cat(parts, dim=1)

    def _recurrent_conv(self, h, masks):
        conv = CONV[self.rank]

        def apply(state, kernel):
            if self._recurrent_pad_list is not None:
                state = F.pad(state, self._recurrent_pad_list)
            return conv(state, kernel, None, 1, self._recurrent_padding)

        if masks is None:
            return apply(h, self.recurrent_kernel)
        kernels = self.recurrent_kernel.chunk(4, dim=0)
        return torch.cat([apply(h * m, k) for m, k in zip(masks, kernels)], dim=1)

    def _gates(self, projected, h, c, recurrent_masks):
        z_i, z_f, z_c, z_o = (projected + self._recurrent_conv(h, recurrent_masks)).chunk(4, dim=1)
        act, gate = self.activation, self.recurrent_activation
        c = gate(z_f) * c + gate(z_i) * act(z_c)
        return gate(z_o) * act(c), c

    def channels_first_steps(self, sequences, training):
        """``step(t, states)`` over a whole sequence, on channels_first states; the input
        convolutions of all steps in one call."""
        batch, steps = sequences.shape[0], sequences.shape[1]
        merged = self._first(sequences.reshape(batch * steps, *sequences.shape[2:]))
        masks = None
        if training and self.dropout:
            masks = [self._first(m).repeat_interleave(steps, dim=0)
                     for m in self.get_dropout_mask(sequences[:, 0])]
        projected = self._input_conv(merged, masks)
        projected = projected.reshape(batch, steps, *projected.shape[1:])
        recurrent_masks = None
        if training and self.recurrent_dropout:
            like = sequences.new_empty(self.state_shape(batch))
            recurrent_masks = [self._first(m) for m in self.get_recurrent_dropout_mask(like)]

        def step(t, states):
            h, c = self._gates(projected[:, t], states[0], states[1], recurrent_masks)
            return h, [h, c]

        return step

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters,
                      recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias)
        serialize_options(config, kernel_initializer=self.kernel_initializer,
                          recurrent_initializer=self.recurrent_initializer,
                          kernel_regularizer=self.kernel_regularizer,
                          recurrent_regularizer=self.recurrent_regularizer,
                          kernel_constraint=self.kernel_constraint,
                          recurrent_constraint=self.recurrent_constraint)
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config


_OPTIONS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
            "activation", "recurrent_activation", "use_bias", "kernel_initializer",
            "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
            "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
            "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")


class ConvLSTM(RNN):
    """The convolutional LSTM layer of rank 1, 2 or 3 (see ``ConvLSTM2D``)."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank=self._rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=self._rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = InputSpec(ndim=self._rank + 3, shape=(None, None) + tuple(sequences_shape[2:]))

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        if not (direct_call_ok(cell) and cell._tkl_dtype == sequences.dtype):
            return super().inner_loop(sequences, initial_state, mask, training)
        step = cell.channels_first_steps(sequences, training)
        states = [cell._first(s) for s in initial_state]
        last, outputs, states = run_steps(
            step, sequences.shape[1], states, mask=mask, go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask, return_all_outputs=self.return_sequences)
        if cell._channels_last:  # (batch, steps, filters, *spatial) -> channels_last
            rank = self._rank
            outputs = outputs.permute(0, 1, *range(3, rank + 3), 2)
        return cell._last(last), outputs, [cell._last(s) for s in states]

    def _state_shapes(self, batch):
        shape = tuple(self.cell.state_shape(batch))
        return [shape, shape]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = tuple(self.cell.compute_output_shape((batch,) + tuple(sequences_shape[2:]))[1:])
        output = (batch, steps) + state if self.return_sequences else (batch,) + state
        if self.return_state:
            return output, (batch,) + state, (batch,) + state
        return output

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in _OPTIONS:
            config[key] = cell_config[key]
        config["activity_regularizer"] = (
            None if self.activity_regularizer is None else regularizers.serialize(self.activity_regularizer))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    # The constructor's arguments: Keras configs are normalized for it when loaded.
    from_config.__func__.constructor_arguments = True


forward_cell_attributes(ConvLSTM, _OPTIONS)


def _doc(rank, spatial, example):
    return f"""{rank}D convolutional LSTM (Keras's ``ConvLSTM{rank}D``).

    Like ``LSTM``, with convolutions instead of matrix products: the inputs are
    sequences of {spatial}, and so are the states and outputs.

    Args:
        filters: number of output channels (and of each state).
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints (the input convolution; default 1).
        padding: ``"valid"`` or ``"same"`` (the input convolution; the recurrent one is
            always ``"same"``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: int or tuple of {rank} ints (the input convolution).
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: as for ``LSTM``.
        activity_regularizer: regularizer of the output.
        dropout, recurrent_dropout, seed: dropout of the inputs and states while
            training (one mask per gate and sequence, as in Keras).
        return_sequences, return_state, go_backwards, stateful: as for ``RNN``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        sequences: ``(batch, timesteps, *spatial, channels)`` (channels_last) or
            ``(batch, timesteps, channels, *spatial)``.
        initial_state: ``[h, c]``, each of the output's per-step shape.
        mask: boolean ``(batch, timesteps)``.
        training: whether dropout is active.

    Shapes:
        Output ``(batch, *out_spatial, filters)`` (channels_last), with a time axis after
        the batch axis when ``return_sequences``. Weights (Keras's layouts): ``kernel
        (*kernel_size, channels, 4*filters)``, ``recurrent_kernel (*kernel_size, filters,
        4*filters)``, ``bias (4*filters,)``.

    Example:
{example}
    """


@register_serializable(package="keras")
class ConvLSTM1D(ConvLSTM):
    __doc__ = _doc(1, "1D signals", """        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ConvLSTM1D(4, 3)(torch.ones(2, 5, 10, 3)).shape
        torch.Size([2, 8, 4])""")
    _rank = 1


@register_serializable(package="keras")
class ConvLSTM2D(ConvLSTM):
    __doc__ = _doc(2, "images", """        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
        >>> layer(torch.ones(2, 5, 8, 8, 3)).shape
        torch.Size([2, 5, 8, 8, 4])""")
    _rank = 2


@register_serializable(package="keras")
class ConvLSTM3D(ConvLSTM):
    __doc__ = _doc(3, "volumes", """        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ConvLSTM3D(2, 3)(torch.ones(1, 3, 5, 5, 5, 2)).shape
        torch.Size([1, 3, 3, 3, 2])""")
    _rank = 3
