"""Recurrent layers: ``LSTM`` and ``GRU`` on torch's fused recurrent kernels.

Weights are stored in Keras's layouts and order (``kernel (input_dim, gates*units)``,
``recurrent_kernel (units, gates*units)``, ``bias``), so ``get_weights()`` and
``set_weights()`` exchange arrays with Keras as they are. At call time they are
mapped to torch's layout (transposed views; GRU gates reordered from Keras's
``z, r, h`` to torch's ``r, z, n``, a copy of the weights only) and the whole sequence
runs in one ``torch.lstm``/``torch.gru`` call (cuDNN on GPU, oneDNN/ATen on CPU).

The fused kernels compute Keras's formulas exactly when ``activation="tanh"``,
``recurrent_activation="sigmoid"``, and, for ``GRU``, ``reset_after=True`` (torch's
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` is Keras's reset-after candidate,
Keras's ``bias[0]`` being the input bias and ``bias[1]`` the recurrent bias). Input
``dropout`` keeps the fused path: Keras uses one mask per sequence, applied to the
inputs before the kernel. Other activations, ``reset_after=False``, recurrent dropout
while training, and ``use_cudnn=False`` run a documented Python loop over time steps
(:meth:`_RNN._loop`), which follows Keras's cell step by step.
"""

import torch

from .. import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import (
    add_weight_from_options,
    is_dropout_rate,
    is_positive_int,
    is_seed,
    layer_label,
    seeded_generator,
    serialize_options,
)

__all__ = ["GRU", "LSTM"]

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)


class _UnitForgetBias(initializers.Initializer):
    """LSTM bias: ``bias_initializer`` for the gates i, c, o and ones for the forget gate."""

    def __init__(self, base, units):
        self.base = base
        self.units = units

    def __call__(self, shape, dtype=None, device=None):
        def part(size):
            if isinstance(self.base, initializers.Initializer):
                return self.base((size,), dtype=dtype, device=device)
            return torch.as_tensor(self.base((size,), dtype), dtype=dtype, device=device)

        u = self.units
        return torch.cat([part(u), torch.ones(u, dtype=dtype, device=device), part(2 * u)])


def _cudnn_ready(params):
    """Packs the weights into one buffer in cuDNN's layout, as ``nn.LSTM`` keeps them.

    cuDNN needs the weights of a layer in one contiguous chunk; given separate tensors
    it compacts them itself on every call and warns. The weights are mapped from Keras's
    layout at each call anyway, so packing them here costs the same copy and no warning.
    """
    if not params[0].is_cuda:
        return params
    flat = torch.cat([p.reshape(-1) for p in params])
    views, offset = [], 0
    for p in params:
        views.append(flat[offset:offset + p.numel()].view(p.shape))
        offset += p.numel()
    return views


