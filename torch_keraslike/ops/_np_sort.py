"""Sorting and counting ops of ``keras.ops.numpy``: ``sort``, ``argsort``,
``argpartition``, ``unique``, ``bincount`` and ``histogram``.
"""

import torch

from ._base import canonical_axis, check_int, convert, floatx, result_type, shape_str, tensors
from ._symbolic import exported, keras_op


def _along(x, axis, op):
    """``x`` and a non-negative ``axis``; ``None`` flattens ``x`` (axis 0)."""
    x = convert(x, op=op)
    if axis is None:
        return x.reshape(-1), 0
    return x, canonical_axis(axis, x.ndim, op)


@keras_op("numpy")
def sort(x, axis=-1):
    """Sorts ``x`` in ascending order along ``axis`` (of the flattened tensor for
    ``None``).

    Args:
        x: input tensor.
        axis: the axis, or ``None`` to flatten first.

    Returns:
        The sorted tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.sort([3, 1, 2])
        tensor([1, 2, 3], dtype=torch.int32)
    """
    x, axis = _along(x, axis, "ops.sort")
    if x.dtype == torch.bool:  # no bool sort kernel on every device
        return torch.sort(x.to(torch.uint8), dim=axis).values.to(torch.bool)
    return torch.sort(x, dim=axis).values


@keras_op("numpy")
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (stable: equal values keep their order).

    Args:
        x: input tensor.
        axis: the axis, or ``None`` for the flattened tensor.

    Returns:
        An ``int32`` tensor of indices.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.argsort([3, 1, 2])
        tensor([1, 2, 0], dtype=torch.int32)
    """
    x, axis = _along(x, axis, "ops.argsort")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op("numpy")
def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` along ``axis``: the element at position ``kth`` is
    the one a full sort would put there, smaller ones come before, larger after.

    Args:
        x: input tensor.
        kth: the partition position (negative counts from the end).
        axis: the axis, or ``None`` for the flattened tensor.

    Returns:
        An ``int32`` tensor of indices (this implementation returns a full stable
        sort, which is a valid partition).

    Example:
        >>> from torch_keraslike import ops
        >>> int(ops.argpartition([5, 1, 4, 2], 1)[1])
        3
    """
    x, axis = _along(x, axis, "ops.argpartition")
    size = x.shape[axis]
    kth = check_int(kth, "ops.argpartition", "kth")
    if not -size <= kth < size:
        raise ValueError(f"ops.argpartition: kth={kth} is out of range for an axis of size {size}.")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op("numpy")
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,
           size=None, fill_value=None):
    """The unique elements of ``x`` (of the flattened tensor, or unique slices along
    ``axis``).

    Args:
        x: input tensor.
        sorted: return them in ascending order.
        return_index: also return the index of each unique value's first occurrence.
        return_inverse: also return, for each input element, its unique value's index.
        return_counts: also return the number of occurrences.
        axis: ``None`` (flatten) or the axis along which slices are compared.
        size: pad (with ``fill_value``, default 0) or truncate the result to this size.
        fill_value: padding value when ``size`` exceeds the number of unique values.

    Returns:
        The unique values, or a tuple ``(values, [index], [inverse], [counts])``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.unique([3, 1, 3, 2])
        tensor([1, 2, 3], dtype=torch.int32)
    """
    x = convert(x, op="ops.unique")
    dim = None if axis is None else canonical_axis(axis, x.ndim, "ops.unique")
    outputs = torch.unique(x, sorted=sorted, return_inverse=return_inverse or return_index,
                           return_counts=return_counts, dim=dim)
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    values = outputs[0]
    along = 0 if dim is None else dim
    index = None
    if return_index:
        inverse = outputs[1]
        positions = torch.arange(inverse.shape[0], dtype=inverse.dtype, device=inverse.device)
        index = inverse.new_full((values.shape[along],), inverse.shape[0]).scatter_reduce(
            0, inverse.reshape(-1), positions, reduce="amin", include_self=True)
    counts = outputs[-1] if return_counts else None
    if size is not None:
        count = values.shape[along]
        if count >= size:
            values = values.narrow(along, 0, size)
            counts = None if counts is None else counts[:size]
            index = None if index is None else index[:size]
        else:
            pads = [0, 0] * (values.ndim - along - 1) + [0, size - count]
            values = torch.nn.functional.pad(values, pads, value=0 if fill_value is None else fill_value)
            counts = None if counts is None else torch.nn.functional.pad(counts, [0, size - count])
            index = None if index is None else torch.nn.functional.pad(index, [0, size - count], value=1)
    result = [values]
    if return_index:
        result.append(index)
    if return_inverse:
        result.append(outputs[1])
    if return_counts:
        result.append(counts)
    return result[0] if len(result) == 1 else tuple(result)


