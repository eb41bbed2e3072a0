"""Intersection-over-union metrics for segmentation and classification, from a
running confusion matrix: ``IoU`` (chosen classes), ``MeanIoU`` (all classes),
``BinaryIoU`` (thresholded probabilities) and the one-hot variants.

The IoU of a class is ``TP / (TP + FP + FN)``; classes that never occur (neither in the
targets nor the predictions) are left out of the mean.

Example:
    >>> import torch
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    >>> float(m.result())
    0.3333333432674408
"""

import warnings

import torch

from .. import config
from ..losses._args import check_axis, check_bool, check_float, check_int
from ..losses.loss import to_tensor
from .metric import Metric

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class _IoUBase(Metric):
    """The running ``(num_classes, num_classes)`` confusion matrix (rows: targets,
    columns: predictions), weighted."""

    _direction = "up"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        owner = type(self).__name__
        self.num_classes = check_int(num_classes, "num_classes", owner, low=1)
        self.ignore_class = check_int(ignore_class, "ignore_class", owner, allow_none=True)
        self.sparse_y_true = check_bool(sparse_y_true, "sparse_y_true", owner)
        self.sparse_y_pred = check_bool(sparse_y_pred, "sparse_y_pred", owner)
        self.axis = check_axis(axis, owner)
        self.total_cm = self.add_variable(shape=(self.num_classes, self.num_classes), initializer="zeros",
                                          dtype=self._dtype, name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch to the confusion matrix.

        Args:
            y_true: class ids (or one-hot, with ``sparse_y_true=False``).
            y_pred: class ids (or scores, with ``sparse_y_pred=False``: the argmax is taken).
            sample_weight: optional weights per entry.
        """
        y_pred = to_tensor(y_pred)
        y_true = to_tensor(y_true, device=y_pred.device)
        if not self.sparse_y_true:
            y_true = y_true.argmax(dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(dim=self.axis)
        y_true = y_true.to(self._dtype).reshape(-1)
        y_pred = y_pred.to(self._dtype).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f'Metric "{self.name}" ({type(self).__name__}): y_true and y_pred must hold the same number '
                f"of class ids, received {y_true.numel()} and {y_pred.numel()}.")
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = to_tensor(sample_weight, device=y_true.device)
            if weight.is_floating_point() and not self._dtype.is_floating_point:
                warnings.warn("You are passing weight as `float`, but dtype is `int`. This may result in an "
                              "incorrect weight due to type casting Consider using integer weights.",
                              stacklevel=2)
            weight = torch.broadcast_to(weight.to(self._dtype).reshape(-1) if weight.dim() > 1
                                        else weight.to(self._dtype), y_true.shape)
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        cells = torch.where(valid, y_true * self.num_classes + y_pred, 0).long()
        weight = torch.where(valid, weight, 0).to(self.total_cm.dtype)
        self.total_cm.view(-1).scatter_add_(0, cells, weight)

    def _iou(self, class_ids):
        """Mean IoU of ``class_ids`` over the classes that occur."""
        matrix = self.total_cm
        predicted = matrix.sum(dim=0).to(torch.float32)
        actual = matrix.sum(dim=1).to(torch.float32)
        true_positives = torch.diagonal(matrix).to(torch.float32)
        denominator = predicted + actual - true_positives
        ids = torch.as_tensor(class_ids, dtype=torch.long, device=matrix.device)
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = denominator > 1e-9
        epsilon = config.epsilon()
        iou = torch.where(valid, true_positives / (denominator + epsilon), 0.0)
        return iou.sum() / (valid.to(torch.float32).sum() + epsilon)


def _target_ids(target_class_ids, num_classes, owner):
    ids = list(target_class_ids) if isinstance(target_class_ids, (list, tuple, range)) else None
    if not ids or any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in ids):
        raise ValueError(f"{owner}: `target_class_ids` must be a non-empty list of class ids (ints >= 0), "
                         f"received {target_class_ids!r}.")
    if max(ids) >= num_classes:
        raise ValueError(f"Target class id {max(ids)} is out of range, which is [0, {num_classes}).")
    return ids


class IoU(_IoUBase):
    """Mean intersection-over-union of the classes ``target_class_ids``.

    Args:
        num_classes: number of classes (> 0).
        target_class_ids: the classes to average over.
        name: name of the metric.
        dtype: dtype of the confusion matrix (default ``"int32"``).
        ignore_class: a target class left out (e.g. padding).
        sparse_y_true: ``y_true`` holds class ids (False: one-hot/scores, argmax taken).
        sparse_y_pred: ``y_pred`` holds class ids (False: scores, argmax taken).
        axis: the class axis for the argmax.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = _target_ids(target_class_ids, self.num_classes, type(self).__name__)

    def result(self):
        return self._iou(self.target_class_ids)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary predictions: probabilities ``>= threshold`` are class 1.

    Args:
        target_class_ids: which of the classes 0 and 1 to average over.
        threshold: the decision threshold.
        name: name of the metric.
        dtype: dtype of the confusion matrix.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = check_float(threshold, "threshold", "BinaryIoU")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch (``y_true`` 0/1, ``y_pred`` probabilities)."""
        y_pred = to_tensor(y_pred, torch.float32)
        super().update_state(y_true, (y_pred >= self.threshold).to(self._dtype), sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """Mean IoU over all ``num_classes`` classes; arguments as :class:`IoU` without
    ``target_class_ids``."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        check_int(num_classes, "num_classes", "MeanIoU", low=1)
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred,
                         axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot targets (and scores, unless ``sparse_y_pred``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot targets (and scores, unless ``sparse_y_pred``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
