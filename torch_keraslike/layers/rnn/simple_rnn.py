"""``SimpleRNNCell`` and ``SimpleRNN``: the fully connected recurrent layer, as in Keras."""

import torch

from ...saving import register_serializable
from ._base import CellLayer, RecurrentCell, is_activation

__all__ = ["SimpleRNN", "SimpleRNNCell"]


@register_serializable(package="keras")
class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected RNN (Keras's ``SimpleRNNCell``)::

        h' = activation(x @ kernel + bias + h @ recurrent_kernel)

    Args:
        units: size of the output and of the state.
        activation: activation (default ``"tanh"``; ``None`` for none).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: fraction of the recurrent state dropped while training.
        seed: int; makes the dropout masks reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, features)``.
        states: ``h`` or ``[h]``, ``(batch, units)``.
        training: whether dropout is active.

    Weights (Keras layouts): ``kernel (features, units)``, ``recurrent_kernel (units,
    units)``, ``bias (units,)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> cell = tkl.layers.SimpleRNNCell(4)
        >>> h, states = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> h.shape
        torch.Size([2, 4])
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(
            units, activation, None, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
            seed, **kwargs)
        self.state_size = self.units

    def _recurrent_step(self, projected, states, recurrent_masks):
        output = projected + self._recurrent(states[0], recurrent_masks)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output]


_OPTIONS = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
            "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
            "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
            "recurrent_dropout", "seed")


@register_serializable(package="keras")
class SimpleRNN(CellLayer):
    """Fully connected RNN whose output is fed back as its state (Keras's ``SimpleRNN``).

    With ``activation="tanh"`` or ``"relu"`` the sequence runs in one fused
    ``torch.rnn_tanh``/``torch.rnn_relu`` call (masks with padding at the ends of the
    sequences included); other activations step through the sequence.

    Args:
        units: size of the output and of the state.
        activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: the cell's arguments (see :class:`SimpleRNNCell`).
        activity_regularizer: regularizer of the output.
        return_sequences: return every step's output instead of the last one.
        return_state: also return the final state.
        go_backwards: process the sequence backwards (outputs in processing order).
        stateful: keep the final state as the next batch's initial state.
        unroll: accepted for Keras compatibility (no effect on the results).
        **kwargs: ``zero_output_for_mask`` and base ``Layer`` arguments.

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: ``[h]`` or ``h``, ``(batch, units)``.
        mask: boolean ``(batch, timesteps)``.
        training: whether dropout is active.

    Shapes:
        Output ``(batch, units)`` or ``(batch, timesteps, units)``; with
        ``return_state`` a tuple ``(output, h)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.SimpleRNN(4, return_sequences=True)(torch.ones(2, 7, 3)).shape
        torch.Size([2, 7, 4])
    """

    _cell_options = _OPTIONS
    _has_use_cudnn = False

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False, seed=None,
                 **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell")
        super().__init__(
            cell, activity_regularizer=activity_regularizer, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            **kwargs)

    def _fused_mode(self):
        activation = self.cell.activation
        if is_activation(activation, "tanh"):
            return "rnn_tanh"
        if is_activation(activation, "relu"):
            return "rnn_relu"
        return None
