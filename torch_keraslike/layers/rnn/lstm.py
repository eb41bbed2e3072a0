"""``LSTMCell`` and ``LSTM`` (Hochreiter & Schmidhuber, 1997), as in Keras."""

import torch

from ... import initializers
from ...saving import register_serializable
from ._base import CellLayer, RecurrentCell, is_activation

__all__ = ["LSTM", "LSTMCell"]


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


@register_serializable(package="keras")
class LSTMCell(RecurrentCell):
    """One step of an LSTM (Keras's ``LSTMCell``), for :class:`RNN` or a manual loop.

    Gates in Keras's (and torch's) order ``i, f, c, o``::

        z = x @ kernel + h @ recurrent_kernel + bias
        i, f, o = recurrent_activation(z_i, z_f, z_o);  c~ = activation(z_c)
        c' = f * c + i * c~;  h' = o * activation(c')

    Args:
        units: size of the output and of the two states.
        activation: activation of the candidate and of the output (default ``"tanh"``).
        recurrent_activation: activation of the gates (default ``"sigmoid"``).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of
            ``kernel``, ``recurrent_kernel`` (default ``"orthogonal"``) and ``bias``.
        unit_forget_bias: initialise the forget gate's bias to ones (Jozefowicz et al.).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: fraction of the recurrent state dropped while training.
        seed: int; makes the dropout masks reproducible.
        implementation: 2 (one product for the four gates) or 1 (one per gate, each
            with its own dropout mask); recurrent dropout implies 1.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, features)``.
        states: ``[h, c]``, each ``(batch, units)``.
        training: whether dropout is active.

    Returns:
        ``(h', [h', c'])``.

    Weights (Keras layouts): ``kernel (features, 4*units)``, ``recurrent_kernel
    (units, 4*units)``, ``bias (4*units,)``; stored transposed (torch's layout).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> cell = tkl.layers.LSTMCell(4)
        >>> h, (h, c) = cell(torch.ones(2, 3), [torch.zeros(2, 4), torch.zeros(2, 4)])
        >>> h.shape, [w.shape for w in cell.get_weights()]
        (torch.Size([2, 4]), [(3, 16), (4, 16), (16,)])
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, implementation=2, **kwargs):
        super().__init__(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, implementation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def _recurrent_step(self, projected, states, recurrent_masks):
        h, c = states[0], states[1]
        z_i, z_f, z_c, z_o = (projected + self._recurrent(h, recurrent_masks)).chunk(4, dim=-1)
        act, gate = self.activation, self.recurrent_activation
        c = gate(z_f) * c + gate(z_i) * act(z_c)
        h = gate(z_o) * act(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


_OPTIONS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
            "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
            "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
            "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")


@register_serializable(package="keras")
class LSTM(CellLayer):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), as in Keras.

    Runs an :class:`LSTMCell` over the sequence. With ``activation="tanh"`` and
    ``recurrent_activation="sigmoid"`` (the defaults) the whole sequence runs in one
    fused ``torch.lstm`` call (cuDNN on GPU, oneDNN on CPU), also with a mask whose
    padding is at either end of each sequence, and under ``torch.compile`` (as one
    custom operator, without graph break). Other configurations step through the
    sequence with Keras's cell formulas.

    Args:
        units: size of the output and of the states.
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed: the
            cell's arguments (see :class:`LSTMCell`).
        activity_regularizer: regularizer of the output.
        return_sequences: return every step's output instead of the last one.
        return_state: also return the final states ``h, c``.
        go_backwards: process the sequence backwards (the returned sequence is in
            processing order, as in Keras).
        stateful: keep the final states as the next batch's initial states.
        unroll: accepted for Keras compatibility (no effect on the results).
        use_cudnn: ``"auto"`` (fused kernel when possible), ``True`` (require it) or
            ``False`` (always the step-by-step cell).
        **kwargs: ``zero_output_for_mask``, ``implementation`` and base ``Layer``
            arguments (``name``, ``dtype``, ``input_shape``...).

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: ``[h, c]``, each ``(batch, units)`` (default zeros).
        mask: boolean ``(batch, timesteps)``; masked steps keep the previous states.
        training: whether dropout is active.

    Shapes:
        Output ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences``; with ``return_state`` a tuple ``(output, h, c)``.
        Weights (``get_weights``, Keras's order and layouts): ``kernel (features,
        4*units)``, ``recurrent_kernel (units, 4*units)``, ``bias (4*units,)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> out, h, c = tkl.layers.LSTM(4, return_sequences=True, return_state=True)(torch.ones(2, 7, 3))
        >>> out.shape, h.shape, c.shape
        (torch.Size([2, 7, 4]), torch.Size([2, 4]), torch.Size([2, 4]))
    """

    _cell_options = _OPTIONS

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, implementation=kwargs.pop("implementation", 2), dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="lstm_cell")
        super().__init__(
            cell, use_cudnn=use_cudnn, activity_regularizer=activity_regularizer,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    @property
    def unit_forget_bias(self):
        """The cell's ``unit_forget_bias``."""
        return self.cell.unit_forget_bias

    def _fused_mode(self):
        cell = self.cell
        if is_activation(cell.activation, "tanh") and is_activation(cell.recurrent_activation, "sigmoid"):
            return "lstm"
        return None