class _RNN(Layer):
    """Shared machinery of ``LSTM`` and ``GRU``: arguments, weights, call, loop."""

    cast_integer_inputs = True

    _gates = None  # 4 (LSTM) or 3 (GRU)
    _state_names = None  # ("h", "c") or ("h",)

    def __init__(
        self,
        units,
        activation,
        recurrent_activation,
        use_bias,
        kernel_initializer,
        recurrent_initializer,
        bias_initializer,
        kernel_regularizer,
        recurrent_regularizer,
        bias_regularizer,
        activity_regularizer,
        kernel_constraint,
        recurrent_constraint,
        bias_constraint,
        dropout,
        recurrent_dropout,
        seed,
        return_sequences,
        return_state,
        go_backwards,
        stateful,
        unroll,
        use_cudnn,
        zero_output_for_mask,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        where = layer_label(self)
        if not is_positive_int(units):
            raise ValueError(
                f"{where}: units must be a positive integer, received units={units!r}. "
                f"Fix: e.g. {cls}(32)."
            )
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not is_dropout_rate(rate):
                raise ValueError(
                    f"{where}: {arg} must be a float in [0, 1), received {arg}={rate!r}. "
                    f"Fix: e.g. {arg}=0.2."
                )
        if stateful:
            raise NotImplementedError(
                f"{where}: stateful=True is not supported (the layer keeps no state between "
                "calls). Fix: create the layer with return_state=True and pass the final "
                "states of one call as initial_state= of the next: "
                "out, *states = layer(x1); out, *states = layer(x2, initial_state=states)."
            )
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"{where}: use_cudnn must be 'auto', True or False, received "
                f"use_cudnn={use_cudnn!r}."
            )
        if not is_seed(seed):
            raise ValueError(f"{where}: seed must be an int or None, received seed={seed!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.use_cudnn = use_cudnn
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._generator = None
        self.input_spec = InputSpec(ndim=3)

    def _check_fusable(self, extra_ok=True):
        """Sets ``_fusable``; ``use_cudnn=True`` on a configuration the kernel cannot run
        is an error (as in Keras)."""
        self._fusable = (
            extra_ok
            and self.use_cudnn is not False
            and any(self.activation is f for f in _TANH)
            and any(self.recurrent_activation is f for f in _SIGMOID)
        )
        if self.use_cudnn is True and not (self._fusable and self.recurrent_dropout == 0):
            raise ValueError(
                f"{layer_label(self)}: use_cudnn=True was specified, "
                "but the fused kernel needs activation='tanh', recurrent_activation='sigmoid'"
                f"{', reset_after=True' if type(self) is GRU else ''} and recurrent_dropout=0. "
                "Fix: pass use_cudnn='auto' to fall back to the step-by-step implementation."
            )

    # ----------------------------------------------------------------- build
    def build(self, input_shape):
        input_dim = input_shape[-1]
        if len(input_shape) != 3 or input_dim is None:
            raise ValueError(
                f"{layer_label(self)} needs 3-D inputs (batch, "
                f"timesteps, features) with a known feature size, received input_shape="
                f"{tuple(input_shape)}."
            )
        width = self._gates * self.units
        self.kernel = add_weight_from_options(self, "kernel", (input_dim, width))
        self.recurrent_kernel = add_weight_from_options(
            self, "recurrent_kernel", (self.units, width), options="recurrent"
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(),
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=3, axes={-1: input_dim})

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    # ------------------------------------------------------------------ call
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if mask is not None:
            raise NotImplementedError(
                f"{layer_label(self)}: masking (mask=...) is not "
                "supported. Fix: give sequences equal lengths (e.g. crop or bucket them), "
                "or use the output at each sequence's last valid step with "
                "return_sequences=True."
            )
        states = self._initial_states(sequences, initial_state)
        if self.go_backwards:
            sequences = sequences.flip(1)
        if self._fusable and not (training and self.recurrent_dropout):
            if training and self.dropout:
                # One mask for the whole sequence, as Keras's fused path.
                shape = (sequences.shape[0], 1, sequences.shape[2])
                sequences = sequences * self._dropout_mask(shape, self.dropout, sequences)
            outputs, states = self._fused(sequences, states)
        else:
            outputs, states = self._loop(sequences, states, training)
        output = outputs if self.return_sequences else states[0]
        if self.return_state:
            return [output, *states]
        return output

    def _initial_states(self, sequences, initial_state):
        batch, n = sequences.shape[0], len(self._state_names)
        if initial_state is None:
            zeros = sequences.new_zeros(batch, self.units)
            return [zeros] * n
        if isinstance(initial_state, torch.Tensor):
            initial_state = [initial_state]
        names = ", ".join(self._state_names)
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) != n:
            received = type(initial_state).__name__
            if isinstance(initial_state, (list, tuple)):
                received += f" of length {len(initial_state)}"
            raise ValueError(
                f"{layer_label(self)} expects initial_state to be a "
                f"list of {n} tensor(s) [{names}] of shape (batch, {self.units}), received "
                f"{received}."
            )
        for state in initial_state:
            if not isinstance(state, torch.Tensor) or tuple(state.shape) != (batch, self.units):
                raise ValueError(
                    f"{layer_label(self)}: each initial state "
                    f"[{names}] must have shape (batch, units) = ({batch}, {self.units}), "
                    f"received {tuple(getattr(state, 'shape', ())) or type(state).__name__}."
                )
        return list(initial_state)

    def _dropout_mask(self, shape, rate, like):
        """Keras's dropout mask: 0 or ``1 / (1 - rate)``, fixed over the time steps."""
        keep = torch.full(shape, 1 - rate, dtype=like.dtype, device=like.device)
        return torch.bernoulli(keep, generator=seeded_generator(self, like.device)) / (1 - rate)

    def _loop(self, sequences, states, training):
        """Python-loop fallback over time steps, for the configurations without a fused
        kernel (other activations, ``GRU(reset_after=False)``, recurrent dropout while
        training, ``use_cudnn=False``).

        Follows Keras's cell: the input projections of all steps are computed at once;
        each step then adds the recurrent projection and applies the gates. With
        recurrent dropout in training, each gate gets its own input and recurrent mask
        (Keras's ``implementation=1``); otherwise one input mask is shared by the gates.
        """
        batch, steps, input_dim = sequences.shape
        gates = self._gates
        per_gate = bool(training and self.recurrent_dropout)
        recurrent_masks = None
        if per_gate:
            recurrent_masks = self._dropout_mask(
                (gates, batch, self.units), self.recurrent_dropout, sequences
            )
        if training and self.dropout:
            count = gates if per_gate else 1
            masks = self._dropout_mask((count, batch, 1, input_dim), self.dropout, sequences)
            if per_gate:
                projected = torch.cat(
                    [(sequences * m) @ k for m, k in zip(masks, self.kernel.chunk(gates, dim=1))], dim=-1
                )
            else:
                projected = (sequences * masks[0]) @ self.kernel
        else:
            projected = sequences @ self.kernel
        input_bias = self._input_bias()
        if input_bias is not None:
            projected = projected + input_bias
        outputs = []
        for t in range(steps):
            states = self._step(projected[:, t], states, recurrent_masks)
            if self.return_sequences:
                outputs.append(states[0])
        stacked = torch.stack(outputs, dim=1) if self.return_sequences else None
        return stacked, states

    @staticmethod
    def _recurrent(h, kernel, masks):
        """``h @ kernel``, or per gate ``(h * mask_g) @ kernel_g`` with recurrent dropout."""
        if masks is None:
            return h @ kernel
        return torch.cat([(h * m) @ k for m, k in zip(masks, kernel.chunk(len(masks), dim=1))], dim=-1)

    # ---------------------------------------------------------------- config
    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * len(self._state_names)
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            use_bias=self.use_bias,
        )
        serialize_options(
            config,
            kernel_initializer=self.kernel_initializer,
            recurrent_initializer=self.recurrent_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            recurrent_regularizer=self.recurrent_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            recurrent_constraint=self.recurrent_constraint,
            bias_constraint=self.bias_constraint,
        )
        config.update(
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            seed=self.seed,
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            go_backwards=self.go_backwards,
            stateful=self.stateful,
            unroll=self.unroll,
            use_cudnn=self.use_cudnn,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        return config

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}, fused={self._fusable}"


