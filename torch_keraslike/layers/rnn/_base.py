"""What ``SimpleRNN``, ``LSTM`` and ``GRU`` (and their cells) share.

Cells keep ``kernel (gates*units, input_dim)`` and ``recurrent_kernel (gates*units,
units)`` in torch's layout, so the fused kernels take them as they are; Keras's layouts
``(input_dim, gates*units)`` and ``(units, gates*units)`` are what ``get_weights``,
``set_weights``, initializers (fans), regularizers and constraints see. Gates stay in
Keras's order inside the weights (``i, f, c, o`` for LSTM, which is torch's; ``z, r, h``
for GRU, reordered for torch's kernel at each call).

A layer runs its cell's formulas on a fused kernel when they are the kernel's formulas
(``tanh``/``sigmoid``, GRU's ``reset_after=True``) and no per-step randomness is needed
(recurrent dropout, or per-gate input dropout of ``implementation=1``, while training),
and otherwise steps through the sequence with the input projections of all steps done
in one product.
"""

import torch
import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ...input_spec import InputSpec
from ...layer import Layer
from .._common import is_dropout_rate, is_positive_int, is_seed, layer_label, serialize_options
from .._conv_base import add_keras_layout_weight
from ._dropout import DropoutRNNCell
from ._fused import run_from_zeros, run_fused, zeros_like
from .rnn import RNN

__all__ = ["CellLayer", "RecurrentCell", "forward_cell_attributes", "is_activation"]

_TORCH_LAYOUT = (1, 0)

# Keras's default activations, also spelled as the torch functions.
_ACTIVATIONS = {"tanh": (activations.tanh, torch.tanh), "sigmoid": (activations.sigmoid, torch.sigmoid),
                "relu": (activations.relu, torch.relu)}


def is_activation(function, name):
    """Whether ``function`` is Keras's (or torch's) activation ``name``."""
    return any(function is f for f in _ACTIVATIONS[name])


