"""``layers.serialize``/``layers.deserialize``: a layer to and from its Keras-format
config dict, through ``tkl.saving``'s registry (no code is imported from a config)."""

from .. import saving
from ..layer import Layer

__all__ = ["deserialize", "serialize"]


def serialize(layer):
    """The ``{"class_name": ..., "config": ...}`` dict of ``layer``.

    Args:
        layer: a layer (built-in or registered with ``tkl.saving.register_serializable``).

    Returns:
        A JSON-serialisable dict.

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.layers.serialize(tkl.layers.Dense(3, name="d"))["class_name"]
        'Dense'
    """
    return saving.serialize(layer)


def deserialize(config, custom_objects=None):
    """The layer a :func:`serialize` dict describes.

    Args:
        config: a dict with ``"class_name"`` and ``"config"``.
        custom_objects: optional ``{name: class}`` of layers not registered.

    Returns:
        A new, unbuilt layer.

    Raises:
        ValueError: for an unknown class, or a config of something that is not a layer.

    Example:
        >>> import torch_keraslike as tkl
        >>> layer = tkl.layers.deserialize(tkl.layers.serialize(tkl.layers.Dense(3)))
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    layer = saving.deserialize(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            "`tkl.layers.deserialize` was passed a `config` object that is not a layer (it made a "
            f"{type(layer).__name__}). Received: {config!r}. Fix: pass the config of a layer."
        )
    return layer
