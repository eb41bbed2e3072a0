"""A model's architecture as JSON: ``Model.to_json()`` and ``model_from_json``.

The JSON is the model's config entry (what ``tkl.saving.serialize`` writes: the class
by its registered name and its config) plus the ``keras_version`` whose format it
follows and the ``backend``. Weights are not part of it.

Example:
    >>> import torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
    >>> clone = tkl.models.model_from_json(model.to_json())
    >>> [type(layer).__name__ for layer in clone.layers]
    ['Dense']
"""

import json

__all__ = ["KERAS_VERSION", "model_from_json", "model_to_json"]

#: The Keras version whose config format the JSON follows.
KERAS_VERSION = "3.15.1"


def model_to_json(model, **kwargs):
    """``model``'s config as a JSON string (``kwargs`` go to ``json.dumps``)."""
    from ..saving import serialize

    return json.dumps({**serialize(model), "keras_version": KERAS_VERSION, "backend": "torch"}, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (new weights) from the JSON of :func:`model_to_json` or Keras's
    ``model.to_json()``.

    Classes are found by registered name only (no module named in the JSON is imported).

    Args:
        json_string: the JSON text.
        custom_objects: optional ``{name: class}`` for classes not registered.
    """
    from ..saving import deserialize

    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"model_from_json expects a JSON string, received {type(json_string).__name__}. Fix: "
                        "pass what model.to_json() returned.")
    try:
        config = json.loads(json_string)
    except ValueError as error:
        raise ValueError(f"model_from_json: the text is not valid JSON ({error}). Fix: pass what "
                         "model.to_json() returned.") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("model_from_json: the JSON must describe a model: an object with 'class_name' and "
                         f"'config', received {str(json_string)[:80]!r}.")
    return deserialize(config, custom_objects)
