"""``keras.losses`` on torch tensors: every Keras 3 loss class and function, and
``get``/``serialize``/``deserialize``.

Loss objects are called Keras's way, ``loss(y_true, y_pred, sample_weight=None)``, and
reduce to a scalar (see :class:`Loss`); loss functions return one value per sample.
``Model.compile(loss=...)`` takes any of them, their names (``"huber"``,
``"sparse_categorical_crossentropy"``...), registered functions and torch losses.

- :mod:`.loss`: the :class:`Loss` base class, reductions, sample weights and masks.
- :mod:`.regression`: squared/absolute/percentage/logarithmic errors, Huber, log-cosh,
  cosine similarity.
- :mod:`.probabilistic`: cross-entropies (with focal variants), KL divergence,
  Poisson, generalized cross-entropy.
- :mod:`.hinge`, :mod:`.segmentation` (Dice, Tversky), :mod:`.similarity` (Circle),
  :mod:`.sequence` (CTC).

Example:
    >>> import torch, torch_keraslike as tkl
    >>> loss = tkl.losses.get("Huber")
    >>> loss(torch.tensor([[0.0]]), torch.tensor([[3.0]]))
    tensor(2.5000)
    >>> tkl.losses.get("huber") is tkl.losses.huber
    True
"""

from .._object_config import deserialize_object, get_object, serialize_object
from .hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from .loss import Loss, LossFunctionWrapper
from .probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from .regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from .segmentation import Dice, Tversky, dice, tversky
from .sequence import CTC, ctc
from .similarity import Circle, circle

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]

ALL_OBJECTS = (
    Loss, LossFunctionWrapper,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, SparseCategoricalCrossentropy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCosh, Huber, Hinge, SquaredHinge, CategoricalHinge, Dice, Tversky, Circle, CTC,
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_generalized_cross_entropy, sparse_categorical_crossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, log_cosh, huber, hinge, squared_hinge,
    categorical_hinge, dice, tversky, circle, ctc,
)
#: Every name ``get`` accepts (class and function names, Keras's short aliases) -> object.
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})


def serialize(loss):
    """Keras's config entry of a :class:`Loss` object or a loss function.

    Built-in and registered functions are written by name (``"huber"``,
    ``"my_pkg>my_loss"``); objects as ``{"module", "class_name", "config",
    "registered_name"}``.

    Example:
        >>> serialize(Huber(delta=2.0))["config"]
        {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0}
        >>> serialize(huber)["config"]
        'huber'
    """
    return serialize_object(loss, "keras.losses", ALL_OBJECTS_DICT, "loss")


def deserialize(name, custom_objects=None):
    """The loss a :func:`serialize` entry (or a name) describes.

    Classes are found by name only: ``custom_objects``, this namespace, then the
    serialization registry (``"my_pkg>MyLoss"``); no module named in an entry is imported.

    Args:
        name: the entry or name.
        custom_objects: optional ``{name: class or function}``.
    """
    return deserialize_object(name, ALL_OBJECTS_DICT, custom_objects, "loss")


def get(identifier):
    """The loss an identifier stands for, as Keras resolves it.

    Args:
        identifier: None (returns None); a function name (``"mse"``, ``"huber"``: the
            function); a class name (``"Huber"``: a new instance); a registered name
            (``"my_pkg>my_loss"``); a config dict; a :class:`Loss` class (instantiated)
            or any callable (returned as it is).

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
    """
    return get_object(identifier, ALL_OBJECTS_DICT, "loss", deserialize)
