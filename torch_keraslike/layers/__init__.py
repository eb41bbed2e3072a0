"""Built-in layers, named as in ``keras.layers``."""

from ..input_spec import InputSpec
from ..layer import Layer
from .core import Activation, Dense, Dropout, Identity, Lambda
from .reshaping import Flatten

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "InputSpec",
    "Lambda",
    "Layer",
]
