"""Confusion-matrix metrics for binary (or one-vs-rest) classification: the raw counts
(``TruePositives``...), ``Precision``, ``Recall``, the operating-point metrics
(``SensitivityAtSpecificity``...) and ``AUC``.

Predictions are scores in ``[0, 1]``; a prediction is positive at threshold ``t`` when
it is ``> t``. With several thresholds the state holds one count per threshold.

Example:
    >>> import torch
    >>> m = AUC()
    >>> m.update_state(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9]))
    >>> round(float(m.result()), 4)
    0.75
"""

import torch

from .. import config
from ..losses._args import check_bool, check_int
from ._confusion_matrix import (
    NEG_INF,
    divide_no_nan,
    is_evenly_distributed,
    parse_thresholds,
    update_confusion_matrix,
)
from .metric import Metric

__all__ = [
    "AUC",
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "PrecisionAtRecall",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "TrueNegatives",
    "TruePositives",
]


def _label(metric):
    return f'Metric "{metric.name}" ({type(metric).__name__})'


def _one_or_all(values, thresholds):
    return values[0] if len(thresholds) == 1 else values


class _ConfusionMatrixConditionCount(Metric):
    """One confusion-matrix cell, weighted, at each threshold."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5)
        self._evenly = is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted count (``y_true`` 0/1, ``y_pred`` scores)."""
        update_confusion_matrix({self._condition: self.accumulator}, y_true, y_pred, self.thresholds,
                                sample_weight=sample_weight, evenly_distributed=self._evenly,
                                owner=_label(self))

    def result(self):
        return _one_or_all(self.accumulator, self.thresholds).clone()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5); one count
            per threshold.
        name: name of the metric.
        dtype: dtype of the state.
    """

    _condition = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives; arguments as :class:`TruePositives`."""

    _condition = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives; arguments as :class:`TruePositives`."""

    _condition = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives; arguments as :class:`TruePositives`."""

    _condition = "fn"


class _PrecisionRecall(Metric):
    _direction = "up"
    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = check_int(top_k, "top_k", owner, low=1, allow_none=True)
        self.class_id = check_int(class_id, "class_id", owner, allow_none=True)
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = is_evenly_distributed(self.thresholds)
        for cell, attribute in self._counts:
            setattr(self, attribute, self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                                       name=attribute))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted counts (``y_true`` 0/1, ``y_pred`` scores)."""
        update_confusion_matrix({cell: getattr(self, attribute) for cell, attribute in self._counts},
                                y_true, y_pred, self.thresholds, top_k=self.top_k, class_id=self.class_id,
                                sample_weight=sample_weight, evenly_distributed=self._evenly,
                                owner=_label(self))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision ``tp / (tp + fp)`` of the predictions.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5; with ``top_k``,
            every top-k prediction counts); one precision per threshold.
        top_k: only each row's ``k`` highest predictions may be positive.
        class_id: the class (last axis) to compute the precision of.
        name: name of the metric.
        dtype: dtype of the state.
    """

    _counts = (("tp", "true_positives"), ("fp", "false_positives"))

    def result(self):
        values = divide_no_nan(self.true_positives, self.true_positives + self.false_positives)
        return _one_or_all(values, self.thresholds)


class Recall(_PrecisionRecall):
    """Recall ``tp / (tp + fn)`` of the predictions; arguments as :class:`Precision`."""

    _counts = (("tp", "true_positives"), ("fn", "false_negatives"))

    def result(self):
        values = divide_no_nan(self.true_positives, self.true_positives + self.false_negatives)
        return _one_or_all(values, self.thresholds)


