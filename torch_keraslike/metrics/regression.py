"""Regression metrics: means of the regression losses (squared, absolute, percentage,
logarithmic and log-cosh errors, cosine similarity), the root mean squared error and
the coefficient of determination R2.

Example:
    >>> import torch
    >>> m = R2Score()
    >>> m.update_state(torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([[1.0], [2.5], [2.5]]))
    >>> round(float(m.result()), 4)
    0.75
"""

import warnings

import torch

from ..losses._args import check_axis, check_int
from ..losses.loss import pair, squeeze_or_expand_to_same_rank, to_tensor
from ..losses.regression import (
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from .metric import Metric
from .reduction import BuiltinMeanMetric, Mean

__all__ = [
    "CosineSimilarity",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "R2Score",
    "RootMeanSquaredError",
    "cosine_similarity",
]


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample cosine similarity ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``
    (1 for vectors pointing the same way; the loss of the same name is its negative)."""
    y_true, y_pred = pair(y_true, y_pred)
    return torch.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), dim=axis)


class MeanSquaredError(BuiltinMeanMetric):
    """Mean of squared errors.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(BuiltinMeanMetric):
    """Mean of absolute errors; arguments as :class:`MeanSquaredError`."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(BuiltinMeanMetric):
    """Mean absolute percentage error; arguments as :class:`MeanSquaredError`."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(BuiltinMeanMetric):
    """Mean squared logarithmic error; arguments as :class:`MeanSquaredError`."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(BuiltinMeanMetric):
    """Mean of the logarithm of the hyperbolic cosine of the error; arguments as
    :class:`MeanSquaredError`."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)


class CosineSimilarity(BuiltinMeanMetric):
    """Mean cosine similarity between targets and predictions (see :func:`cosine_similarity`).

    Args:
        name: name of the metric.
        dtype: dtype of the state.
        axis: the axis of the vectors.
    """

    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        self.axis = check_axis(axis, "CosineSimilarity")
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=self.axis)


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over everything seen (not the mean of
    per-batch roots).

    Args:
        name: name of the metric.
        dtype: dtype of the state.
    """

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._dtype)
        y_true = to_tensor(y_true, self._dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())


_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """Coefficient of determination: ``1 - SS_res / SS_tot`` per output column, then
    aggregated.

    Inputs are 2-D ``(batch, outputs)``; the state (per-column sums) is created on the
    first update.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over columns, default),
            ``"variance_weighted_average"`` (weighted by each column's variance) or None
            (one score per column).
        num_regressors: number of independent regressors, for the adjusted R2 (0: plain R2).
        name: name of the metric.
        dtype: dtype of the state.
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_CLASS_AGGREGATIONS}. Received: class_aggregation={class_aggregation!r}")
        self.num_regressors = check_int(num_regressors, "num_regressors", "R2Score", low=0)
        self.class_aggregation = class_aggregation
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(true_shape) != 2 or len(pred_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={pred_shape} and y_true.shape={true_shape}.")
        columns = pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(columns,), initializer="zeros", name="squared_sum")
        self.sum = self.add_variable(shape=(columns,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=(columns,), initializer="zeros", name="residual")
        self.count = self.add_variable(shape=(columns,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._dtype)
        y_true = to_tensor(y_true, self._dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        elif y_pred.dim() != 2 or y_pred.shape[-1] != self.sum.shape[0] or y_true.shape != y_pred.shape:
            raise ValueError(
                f"R2Score was built for inputs of shape (batch_size, {self.sum.shape[0]}), received "
                f"y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}.")
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = to_tensor(sample_weight, self._dtype, y_true.device)
            weight = torch.broadcast_to(weight.unsqueeze(1) if weight.dim() == 1 else weight, y_true.shape)
        weighted = y_true * weight
        self.sum.add_(weighted.sum(dim=0))
        self.squared_sum.add_((y_true * weighted).sum(dim=0))
        self.total_mse.add_((torch.square(y_true - y_pred) * weight).sum(dim=0))
        self.count.add_(weight.sum(dim=0))
        self.num_samples.add_(y_true.numel())

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1 - self.total_mse / total
        raw = torch.where(torch.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = torch.sum(total * raw) / torch.sum(total)
        else:
            score = raw
        if self.num_regressors:
            samples = float(self.num_samples)  # the adjustment decides on the count (host read)
            if self.num_regressors > samples - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. "
                              "Falling back to standard R2 score.", stacklevel=2)
            elif self.num_regressors == samples - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (samples - 1.0) / (samples - self.num_regressors - 1.0)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
