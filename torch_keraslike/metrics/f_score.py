"""F-scores: ``FBetaScore`` and ``F1Score`` for multi-label or multi-class
predictions, from weighted true positive, false positive and false negative counts.

Inputs are 2-D ``(batch, classes)``: 0/1 targets and scores. With ``threshold=None``
each row's highest score is its (only) predicted class; with a threshold every score
above it counts as positive.

Example:
    >>> import torch
    >>> m = F1Score(average="micro", threshold=0.5)
    >>> m.update_state(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([[0.9, 0.2], [0.3, 0.8]]))
    >>> round(float(m.result()), 4)
    0.8
"""

import torch

from .. import config
from ..losses.loss import to_tensor
from .metric import Metric

__all__ = ["F1Score", "FBetaScore"]

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score ``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)``.

    Args:
        average: None (one score per class), ``"micro"`` (counts pooled over classes),
            ``"macro"`` (mean of the class scores) or ``"weighted"`` (mean weighted by
            each class's number of true instances).
        beta: positive float; recall weighs ``beta`` times as much as precision.
        threshold: None (the argmax of each row is positive) or a float in ``(0, 1]``.
        name: name of the metric.
        dtype: dtype of the state.
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average!r}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. Received: "
                             f"beta={beta!r} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python float. "
                                 f"Received: threshold={threshold!r} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                                 f"Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={pred_shape} and y_true.shape={true_shape}.")
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, name, self.add_variable(shape=shape, initializer="zeros", dtype=self._dtype, name=name))
        self._built = True

    def _sum(self, values, sample_weight):
        if sample_weight is not None:
            values = values * sample_weight.unsqueeze(1)
        return values.sum() if self.axis is None else values.sum(dim=self.axis)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._dtype)
        y_true = to_tensor(y_true, self._dtype, y_pred.device)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        elif y_pred.dim() != 2 or y_true.shape != y_pred.shape or (
                self.average != "micro" and y_pred.shape[-1] != self.true_positives.shape[0]):
            raise ValueError(
                f"{type(self).__name__} received y_true.shape={tuple(y_true.shape)} and "
                f"y_pred.shape={tuple(y_pred.shape)}; expected both (batch_size, output_dim) with the "
                "output_dim of the first update.")
        if self.threshold is None:
            highest = y_pred.amax(dim=-1, keepdim=True)
            y_pred = (y_pred >= highest) & (y_pred.abs() > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(self._dtype)
        if sample_weight is not None:
            sample_weight = to_tensor(sample_weight, self._dtype, y_pred.device)
        self.true_positives.add_(self._sum(y_pred * y_true, sample_weight))
        self.false_positives.add_(self._sum(y_pred * (1 - y_true), sample_weight))
        self.false_negatives.add_(self._sum((1 - y_pred) * y_true, sample_weight))
        self.intermediate_weights.add_(self._sum(y_true, sample_weight))

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._dtype)
        epsilon = config.epsilon()
        precision = self.true_positives / (self.true_positives + self.false_positives + epsilon)
        recall = self.true_positives / (self.true_positives + self.false_negatives + epsilon)
        beta2 = self.beta ** 2
        score = (precision * recall) / (beta2 * precision + recall + epsilon) * (1 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + epsilon)
            return torch.sum(score * weights)
        if self.average is not None:
            return score.mean()
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score: :class:`FBetaScore` with ``beta=1`` (the harmonic mean of
    precision and recall).

    Args:
        average: see :class:`FBetaScore`.
        threshold: see :class:`FBetaScore`.
        name: name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config

