"""Dynamic int8 quantization of ``Dense`` and ``LSTM`` with torch's own quantized kernels.

``torch.ao.quantization.quantize_dynamic`` swaps modules by type through a mapping;
``nn.Linear``/``nn.LSTM`` are in torch's, our layers are not. :data:`DYNAMIC_MAPPING`
maps ``Dense`` and ``LSTM`` to inference modules built on
``torch.ao.nn.quantized.dynamic.Linear``/``LSTM`` (weights stored in int8, activations
quantized on the fly), and :func:`quantize_dynamic` calls torch's function with it::

    quantized = tkl.quantization.quantize_dynamic(model)     # a copy; model unchanged
    # the same with torch's function directly:
    torch.ao.quantization.quantize_dynamic(model, {Dense, LSTM},
                                           mapping=tkl.quantization.DYNAMIC_MAPPING)

The quantized modules keep the layers' behaviour for inference: ``Dense``'s activation
and any input rank; ``LSTM``'s ``return_sequences``, ``return_state`` and
``go_backwards`` with Keras's ``tanh``/``sigmoid`` activations. They are inference
modules (no ``fit``, no configs): quantize a trained model for serving. torch marks
``torch.ao.quantization`` deprecated in favour of ``torchao``; its kernels still run.

Example:
    >>> import torch, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((8,)), tkl.layers.Dense(4, activation="relu")])
    >>> quantized = tkl.quantization.quantize_dynamic(model)
    >>> type(quantized.layers[0]).__name__
    'DynamicQuantizedDense'
"""

import collections
import copy

import torch
from torch import nn

from .layer import Layer
from .layers.core import Dense
from .layers.recurrent import LSTM

__all__ = ["DYNAMIC_MAPPING", "DynamicQuantizedDense", "DynamicQuantizedLSTM", "quantize_dynamic"]


def _dynamic():
    return torch.ao.nn.quantized.dynamic


class _Swapped(nn.Module):
    """torch's module swap copies the float module's forward pre-hooks onto the new
    module; the layer's own input-spec hook reads state these modules do not have."""

    def register_forward_pre_hook(self, hook, **kwargs):
        if hook is Layer._input_spec_pre_hook:
            return torch.utils.hooks.RemovableHandle(collections.OrderedDict())
        return super().register_forward_pre_hook(hook, **kwargs)


class DynamicQuantizedDense(_Swapped):
    """A ``Dense`` layer with an int8 kernel: torch's dynamic quantized ``Linear`` plus
    the layer's activation."""

    def __init__(self, linear, activation, name):
        super().__init__()
        self.linear = linear
        self.activation = activation
        self.name = name

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """Built by ``torch.ao.quantization.quantize_dynamic`` from a ``Dense``."""
        if not mod.built:
            raise ValueError(
                f'Layer "{mod.name}" (Dense) is not built, so it has no kernel to quantize. Fix: '
                "build the model (one call on a batch) before quantizing it."
            )
        float_linear = nn.Linear(mod.kernel.shape[0], mod.units, bias=mod.bias is not None)
        with torch.no_grad():
            float_linear.weight.copy_(mod.kernel.detach().t())
            if mod.bias is not None:
                float_linear.bias.copy_(mod.bias.detach())
        float_linear.qconfig = mod.qconfig
        linear = _dynamic().Linear.from_float(float_linear)
        return cls(linear, mod._activation_fn, mod.name)

    def forward(self, inputs):
        outputs = self.linear(inputs.float())
        return outputs if self.activation is None else self.activation(outputs)


