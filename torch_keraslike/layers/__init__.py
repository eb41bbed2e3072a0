"""Built-in layers, named as in ``keras.layers`` (channels_last by default)."""

from ..input_spec import InputSpec
from ..layer import Layer
from .attention import MultiHeadAttention
from .conv import Conv1D, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv2D, SeparableConv2D
from .core import Activation, Dense, Dropout, Identity, Lambda
from .einsum_dense import EinsumDense
from .embedding import Embedding
from .layer_scale import LayerScale
from .merging import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from .normalization import BatchNormalization, GroupNormalization, LayerNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .preprocessing import (
    CenterCrop,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
)
from .recurrent import GRU, LSTM
from .reshaping import Flatten, Permute, Reshape, UpSampling2D, ZeroPadding2D
from .reversible_embedding import ReversibleEmbedding
from .rms_normalization import RMSNormalization
from .spectral_normalization import SpectralNormalization
from .unit_normalization import UnitNormalization
from .wrapper import Wrapper

__all__ = [
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "CenterCrop",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "EinsumDense",
    "Embedding",
    "Flatten",
    "GRU",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GroupNormalization",
    "Identity",
    "InputLayer",
    "InputSpec",
    "LSTM",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LayerScale",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "Permute",
    "RMSNormalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Reshape",
    "Resizing",
    "ReversibleEmbedding",
    "SeparableConv2D",
    "SpectralNormalization",
    "Subtract",
    "UnitNormalization",
    "UpSampling2D",
    "Wrapper",
    "ZeroPadding2D",
]


def __getattr__(name):
    # InputLayer lives with the models (it is the graph's entry); imported on demand
    # to keep the layers package free of a models import cycle.
    if name == "InputLayer":
        from ..models.input_layer import InputLayer

        return InputLayer
    raise AttributeError(f"module 'torch_keraslike.layers' has no attribute {name!r}")
