"""``RNN``: runs a recurrent cell over the time steps of a sequence, as Keras's class."""

import torch

from ...input_spec import InputSpec
from ...layer import Layer
from ...saving import deserialize, register_serializable, serialize
from .._common import is_int, layer_label
from .._direct_call import direct_call_ok
from ._dropout import DropoutRNNCell
from ._loop import flatten_states, pack_states, run_steps
from .stacked_cells import StackedRNNCells, check_cell, output_size_of, takes_training

__all__ = ["RNN"]


def _normalized_state_size(cell):
    state_size = getattr(cell, "state_size", None)
    if state_size is None or not (is_int(state_size) or isinstance(state_size, (list, tuple))):
        raise ValueError(
            f"state_size must be an integer, or a list/tuple of integers (one for each state "
            f"tensor). Received: state_size={state_size!r} on cell {cell!r}. Fix: set "
            "self.state_size = units (or [units, units] for two states) in the cell's __init__."
        )
    return ([state_size], True) if is_int(state_size) else (list(state_size), False)


def reset_dropout_masks(cell):
    """Clears the cached dropout masks of ``cell`` (and of stacked cells)."""
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    elif isinstance(cell, StackedRNNCells):
        for child in cell.cells:
            reset_dropout_masks(child)


@register_serializable(package="keras")
class RNN(Layer):
    """Runs a recurrent cell over the time axis of a sequence (Keras's base class).

    The cell is any layer (or object) with ``call(inputs_at_t, states_at_t)`` returning
    ``(output_at_t, states_at_t_plus_1)`` and a ``state_size`` attribute (an int, or one
    int per state); optionally ``output_size`` and ``get_initial_state(batch_size)``. A
    list of cells is stacked (:class:`StackedRNNCells`).

    Masks follow Keras: at a masked step (``mask`` False, e.g. padding marked by
    ``Embedding(mask_zero=True)`` or ``Masking``) the states are carried over and the
    output repeats the previous output (zeros with ``zero_output_for_mask``).

    Args:
        cell: an RNN cell, or a list of cells.
        return_sequences: return the output of every step, ``(batch, timesteps, output)``,
            instead of the last one.
        return_state: also return the final states: ``(output, *states)``.
        go_backwards: process the sequence backwards; the returned sequence is then in
            processing (reversed) order, as in Keras.
        stateful: keep the final states of each batch as the initial states of the next
            (sample ``i`` continues sample ``i``); needs a fixed batch size. Clear them
            with :meth:`reset_state`.
        unroll: accepted for Keras compatibility; the steps run as a Python loop, which
            is what unrolling means in Keras, and ``torch.compile`` traces it.
        zero_output_for_mask: zeros, rather than the previous output, at masked steps.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        sequences: ``(batch, timesteps, ...)``.
        initial_state: list of initial state tensors (default: the cell's
            ``get_initial_state``, else zeros).
        mask: boolean ``(batch, timesteps)``, True for real steps.
        training: passed to the cell (dropout).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> class MinimalCell(tkl.Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = self.state_size = units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        ...         self.recurrent_kernel = self.add_weight(shape=(self.units, self.units))
        ...     def call(self, inputs, states):
        ...         output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        ...         return output, [output]
        >>> tkl.layers.RNN(MinimalCell(4), return_sequences=True)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 4])
    """

    cast_integer_inputs = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(type(self).__name__, cell, "cell")
        state_size, single = _normalized_state_size(cell)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.state_size, self.single_state = state_size, single
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._state_names = None  # stateful: buffer names of the kept states
        self._state_structure = None
        self._expected_batch_size = None

    # ----------------------------------------------------------------- build
    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(
                f"{layer_label(self)} expects sequences of shape (batch, timesteps, ...), "
                f"received input_shape={sequences_shape}. Fix: add the time axis, e.g. "
                "x[:, None] for sequences of one step."
            )
        cell = self.cell
        if isinstance(cell, Layer) and not cell.built:
            if cell._tkl_device is None and self._tkl_device is not None:
                cell.to(self._tkl_device)  # an unbuilt cell records where to build
            cell.build((sequences_shape[0],) + sequences_shape[2:])
        if self.stateful:
            self._create_state_buffers(sequences_shape)

    def _create_state_buffers(self, sequences_shape):
        batch = sequences_shape[0]
        if batch is None:
            raise ValueError(
                f"{layer_label(self)}: When using `stateful=True` in a RNN, the batch size must be "
                f"static. Found dynamic batch size: sequence.shape={sequences_shape}. Fix: give "
                "the batch size, e.g. tkl.Input(shape=(timesteps, features), batch_size=32)."
            )
        initial = self.get_initial_state(batch)
        names = []
        for index, tensor in enumerate(flatten_states(initial)):
            name = f"rnn_state_{index}"
            # Not weights (as in Keras): no state_dict entry, but moved by .to().
            self.register_buffer(name, tensor.detach().clone(), persistent=False)
            names.append(name)
        self._state_names, self._state_structure = names, initial
        self._expected_batch_size = batch

    @property
    def states(self):
        """The kept states of a stateful layer (None otherwise), in the cell's nesting."""
        if not self._state_names:
            return None
        return pack_states(self._state_structure, [getattr(self, n) for n in self._state_names])

    def reset_state(self):
        """Sets the kept states of a stateful layer back to zeros."""
        if self._state_names:
            with torch.no_grad():
                for name in self._state_names:
                    getattr(self, name).zero_()

    def reset_states(self):
        """Alias of :meth:`reset_state` (Keras 2's name)."""
        self.reset_state()

    def get_initial_state(self, batch_size, device=None):
        """The states a sequence starts from: the cell's ``get_initial_state``, else zeros."""
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        dtype = getattr(self.cell, "_tkl_dtype", self._tkl_dtype)
        device = device or self._tkl_device
        return [torch.zeros((batch_size, size), dtype=dtype, device=device) for size in self.state_size]

    # ------------------------------------------------------------------ call
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if sequences.shape[1] == 0:
            raise ValueError(
                f"{layer_label(self)} received sequences with 0 time steps (input shape "
                f"{tuple(sequences.shape)}). Fix: pass at least one step per sequence."
            )
        if mask is not None:
            mask = self._standardize_mask(mask, sequences)
        if initial_state is None:
            if self.stateful:
                initial_state = self._kept_states(sequences)
            else:
                initial_state = self.get_initial_state(sequences.shape[0], device=sequences.device)
        else:
            initial_state = self._check_initial_state(initial_state, sequences)
        try:
            last_output, outputs, states = self.inner_loop(sequences, initial_state, mask, training)
        finally:
            reset_dropout_masks(self.cell)
        if self.stateful:
            with torch.no_grad():
                for name, state in zip(self._state_names, flatten_states(states)):
                    getattr(self, name).copy_(state.detach())
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """Runs the cell over the steps; returns ``(last_output, outputs, states)``."""
        step = self._step_function(sequences, training)
        return run_steps(step, sequences.shape[1], initial_state, mask=mask,
                         go_backwards=self.go_backwards,
                         zero_output_for_mask=self.zero_output_for_mask,
                         return_all_outputs=self.return_sequences)

    def _step_function(self, sequences, training):
        cell = self.cell
        stepper = getattr(cell, "_sequence_step", None)
        if stepper is not None and direct_call_ok(cell) and cell._tkl_dtype == sequences.dtype:
            # Built-in cells: the input projections of all steps in one product.
            return stepper(sequences, training)
        kwargs = {"training": training} if takes_training(cell) else {}

        def step(t, states):
            output, new_states = cell(sequences[:, t], states, **kwargs)
            if not isinstance(new_states, (list, tuple)):
                new_states = [new_states]
            return output, list(new_states)

        return step

    def _kept_states(self, sequences):
        batch = sequences.shape[0]
        if self._expected_batch_size is not None and batch != self._expected_batch_size:
            raise ValueError(
                f"{layer_label(self)}: If an RNN is stateful, the batch size of the input "
                f"sequences must be the same as the batch size of the initial state.\n"
                f"- Expected batch size: {self._expected_batch_size}\n"
                f"- Received batch size: {batch}\n"
                "Fix: feed batches of the size the layer was built with (the last partial "
                "batch too, e.g. drop it), or create the layer again for another batch size."
            )
        # Copies: the kept states are overwritten after the call, while autograd may
        # still need the values this call started from.
        return pack_states(self._state_structure,
                           [getattr(self, n).clone() for n in self._state_names])

    def _standardize_mask(self, mask, sequences):
        if isinstance(mask, (list, tuple)):
            mask = next((m for m in flatten_states(mask) if m is not None), None)
        if mask is None:
            return None
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(mask, device=sequences.device)
        if mask.dim() == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{layer_label(self)}: the mask must have shape (batch, timesteps) = "
                f"{tuple(sequences.shape[:2])} for sequences of shape {tuple(sequences.shape)}, "
                f"received a mask of shape {tuple(mask.shape)}. Fix: pass one boolean per "
                "sequence and time step (True for real steps)."
            )
        return mask if mask.dtype == torch.bool else mask.bool()

    def _state_shapes(self, batch):
        sizes = flatten_states(self.state_size)
        if all(is_int(s) and s > 0 for s in sizes):
            return pack_states(self.state_size, [(batch, s) for s in sizes])
        structure = self.get_initial_state(batch)  # sizes only the cell knows
        return pack_states(structure, [tuple(t.shape) for t in flatten_states(structure)])

    def _check_initial_state(self, initial_state, sequences):
        expected = self._state_shapes(sequences.shape[0])
        flat_expected = _flatten_shapes(expected)
        given = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
        flat_given = flatten_states(given)
        described = ", ".join(str(s) for s in flat_expected)
        if len(flat_given) != len(flat_expected):
            raise ValueError(
                f"{layer_label(self)} expects initial_state to hold {len(flat_expected)} state "
                f"tensor(s) of shapes [{described}], received {len(flat_given)}. Fix: pass a list "
                "with one tensor per state (e.g. [h, c] for an LSTM)."
            )
        dtype = getattr(self.cell, "_tkl_dtype", sequences.dtype)
        states = []
        for state, shape in zip(flat_given, flat_expected):
            if not isinstance(state, torch.Tensor) or tuple(state.shape) != tuple(shape):
                received = tuple(state.shape) if hasattr(state, "shape") else type(state).__name__
                raise ValueError(
                    f"{layer_label(self)}: the initial states must have the shapes the cell "
                    f"expects for this batch, [{described}], received a state of shape "
                    f"{received}. Fix: pass states of shape (batch, state size)."
                )
            states.append(state.to(dtype) if state.dtype != dtype else state)
        return _pack_shapes(expected, states)

    # --------------------------------------------------------------- shapes
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        output_size = output_size_of(self.cell, self.state_size)
        if self.return_sequences:
            output_shape = (batch, steps, output_size)
        else:
            output_shape = (batch, output_size)
        if self.return_state:
            return (output_shape, *self._state_shapes(batch))
        return output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # --------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            go_backwards=self.go_backwards,
            stateful=self.stateful,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            cell=serialize(self.cell),
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)

    def extra_repr(self):
        return (f"name={self.name!r}, return_sequences={self.return_sequences}, "
                f"return_state={self.return_state}, go_backwards={self.go_backwards}")


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _flatten_shapes(structure):
    if _is_shape(structure):
        return [structure]
    return [shape for item in structure for shape in _flatten_shapes(item)]


def _pack_shapes(structure, flat):
    """``flat`` tensors in the nesting of a structure of shapes."""
    flat = list(flat)

    def pack(item):
        return flat.pop(0) if _is_shape(item) else [pack(child) for child in item]

    return pack(structure)