class DynamicQuantizedLSTM(_Swapped):
    """An ``LSTM`` layer with int8 weights: torch's dynamic quantized ``LSTM``."""

    def __init__(self, lstm, layer):
        super().__init__()
        self.lstm = lstm
        self.name = layer.name
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.go_backwards = layer.go_backwards

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """Built by ``torch.ao.quantization.quantize_dynamic`` from an ``LSTM``."""
        from . import activations

        label = f'Layer "{mod.name}" (LSTM)'
        if not mod.built:
            raise ValueError(f"{label} is not built, so it has no weights to quantize. Fix: build the "
                             "model (one call on a batch) before quantizing it.")
        if (activations.serialize(mod.activation), activations.serialize(mod.recurrent_activation)) != (
                "tanh", "sigmoid"):
            raise ValueError(
                f"{label} uses activation={activations.serialize(mod.activation)!r} and "
                f"recurrent_activation={activations.serialize(mod.recurrent_activation)!r}; torch's "
                "quantized LSTM computes tanh and sigmoid only. Fix: leave this layer unquantized "
                "(pass layers=('Dense',))."
            )
        cell = mod.cell
        units, input_dim = cell.units, cell.kernel.shape[1]
        float_lstm = nn.LSTM(input_dim, units, batch_first=True, bias=True)
        with torch.no_grad():
            # The cell keeps torch's layout, and Keras's gate order (i, f, c, o) is torch's.
            float_lstm.weight_ih_l0.copy_(cell.kernel.detach())
            float_lstm.weight_hh_l0.copy_(cell.recurrent_kernel.detach())
            float_lstm.bias_ih_l0.copy_(cell.bias.detach() if cell.bias is not None else torch.zeros(4 * units))
            float_lstm.bias_hh_l0.zero_()
        float_lstm.qconfig = mod.qconfig
        return cls(_dynamic().LSTM.from_float(float_lstm), mod)

    def forward(self, sequences, initial_state=None):
        if getattr(sequences, "_keras_mask", None) is not None:
            raise NotImplementedError(
                f'Layer "{self.name}" (DynamicQuantizedLSTM) received a masked input, but the quantized '
                "kernel does not skip masked steps. Fix: leave this layer unquantized "
                "(quantize_dynamic(model, layers=('Dense',)))."
            )
        sequences = sequences.float()
        if self.go_backwards:
            sequences = sequences.flip(1)
        state = None
        if initial_state is not None:
            h, c = initial_state
            state = (h.unsqueeze(0).float(), c.unsqueeze(0).float())
        outputs, (h, c) = self.lstm(sequences, state)
        output = outputs if self.return_sequences else h[0]
        if self.return_state:
            return [output, h[0], c[0]]
        return output


DYNAMIC_MAPPING = {Dense: DynamicQuantizedDense, LSTM: DynamicQuantizedLSTM}

_BY_NAME = {"Dense": Dense, "LSTM": LSTM}


def quantize_dynamic(model, layers=("Dense", "LSTM"), dtype=torch.qint8, inplace=False):
    """``torch.ao.quantization.quantize_dynamic`` for torch_keraslike layers.

    Args:
        model: a built model (or layer, or any module holding them).
        layers: which layer classes to quantize, by name: ``"Dense"``, ``"LSTM"``.
        dtype: ``torch.qint8`` (the weights' storage type).
        inplace: change ``model`` itself instead of a copy.

    Returns:
        The quantized model, for inference.
    """
    unknown = [name for name in layers if name not in _BY_NAME]
    if unknown:
        raise ValueError(
            f"quantize_dynamic: layers={tuple(layers)!r} names {unknown}, which have no quantized "
            f"counterpart here. Fix: choose among {sorted(_BY_NAME)}."
        )
    if dtype != torch.qint8:
        raise ValueError(f"quantize_dynamic: only dtype=torch.qint8 is supported, received {dtype}.")
    target = model if inplace else copy.deepcopy(model)
    spec = {_BY_NAME[name] for name in layers}
    # torch's swap skips the module it is given, so a bare layer is wrapped first.
    holder = nn.Sequential(target) if type(target) in spec else target
    quantized = torch.ao.quantization.quantize_dynamic(
        holder, spec, dtype=dtype, mapping=DYNAMIC_MAPPING, inplace=True)
    _rebind_graphs(quantized)
    return quantized[0] if holder is not target else quantized


def _rebind_graphs(root):
    """Functional models run a plan holding their layers: the swapped modules replace
    the originals there too."""
    for module in root.modules():
        graph = vars(module).get("_graph")
        if graph is None:
            continue
        swapped = {id(old): new for old, new in zip(graph.layers, module._modules["layers"]) if old is not new}
        if swapped:
            graph.plan = [(swapped.get(id(step[0]), step[0]), *step[1:]) for step in graph.plan]
            graph.layers = list(module._modules["layers"])
