"""Correlation metrics: Pearson's and the concordance correlation coefficient of each
sample's targets and predictions (along ``axis``), averaged over the samples seen.

Example:
    >>> import torch
    >>> m = PearsonCorrelation()
    >>> m.update_state(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[2.0, 4.0, 6.0]]))
    >>> round(float(m.result()), 4)
    1.0
"""

import torch

from .. import config
from ..losses._args import check_axis
from ..losses.loss import pair
from .reduction import BuiltinMeanMetric

__all__ = ["ConcordanceCorrelation", "PearsonCorrelation", "concordance_correlation", "pearson_correlation"]


def _centered(x, axis):
    return x - x.mean(dim=axis, keepdim=True)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Per-sample Pearson correlation along ``axis``: the mean product of the
    standardised targets and predictions."""
    y_true, y_pred = pair(y_true, y_pred)
    true = _centered(y_true, axis)
    pred = _centered(y_pred, axis)
    true = true / true.std(dim=axis, keepdim=True, correction=0)
    pred = pred / pred.std(dim=axis, keepdim=True, correction=0)
    return (true * pred).mean(dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Per-sample concordance correlation along ``axis``: agreement of targets and
    predictions, ``2 * cov / (var_true + var_pred + (mean_true - mean_pred) ** 2)``,
    computed term by term as Keras does (the covariance term centres ``y_true`` on the
    predictions' mean)."""
    y_true, y_pred = pair(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = _centered(y_true - true_mean, axis).square().mean(dim=axis, keepdim=True)
    pred_var = _centered(y_pred - pred_mean, axis).square().mean(dim=axis, keepdim=True)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return (2 * covariance / (norm + config.epsilon())).mean(dim=axis)


class PearsonCorrelation(BuiltinMeanMetric):
    """Mean Pearson correlation of each sample's targets and predictions.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
        axis: the axis the correlation runs along.
    """

    _direction = "up"
    _options = ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        self.axis = check_axis(axis, "PearsonCorrelation")
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=self.axis)


class ConcordanceCorrelation(BuiltinMeanMetric):
    """Mean concordance correlation of each sample's targets and predictions; arguments
    as :class:`PearsonCorrelation`."""

    _direction = "up"
    _options = ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        self.axis = check_axis(axis, "ConcordanceCorrelation")
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=self.axis)
