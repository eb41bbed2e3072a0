"""Overlap losses for segmentation: Dice and Tversky (``1 -`` the overlap index of
targets and predicted probabilities), as functions and
:class:`~torch_keraslike.losses.Loss` classes.

With ``axis=None`` (default) the overlap is measured over the whole batch and the loss
is one number; with ``axis=(1, 2, 3)`` over each image, one value per sample.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import dice
    >>> float(dice(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]])))
    0.0
"""

import torch

from .. import config
from ._args import check_axis, check_float
from .loss import BuiltinLoss, pair

__all__ = ["Dice", "Tversky", "dice", "tversky"]


def _sum(x, axis):
    return torch.sum(x) if axis is None else torch.sum(x, dim=axis)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`` over ``axis``.

    Args:
        y_true: 0/1 (or soft) targets.
        y_pred: predicted probabilities, the shape of ``y_true``.
        axis: int or tuple of ints to reduce over; None for all axes.
    """
    y_true, y_pred = pair(y_true, y_pred, align=False)
    intersection = _sum(y_true * y_pred, axis)
    return 1 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + config.epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha * FP + beta * FN + epsilon)`` with soft counts over ``axis``
    (``alpha = beta = 0.5`` is the Dice loss).

    Args:
        y_true: 0/1 (or soft) targets.
        y_pred: predicted probabilities, the shape of ``y_true``.
        alpha: weight of false positives.
        beta: weight of false negatives.
        axis: int or tuple of ints to reduce over; None for all axes.
    """
    y_true, y_pred = pair(y_true, y_pred, align=False)
    true_positives = _sum(y_true * y_pred, axis)
    false_positives = _sum((1 - y_pred) * y_true, axis)
    false_negatives = _sum(y_pred * (1 - y_true), axis)
    index = true_positives / (true_positives + false_positives * alpha + false_negatives * beta
                              + config.epsilon())
    return 1 - index


class Dice(BuiltinLoss):
    """The Dice loss (see :func:`dice`).

    Args:
        reduction: see :class:`~torch_keraslike.losses.Loss`.
        name: name of the loss.
        axis: axes of one overlap; None (default) for the whole batch.
        dtype: dtype of the computation.
    """

    _options = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        self.axis = check_axis(axis, "Dice", allow_none=True, allow_tuple=True)
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=self.axis)


class Tversky(BuiltinLoss):
    """The Tversky loss (see :func:`tversky`).

    Args:
        alpha: weight of false positives (>= 0).
        beta: weight of false negatives (>= 0).
        reduction, name, axis, dtype: see :class:`Dice`.
    """

    _options = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None,
                 dtype=None):
        self.alpha = check_float(alpha, "alpha", "Tversky", low=0.0)
        self.beta = check_float(beta, "beta", "Tversky", low=0.0)
        self.axis = check_axis(axis, "Tversky", allow_none=True, allow_tuple=True)
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=self.alpha,
                         beta=self.beta, axis=self.axis)
