"""``keras.metrics`` on torch tensors: every Keras 3 metric class and function, and
``get``/``serialize``/``deserialize``.

A metric keeps its state in tensors created by :meth:`Metric.add_variable`, on the
device of the data it sees; ``result()`` is a tensor too, so nothing is copied to the
host until a log needs the number (``float(metric.result())``). Each state tensor
carries its ``aggregation`` (``"sum"``, ``"mean"``...), which is all a distributed run
needs to combine metrics across processes (see :mod:`.metric`).

- :mod:`.metric`: the :class:`Metric` base class and its state API.
- :mod:`.reduction`: ``Sum``, ``Mean``, ``MeanMetricWrapper``.
- :mod:`.accuracy`, :mod:`.regression`, :mod:`.probabilistic` (with the hinge
  metrics), :mod:`.correlation`: means of per-sample functions, ``R2Score``.
- :mod:`.confusion`: ``TruePositives``... ``Precision``, ``Recall``, ``AUC`` and the
  operating-point metrics; :mod:`.f_score`: ``F1Score``, ``FBetaScore``;
  :mod:`.iou`: the IoU family.
- :mod:`.synchronization`: ``global_results``, the metrics of a ``torch.distributed`` run
  combined over its processes.

Example:
    >>> import torch, torch_keraslike as tkl
    >>> m = tkl.metrics.get("precision")
    >>> m.update_state(torch.tensor([1.0, 0.0, 1.0]), torch.tensor([0.8, 0.7, 0.2]))
    >>> float(m.result())
    0.5
"""

from .._naming import to_snake_case
from .._object_config import deserialize_object, get_object, serialize_object
from ..losses.hinge import categorical_hinge, hinge, squared_hinge
from ..losses.probabilistic import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ..losses.regression import (
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from .correlation import ConcordanceCorrelation, PearsonCorrelation, concordance_correlation, pearson_correlation
from .f_score import F1Score, FBetaScore
from .iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .metric import Metric
from .probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from .reduction import Mean, MeanMetricWrapper, Sum
from .regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from .synchronization import global_results

__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "F1Score",
    "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Metric", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "Poisson",
    "Precision", "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision", "RootMeanSquaredError",
    "SensitivityAtSpecificity", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity", "SquaredHinge", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "binary_accuracy",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_accuracy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "concordance_correlation", "deserialize", "get",
    "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "pearson_correlation", "poisson", "serialize",
    "sparse_categorical_accuracy", "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
    "squared_hinge", "top_k_categorical_accuracy", "global_results",
]

ALL_OBJECTS = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives,
    ConcordanceCorrelation, PearsonCorrelation, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, F1Score, FBetaScore, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)
#: Every metric name Keras's ``get`` accepts (class names, their snake_case, short
#: aliases) -> class; ``"rmse"`` is an extra alias.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "rmse": RootMeanSquaredError,
})
#: The functions of the namespace (per-sample values), by name.
FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
    kl_divergence, poisson, categorical_hinge, hinge, squared_hinge, huber, log_cosh, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error,
    concordance_correlation, pearson_correlation,
)}
# Names resolve to classes first (Keras's table), then to functions ("huber").
_LOOKUP = {**FUNCTIONS, **ALL_OBJECTS_DICT}


def _all_functions():
    """The metric functions and the loss functions, by name."""
    from .. import losses

    return {**{k: v for k, v in losses.ALL_OBJECTS_DICT.items() if not isinstance(v, type)}, **FUNCTIONS}


def serialize_function(fn):
    """Keras's entry for the function of a :class:`MeanMetricWrapper` (a metric or loss
    function by name, or a registered function)."""
    return serialize_object(fn, "keras.metrics", _all_functions(), "metric")


def serialize(metric):
    """Keras's config entry of a :class:`Metric` object or a metric function.

    Example:
        >>> serialize(AUC(name="auc"))["config"]["curve"]
        'ROC'
        >>> serialize(binary_accuracy)["config"]
        'binary_accuracy'
    """
    return serialize_object(metric, "keras.metrics", {**ALL_OBJECTS_DICT, **FUNCTIONS}, "metric")


def deserialize(config, custom_objects=None):
    """The metric (or function) a :func:`serialize` entry or a name describes; names
    are looked up in ``custom_objects``, this namespace and the serialization registry."""
    return deserialize_object(config, _LOOKUP, custom_objects, "metric", functions=_all_functions())


def get(identifier):
    """The metric an identifier stands for, as Keras resolves it.

    Args:
        identifier: None (returns None); a metric name (``"auc"``, ``"mae"``,
            ``"Precision"``: a new instance of the class); a function name
            (``"binary_accuracy"``: the function); a registered name; a config dict; a
            :class:`Metric` class (instantiated), object or callable (returned as it is).

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
    """
    return get_object(identifier, _LOOKUP, "metric", deserialize)