class _SensitivitySpecificityBase(Metric):
    """The best value of one rate at the thresholds where another reaches ``value``."""

    _direction = "up"
    _target = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"Argument `{self._target}` must be in the range [0, 1]. Received: "
                             f"{self._target}={value!r}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds!r}")
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._target, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = check_int(class_id, "class_id", owner, allow_none=True)
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._evenly = True
        for attribute in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, attribute, self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                                       name=attribute))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted counts (``y_true`` 0/1, ``y_pred`` scores)."""
        update_confusion_matrix(
            {"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
             "fn": self.false_negatives}, y_true, y_pred, self.thresholds, class_id=self.class_id,
            sample_weight=sample_weight, evenly_distributed=self._evenly, owner=_label(self))

    def _rates(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        return {"sensitivity": divide_no_nan(tp, tp + fn), "specificity": divide_no_nan(tn, tn + fp),
                "recall": divide_no_nan(tp, tp + fn), "precision": divide_no_nan(tp, tp + fp)}

    def _best(self, constrained, dependent):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return torch.clamp(torch.where(feasible, rates[dependent], 0.0).amax(), min=0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._target: self.value}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) where the specificity is at least ``specificity``.

    Args:
        specificity: in ``[0, 1]``.
        num_thresholds: number of evenly spaced thresholds (> 0).
        class_id: the class (last axis) to compute the metric for.
        name: name of the metric.
        dtype: dtype of the state.
    """

    _target = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity where the sensitivity is at least ``sensitivity``; arguments
    as :class:`SensitivityAtSpecificity`."""

    _target = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision where the recall is at least ``recall``; arguments as
    :class:`SensitivityAtSpecificity`."""

    _target = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("recall", "precision")


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall where the precision is at least ``precision``; arguments as
    :class:`SensitivityAtSpecificity`."""

    _target = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("precision", "recall")


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _curve(value):
    key = value if isinstance(value, str) else getattr(value, "value", value)
    if not isinstance(key, str) or key not in ("pr", "PR", "roc", "ROC", "prgain", "PRGAIN"):
        raise ValueError(f'Invalid AUC curve value: "{value}". Expected values are ["PR", "ROC", "PRGAIN"]')
    return _CURVES[key.lower()]


def _summation(value):
    key = value if isinstance(value, str) else getattr(value, "value", value)
    if not isinstance(key, str) or key not in ("interpolation", "Interpolation", "majoring", "Majoring",
                                               "minoring", "Minoring"):
        raise ValueError(f'Invalid AUC summation method value: "{value}". Expected values are '
                         '["interpolation", "majoring", "minoring"]')
    return key.lower()


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over
    ``num_thresholds`` thresholds.

    Args:
        num_thresholds: number of thresholds (> 1), evenly spaced in ``[0, 1]``.
        curve: ``"ROC"`` (default), ``"PR"`` (precision-recall) or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (default; for PR Davis and Goadrich's
            interpolation), ``"minoring"`` or ``"majoring"``.
        name: name of the metric.
        dtype: dtype of the state.
        thresholds: explicit thresholds in ``[0, 1]`` instead of ``num_thresholds``.
        multi_label: one curve per label (column of 2-D data), averaged; otherwise the
            labels are pooled.
        num_labels: number of labels with ``multi_label`` (else the state is created at
            the first update).
        label_weights: per-label weights of the average (multi-label) or of the counts.
        from_logits: ``y_pred`` holds logits (a sigmoid is applied).
    """

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        self.curve = _curve(curve)
        self.summation_method = _summation(summation_method)
        self._init_from_thresholds = thresholds is not None
        epsilon = config.epsilon()
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds!r}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - epsilon] + inner + [1.0 + epsilon]
        super().__init__(name=name, dtype=dtype)
        self.multi_label = check_bool(multi_label, "multi_label", "AUC")
        self.num_labels = check_int(num_labels, "num_labels", "AUC", low=1, allow_none=True)
        self._from_logits = check_bool(from_logits, "from_logits", "AUC")
        self.label_weights = None if label_weights is None else torch.as_tensor(label_weights, dtype=self._dtype)
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds (with the two outer ones just outside ``[0, 1]``)."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                                 f"Full shape received for `y_pred`: {tuple(shape)}")
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        for attribute in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, attribute, self.add_variable(shape=variable_shape, initializer="zeros", name=attribute))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted counts (``y_true`` 0/1, ``y_pred`` scores)."""
        if not self._built:
            self._build(tuple(torch.as_tensor(y_pred).shape))
        if self._from_logits:
            y_pred = torch.sigmoid(torch.as_tensor(y_pred))
        update_confusion_matrix(
            {"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
             "fn": self.false_negatives}, y_true, y_pred, self._thresholds, sample_weight=sample_weight,
            multi_label=self.multi_label, label_weights=None if self.multi_label else self.label_weights,
            evenly_distributed=self._evenly, owner=_label(self))

    def _average(self, by_label):
        if not self.multi_label:
            return by_label.sum()
        by_label = by_label.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        weights = self.label_weights.to(by_label.device)
        return divide_no_nan((by_label * weights).sum(), weights.sum())

    def interpolate_pr_auc(self):
        """The PR-AUC with Davis and Goadrich's interpolation between thresholds."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        count = self.num_thresholds
        dtp = tp[: count - 1] - tp[1:]
        positives = tp + fp
        dp = positives[: count - 1] - positives[1:]
        slope = divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - slope * positives[1:]
        both = (positives[: count - 1] > 0) & (positives[1:] > 0)
        ratio = torch.where(both, divide_no_nan(positives[: count - 1], torch.clamp(positives[1:], min=0)),
                            torch.ones_like(positives[1:]))
        increments = divide_no_nan(slope * (dtp + intercept * torch.log(ratio)),
                                   torch.clamp(tp[1:] + fn[1:], min=0))
        return self._average(increments)

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            x = torch.clamp(torch.where(tp == 0, 0.0, recall_gain), min=0.0)
            y = torch.where(tp == 0, 1.0, precision_gain)
        count = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: count - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[: count - 1], y[1:])
        else:
            heights = torch.maximum(y[: count - 1], y[1:])
        return self._average((x[: count - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config

