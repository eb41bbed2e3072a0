"""Regression losses: squared, absolute, percentage and logarithmic errors, Huber,
log-cosh and cosine similarity, as functions (per-sample values, the mean over the last
axis) and as :class:`~torch_keraslike.losses.Loss` classes.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import Huber, huber
    >>> huber(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]]))
    tensor([1.3125])
    >>> Huber(delta=2.0)(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]]))
    tensor(2.0625)
"""

import math

import torch
import torch.nn.functional as F

from .. import config
from ._args import check_axis, check_float
from .loss import BuiltinLoss, pair, squeeze_or_expand_to_same_rank

__all__ = [
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "cosine_similarity",
    "huber",
    "l2_normalize",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
]


def l2_normalize(x, axis=-1):
    """``x`` over its L2 norm along ``axis`` (Keras's ``normalize``: the inverse norm
    is capped at ``1 / epsilon``, so zero vectors stay zero)."""
    inverse = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.clamp(inverse, max=1.0 / config.epsilon())


# ------------------------------------------------------------------ functions
def mean_squared_error(y_true, y_pred):
    """Per-sample ``mean(square(y_true - y_pred), axis=-1)``.

    Args:
        y_true: targets.
        y_pred: predictions, same shape (a trailing size-1 axis may differ).

    Returns:
        One value per sample (``y_pred``'s shape without the last axis).
    """
    y_true, y_pred = pair(y_true, y_pred)
    return torch.square(y_true - y_pred).mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    """Per-sample ``mean(abs(y_true - y_pred), axis=-1)`` (see :func:`mean_squared_error`)."""
    y_true, y_pred = pair(y_true, y_pred)
    return torch.abs(y_true - y_pred).mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample ``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = pair(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=config.epsilon()))
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample ``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = pair(y_true, y_pred)
    epsilon = config.epsilon()
    first = torch.log1p(torch.clamp(y_pred, min=epsilon))
    second = torch.log1p(torch.clamp(y_true, min=epsilon))
    return torch.square(first - second).mean(dim=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample negative cosine similarity ``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``:
    -1 for vectors pointing the same way, 0 for orthogonal ones, 0 for a zero vector.

    Args:
        y_true: targets.
        y_pred: predictions.
        axis: the axis of the vectors.
    """
    y_true, y_pred = pair(y_true, y_pred)
    return -torch.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), dim=axis)


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss: ``0.5 * e**2`` where ``|e| <= delta``, else
    ``delta * |e| - 0.5 * delta**2`` (``e = y_pred - y_true``), averaged over the last axis.

    Args:
        y_true: targets.
        y_pred: predictions.
        delta: where the loss turns from quadratic to linear.
    """
    y_true, y_pred = pair(y_true, y_pred)
    error = y_pred - y_true
    absolute = torch.abs(error)
    delta = float(delta)
    values = torch.where(absolute <= delta, 0.5 * torch.square(error), delta * absolute - 0.5 * delta * delta)
    return values.mean(dim=-1)


def log_cosh(y_true, y_pred):
    """Per-sample ``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2x) - log(2)`` so large errors do not overflow."""
    y_true, y_pred = pair(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(dim=-1)


# -------------------------------------------------------------------- classes
def _fused_mean(loss, y_true, y_pred, kernel):
    """The mean loss by torch's fused ``kernel(input, target)`` where the aligned shapes
    allow it (the mean over all elements equals the mean of per-sample means)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape or y_pred.dim() == 0 or not y_pred.numel():
        return BuiltinLoss._mean(loss, y_true, y_pred)
    return kernel(y_pred, y_true)


class MeanSquaredError(BuiltinLoss):
    """Mean of squared errors (``"mse"``).

    Args:
        reduction: see :class:`~torch_keraslike.losses.Loss`.
        name: name of the loss.
        dtype: dtype of the computation.

    Example:
        >>> import torch
        >>> MeanSquaredError()(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
        tensor(0.5000)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def _mean(self, y_true, y_pred):
        return _fused_mean(self, y_true, y_pred, F.mse_loss)


class MeanAbsoluteError(BuiltinLoss):
    """Mean of absolute errors (``"mae"``); arguments as :class:`MeanSquaredError`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def _mean(self, y_true, y_pred):
        return _fused_mean(self, y_true, y_pred, F.l1_loss)


class MeanAbsolutePercentageError(BuiltinLoss):
    """Mean absolute percentage error (``"mape"``); arguments as :class:`MeanSquaredError`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(BuiltinLoss):
    """Mean squared logarithmic error (``"msle"``); arguments as :class:`MeanSquaredError`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(BuiltinLoss):
    """Negative cosine similarity between targets and predictions (see
    :func:`cosine_similarity`).

    Args:
        axis: the axis of the vectors.
        reduction, name, dtype: see :class:`MeanSquaredError`.
    """

    _options = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        self.axis = check_axis(axis, "CosineSimilarity")
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=self.axis)


class Huber(BuiltinLoss):
    """Huber loss (see :func:`huber`): quadratic for small errors, linear for large ones.

    Args:
        delta: positive threshold between the quadratic and the linear part.
        reduction, name, dtype: see :class:`MeanSquaredError`.
    """

    _options = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        self.delta = check_float(delta, "delta", "Huber", low=0.0)
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=self.delta)


class LogCosh(BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the error (see :func:`log_cosh`)."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
