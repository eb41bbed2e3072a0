"""``GRUCell`` and ``GRU`` (Cho et al., 2014), as in Keras."""

import torch

from ...saving import register_serializable
from ._base import CellLayer, RecurrentCell, is_activation

__all__ = ["GRU", "GRUCell"]


@register_serializable(package="keras")
class GRUCell(RecurrentCell):
    """One step of a GRU (Keras's ``GRUCell``), for :class:`RNN` or a manual loop.

    Gates in Keras's order ``z, r, h``::

        z = recurrent_activation(x W_z + b_z + h U_z + c_z)
        r = recurrent_activation(x W_r + b_r + h U_r + c_r)
        reset_after=True:  h~ = activation(x W_h + b_h + r * (h U_h + c_h))
        reset_after=False: h~ = activation(x W_h + b_h + (r * h) U_h)
        h' = z * h + (1 - z) * h~

    Args:
        units: size of the output and of the state.
        activation: activation of the candidate (default ``"tanh"``).
        recurrent_activation: activation of the gates (default ``"sigmoid"``).
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: fraction of the recurrent state dropped while training.
        reset_after: apply the reset gate after the recurrent product (Keras's default,
            torch's and cuDNN's formula; separate input and recurrent biases) or before.
        seed: int; makes the dropout masks reproducible.
        implementation: 2 (one product for the three gates) or 1 (one per gate).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, features)``.
        states: ``h`` or ``[h]``, ``(batch, units)``.
        training: whether dropout is active.

    Returns:
        ``(h', [h'])`` (``(h', h')`` when ``states`` was a tensor).

    Weights (Keras layouts): ``kernel (features, 3*units)``, ``recurrent_kernel (units,
    3*units)``, ``bias (2, 3*units)`` (input and recurrent biases) with
    ``reset_after=True``, ``(3*units,)`` otherwise.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> cell = tkl.layers.GRUCell(4)
        >>> h, states = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> h.shape, [w.shape for w in cell.get_weights()]
        (torch.Size([2, 4]), [(3, 12), (4, 12), (2, 12)])
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, implementation=2, **kwargs):
        super().__init__(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, implementation, **kwargs)
        self.reset_after = bool(reset_after)
        self.state_size = self.units

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _recurrent_step(self, projected, states, recurrent_masks):
        h = states[0]
        u = self.units
        act, gate = self.activation, self.recurrent_activation
        x_z, x_r, x_h = projected.chunk(3, dim=-1)
        if self.reset_after:
            inner = self._recurrent(h, recurrent_masks)
            if self.bias is not None:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = inner.chunk(3, dim=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            candidate = act(x_h + r * r_h)
        else:
            masks = recurrent_masks
            first = masks[:2] if isinstance(masks, (list, tuple)) else masks
            r_z, r_r = self._recurrent(h, first, rows=slice(0, 2 * u)).chunk(2, dim=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            h_h = h if masks is None else h * (masks[2] if isinstance(masks, (list, tuple)) else masks)
            candidate = act(x_h + self._recurrent(r * h_h, None, rows=slice(2 * u, 3 * u)))
        h = z * h + (1 - z) * candidate
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


_OPTIONS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
            "recurrent_initializer", "bias_initializer", "kernel_regularizer",
            "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
            "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
            "reset_after", "seed")


def _to_torch_gates(weight, units):
    """Keras's gate order z, r, h along the first axis -> torch's r, z, n."""
    return torch.cat([weight[units:2 * units], weight[:units], weight[2 * units:]])


@register_serializable(package="keras")
class GRU(CellLayer):
    """Gated Recurrent Unit (Cho et al., 2014), as in Keras.

    Runs a :class:`GRUCell` over the sequence. With ``activation="tanh"``,
    ``recurrent_activation="sigmoid"`` and ``reset_after=True`` (the defaults, also
    cuDNN's formula) the whole sequence runs in one fused ``torch.gru`` call, also with
    a mask whose padding is at either end of each sequence, and under
    ``torch.compile``. Other configurations step through the sequence with Keras's
    cell formulas.

    Args:
        units: size of the output and of the state.
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
        reset_after: the cell's arguments (see :class:`GRUCell`).
        activity_regularizer: regularizer of the output.
        return_sequences: return every step's output instead of the last one.
        return_state: also return the final state ``h``.
        go_backwards: process the sequence backwards (outputs in processing order).
        stateful: keep the final state as the next batch's initial state.
        unroll: accepted for Keras compatibility (no effect on the results).
        use_cudnn: ``"auto"``, ``True`` (require the fused kernel) or ``False``.
        **kwargs: ``zero_output_for_mask``, ``implementation`` and base ``Layer``
            arguments.

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: ``[h]`` or ``h``, ``(batch, units)`` (default zeros).
        mask: boolean ``(batch, timesteps)``; masked steps keep the previous state.
        training: whether dropout is active.

    Shapes:
        Output ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences``; with ``return_state`` a tuple ``(output, h)``. Weights:
        ``kernel (features, 3*units)``, ``recurrent_kernel (units, 3*units)``, ``bias
        (2, 3*units)`` with ``reset_after=True``, ``(3*units,)`` otherwise.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GRU(4)(torch.ones(2, 7, 3)).shape
        torch.Size([2, 4])
    """

    _cell_options = _OPTIONS

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, implementation=kwargs.pop("implementation", 2), dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="gru_cell")
        super().__init__(
            cell, use_cudnn=use_cudnn, activity_regularizer=activity_regularizer,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    @property
    def reset_after(self):
        """The cell's ``reset_after``."""
        return self.cell.reset_after

    def _fused_requirements(self):
        return super()._fused_requirements() + ", reset_after=True"

    def _fused_mode(self):
        cell = self.cell
        if (cell.reset_after and is_activation(cell.activation, "tanh")
                and is_activation(cell.recurrent_activation, "sigmoid")):
            return "gru"
        return None

    def _fused_params(self):
        cell, u = self.cell, self.cell.units
        params = [_to_torch_gates(cell.kernel, u), _to_torch_gates(cell.recurrent_kernel, u)]
        if cell.bias is not None:
            bias = _to_torch_gates(cell.bias.t(), u).t()
            params += [bias[0], bias[1]]  # Keras's input bias, then recurrent bias
        return params
