"""Saving and loading: the serialization registry and model files.

- :mod:`.registry`: classes and functions found by registered name only
  (``register_serializable``, ``serialize``/``deserialize``).
- :mod:`.model_file`: our own format, one safetensors file with a JSON config
  (``save_model``/``load_model``).
- :mod:`._safe_build`: how every reader rebuilds a model from a file it does not trust
  (shapes checked on the ``meta`` device before memory is allocated, structural damage
  reported as a corrupted file).
"""

from .model_file import load_model, save_model
from .registry import (
    decode_constant,
    deserialize,
    encode_constant,
    get_registered_name,
    get_registered_object,
    in_safe_mode,
    register_serializable,
    safe_mode_scope,
    serialize,
)

register_keras_serializable = register_serializable

__all__ = [
    "decode_constant",
    "deserialize",
    "encode_constant",
    "get_registered_name",
    "get_registered_object",
    "in_safe_mode",
    "load_model",
    "register_keras_serializable",
    "register_serializable",
    "safe_mode_scope",
    "save_model",
    "serialize",
]
