"""Sequence losses: connectionist temporal classification (CTC) on torch's fused
kernel, as a function and a :class:`~torch_keraslike.losses.Loss` class.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import ctc
    >>> round(float(ctc(torch.tensor([[1, 0]]), torch.zeros(1, 2, 3))[0]), 4)
    1.0986
"""

import torch
import torch.nn.functional as F

from .loss import BuiltinLoss, to_tensor

__all__ = ["CTC", "ctc"]


def ctc(y_true, y_pred):
    """Per-sample CTC loss.

    Class 0 is the blank, and every 0 in ``y_true`` is padding (a sequence's length is
    its count of non-zero labels), so real labels are ``1..classes-1``. Every prediction
    uses all its time steps.

    Args:
        y_true: ``(batch, max_label_length)`` integer labels, 0-padded.
        y_pred: ``(batch, time, classes)`` logits (log-softmax is applied).

    Returns:
        ``(batch,)`` negative log-likelihoods.
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    if y_true.dim() != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
            f"integer format. Received: y_true.shape={tuple(y_true.shape)}")
    if y_pred.dim() != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
            f"num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"ctc: y_true holds {y_true.shape[0]} label sequences but y_pred {y_pred.shape[0]} "
            "predictions. Fix: pass one label sequence per prediction.")
    if y_pred.dtype not in (torch.float32, torch.float64):
        y_pred = y_pred.float()  # torch's kernel (like TensorFlow's) computes in float32
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    labels = y_true.long()
    label_lengths = (labels != 0).sum(dim=-1)
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    log_probs = F.log_softmax(y_pred.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, labels, input_lengths, label_lengths, blank=0, reduction="none")


class CTC(BuiltinLoss):
    """CTC loss (see :func:`ctc`).

    Args:
        reduction, name, dtype: see :class:`~torch_keraslike.losses.Loss`.
    """

    target_kind = None

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)
