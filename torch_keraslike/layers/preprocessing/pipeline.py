"""``Pipeline``: a sequence of (preprocessing) layers applied one after the other, as
one layer."""

from torch import nn

from ... import saving
from ...layer import Layer
from ...saving import register_serializable
from .._common import layer_label

__all__ = ["Pipeline"]


@register_serializable(package="keras")
class Pipeline(Layer):
    """Applies ``layers`` in order, as one layer.

    Unlike a ``Sequential`` model, a pipeline is a plain layer: it has no
    ``compile``/``fit`` and works on any structure its layers accept (dicts of
    ``images``/``labels`` included). ``training`` and masks reach every layer. Its
    layers are tracked (``parameters()``, ``state_dict()``, ``.to()``).

    Args:
        layers: a list of layers.
        name: the layer's name.
        **kwargs: other base ``Layer`` arguments.

    Shapes:
        Whatever the layers map the input to.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> pipeline = tkl.layers.Pipeline([
        ...     tkl.layers.AutoContrast(), tkl.layers.RandomFlip(seed=1), tkl.layers.Rescaling(1 / 255)])
        >>> pipeline(torch.rand(2, 8, 8, 3) * 255, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, nn.Module) for layer in layers):
            raise ValueError(
                f"{layer_label(self)}: `layers` must be a list of layers, received "
                f"{type(layers).__name__}: {layers!r}. Fix: e.g. Pipeline([layers.AutoContrast(), "
                "layers.RandomFlip()])."
            )
        self._modules["pipeline_layers"] = nn.ModuleList(layers)

    @property
    def layers(self):
        """The layers, in the order they are applied."""
        return list(self._modules["pipeline_layers"])

    def build(self, input_shape):
        # The layers build on their first call, with the shapes they actually receive.
        pass

    def call(self, inputs, training=True):
        for layer in self._modules["pipeline_layers"]:
            inputs = layer(inputs, training=training) if isinstance(layer, Layer) else layer(inputs)
        return inputs

    def get_config(self):
        return {"layers": [saving.serialize(layer) for layer in self.layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. "
                f"Received config with layers={layers!r}."
            )
        config = dict(config, layers=[saving.deserialize(layer, custom_objects) for layer in layers])
        return cls(**config)