_COMMON_DOC = """
    Args:
        units: size of the output and of the states.
        activation: activation of the candidate/cell (default ``"tanh"``).
        recurrent_activation: activation of the gates (default ``"sigmoid"``).
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of
            ``kernel``, ``recurrent_kernel`` and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        activity_regularizer: regularizer of the output.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: fraction of the recurrent state dropped while training
            (runs the Python-loop fallback while training).
        seed: int; makes the dropout masks reproducible.
        return_sequences: return the output of every step instead of the last one.
        return_state: also return the final states.
        go_backwards: process the sequence backwards; the returned sequence is then in
            processing (reversed) order, as in Keras.
        stateful: only ``False``; ``True`` raises ``NotImplementedError``.
        unroll: accepted for Keras compatibility (the fused kernel never unrolls).
        use_cudnn: ``"auto"`` (fused kernel when the configuration allows it), ``True``
            (require it) or ``False`` (always the Python loop).
        zero_output_for_mask: accepted for Keras compatibility (masks are unsupported).
"""


_LSTM_DOC = """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), as in Keras.

    Gates in Keras's (and torch's) order ``i, f, c, o``::

        i, f, o = sigmoid(x W + h U + b) (gate slices);  c~ = tanh(...)
        c' = f * c + i * c~;  h' = o * tanh(c')
    """ + _COMMON_DOC + """        unit_forget_bias: initialise the forget-gate bias to ones.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ``input_shape``...).

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: ``[h, c]``, each ``(batch, units)`` (default zeros).
        mask: not supported (raises ``NotImplementedError``).
        training: whether dropout is active.

    Shapes:
        Output ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences``; with ``return_state`` a list ``[output, h, c]``.
        Weights: ``kernel (features, 4*units)``, ``recurrent_kernel (units, 4*units)``,
        ``bias (4*units,)``.

    Example:
        >>> import torch
        >>> from torch_keraslike.layers.recurrent import LSTM
        >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(torch.ones(2, 7, 3))
        >>> out.shape, h.shape, c.shape
        (torch.Size([2, 7, 4]), torch.Size([2, 4]), torch.Size([2, 4]))
    """