@keras_op("numpy")
def bincount(x, weights=None, minlength=0, sparse=False):
    """Number of occurrences of each non-negative integer (per row for 2-D ``x``).

    Args:
        x: 1-D or 2-D tensor of non-negative integers.
        weights: optional weights of ``x``'s shape; the counts become sums of weights.
        minlength: minimum number of bins.
        sparse: must be False (torch has no sparse result here).

    Returns:
        ``int32`` counts, or the weights' dtype promoted with ``x``'s for weighted sums;
        shape ``(bins,)`` or ``(rows, bins)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.bincount([0, 1, 1, 3])
        tensor([1, 2, 0, 1], dtype=torch.int32)
    """
    if sparse:
        raise ValueError("ops.bincount: sparse=True is not supported on torch; pass sparse=False.")
    x, = tensors(x, op="ops.bincount")
    if weights is not None:
        x, weights = tensors(x, weights, op="ops.bincount")
        if weights.shape != x.shape:
            raise ValueError(
                f"ops.bincount: weights must have the shape of x {shape_str(x.shape)}, received "
                f"{shape_str(weights.shape)}."
            )
    if x.is_floating_point() or x.ndim not in (1, 2):
        raise ValueError(
            f"ops.bincount needs a 1-D or 2-D integer tensor, received shape {shape_str(x.shape)} "
            f"and dtype {x.dtype}."
        )
    dtype = torch.int32 if weights is None else result_type(x.dtype, weights.dtype)
    minlength = check_int(minlength, "ops.bincount", "minlength", minimum=0)
    if x.ndim == 1:
        return torch.bincount(x, weights, minlength).to(dtype)
    # One bincount over the whole batch: each row gets its own range of bins.
    bins = max(minlength, int(x.max()) + 1 if x.numel() else 0)
    rows = torch.arange(x.shape[0], device=x.device).unsqueeze(1) * bins
    flat = (x.long() + rows).reshape(-1)
    counts = torch.bincount(flat, None if weights is None else weights.reshape(-1), x.shape[0] * bins)
    return counts.reshape(x.shape[0], bins).to(dtype)


@keras_op("numpy")
def histogram(x, bins=10, range=None):
    """Counts of the values of a 1-D tensor in equal-width bins.

    Args:
        x: 1-D tensor.
        bins: number of bins.
        range: ``(low, high)``; default the minimum and maximum of ``x``. Values outside
            are ignored; the last bin includes its right edge.

    Returns:
        ``(counts, bin_edges)``: ``bins`` counts and ``bins + 1`` edges, as floats.

    Example:
        >>> from torch_keraslike import ops
        >>> counts, edges = ops.histogram([0.0, 0.5, 1.0], bins=2)
        >>> counts, edges
        (tensor([1., 2.]), tensor([0.0000, 0.5000, 1.0000]))
    """
    bins = check_int(bins, "ops.histogram", "bins", minimum=0)
    if range is not None:
        if not isinstance(range, tuple) or len(range) != 2 or range[1] < range[0]:
            raise ValueError(
                f"ops.histogram: range must be a tuple (low, high) with low <= high, received {range!r}."
            )
    x = convert(x, op="ops.histogram")
    if x.ndim > 1:
        raise ValueError(f"ops.histogram needs a 1-D tensor, received shape {shape_str(x.shape)}.")
    if not x.is_floating_point():
        x = x.to(floatx())
    low, high = (x.min().item(), x.max().item()) if range is None else (float(range[0]), float(range[1]))
    if low == high:  # NumPy widens an empty range to one unit
        low, high = low - 0.5, high + 0.5
    counts = torch.histc(x, bins=bins, min=low, max=high)
    edges = torch.linspace(low, high, bins + 1, dtype=x.dtype, device=x.device)
    return counts, edges


__all__ = exported(globals())