class RecurrentCell(Layer, DropoutRNNCell):
    """Arguments, weights and dropout of the built-in cells; subclasses define the gates
    (``_gates``), ``_input_bias`` and ``_recurrent_step``."""

    cast_integer_inputs = True
    _keras_weight_layouts = {"kernel": _TORCH_LAYOUT, "recurrent_kernel": _TORCH_LAYOUT}
    _gates = 1

    def __init__(self, units, activation, recurrent_activation, use_bias, kernel_initializer,
                 recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                 bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
                 dropout, recurrent_dropout, seed, implementation=2, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if not is_positive_int(units):
            raise ValueError(
                f"{layer_label(self)}: Received an invalid value for argument `units`, expected a "
                f"positive integer, got {units!r}. Fix: e.g. {cls}(32)."
            )
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not is_dropout_rate(rate):
                raise ValueError(
                    f"{layer_label(self)}: {arg} must be a float in [0, 1), received {arg}={rate!r}. "
                    f"Fix: e.g. {arg}=0.2."
                )
        if not is_seed(seed):
            raise ValueError(f"{layer_label(self)}: seed must be an int or None, received seed={seed!r}.")
        if implementation not in (0, 1, 2) or isinstance(implementation, bool):
            raise ValueError(
                f"{layer_label(self)}: implementation must be 1 (one product per gate) or 2 (one "
                f"product for all gates), received implementation={implementation!r}."
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        if recurrent_activation is not None or self._gates > 1:
            self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = None if seed is None else int(seed)
        self._generator = None
        # Keras: recurrent dropout needs a mask per gate, which implementation 1 has.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1 and self._gates > 1:
            self.dropout_mask_count = self._gates
        self.output_size = self.units
        self.input_spec = InputSpec(min_ndim=2)

    # ----------------------------------------------------------------- build
    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{layer_label(self)} needs the feature axis (last) of its input to be known, "
                f"received input_shape={tuple(input_shape)}."
            )
        width = self._gates * self.units
        self.kernel = add_keras_layout_weight(
            self, "kernel", (input_dim, width), _TORCH_LAYOUT, self.kernel_initializer,
            self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = add_keras_layout_weight(
            self, "recurrent_kernel", (self.units, width), _TORCH_LAYOUT,
            self.recurrent_initializer, self.recurrent_regularizer, self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _input_bias(self):
        return self.bias

    def get_initial_state(self, batch_size=None):
        """Zero states, ``(batch_size, units)`` each, on the weights' device."""
        device = self.kernel.device if self.built else self._tkl_device
        zeros = torch.zeros((batch_size, self.units), dtype=self._tkl_dtype, device=device)
        # One tensor for every state: states are never changed in place.
        return [zeros] * (len(self.state_size) if isinstance(self.state_size, list) else 1)

    # ------------------------------------------------------------------ call
    def call(self, inputs, states, training=False):
        single = not isinstance(states, (list, tuple))
        states = [states] if single else list(states)
        masks = self.get_dropout_mask(inputs) if training and self.dropout else None
        recurrent_masks = None
        if training and self.recurrent_dropout:
            recurrent_masks = self.get_recurrent_dropout_mask(states[0])
        output, new_states = self._recurrent_step(self._project(inputs, masks), states, recurrent_masks)
        return output, (new_states[0] if single and len(new_states) == 1 else new_states)

    def _sequence_step(self, sequences, training):
        """``step(t, states)`` over a whole sequence, its input projections (dropout
        included) computed at once."""
        masks = None
        if training and self.dropout:
            masks = self.get_dropout_mask(sequences[:, 0])
        recurrent_masks = None
        if training and self.recurrent_dropout:
            recurrent_masks = self.get_recurrent_dropout_mask(
                sequences.new_empty(sequences.shape[0], self.units))
        projected = self._project(sequences, masks)

        def step(t, states):
            return self._recurrent_step(projected[:, t], states, recurrent_masks)

        return step

    def _project(self, inputs, masks):
        """Input projection of all gates (with dropout masks: one, or one per gate)."""
        bias = self._input_bias()
        if masks is None:
            return F.linear(inputs, self.kernel, bias)
        expand = (lambda m: m.unsqueeze(1)) if inputs.dim() == 3 else (lambda m: m)
        if not isinstance(masks, (list, tuple)):
            return F.linear(inputs * expand(masks), self.kernel, bias)
        kernels = self.kernel.chunk(self._gates, dim=0)
        biases = bias.chunk(self._gates) if bias is not None else [None] * self._gates
        return torch.cat([F.linear(inputs * expand(m), k, b) for m, k, b in zip(masks, kernels, biases)],
                         dim=-1)

    def _recurrent(self, h, masks, rows=None):
        """``h`` through (a slice of) the recurrent kernel; with recurrent dropout masks,
        one masked product per gate."""
        kernel = self.recurrent_kernel if rows is None else self.recurrent_kernel[rows]
        if masks is None:
            return F.linear(h, kernel)
        if not isinstance(masks, (list, tuple)):
            return F.linear(h * masks, kernel)
        parts = kernel.chunk(len(masks), dim=0)
        return torch.cat([F.linear(h * m, k) for m, k in zip(masks, parts)], dim=-1)

    # --------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation))
        if hasattr(self, "recurrent_activation"):
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["use_bias"] = self.use_bias
        serialize_options(
            config,
            kernel_initializer=self.kernel_initializer,
            recurrent_initializer=self.recurrent_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            recurrent_regularizer=self.recurrent_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            recurrent_constraint=self.recurrent_constraint,
            bias_constraint=self.bias_constraint,
        )
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}"


_FORWARDED = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
    "recurrent_dropout", "implementation",
)


class CellLayer(RNN):
    """An ``RNN`` around one built-in cell, which runs on a fused kernel when it can.

    Subclasses set ``_cell_options`` (the config keys read from the cell) and define
    ``_fused_mode`` (the kernel for the cell's formulas, or None); ``_fused_params``
    (the weights in torch's layout and gate order) is overridden where the cell's
    layout is not torch's (GRU).
    """

    _cell_options = ()
    _has_use_cudnn = True  # SimpleRNN has neither use_cudnn nor implementation

    def __init__(self, cell, use_cudnn="auto", activity_regularizer=None, **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"{type(self).__name__}: Invalid value received for argument `use_cudnn`. Expected "
                f"one of {{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}."
            )
        super().__init__(cell, activity_regularizer=activity_regularizer, **kwargs)
        self._set_use_cudnn(use_cudnn)
        self.input_spec = InputSpec(ndim=3)

    def _set_use_cudnn(self, use_cudnn):
        # The cell's formulas are fixed at construction: so is the kernel that runs them.
        mode = None if use_cudnn is False else self._fused_mode()
        if use_cudnn is True and (mode is None or self.cell.recurrent_dropout):
            raise ValueError(
                f"{layer_label(self)}: use_cudnn=True was specified, but the fused kernel does not "
                f"support this layer configuration ({self._fused_requirements()}). Fix: pass "
                "use_cudnn='auto' to fall back to the step-by-step implementation."
            )
        vars(self).update(_use_cudnn=use_cudnn, _kernel_mode=mode)

    @property
    def use_cudnn(self):
        """``"auto"``, ``True`` or ``False``: whether the fused kernel runs the cell."""
        if not self._has_use_cudnn:
            raise AttributeError(f"{type(self).__name__} has no use_cudnn argument.")
        return self._use_cudnn

    @use_cudnn.setter
    def use_cudnn(self, value):
        if value not in ("auto", True, False):
            raise ValueError(f"{layer_label(self)}: use_cudnn must be 'auto', True or False, received {value!r}.")
        self._set_use_cudnn(value)

    def _fused_params(self):
        """The cell's weights as torch's kernels take them: ``[w_ih, w_hh, b_ih, b_hh]``."""
        # Read from the modules' dicts: nn.Module's attribute fallback costs ~0.5 us each.
        weights = self._modules["cell"]._parameters
        kernel, recurrent_kernel, bias = weights["kernel"], weights["recurrent_kernel"], weights.get("bias")
        if bias is None:
            return [kernel, recurrent_kernel]
        # Keras has one bias per gate; torch adds an input and a recurrent one.
        return [kernel, recurrent_kernel, bias, zeros_like(bias)]

    def _fused_requirements(self):
        return "activation='tanh', recurrent_activation='sigmoid', recurrent_dropout=0"

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        if sequences_shape[-1] is not None:
            self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})

    def call(self, sequences, initial_state=None, mask=None, training=None):
        cell = self._modules["cell"]  # (as in _fused_params: this is the per-call path)
        if (initial_state is not None or self.stateful or self._kernel_mode is None
                or (training and (cell.dropout or cell.recurrent_dropout)) or not sequences.shape[1]):
            return super().call(sequences, initial_state, mask, training)
        # The common case, kept lean: the Python around the kernel is what a layer
        # costs over nn.LSTM.
        if mask is not None:
            mask = self._standardize_mask(mask, sequences)
        outputs, states = run_from_zeros(self._kernel_mode, sequences, cell.units, self._fused_params(),
                                         cell.use_bias, self.go_backwards, self.return_state, mask,
                                         self.zero_output_for_mask, not self.return_sequences)
        output = outputs if self.return_sequences else outputs[:, -1]
        return (output, *states) if self.return_state else output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        mode = self._kernel_mode
        if mode is None or (training and (cell.recurrent_dropout or (cell.dropout and cell.implementation == 1))):
            # Other formulas, or a random mask per step or per gate: step by step.
            return super().inner_loop(sequences, initial_state, mask, training)
        if training and cell.dropout:
            # One mask for the whole sequence, as the cell would apply at every step.
            sequences = sequences * cell.get_dropout_mask(sequences[:, 0]).unsqueeze(1)
        outputs, states = run_fused(
            mode, sequences, initial_state, self._fused_params(), cell.use_bias, mask=mask,
            go_backwards=self.go_backwards, zero_output_for_mask=self.zero_output_for_mask,
            need_states=self.return_state or self.stateful)
        return outputs[:, -1], outputs, states

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in self._cell_options:
            config[key] = cell_config[key]
        config["activity_regularizer"] = (
            None if self.activity_regularizer is None else regularizers.serialize(self.activity_regularizer))
        if self._has_use_cudnn:
            config.update(use_cudnn=self._use_cudnn, implementation=self.cell.implementation)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    # The constructor's arguments: Keras configs are normalized for it when loaded.
    from_config.__func__.constructor_arguments = True


def forward_cell_attributes(cls, names):
    """Read-only properties of ``cls`` giving its cell's attributes (Keras's ``LSTM.units``
    is ``LSTM.cell.units``)."""
    for name in names:
        setattr(cls, name, property(lambda self, name=name: getattr(self.cell, name),
                                    doc=f"The cell's ``{name}``."))


forward_cell_attributes(CellLayer, _FORWARDED)
