"""Accuracy metrics: exact, binary (thresholded), categorical (argmax of one-hot
targets), sparse categorical (integer labels) and their top-k versions, as functions
(one 0/1 value per prediction) and mean metrics.

Example:
    >>> import torch
    >>> m = SparseTopKCategoricalAccuracy(k=2)
    >>> m.update_state(torch.tensor([2, 0]), torch.tensor([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]]))
    >>> float(m.result())
    0.5
"""

import torch

from .._dtypes import dtype_name
from ..losses._args import check_bool, check_float, check_int
from ..losses.loss import pair, squeeze_or_expand_to_same_rank, to_tensor
from .reduction import BuiltinMeanMetric

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


def _floatx(x):
    return x.to(torch.get_default_dtype())


def accuracy(y_true, y_pred):
    """1 where ``y_true == y_pred`` (element-wise), else 0."""
    y_true, y_pred = pair(y_true, y_pred)
    return _floatx(y_true == y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where ``(y_pred > threshold) == y_true`` (element-wise), else 0.

    Args:
        y_true: 0/1 targets.
        y_pred: probabilities (or logits with ``threshold=0``).
        threshold: the decision threshold.
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _floatx(y_true == (y_pred > threshold).to(y_true.dtype))


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == argmax(y_true)`` over the last axis (one-hot
    targets), else 0; one value per sample."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device).argmax(dim=-1)
    original = y_true.shape
    reshape = y_true.dim() == y_pred.dim()
    if reshape:
        y_true = y_true.squeeze(-1)
    matches = _floatx(y_true == y_pred.argmax(dim=-1))
    return matches.reshape(original) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == y_true`` (integer labels, optionally with a trailing
    size-1 axis), else 0; one value per sample."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    original = y_true.shape
    reshape = y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1
    if reshape:
        y_true = y_true.squeeze(-1)
    matches = _floatx(y_pred.argmax(dim=-1).to(y_true.dtype) == y_true)
    if reshape:
        matches = matches.reshape(original)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(labels, scores, k):
    """Whether each label's score is among the ``k`` largest of its row (ties count)."""
    k = min(k, scores.shape[-1])
    kth = torch.topk(scores, k, dim=-1).values[:, -1:]
    return torch.gather(scores, -1, labels.long().unsqueeze(-1)) >= kth


def _top_k_matches(labels, y_pred, k, from_sorted_ids=False):
    original = labels.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if labels.dim() > 1:
        labels = labels.reshape(-1)
    if from_sorted_ids:
        matches = torch.any(labels.unsqueeze(1) == y_pred[:, :k], dim=1)
    else:
        matches = _in_top_k(labels, y_pred, k).squeeze(-1)
    return _floatx(matches).reshape(original)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the target class (argmax of one-hot ``y_true``) is among the ``k``
    highest predictions, else 0."""
    y_true, y_pred = pair(y_true, y_pred, align=False)
    return _top_k_matches(y_true.argmax(dim=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where the integer label is among the ``k`` highest predictions, else 0.

    Args:
        y_true: integer labels.
        y_pred: scores, or with ``from_sorted_ids=True`` class ids sorted by score
            (only the first ``k`` columns are read).
        k: how many top predictions count.
        from_sorted_ids: whether ``y_pred`` holds sorted class ids.
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype if from_sorted_ids else None, y_pred.device)
    return _top_k_matches(y_true, y_pred, k, from_sorted_ids)


class _AccuracyMetric(BuiltinMeanMetric):
    _direction = "up"


class Accuracy(_AccuracyMetric):
    """How often predictions equal the targets exactly.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_AccuracyMetric):
    """How often ``(y_pred > threshold)`` matches 0/1 targets; use ``threshold=0.0``
    for logits.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
        threshold: the decision threshold.
    """

    _options = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = check_float(threshold, "threshold", "BinaryAccuracy")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=self.threshold)


class CategoricalAccuracy(_AccuracyMetric):
    """How often the predicted class (argmax) matches one-hot targets."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(_AccuracyMetric):
    """How often the predicted class (argmax) equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(_AccuracyMetric):
    """How often the target class (one-hot) is among the ``k`` highest predictions.

    Args:
        k: how many top predictions count (>= 1).
        name: name of the metric.
        dtype: dtype of the state.
    """

    _options = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = check_int(k, "k", "TopKCategoricalAccuracy", low=1)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k)


class SparseTopKCategoricalAccuracy(_AccuracyMetric):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many top predictions count (>= 1).
        name: name of the metric.
        dtype: dtype of the state.
        from_sorted_ids: ``y_pred`` holds class ids sorted by score.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        owner = "SparseTopKCategoricalAccuracy"
        self.k = check_int(k, "k", owner, low=1)
        self.from_sorted_ids = check_bool(from_sorted_ids, "from_sorted_ids", owner)
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k,
                         from_sorted_ids=self.from_sorted_ids)

    def get_config(self):
        config = {"name": self.name, "dtype": dtype_name(self._dtype), "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
