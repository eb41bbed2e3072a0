"""Connectionist temporal classification of ``keras.ops.nn``: ``ctc_loss`` on torch's
fused kernel, and ``ctc_decode`` (greedy, or prefix beam search batched over the
whole batch: the search loops over time steps, never over samples).
"""

import torch
import torch.nn.functional as F

from ._base import canonical_axis, check_int, result_type, shape_str, tensors
from ._symbolic import exported, keras_op

_PAD = -1
# Odd 64-bit multiplier of the polynomial hash that finds identical beams.
_HASH_BASE = 0x9E3779B97F4A7C15 - 2**64


@keras_op("nn", keras_name="CTCLoss")
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss per sample.

    Args:
        target: ``(batch, max_label_length)`` integer labels.
        output: ``(batch, time, classes)`` logits (log-softmax is applied).
        target_length: ``(batch,)`` label lengths.
        output_length: ``(batch,)`` output lengths.
        mask_index: the blank class.

    Returns:
        ``(batch,)`` negative log-likelihoods.

    Example:
        >>> from torch_keraslike import ops
        >>> loss = ops.ctc_loss([[1]], ops.zeros((1, 2, 3)), [1], [2])
        >>> round(float(loss[0]), 4)
        1.0986
    """
    op = "ops.ctc_loss"
    target, output, target_length, output_length = tensors(target, output, target_length, output_length, op=op)
    if output.ndim != 3 or target.ndim != 2 or target.shape[0] != output.shape[0]:
        raise ValueError(
            f"{op} needs output (batch, time, classes) and target (batch, max_label_length) with the same "
            f"batch, received {shape_str(output.shape)} and {shape_str(target.shape)}."
        )
    output = output.to(result_type(output.dtype, "float32"))
    log_probs = F.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, target.long(), output_length.long(), target_length.long(),
                      blank=check_int(mask_index, op, "mask_index", minimum=0), reduction="none")


def _greedy(inputs, lengths, merge_repeated, mask_index):
    batch, steps, classes = inputs.shape
    mask_index = classes - 1 if mask_index is None else mask_index
    scores, indices = inputs.max(dim=-1)
    indices = indices.to(torch.int32)
    beyond = torch.arange(steps, device=inputs.device)[None, :] >= lengths[:, None]
    indices = torch.where(beyond, mask_index, indices)
    scores = torch.where(beyond, 0.0, scores)
    if merge_repeated:
        repeat = F.pad(indices[:, 1:] == indices[:, :-1], (1, 0))
        indices = torch.where(repeat, mask_index, indices)
    blank = indices == mask_index
    indices = torch.where(blank, _PAD, indices)
    # Move the kept labels to the front, in order; blanks (-1) fill the end.
    order = torch.where(blank, steps, torch.arange(steps, device=inputs.device)[None, :])
    indices = torch.take_along_dim(indices, torch.argsort(order, dim=-1, stable=True), dim=-1)
    return indices[None], -scores.sum(dim=1, keepdim=True)


def _unique_beams(paths):
    """Per sample, the group id of each beam (equal paths share one) and, per group,
    the path. ``paths``: ``(batch, beams, time)``."""
    batch, beams, steps = paths.shape
    powers = torch.full((steps,), _HASH_BASE, dtype=torch.int64, device=paths.device).cumprod(0)
    hashes = ((paths.long() + 2) * powers).sum(-1)  # int64 arithmetic wraps around
    order = torch.sort(hashes, dim=1, stable=True).indices
    ordered = torch.take_along_dim(paths, order[..., None], dim=1)
    ordered_hash = torch.take_along_dim(hashes, order, dim=1)
    new = (ordered_hash[:, 1:] != ordered_hash[:, :-1]) | (ordered[:, 1:] != ordered[:, :-1]).any(-1)
    group_sorted = torch.cumsum(F.pad(new, (1, 0), value=True).long(), dim=1) - 1
    groups = torch.empty_like(group_sorted).scatter_(1, order, group_sorted)
    unique = torch.full_like(paths, _PAD).scatter_(1, group_sorted[..., None].expand(-1, -1, steps), ordered)
    return groups, unique


def _merge(groups, scores, count):
    """Log-sum-exp of ``scores`` within each group: ``(batch, count)``."""
    peak = scores.amax(dim=1, keepdim=True)
    peak = torch.where(torch.isfinite(peak), peak, torch.zeros_like(peak))
    total = torch.zeros(scores.shape[0], count, dtype=scores.dtype, device=scores.device)
    total = total.scatter_add(1, groups, torch.exp(scores - peak))
    return torch.log(total) + peak


def _beam_search(inputs, lengths, beam_width, top_paths, mask_index):
    batch, steps, classes = inputs.shape
    mask_index = classes - 1 if mask_index is None else mask_index
    inputs = F.log_softmax(inputs, dim=-1)
    # Keras (following TensorFlow) breaks score ties toward higher class ids: flip the
    # classes, search, and flip them back.
    inputs = torch.flip(inputs, (2,))
    mask_index = classes - mask_index - 1
    device, width = inputs.device, 2 * beam_width
    first = min(classes, beam_width)
    best = torch.argsort(inputs[:, 0], dim=1, stable=True)[:, -first:]
    paths = torch.full((batch, width, steps), _PAD, dtype=torch.int64, device=device)
    paths[:, :first, 0] = torch.where(best == mask_index, _PAD, best)
    scores = torch.full((batch, width), -torch.inf, dtype=inputs.dtype, device=device)
    scores[:, :first] = torch.take_along_dim(inputs[:, 0], best, dim=1)
    masked = paths[:, :, 0] == _PAD
    class_ids = torch.arange(classes, device=device)
    class_ids[mask_index] = _PAD
    for t in range(1, steps):
        # Extend every beam by every class: a blank keeps the path (and marks it),
        # a repeat of the last label without a blank in between merges into it.
        ext = paths.repeat_interleave(classes, dim=1)
        ext_masked = masked.repeat_interleave(classes, dim=1)
        tail = (ext == _PAD).long().argmax(dim=-1)
        last = torch.take_along_dim(ext, (tail - 1).clamp(min=0)[..., None], dim=-1)[..., 0]
        last = torch.where(tail == 0, _PAD, last)
        labels = class_ids.repeat(width).expand(batch, -1)
        labels = torch.where(~ext_masked & (last == labels), _PAD, labels)
        ext = ext.scatter(2, tail[..., None], labels[..., None])  # tail is the first free (-1) slot
        ext_scores = scores.repeat_interleave(classes, dim=1) + inputs[:, t].repeat(1, width)
        now_masked = class_ids.repeat(width).expand(batch, -1) == _PAD
        groups, unique = _unique_beams(ext)
        count = unique.shape[1]
        emit = _merge(groups, torch.where(now_masked, -torch.inf, ext_scores), count)
        blank = _merge(groups, torch.where(now_masked, ext_scores, -torch.inf), count)
        top = torch.argsort(torch.logaddexp(emit, blank), dim=1, stable=True)[:, -beam_width:]
        kept = torch.take_along_dim(unique, top[..., None], dim=1)
        new_paths = kept.repeat(1, 2, 1)
        new_scores = torch.cat([torch.take_along_dim(emit, top, 1), torch.take_along_dim(blank, top, 1)], dim=1)
        new_masked = torch.cat([torch.zeros_like(top, dtype=torch.bool), torch.ones_like(top, dtype=torch.bool)], 1)
        active = (t < lengths)[:, None]
        paths = torch.where(active[..., None], new_paths, paths)
        scores = torch.where(active, new_scores, scores)
        masked = torch.where(active, new_masked, masked)
    groups, unique = _unique_beams(paths)
    totals = _merge(groups, scores, unique.shape[1])
    top = torch.argsort(totals, dim=1, stable=True)[:, -top_paths:].flip(1)
    best_paths = torch.take_along_dim(unique, top[..., None], dim=1)
    best_paths = torch.where(best_paths == _PAD, _PAD, classes - best_paths - 1)
    return best_paths.transpose(0, 1).to(torch.int32), torch.take_along_dim(totals, top, dim=1)


@keras_op("nn", keras_name="CTCDecode")
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """Decodes CTC outputs into label sequences.

    Args:
        inputs: ``(batch, time, classes)`` scores (log-probabilities for greedy; logits
            for beam search, which applies log-softmax).
        sequence_lengths: ``(batch,)`` valid lengths.
        strategy: ``"greedy"`` (best class per step) or ``"beam_search"``.
        beam_width: number of beams kept (beam search).
        top_paths: number of decoded sequences returned (beam search).
        merge_repeated: merge repeated labels (greedy).
        mask_index: the blank class (``None``: the last class).

    Returns:
        ``(paths, scores)``: paths ``(top_paths, batch, time)`` ``int32`` padded with -1
        (``top_paths`` is 1 for greedy) and scores ``(batch, top_paths)`` (negative
        summed scores for greedy, log-probabilities for beam search).

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> logits = torch.log(torch.tensor([[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1]]]))
        >>> ops.ctc_decode(logits, [3])[0]
        tensor([[[ 1, -1, -1]]], dtype=torch.int32)
    """
    op = "ops.ctc_decode"
    inputs, lengths = tensors(inputs, sequence_lengths, op=op)
    if inputs.ndim != 3 or lengths.shape != inputs.shape[:1]:
        raise ValueError(
            f"{op} needs inputs (batch, time, classes) and sequence_lengths (batch,), received "
            f"{shape_str(inputs.shape)} and {shape_str(lengths.shape)}."
        )
    inputs = inputs.to(result_type(inputs.dtype, "float32"))
    lengths = lengths.to(torch.int64)
    if mask_index is not None:
        mask_index = canonical_axis(mask_index, inputs.shape[-1], op, "mask_index")
    if strategy == "greedy":
        return _greedy(inputs, lengths, merge_repeated, mask_index)
    if strategy == "beam_search":
        beam_width = check_int(beam_width, op, "beam_width", minimum=1)
        top_paths = check_int(top_paths, op, "top_paths", minimum=1)
        if top_paths > beam_width:
            raise ValueError(f"{op}: top_paths={top_paths} cannot exceed beam_width={beam_width}.")
        return _beam_search(inputs, lengths, beam_width, top_paths, mask_index)
    raise ValueError(f"{op}: strategy must be 'greedy' or 'beam_search', received {strategy!r}.")


__all__ = exported(globals())
