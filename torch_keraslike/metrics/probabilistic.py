"""Probabilistic and hinge metrics: the means of the cross-entropies, KL divergence,
Poisson and hinge losses over everything seen.

Example:
    >>> import torch
    >>> m = BinaryCrossentropy(from_logits=True)
    >>> m.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[3.0], [-3.0]]))
    >>> round(float(m.result()), 4)
    0.0486
"""

from ..losses._args import check_axis, check_bool, check_float, check_int
from ..losses.hinge import categorical_hinge, hinge, squared_hinge
from ..losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from .reduction import BuiltinMeanMetric

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "Hinge",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
]


class KLDivergence(BuiltinMeanMetric):
    """Mean Kullback-Leibler divergence between target and predicted distributions.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(BuiltinMeanMetric):
    """Mean Poisson loss; arguments as :class:`KLDivergence`."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)


class BinaryCrossentropy(BuiltinMeanMetric):
    """Mean binary cross-entropy.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
        from_logits: ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in ``[0, 1]``; squeezes the targets towards 0.5.
    """

    _options = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        self.from_logits = check_bool(from_logits, "from_logits", "BinaryCrossentropy")
        self.label_smoothing = check_float(label_smoothing, "label_smoothing", "BinaryCrossentropy", 0.0, 1.0)
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=self.from_logits,
                         label_smoothing=self.label_smoothing)


class CategoricalCrossentropy(BuiltinMeanMetric):
    """Mean categorical cross-entropy for one-hot targets.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
        from_logits: ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in ``[0, 1]``; mixes the targets with the uniform distribution.
        axis: the class axis.
    """

    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
                 axis=-1):
        owner = "CategoricalCrossentropy"
        self.from_logits = check_bool(from_logits, "from_logits", owner)
        self.label_smoothing = check_float(label_smoothing, "label_smoothing", owner, 0.0, 1.0)
        self.axis = check_axis(axis, owner)
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=self.from_logits,
                         label_smoothing=self.label_smoothing, axis=self.axis)


class SparseCategoricalCrossentropy(BuiltinMeanMetric):
    """Mean cross-entropy for integer labels.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
        from_logits: ``y_pred`` holds logits instead of probabilities.
        ignore_class: a label whose entries are left out.
        axis: the class axis of ``y_pred``.
    """

    _options = ("from_logits", "ignore_class", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        owner = "SparseCategoricalCrossentropy"
        self.from_logits = check_bool(from_logits, "from_logits", owner)
        self.ignore_class = check_int(ignore_class, "ignore_class", owner, allow_none=True)
        self.axis = check_axis(axis, owner)
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=self.from_logits,
                         ignore_class=self.ignore_class, axis=self.axis)


class Hinge(BuiltinMeanMetric):
    """Mean hinge loss; arguments as :class:`KLDivergence`."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(BuiltinMeanMetric):
    """Mean squared hinge loss; arguments as :class:`KLDivergence`."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(BuiltinMeanMetric):
    """Mean categorical hinge loss; arguments as :class:`KLDivergence`."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
