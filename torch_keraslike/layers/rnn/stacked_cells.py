"""``StackedRNNCells``: several recurrent cells run as one, each feeding the next."""

import inspect

import torch
from torch import nn

from ...layer import Layer
from ...saving import deserialize, register_serializable, serialize
from .._common import is_int, layer_label

__all__ = ["StackedRNNCells", "check_cell", "output_size_of", "takes_training"]


def check_cell(owner, cell, what):
    """Keras's checks of an RNN cell: a ``call`` method and a ``state_size``."""
    if not callable(getattr(cell, "call", None)):
        raise ValueError(
            f"{owner}: Argument `{what}` should have a `call` method. Received: {what}={cell!r}. "
            "Fix: pass a layer whose call(inputs, states) returns (output, new_states)."
        )
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            f"{owner}: The RNN cell should have a `state_size` attribute (single integer or list "
            f"of integers, one integer per RNN state). Received: {what}={cell!r}. Fix: set "
            "self.state_size = units in the cell's __init__."
        )


def output_size_of(cell, state_size=None):
    """The size of a cell's output: ``output_size``, else its first state's size."""
    size = getattr(cell, "output_size", None)
    if size is None:
        size = cell.state_size if state_size is None else state_size
        while isinstance(size, (list, tuple)):
            size = size[0]
    if not is_int(size):
        raise ValueError(f"output_size must be an integer, received {size!r} from cell {cell!r}.")
    return int(size)


@register_serializable(package="keras")
class StackedRNNCells(Layer):
    """A stack of RNN cells that behaves as one cell (Keras's class).

    At each step the input goes through the cells in order, each cell's output being
    the next one's input. ``RNN([cell_1, cell_2])`` builds this stack; it is the
    efficient way to stack cells (one loop over the steps instead of one per cell).

    Args:
        cells: list of RNN cells.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, features)``, the input at one step.
        states: one entry per cell (that cell's state, or list of states).
        training: passed to the cells that take it.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> cells = [tkl.layers.LSTMCell(8), tkl.layers.GRUCell(4)]
        >>> tkl.layers.RNN(cells, return_sequences=True)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 4])
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(
                f"StackedRNNCells expects a non-empty list of RNN cells, received cells={cells!r}. "
                "Fix: e.g. StackedRNNCells([LSTMCell(8), LSTMCell(8)])."
            )
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    f"All cells must have a `call` method. Received cell without a `call` method: "
                    f"{cell!r}. Fix: pass RNN cells such as LSTMCell(8)."
                )
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    f"All cells must have a `state_size` attribute. Received cell without a "
                    f"`state_size`: {cell!r}. Fix: set self.state_size in the cell's __init__."
                )
        super().__init__(**kwargs)
        if all(isinstance(c, nn.Module) for c in cells):
            self.cells = nn.ModuleList(cells)
        else:
            self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return output_size_of(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            if make is not None:
                states.append(make(batch_size=batch_size))
            elif is_int(cell.state_size):
                states.append(self._zeros(batch_size, cell.state_size))
            else:
                states.append([self._zeros(batch_size, size) for size in cell.state_size])
        return states

    def _zeros(self, batch_size, size):
        return torch.zeros((batch_size, size), dtype=self._tkl_dtype, device=self._tkl_device)

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                if cell._tkl_device is None and self._tkl_device is not None:
                    cell.to(self._tkl_device)
                cell.build(input_shape)
            input_shape = (batch, output_size_of(cell))

    def call(self, inputs, states, training=False):
        if len(states) != len(self.cells):
            raise ValueError(
                f"{layer_label(self)} expects one state entry per cell ({len(self.cells)}), "
                f"received {len(states)}. Fix: pass get_initial_state(batch_size)'s structure."
            )
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if nested else [cell_states]
            kwargs = {"training": training} if takes_training(cell) else {}
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not nested:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        return inputs, new_states

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def takes_training(cell):
    """Whether ``cell.call`` takes a ``training`` argument (read once per class for
    layers)."""
    known = getattr(type(cell), "_tkl_call_takes_training", None)
    if known is not None:
        return known
    try:
        return "training" in inspect.signature(cell.call).parameters
    except (TypeError, ValueError):
        return False
