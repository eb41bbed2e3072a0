"""Probabilistic losses: binary, categorical and sparse cross-entropies (with their
focal variants), Kullback-Leibler divergence, Poisson and the generalized
cross-entropy, as functions (per-sample values) and :class:`~torch_keraslike.losses.Loss`
classes.

``from_logits=False`` (Keras's default) means ``y_pred`` holds probabilities: they are
clipped to ``[epsilon, 1 - epsilon]`` (``tkl.config.epsilon()``) before the logarithm,
as Keras does; categorical probabilities are first renormalised to sum to 1.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import SparseCategoricalCrossentropy
    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(torch.tensor([0, 1]), torch.tensor([[2.0, 0.0], [0.0, 2.0]]))), 4)
    0.1269
"""

import warnings

import torch
import torch.nn.functional as F

from .. import config
from .._numerics import clip_probabilities
from ._args import check_axis, check_bool, check_float, check_int
from .loss import BuiltinLoss, pair, set_values_mask, squeeze_or_expand_to_same_rank, to_tensor

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "kl_divergence",
    "poisson",
    "sparse_categorical_crossentropy",
]


def _same_shape(y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}. Fix: pass "
            "targets shaped like the predictions (one-hot for categorical losses; integer labels "
            "go with sparse_categorical_crossentropy)."
        )


def _smooth(y_true, label_smoothing, classes):
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / classes


def _binary_elements(y_true, y_pred, from_logits):
    """Element-wise binary cross-entropy (torch's fused kernels; probabilities clipped)."""
    _same_shape(y_true, y_pred)
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    return F.binary_cross_entropy(clip_probabilities(y_pred), y_true, reduction="none")


def _log_probabilities(y_pred, from_logits, axis):
    if from_logits:
        return F.log_softmax(y_pred, dim=axis)
    return torch.log(clip_probabilities(y_pred / y_pred.sum(dim=axis, keepdim=True)))


def _warn_single_class(y_pred, fn):
    if y_pred.dim() and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn}, expected y_pred.shape to be (batch_size, num_classes) with num_classes > 1. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}. Consider using 'binary_crossentropy' if "
            "you only have 2 classes.", SyntaxWarning, stacklevel=3)


# ------------------------------------------------------------------ functions
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy, averaged over ``axis``.

    Args:
        y_true: 0/1 targets, the shape of ``y_pred``.
        y_pred: probabilities, or logits with ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: squeezes the targets towards 0.5 by this fraction.
        axis: the axis averaged over.
    """
    y_true, y_pred = pair(y_true, y_pred, align=False)
    y_true = _smooth(y_true, label_smoothing, 2.0)
    return _binary_elements(y_true, y_pred, from_logits).mean(dim=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample focal binary cross-entropy: each element's cross-entropy times
    ``(1 - p_t) ** gamma`` (``p_t`` the probability given to the true class), times
    ``alpha`` for positives and ``1 - alpha`` for negatives with
    ``apply_class_balancing``; averaged over ``axis``."""
    y_true, y_pred = pair(y_true, y_pred, align=False)
    y_true = _smooth(y_true, label_smoothing, 2.0)
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _binary_elements(y_true, y_pred, False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return focal.mean(dim=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample ``-sum(y_true * log(p), axis)`` for one-hot (or soft) targets.

    Args:
        y_true: targets, the shape of ``y_pred``.
        y_pred: class probabilities (renormalised to sum to 1), or logits.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: mixes the targets with the uniform distribution.
        axis: the class axis.
    """
    axis = check_axis(axis, "categorical_crossentropy")
    y_true, y_pred = pair(y_true, y_pred, align=False)
    _warn_single_class(y_pred, "categorical_crossentropy")
    _same_shape(y_true, y_pred)
    if y_pred.dim() < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}.")
    y_true = _smooth(y_true, label_smoothing, y_true.shape[-1])
    return -torch.sum(y_true * _log_probabilities(y_pred, from_logits, axis), dim=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample focal categorical cross-entropy: ``-sum(alpha * (1 - p)**gamma *
    y_true * log(p), axis)`` with ``p`` the (clipped) class probabilities."""
    axis = check_axis(axis, "categorical_focal_crossentropy")
    y_true, y_pred = pair(y_true, y_pred, align=False)
    _warn_single_class(y_pred, "categorical_focal_crossentropy")
    _same_shape(y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, y_true.shape[-1])
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    probabilities = clip_probabilities(y_pred / y_pred.sum(dim=axis, keepdim=True))
    cross = -y_true * torch.log(probabilities)
    return torch.sum(alpha * torch.pow(1.0 - probabilities, gamma) * cross, dim=axis)


def _labels(y_true, y_pred, axis):
    """Integer class labels, without a size-1 class axis, checked against ``y_pred``."""
    if y_true.dim() == y_pred.dim() and y_true.dim() and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    if y_pred.dim() < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={tuple(y_pred.shape)}")
    expected = list(y_pred.shape)
    del expected[axis]
    if list(y_true.shape) != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}. Fix: pass one "
            "integer class index per prediction (one-hot targets go with categorical_crossentropy)."
        )
    return y_true if y_true.dtype == torch.long else y_true.long()


