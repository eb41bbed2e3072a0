"""``DropoutRNNCell``: dropout masks that stay fixed over the steps of one sequence."""

import torch

from .._common import seeded_generator

__all__ = ["DropoutRNNCell"]


class DropoutRNNCell:
    """Mixin of recurrent cells with ``dropout``/``recurrent_dropout`` (Keras's class).

    A recurrent layer applies the *same* dropout mask at every step of a sequence (a
    mask per step would destroy the state). A cell asks for its masks with
    :meth:`get_dropout_mask` (input) and :meth:`get_recurrent_dropout_mask` (state):
    the first request of a sequence draws them, later steps get the cached ones, and
    ``RNN`` clears them after each call.

    The class using it sets ``dropout``, ``recurrent_dropout`` and ``seed`` (an int
    makes the masks reproducible); with a ``dropout_mask_count`` attribute the getters
    return that many independent masks (one per gate), as in Keras.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> from torch_keraslike.layers.rnn import DropoutRNNCell
        >>> class Cell(tkl.Layer, DropoutRNNCell):
        ...     def __init__(self, units, dropout=0.5, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = self.state_size = units
        ...         self.dropout, self.recurrent_dropout, self.seed = dropout, 0.0, 1
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        ...     def call(self, inputs, states, training=False):
        ...         if training:
        ...             inputs = inputs * self.get_dropout_mask(inputs)
        ...         output = inputs @ self.kernel + states[0]
        ...         return output, [output]
        >>> tkl.layers.RNN(Cell(4))(torch.ones(2, 3, 5), training=True).shape
        torch.Size([2, 4])
    """

    def _create_dropout_mask(self, step_input, rate):
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return self._draw_dropout_mask(step_input, rate)
        return [self._draw_dropout_mask(step_input, rate) for _ in range(count)]

    def _draw_dropout_mask(self, step_input, rate):
        """Keras's dropout of a tensor of ones: 0 or ``1 / (1 - rate)`` per entry."""
        if "_generator" not in vars(self):
            vars(self)["_generator"] = None
        keep = torch.full(step_input.shape, 1.0 - rate, dtype=step_input.dtype, device=step_input.device)
        if getattr(self, "seed", None) is None:
            return torch.bernoulli(keep) / (1.0 - rate)
        return torch.bernoulli(keep, generator=seeded_generator(self, step_input.device)) / (1.0 - rate)

    def get_dropout_mask(self, step_input):
        """The input dropout mask(s) of the current sequence (drawn on first use), or
        None without ``dropout``."""
        state = vars(self)
        if state.get("_dropout_mask") is None and self.dropout > 0:
            state["_dropout_mask"] = self._create_dropout_mask(step_input, self.dropout)
        return state.get("_dropout_mask")

    def get_recurrent_dropout_mask(self, step_input):
        """The recurrent dropout mask(s) of the current sequence (drawn on first use),
        or None without ``recurrent_dropout``."""
        state = vars(self)
        if state.get("_recurrent_dropout_mask") is None and self.recurrent_dropout > 0:
            state["_recurrent_dropout_mask"] = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return state.get("_recurrent_dropout_mask")

    def reset_dropout_mask(self):
        """Forgets the input mask: the next sequence draws a new one."""
        vars(self)["_dropout_mask"] = None

    def reset_recurrent_dropout_mask(self):
        """Forgets the recurrent mask: the next sequence draws a new one."""
        vars(self)["_recurrent_dropout_mask"] = None
