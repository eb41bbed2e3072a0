"""Metric learning: the Circle loss over the pairs of a batch of embeddings, as a
function and a :class:`~torch_keraslike.losses.Loss` class.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import Circle
    >>> embeddings = torch.nn.functional.normalize(torch.tensor([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0]]), dim=1)
    >>> float(Circle()(torch.tensor([0, 0, 1]), embeddings)) < 1.0
    True
"""

import torch
import torch.nn.functional as F

from ._args import check_bool, check_float
from .loss import BuiltinLoss, set_values_mask, to_tensor

__all__ = ["Circle", "circle"]


def _pair_masks(query_labels, key_labels, remove_diagonal):
    """Same-label (positive) and different-label (negative) pairs; the diagonal (a
    sample with itself) is not a positive pair when ``remove_diagonal``."""
    positive = query_labels.reshape(-1, 1) == key_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~torch.eye(positive.shape[0], positive.shape[1], dtype=torch.bool,
                                         device=positive.device)
    return positive, negative


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Per-sample Circle loss: pulls same-label embeddings together and pushes the
    others apart, each pair weighted by how far it is from its optimum.

    Args:
        y_true: ``(N,)`` integer labels of the embeddings.
        y_pred: ``(N, D)`` L2-normalised embeddings.
        ref_labels: labels of the reference embeddings (default ``y_true``).
        ref_embeddings: ``(M, D)`` reference embeddings (default ``y_pred``).
        remove_diagonal: leave out the pair of a sample with itself.
        gamma: scale factor.
        margin: relaxation margin.

    Returns:
        ``(N,)`` losses; samples with a zero loss are masked out of the mean.
    """
    y_pred = to_tensor(y_pred)
    labels = to_tensor(y_true, device=y_pred.device).to(torch.int32)
    references = y_pred if ref_embeddings is None else to_tensor(ref_embeddings, y_pred.dtype, y_pred.device)
    ref_labels = labels if ref_labels is None else to_tensor(ref_labels, device=y_pred.device).to(torch.int32)
    distances = torch.clamp(1 - y_pred @ references.T, min=0.0)
    positive, negative = _pair_masks(labels, ref_labels, remove_diagonal)
    positive_weights = torch.clamp((margin + distances) * positive, min=0.0)
    negative_weights = torch.clamp((1 + margin - distances) * negative, min=0.0)
    positive_terms = -gamma * positive_weights * (margin - distances)
    negative_terms = gamma * negative_weights * (1 - margin - distances)
    minus_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    positive_loss = torch.logsumexp(torch.where(positive, positive_terms, minus_inf), dim=1)
    negative_loss = torch.logsumexp(torch.where(negative, negative_terms, minus_inf), dim=1)
    loss = F.softplus(positive_loss + negative_loss)
    return set_values_mask(loss, loss > 0)


class Circle(BuiltinLoss):
    """The Circle loss (see :func:`circle`); ``y_true`` are integer labels, ``y_pred``
    L2-normalised embeddings.

    Args:
        gamma: scale factor (> 0).
        margin: relaxation margin.
        remove_diagonal: leave out the pair of a sample with itself.
        reduction, name, dtype: see :class:`~torch_keraslike.losses.Loss`.
    """

    target_kind = None
    _options = ("gamma", "margin", "remove_diagonal")

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        self.gamma = check_float(gamma, "gamma", "Circle", low=0.0, low_open=True)
        self.margin = check_float(margin, "margin", "Circle")
        self.remove_diagonal = check_bool(remove_diagonal, "remove_diagonal", "Circle")
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=self.gamma,
                         margin=self.margin, remove_diagonal=self.remove_diagonal)