@register_serializable(package="keras")
class LSTM(_RNN):
    __doc__ = _LSTM_DOC

    _gates = 4
    _state_names = ("h", "c")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, return_sequences, return_state, go_backwards,
            stateful, unroll, use_cudnn, zero_output_for_mask, **kwargs,
        )
        self.unit_forget_bias = bool(unit_forget_bias)
        self._check_fusable()

    def _bias_initializer(self):
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def _input_bias(self):
        return self.bias

    def _fused(self, sequences, states):
        # torch's LSTM gates are i, f, g, o: Keras's order, so transposed views suffice.
        h0, c0 = (s.unsqueeze(0).contiguous() for s in states)
        params = [self.kernel.t(), self.recurrent_kernel.t()]
        if self.bias is not None:
            params += [self.bias, torch.zeros_like(self.bias)]
        outputs, h, c = torch.lstm(
            sequences, [h0, c0], _cudnn_ready(params), self.bias is not None,
            1, 0.0, torch.is_grad_enabled(), False, True,
        )
        return outputs, [h[0], c[0]]

    def _step(self, projected, states, recurrent_masks):
        h, c = states
        z = projected + self._recurrent(h, self.recurrent_kernel, recurrent_masks)
        z_i, z_f, z_c, z_o = z.chunk(4, dim=-1)
        act, rec_act = self.activation, self.recurrent_activation
        c = rec_act(z_f) * c + rec_act(z_i) * act(z_c)
        h = rec_act(z_o) * act(c)
        return [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


_GRU_DOC = """Gated Recurrent Unit (Cho et al., 2014), as in Keras.

    Gates in Keras's order ``z, r, h``::

        z = sigmoid(x W_z + b_z + h U_z + c_z);  r = sigmoid(x W_r + b_r + h U_r + c_r)
        reset_after=True:  h~ = tanh(x W_h + b_h + r * (h U_h + c_h))
        reset_after=False: h~ = tanh(x W_h + b_h + (r * h) U_h)
        h' = z * h + (1 - z) * h~
    """ + _COMMON_DOC + """        reset_after: apply the reset gate after the recurrent matrix product
            (Keras's default and the fused kernel's formula) or before it (Python loop).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ``input_shape``...).

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: ``[h]`` or ``h``, ``(batch, units)`` (default zeros).
        mask: not supported (raises ``NotImplementedError``).
        training: whether dropout is active.

    Shapes:
        Output ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences``; with ``return_state`` a list ``[output, h]``.
        Weights: ``kernel (features, 3*units)``, ``recurrent_kernel (units, 3*units)``,
        ``bias (2, 3*units)`` (input and recurrent biases) with ``reset_after=True``,
        ``(3*units,)`` otherwise.

    Example:
        >>> import torch
        >>> from torch_keraslike.layers.recurrent import GRU
        >>> GRU(4)(torch.ones(2, 7, 3)).shape
        torch.Size([2, 4])
    """


@register_serializable(package="keras")
class GRU(_RNN):
    __doc__ = _GRU_DOC

    _gates = 3
    _state_names = ("h",)

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        reset_after=True,
        use_cudnn="auto",
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, return_sequences, return_state, go_backwards,
            stateful, unroll, use_cudnn, zero_output_for_mask, **kwargs,
        )
        self.reset_after = bool(reset_after)
        self._check_fusable(self.reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _to_torch_gates(self, weight):
        """Keras's gate order z, r, h along the last axis -> torch's r, z, n."""
        u = self.units
        return torch.cat([weight[..., u:2 * u], weight[..., :u], weight[..., 2 * u:]], dim=-1)

    def _fused(self, sequences, states):
        params = [self._to_torch_gates(self.kernel).t(), self._to_torch_gates(self.recurrent_kernel).t()]
        if self.bias is not None:
            bias = self._to_torch_gates(self.bias)
            params += [bias[0], bias[1]]  # Keras's input bias, then recurrent bias
        outputs, h = torch.gru(
            sequences, states[0].unsqueeze(0).contiguous(), _cudnn_ready(params),
            self.bias is not None, 1, 0.0, torch.is_grad_enabled(), False, True,
        )
        return outputs, [h[0]]

    def _step(self, projected, states, recurrent_masks):
        (h,) = states
        u = self.units
        act, rec_act = self.activation, self.recurrent_activation
        x_z, x_r, x_h = projected.chunk(3, dim=-1)
        if self.reset_after:
            inner = self._recurrent(h, self.recurrent_kernel, recurrent_masks)
            if self.bias is not None:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = inner.chunk(3, dim=-1)
            z, r = rec_act(x_z + r_z), rec_act(x_r + r_r)
            candidate = act(x_h + r * r_h)
        else:
            masks = None if recurrent_masks is None else recurrent_masks[:2]
            inner = self._recurrent(h, self.recurrent_kernel[:, : 2 * u], masks)
            r_z, r_r = inner.chunk(2, dim=-1)
            z, r = rec_act(x_z + r_z), rec_act(x_r + r_r)
            h_h = h if recurrent_masks is None else h * recurrent_masks[2]
            candidate = act(x_h + (r * h_h) @ self.recurrent_kernel[:, 2 * u:])
        return [z * h + (1 - z) * candidate]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config
