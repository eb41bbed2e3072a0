"""Preprocessing layers that run inside a model on tensors, on any device: feature
normalization (``Rescaling``, ``Normalization``), image resizing and cropping
(``Resizing``, ``CenterCrop``), the random image augmentations (``RandomFlip``,
``RandomRotation``, ``RandomColorJitter``, ``RandAugment``, ``MixUp``...), active only
while training, histogram equalization, categorical encodings (``CategoryEncoding``,
``Discretization``, ``Hashing``, ``IntegerLookup``...), audio spectrograms and
``Pipeline``."""

from .audio import MelSpectrogram, STFTSpectrogram
from .bounding_boxes import MaxNumBoundingBoxes
from .center_crop import CenterCrop
from .color import RandomColorDegeneration, RandomColorJitter, RandomGrayscale, RandomHue, RandomSaturation
from .filters import RandomErasing, RandomGaussianBlur, RandomSharpness
from .geometric import RandomElasticTransform, RandomPerspective, RandomShear
from .encoding import CategoryEncoding, Discretization, HashedCrossing, Hashing
from .histogram import ContrastLimitedAdaptiveHistogramEqualization, Equalization
from .integer_lookup import IntegerLookup
from .mixing import CutMix, MixUp
from .normalization import Normalization
from .pipeline import Pipeline
from .policies import AugMix, RandAugment
from .random_affine import RandomRotation, RandomTranslation, RandomZoom
from .random_color import RandomBrightness, RandomContrast
from .random_crop import RandomCrop
from .random_flip import RandomFlip
from .rescaling import Rescaling
from .resizing import Resizing
from .tone import AutoContrast, RandomInvert, RandomPosterization, Solarization

__all__ = [
    "AugMix",
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Discretization",
    "Equalization",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "MaxNumBoundingBoxes",
    "MelSpectrogram",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "STFTSpectrogram",
    "Solarization",
]
