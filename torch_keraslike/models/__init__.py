"""Models: functional ``Model``, ``Sequential``, the ``InputLayer``, and Keras's
``keras.models`` functions (``clone_model``, ``model_from_json``, ``load_model``,
``save_model``)."""

from ..saving import load_model, save_model
from .cloning import clone_model
from .input_layer import InputLayer
from .model import Model
from .model_json import model_from_json
from .sequential import Sequential

__all__ = ["InputLayer", "Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
