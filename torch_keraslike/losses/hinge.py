"""Hinge losses for maximum-margin classifiers: ``hinge``, ``squared_hinge`` (targets
-1/1, or 0/1 converted to -1/1) and ``categorical_hinge`` (one-hot targets), as
functions (per-sample values) and :class:`~torch_keraslike.losses.Loss` classes.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import Hinge
    >>> Hinge()(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, -2.0]]))
    tensor(0.2500)
"""

import torch

from .loss import BuiltinLoss, pair

__all__ = ["CategoricalHinge", "Hinge", "SquaredHinge", "categorical_hinge", "hinge", "squared_hinge"]


def _signed_labels(y_true):
    """0/1 targets as -1/1; targets that are not all 0 or 1 stay as they are. Decided
    on the device (no host sync), like Keras's conditional."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _margins(y_true, y_pred):
    y_true, y_pred = pair(y_true, y_pred, align=False)
    return torch.clamp(1.0 - _signed_labels(y_true) * y_pred, min=0.0)


def hinge(y_true, y_pred):
    """Per-sample ``mean(max(1 - y_true * y_pred, 0), axis=-1)``.

    Args:
        y_true: -1/1 targets (0/1 targets are converted to -1/1).
        y_pred: predicted scores.
    """
    return _margins(y_true, y_pred).mean(dim=-1)


def squared_hinge(y_true, y_pred):
    """Per-sample ``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`` (targets as in
    :func:`hinge`)."""
    return torch.square(_margins(y_true, y_pred)).mean(dim=-1)


def categorical_hinge(y_true, y_pred):
    """Per-sample ``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)`` over the last axis (one-hot targets)."""
    y_true, y_pred = pair(y_true, y_pred, align=False)
    positive = torch.sum(y_true * y_pred, dim=-1)
    negative = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(negative - positive + 1.0, min=0.0)


class Hinge(BuiltinLoss):
    """Hinge loss (see :func:`hinge`).

    Args:
        reduction, name, dtype: see :class:`~torch_keraslike.losses.Loss`.
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(BuiltinLoss):
    """Squared hinge loss (see :func:`squared_hinge`); arguments as :class:`Hinge`."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(BuiltinLoss):
    """Categorical hinge loss (see :func:`categorical_hinge`); arguments as :class:`Hinge`."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
