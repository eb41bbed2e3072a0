"""Models: functional ``Model``, ``Sequential`` and the ``InputLayer``."""

from .input_layer import InputLayer
from .model import Model
from .sequential import Sequential

__all__ = ["InputLayer", "Model", "Sequential"]
