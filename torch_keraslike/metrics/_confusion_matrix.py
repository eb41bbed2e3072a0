"""Weighted confusion-matrix counts at a list of thresholds, shared by the confusion
metrics (``TruePositives``... ``Precision``, ``Recall``, ``AUC``).

A prediction counts as positive at threshold ``t`` when it is ``> t``. Evenly spaced
thresholds (``AUC``'s 200) take a fast path: each prediction falls into one bucket
(``O(n + thresholds)`` with one ``scatter_add``), and the counts at every threshold are
the reversed cumulative sums of the buckets. Other thresholds compare every
prediction with every threshold.
"""

import functools

import numpy as np
import torch

from .. import config
from ..losses.loss import squeeze_or_expand_to_same_rank, to_tensor

__all__ = ["CONDITIONS", "NEG_INF", "divide_no_nan", "is_evenly_distributed", "parse_thresholds",
           "update_confusion_matrix"]

#: The default threshold of top-k precision and recall: every top-k prediction is positive.
NEG_INF = -1e10
#: Confusion-matrix cells: true/false positives and negatives.
CONDITIONS = ("tp", "fp", "tn", "fn")


def divide_no_nan(numerator, denominator):
    """``numerator / denominator``, 0 where the denominator is 0."""
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


def parse_thresholds(thresholds, default):
    """``thresholds`` as a list of floats in ``[0, 1]`` (``default`` when None)."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or isinstance(t, bool) or not isinstance(t, (int, float, np.floating))
               or not 0 <= t <= 1]
    if invalid or not values:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid or values}. Fix: pass a "
                         "float or a list of floats between 0 and 1.")
    return [float(t) for t in values]


def is_evenly_distributed(thresholds):
    """Whether ``thresholds`` are ``i / (n - 1)`` for ``i = 0..n-1`` (n >= 3)."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


@functools.lru_cache(maxsize=64)
def _threshold_tensor(thresholds, dtype, device):
    # Built once per device: a new tensor per update would copy from the host every step.
    return torch.tensor(thresholds, dtype=dtype, device=device)


def _filter_top_k(x, k):
    """``x`` with every entry outside its row's top ``k`` set to ``NEG_INF``."""
    indices = torch.topk(x, min(k, x.shape[-1]), dim=-1).indices
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, indices, True)
    return torch.where(keep, x, torch.full_like(x, NEG_INF))


def _bucketed(variables, y_true, y_pred, thresholds, multi_label, weights, with_epsilon):
    count = len(thresholds)
    y_pred = torch.clamp(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).to(y_pred.dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        weights = weights if weights is None else weights.reshape(-1)
    true_labels = y_true if weights is None else y_true * weights
    false_labels = (1.0 - y_true) if weights is None else (1.0 - y_true) * weights
    buckets = torch.ceil(y_pred * (count - 1)) - 1
    if with_epsilon:
        buckets = torch.relu(buckets)
    buckets = buckets.long()
    # Buckets out of range (a prediction of exactly 0 without the epsilon threshold)
    # go to an extra slot that is dropped.
    buckets = torch.where((buckets >= 0) & (buckets < count), buckets, count)
    if multi_label:
        true_labels, false_labels, buckets = true_labels.T, false_labels.T, buckets.T
    shape = tuple(buckets.shape[:-1]) + (count + 1,)

    def cumulative(labels):
        sums = torch.zeros(shape, dtype=labels.dtype, device=labels.device).scatter_add_(-1, buckets, labels)
        counts = sums[..., :count].flip(-1).cumsum(-1).flip(-1)
        return counts.T if multi_label else counts

    result = {}
    if "tp" in variables or "fn" in variables:
        tp = cumulative(true_labels)
        result["tp"] = tp
        if "fn" in variables:
            result["fn"] = true_labels.sum(dim=-1) - tp
    if "fp" in variables or "tn" in variables:
        fp = cumulative(false_labels)
        result["fp"] = fp
        if "tn" in variables:
            result["tn"] = false_labels.sum(dim=-1) - fp
    return result


def _compared(variables, y_true, y_pred, thresholds, multi_label, weights):
    labels = y_true.bool()
    if multi_label:
        predicted = y_pred.unsqueeze(0) > thresholds.reshape(-1, 1, 1)
        labels = labels.unsqueeze(0)
        weights = None if weights is None else weights.unsqueeze(0)
    else:
        predicted = y_pred.reshape(1, -1) > thresholds.reshape(-1, 1)
        labels = labels.reshape(1, -1)
        weights = None if weights is None else weights.reshape(1, -1)
    cells = {"tp": (labels, predicted), "fn": (labels, ~predicted), "fp": (~labels, predicted),
             "tn": (~labels, ~predicted)}
    result = {}
    for name in variables:
        label, prediction = cells[name]
        hit = label & prediction
        result[name] = (hit.to(y_pred.dtype) if weights is None else torch.where(hit, weights, 0.0)).sum(dim=1)
    return result


def update_confusion_matrix(variables, y_true, y_pred, thresholds, top_k=None, class_id=None,
                            sample_weight=None, multi_label=False, label_weights=None,
                            evenly_distributed=False, owner="metric"):
    """Adds the weighted confusion-matrix counts of a batch to ``variables``.

    Args:
        variables: ``{"tp" | "fp" | "tn" | "fn": state tensor}``, each of shape
            ``(len(thresholds),)`` (``(len(thresholds), labels)`` with ``multi_label``).
        y_true: 0/1 targets (non-zero counts as positive).
        y_pred: scores, usually probabilities in ``[0, 1]``.
        thresholds: list of floats.
        top_k: only each row's ``k`` highest predictions may be positive.
        class_id: only this class (last axis) is counted.
        sample_weight: weights, broadcastable to the predictions.
        multi_label: count each label (column of 2-D predictions) separately.
        label_weights: per-label weights (not with ``multi_label``).
        evenly_distributed: ``thresholds`` are evenly spaced (the bucket fast path).
        owner: the metric, for error messages.
    """
    dtype = next(iter(variables.values())).dtype
    y_pred = to_tensor(y_pred, dtype)
    y_true = to_tensor(y_true, dtype, y_pred.device)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{owner}: y_true and y_pred must have the same shape (a trailing size-1 axis may differ), "
            f"received y_true.shape={tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}.")
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, y_pred.device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                             f"num_classes), found shape: {tuple(y_pred.shape)}")
        if not -y_pred.shape[-1] <= class_id < y_pred.shape[-1]:
            raise ValueError(f"{owner}: class_id={class_id} is out of range for predictions with "
                             f"{y_pred.shape[-1]} classes.")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    weights = None
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        label_weights = torch.broadcast_to(label_weights.to(dtype=dtype, device=y_pred.device).unsqueeze(0),
                                           y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if evenly_distributed:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        counts = _bucketed(variables, y_true, y_pred, thresholds, multi_label, weights, with_epsilon)
    else:
        values = _threshold_tensor(tuple(thresholds), dtype, y_pred.device)
        counts = _compared(variables, y_true, y_pred, values, multi_label, weights)
    for name, variable in variables.items():
        variable.add_(counts[name].to(variable.dtype))

