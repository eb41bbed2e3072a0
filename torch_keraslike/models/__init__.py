"""Models: functional ``Model``, ``Sequential`` and the ``InputLayer``."""

from .input_layer import InputLayer
from .model import Model
from .sequential import Sequential
from ..saving import load_model

__all__ = ["InputLayer", "Model", "Sequential", "load_model"]
