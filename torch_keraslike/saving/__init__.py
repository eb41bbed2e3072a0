"""Saving and loading: the serialization registry, configs and model files.

- :mod:`.registry`: classes and functions found by registered name only
  (``register_serializable``).
- :mod:`.keras_config`: Keras's config format both ways (``serialize``/``deserialize``).
- :mod:`.saving_api`: ``save_model``/``load_model``, ``save_weights``/``load_weights``,
  choosing the format by content: Keras 3 ``.keras`` archives (:mod:`.keras_archive`),
  Keras's HDF5 weights and tf.keras 2 ``.h5`` models (:mod:`.keras_h5`), and our own
  safetensors file with a JSON config (:mod:`.model_file`).
- :mod:`.weight_layouts`: where each weight lives in Keras's files, in which layout.
- :mod:`._safe_build`: how every reader rebuilds a model from a file it does not trust
  (shapes checked on the ``meta`` device before memory is allocated, structural damage
  reported as a corrupted file).
"""

from .keras_config import deserialize, serialize
from .registry import (
    decode_constant,
    encode_constant,
    get_registered_name,
    get_registered_object,
    in_safe_mode,
    register_serializable,
    safe_mode_scope,
)
from .saving_api import load_model, load_weights, save_model, save_weights

register_keras_serializable = register_serializable

__all__ = [
    "decode_constant",
    "deserialize",
    "encode_constant",
    "get_registered_name",
    "get_registered_object",
    "in_safe_mode",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "register_serializable",
    "safe_mode_scope",
    "save_model",
    "save_weights",
    "serialize",
]
