"""``Wrapper``: the base of layers that hold another layer and change how it runs
(``SpectralNormalization`` here; ``TimeDistributed``/``Bidirectional`` later)."""

from ..layer import Layer
from ..saving import deserialize, register_serializable, serialize

__all__ = ["Wrapper"]


@register_serializable(package="keras")
class Wrapper(Layer):
    """Base class of wrappers: keeps the wrapped layer as ``self.layer``.

    The wrapped layer is an ordinary sub-module: its weights follow the wrapper's
    ``state_dict`` (keys ``layer.kernel``...), ``.to()``, ``trainable`` and
    ``parameters()``. Building the wrapper builds the wrapped layer on the same input
    shape, on the wrapper's device. The config nests the wrapped layer's own config
    under ``"layer"`` (Keras's format), and :meth:`from_config` rebuilds it through
    the serialization registry.

    Subclasses write ``call`` (and usually ``compute_output_shape``); the base class
    alone only forwards to the wrapped layer.

    Args:
        layer: the ``tkl.Layer`` to wrap.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> class Doubled(tkl.layers.Wrapper):
        ...     def call(self, inputs):
        ...         return 2 * self.layer(inputs)
        >>> wrapped = Doubled(tkl.layers.Dense(3))
        >>> wrapped(torch.ones(2, 4)).shape
        torch.Size([2, 3])
        >>> [k for k in wrapped.state_dict() if "extra" not in k]
        ['layer.kernel', 'layer.bias']
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            # Checked before the base constructor, so nothing is named or registered.
            raise ValueError(
                f"Layer {layer!r} supplied to Wrapper isn't a supported layer type. Please "
                "ensure wrapped layer is a valid Keras layer. Fix: pass a tkl.Layer "
                "instance, e.g. SpectralNormalization(tkl.layers.Dense(8))."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        layer = self.layer
        if not layer.built:
            if layer._tkl_device is None and self._tkl_device is not None:
                layer.to(self._tkl_device)  # an unbuilt layer records where to build
            layer.build(input_shape)

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
