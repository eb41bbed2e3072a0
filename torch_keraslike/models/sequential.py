"""``Sequential``: a plain stack of layers, each feeding the next."""

from torch import nn

from .. import _module_state
from ..layer import Layer
from ..saving import register_serializable
from ..symbolic import KerasTensor, flatten
from .functional import Graph, follow_meta_layers
from .input_layer import InputLayer
from .model import Model


@register_serializable(package="keras")
class Sequential(Model):
    """A linear stack of layers.

    With a leading ``tkl.Input`` (or ``input_shape=`` on the first layer) the model is
    built at once; otherwise on its first call, from the input's shape. Its layers are
    ``model.layers`` (an ``InputLayer`` is not listed), and parameters are keyed
    ``layers.<index>.<weight>``.

    Args:
        layers: list of layers (``tkl.Layer`` or any ``torch.nn.Module``), optionally
            starting with ``tkl.Input(shape)``.
        name: model name.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> model = tkl.Sequential([tkl.Input((4,)), tkl.layers.Dense(8, activation="relu"),
        ...                         tkl.layers.Dense(1)])
        >>> model(torch.ones(2, 4)).shape
        torch.Size([2, 1])
    """

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._modules["layers"] = nn.ModuleList()
        vars(self)["_input_tensor"] = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Appends a layer (or sets the input, for a ``tkl.Input`` tensor)."""
        if isinstance(layer, InputLayer):
            layer = layer.output
        if isinstance(layer, KerasTensor):
            node = layer._history[0] if layer._history else None
            if node is None or not isinstance(node.layer, InputLayer) or len(self._modules["layers"]):
                raise ValueError(
                    f'Sequential "{self.name}": only a tkl.Input tensor may be added, and only '
                    f"first; received {layer!r}. Fix: Sequential([tkl.Input(shape), Dense(...)])."
                )
            vars(self)["_input_tensor"] = layer
            return
        if not isinstance(layer, nn.Module):
            raise TypeError(
                f'Sequential "{self.name}" can only add layers (torch.nn.Module instances), '
                f"received {layer!r} (of type {type(layer).__name__}). Fix: model.add(tkl.layers.Dense(8))."
            )
        # A layer that does not fit the model's shapes is rejected with nothing changed.
        with _module_state.restored_on_error(self):
            self._modules["layers"].append(layer)
            if self._input_tensor is not None or len(self._modules["layers"]) > 1 and self.built:
                self._trace()
            elif isinstance(layer, Layer) and layer.built and layer._tkl_init_input_shape is not None:
                # Dense(4, input_shape=(3,)) as first layer: build the model right away.
                self.build((None,) + layer._tkl_init_input_shape)

    def build(self, input_shape=None):
        if input_shape is not None:
            batch_shape = (None,) + tuple(input_shape)[1:]
            if self._input_tensor is None or self._input_tensor.shape != batch_shape:
                vars(self)["_input_tensor"] = InputLayer(batch_shape=batch_shape).output
        if self._input_tensor is not None:
            self._trace()
        self.built = True

    def _trace(self):
        """Runs the layers on the symbolic input: builds them and records shapes."""
        x = self._input_tensor
        shapes = []  # by position, so copies of the model keep them
        for layer in self._modules["layers"]:
            x = layer(x)
            shapes.append([t.shape for t in flatten(x) if isinstance(t, KerasTensor)])
        vars(self)["_graph"] = Graph(self._input_tensor, x)
        vars(self)["_layer_shapes"] = shapes
        self._tkl_build_shapes = list(self._input_tensor.shape)
        follow_meta_layers(self)
        self.built = True

    def call(self, inputs):
        for layer in self._modules["layers"]:
            inputs = layer(inputs)
        return inputs

    forward = call

    @property
    def layers(self):
        return self._modules["layers"]

    def _symbolic_output_shapes(self, layer):
        shapes = vars(self).get("_layer_shapes", [])
        for index, candidate in enumerate(self._modules["layers"]):
            if candidate is layer and index < len(shapes):
                return [shapes[index]]
        return []

    def get_build_config(self):
        if self._input_tensor is None:
            return None
        return {"input_shape": list(self._input_tensor.shape)}

    def get_config(self):
        """Keras's Sequential config: ``name``, ``trainable``, ``layers`` (the input
        first, when there is one) and ``build_input_shape``."""
        from ..saving import serialize

        entries = []
        config = {"name": self.name, "trainable": self.trainable}
        if self._input_tensor is not None:
            entries.append(serialize(self._input_tensor._history[0].layer))
            config["build_input_shape"] = list(self._input_tensor.shape)
        entries += [serialize(layer) for layer in self._modules["layers"]]
        config["layers"] = entries
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Recreates the model from :meth:`get_config` or Keras's Sequential config."""
        from ..saving.keras_config import deserialize_entry

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            # Built by the model's input, not by each layer's own build_config.
            model.add(deserialize_entry(entry, custom_objects, build=False))
        shape = config.get("build_input_shape")
        if not model.built and isinstance(shape, (list, tuple)) and shape:
            model.build(tuple(shape))
        return model