def _sparse_values(labels, y_pred, from_logits, axis):
    if y_pred.dim() == 1:
        return _sparse_values(labels.unsqueeze(0), y_pred.unsqueeze(0), from_logits, -1).squeeze(0)
    scores = y_pred if axis % y_pred.dim() == 1 else y_pred.movedim(axis, 1)
    if from_logits:
        return F.cross_entropy(scores, labels, reduction="none")
    return F.nll_loss(_log_probabilities(scores, False, 1), labels, reduction="none")


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample cross-entropy with integer class labels.

    Args:
        y_true: class indices, ``y_pred``'s shape without the class axis (a trailing
            size-1 axis is accepted).
        y_pred: class probabilities (renormalised) or logits.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label value whose entries get loss 0 and are masked out of the
            mean (e.g. padding in segmentation maps).
        axis: the class axis of ``y_pred``.
    """
    axis = check_axis(axis, "sparse_categorical_crossentropy")
    y_pred = to_tensor(y_pred)
    labels = _labels(to_tensor(y_true, device=y_pred.device), y_pred, axis)
    if ignore_class is None:
        return _sparse_values(labels, y_pred, from_logits, axis)
    valid = labels != ignore_class
    values = _sparse_values(torch.where(valid, labels, 0), y_pred, from_logits, axis)
    return set_values_mask(torch.where(valid, values, 0.0), valid)


def kl_divergence(y_true, y_pred):
    """Per-sample Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``,
    both clipped to ``[epsilon, 1]``."""
    y_true, y_pred = pair(y_true, y_pred, align=False)
    epsilon = config.epsilon()
    y_true = torch.clamp(y_true, epsilon, 1.0)
    y_pred = torch.clamp(y_pred, epsilon, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true, y_pred):
    """Per-sample Poisson loss ``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_true, y_pred = pair(y_true, y_pred, align=False)
    return (y_pred - y_true * torch.log(y_pred + config.epsilon())).mean(dim=-1)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Per-sample generalized cross-entropy ``(1 - p**q) / q`` with ``p`` the probability
    ``y_pred`` gives to the integer label ``y_true`` (robust to noisy labels; ``q -> 0``
    is the cross-entropy, ``q = 1`` the mean absolute error).

    Args:
        y_true: integer class labels, ``y_pred``'s shape without the class axis.
        y_pred: class probabilities.
        q: in ``(0, 1)``.
    """
    y_pred = to_tensor(y_pred)
    labels = _labels(to_tensor(y_true, device=y_pred.device), y_pred, -1)
    probability = torch.gather(y_pred, -1, labels.unsqueeze(-1)).squeeze(-1)
    return (1 - torch.pow(probability, q)) / q


# -------------------------------------------------------------------- classes
def _logits_and_smoothing(loss, from_logits, label_smoothing):
    owner = type(loss).__name__
    loss.from_logits = check_bool(from_logits, "from_logits", owner)
    loss.label_smoothing = check_float(label_smoothing, "label_smoothing", owner, 0.0, 1.0)


def _focal(loss, alpha, gamma):
    owner = type(loss).__name__
    loss.alpha = check_float(alpha, "alpha", owner, 0.0, 1.0)
    loss.gamma = check_float(gamma, "gamma", owner, low=0.0)


class BinaryCrossentropy(BuiltinLoss):
    """Binary cross-entropy for 0/1 targets.

    Args:
        from_logits: ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in ``[0, 1]``; squeezes the targets towards 0.5.
        axis: the axis averaged over per sample.
        reduction, name, dtype: see :class:`~torch_keraslike.losses.Loss`.

    Example:
        >>> import torch
        >>> loss = BinaryCrossentropy(from_logits=True)
        >>> round(float(loss(torch.tensor([[1.0], [0.0]]), torch.tensor([[3.0], [-3.0]]))), 4)
        0.0486
    """

    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        _logits_and_smoothing(self, from_logits, label_smoothing)
        self.axis = check_axis(axis, "BinaryCrossentropy")
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis)

    def _mean(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape or y_pred.dim() == 0 or not y_pred.numel():
            return super()._mean(y_true, y_pred)
        y_true = _smooth(y_true, self.label_smoothing, 2.0)
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(y_pred, y_true)
        return F.binary_cross_entropy(clip_probabilities(y_pred), y_true)


class BinaryFocalCrossentropy(BuiltinLoss):
    """Focal binary cross-entropy (see :func:`binary_focal_crossentropy`): down-weights
    easy examples so training focuses on hard ones.

    Args:
        apply_class_balancing: weight positives by ``alpha``, negatives by ``1 - alpha``.
        alpha: in ``[0, 1]``.
        gamma: focusing parameter ``>= 0`` (0 gives the binary cross-entropy).
        from_logits, label_smoothing, axis, reduction, name, dtype: see :class:`BinaryCrossentropy`.
    """

    _options = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        _logits_and_smoothing(self, from_logits, label_smoothing)
        _focal(self, alpha, gamma)
        self.apply_class_balancing = check_bool(apply_class_balancing, "apply_class_balancing",
                                                "BinaryFocalCrossentropy")
        self.axis = check_axis(axis, "BinaryFocalCrossentropy")
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=self.apply_class_balancing, alpha=self.alpha,
                         gamma=self.gamma, from_logits=self.from_logits,
                         label_smoothing=self.label_smoothing, axis=self.axis)


class CategoricalCrossentropy(BuiltinLoss):
    """Cross-entropy for one-hot (or soft) targets shaped like ``y_pred``.

    Args:
        from_logits: ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in ``[0, 1]``; mixes the targets with the uniform distribution.
        axis: the class axis.
        reduction, name, dtype: see :class:`~torch_keraslike.losses.Loss`.
    """

    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        _logits_and_smoothing(self, from_logits, label_smoothing)
        self.axis = check_axis(axis, "CategoricalCrossentropy")
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis)


class CategoricalFocalCrossentropy(BuiltinLoss):
    """Focal categorical cross-entropy (see :func:`categorical_focal_crossentropy`).

    Args:
        alpha: in ``[0, 1]``, the weight of every class.
        gamma: focusing parameter ``>= 0``.
        from_logits, label_smoothing, axis, reduction, name, dtype: see
            :class:`CategoricalCrossentropy`.
    """

    _options = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        _logits_and_smoothing(self, from_logits, label_smoothing)
        _focal(self, alpha, gamma)
        self.axis = check_axis(axis, "CategoricalFocalCrossentropy")
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         alpha=self.alpha, gamma=self.gamma, from_logits=self.from_logits,
                         label_smoothing=self.label_smoothing, axis=self.axis)


class SparseCategoricalCrossentropy(BuiltinLoss):
    """Cross-entropy for integer class labels (``y_pred`` has one more axis).

    Args:
        from_logits: ``y_pred`` holds logits instead of probabilities.
        ignore_class: a label whose entries are left out of the loss and its mean.
        reduction: see :class:`~torch_keraslike.losses.Loss`.
        axis: the class axis of ``y_pred``.
        name, dtype: see :class:`~torch_keraslike.losses.Loss`.
    """

    target_kind = "sparse"
    _options = ("from_logits", "ignore_class", "axis")

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        owner = "SparseCategoricalCrossentropy"
        self.from_logits = check_bool(from_logits, "from_logits", owner)
        self.ignore_class = check_int(ignore_class, "ignore_class", owner, allow_none=True)
        self.axis = check_axis(axis, owner)
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=self.from_logits, ignore_class=self.ignore_class, axis=self.axis)

    def _mean(self, y_true, y_pred):
        if self.ignore_class is not None:
            return super()._mean(y_true, y_pred)
        labels = _labels(y_true, y_pred, self.axis)
        if not labels.numel():
            return super()._mean(y_true, y_pred)
        if y_pred.dim() == 1:
            labels, y_pred = labels.unsqueeze(0), y_pred.unsqueeze(0)
            axis = 1
        else:
            axis = self.axis % y_pred.dim()
        scores = y_pred if axis == 1 else y_pred.movedim(axis, 1)
        if self.from_logits:
            return F.cross_entropy(scores, labels)
        return F.nll_loss(_log_probabilities(scores, False, 1), labels)


class KLDivergence(BuiltinLoss):
    """Kullback-Leibler divergence between target and predicted distributions (see
    :func:`kl_divergence`)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(BuiltinLoss):
    """Poisson loss for count targets (see :func:`poisson`)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class CategoricalGeneralizedCrossEntropy(BuiltinLoss):
    """Generalized cross-entropy for integer labels and noisy data (see
    :func:`categorical_generalized_cross_entropy`).

    Args:
        q: in ``(0, 1)``: towards 0 the cross-entropy, towards 1 the mean absolute error.
        reduction, name, dtype: see :class:`~torch_keraslike.losses.Loss`.
    """

    target_kind = "sparse"
    _options = ("q",)

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in the interval (0, 1), received q={q!r}.")
        self.q = float(q)
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype,
                         q=self.q)
