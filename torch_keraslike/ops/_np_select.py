"""Selection ops of ``keras.ops.numpy``: choosing between values (``where``,
``select``, ``clip``), comparing with a tolerance, gathering by index (``take``,
``take_along_axis``, ``get_item``) and locating values (``searchsorted``,
``digitize``, ``nonzero``).
"""

import torch

from ._base import canonical_axis, cast, convert, floatx, result_type, shape_str, tensors
from ._symbolic import exported, keras_op


@keras_op("numpy")
def where(condition, x1=None, x2=None):
    """Elements of ``x1`` where ``condition`` holds, else of ``x2``; with only a
    condition, the indices of its true elements.

    Args:
        condition: bool tensor (other dtypes are tested for non-zero).
        x1: values where true; broadcast against the others.
        x2: values where false.

    Returns:
        The selected values (dtype promoted), or for ``where(condition)`` an ``int64``
        tensor of shape ``(condition.ndim, count)``, as Keras's torch backend returns.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.where([True, False], [1, 2], [10, 20])
        tensor([ 1, 20], dtype=torch.int32)
    """
    if (x1 is None) != (x2 is None):
        raise ValueError(
            "ops.where: x1 and x2 must both be given (to select values) or both be None (to "
            f"find the true elements); received x1={'None' if x1 is None else 'a value'} and "
            f"x2={'None' if x2 is None else 'a value'}."
        )
    if x1 is None:
        condition = convert(condition, op="ops.where").to(torch.bool)
        return torch.stack(torch.where(condition), dim=0)
    condition, x1, x2 = tensors(condition, x1, x2, op="ops.where")
    return torch.where(condition.to(torch.bool), x1, x2)


@keras_op("numpy")
def select(condlist, choicelist, default=0):
    """For each element, the value from the first choice whose condition holds.

    Args:
        condlist: list of bool tensors.
        choicelist: list of value tensors, one per condition.
        default: value where no condition holds.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> from torch_keraslike import ops
        >>> x = ops.arange(4)
        >>> ops.select([x < 1, x > 2], [x, x * 10], default=-1)
        tensor([ 0, -1, -1, 30], dtype=torch.int32)
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError(
            "ops.select: condlist and choicelist must be lists, received "
            f"{type(condlist).__name__} and {type(choicelist).__name__}."
        )
    if not condlist or len(condlist) != len(choicelist):
        raise ValueError(
            "ops.select: condlist and choicelist must be non-empty lists of the same length, "
            f"received lengths {len(condlist)} and {len(choicelist)}."
        )
    values = tensors(*condlist, *choicelist, default, op="ops.select")
    conditions, choices, out = values[: len(condlist)], values[len(condlist):-1], values[-1]
    for condition, choice in zip(reversed(conditions), reversed(choices)):
        out = torch.where(condition.to(torch.bool), choice, out)
    return out


@keras_op("numpy")
def clip(x, x_min, x_max):
    """Limits the values of ``x`` to ``[x_min, x_max]``.

    Args:
        x: input tensor.
        x_min: lower bound (number or tensor, broadcast).
        x_max: upper bound.

    Returns:
        The clipped tensor (bool inputs give ``int32``; dtype promoted with the bounds).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.clip([-2, 0, 5], -1, 3)
        tensor([-1,  0,  3], dtype=torch.int32)
    """
    x, low, high = tensors(x, x_min, x_max, op="ops.clip")
    if x.dtype == torch.float16 and x.device.type == "cpu":
        return torch.clip(x.to(torch.float32), min=low, max=high).to(torch.float16)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.clip(x, min=low, max=high)


@keras_op("numpy")
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replaces NaN and infinities with finite numbers.

    Args:
        x: input tensor.
        nan: value for NaN.
        posinf: value for +inf (default: the dtype's largest value).
        neginf: value for -inf (default: the dtype's lowest value).

    Returns:
        A tensor of ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nan_to_num([float("nan"), 1.0], nan=-1.0)
        tensor([-1.,  1.])
    """
    return torch.nan_to_num(convert(x, op="ops.nan_to_num"), nan=nan, posinf=posinf, neginf=neginf)


@keras_op("numpy")
def round(x, decimals=0):
    """Rounds half to even, to ``decimals`` places.

    Args:
        x: input tensor.
        decimals: number of decimal places (negative rounds to tens, hundreds...).

    Returns:
        A tensor of ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.round([0.5, 1.5, 2.25], decimals=0)
        tensor([0., 2., 2.])
    """
    x = convert(x, op="ops.round")
    if not x.is_floating_point():
        return cast(torch.round(x.to(floatx()), decimals=decimals), x.dtype)
    return torch.round(x, decimals=decimals)


def _tolerance_pair(x1, x2, op):
    a, b = tensors(x1, x2, op=op)
    dtype = result_type(a.dtype, b.dtype)
    return a.to(dtype), b.to(dtype)


@keras_op("numpy")
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``|x1 - x2| <= atol + rtol * |x2|``, element-wise (exact equality for
    integers).

    Args:
        x1: first tensor.
        x2: second tensor (broadcast).
        rtol: relative tolerance.
        atol: absolute tolerance.
        equal_nan: whether NaNs compare equal.

    Returns:
        A bool tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.isclose([1.0, 2.0], [1.0 + 1e-7, 2.1])
        tensor([ True, False])
    """
    a, b = _tolerance_pair(x1, x2, "ops.isclose")
    if a.is_floating_point():
        return torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return torch.eq(a, b)


@keras_op("numpy", keras_name="AllClose")
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether all elements are close (see :func:`isclose`).

    Args:
        x1: first tensor.
        x2: second tensor (broadcast).
        rtol: relative tolerance.
        atol: absolute tolerance.
        equal_nan: whether NaNs compare equal.

    Returns:
        A 0-d bool tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.allclose([1.0, 2.0], [1.0, 2.0])
        tensor(True)
    """
    return torch.all(isclose._tkl_op_impl(x1, x2, rtol, atol, equal_nan))


@keras_op("numpy", keras_name="IsIn")
def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` occurs in ``x2``.

    Args:
        x1: tensor of values to test.
        x2: tensor of values to look for (any shape).
        assume_unique: whether both hold unique values (may be faster).
        invert: return the negation.

    Returns:
        A bool tensor of ``x1``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.isin([1, 2, 3], [2, 5])
        tensor([False,  True, False])
    """
    a, b = tensors(x1, x2, op="ops.isin")
    if result_type(a.dtype, b.dtype) == torch.bool:
        a, b = a.to(torch.int32), b.to(torch.int32)
    if a.dtype == torch.bool:
        a = a.to(b.dtype)
    if b.dtype == torch.bool:
        b = b.to(a.dtype)
    return torch.isin(a, b, assume_unique=assume_unique, invert=invert)


def _wrap_negative(indices, size):
    """Keras's "fill" handling of negative indices: counted from the end."""
    return torch.where(indices < 0, indices + size, indices)


@keras_op("numpy")
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened tensor for
    ``None``); negative indices count from the end.

    Args:
        x: input tensor.
        indices: integer tensor of any shape.
        axis: the axis, or ``None`` to flatten first.

    Returns:
        ``x`` with ``axis`` replaced by the shape of ``indices``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.take([[1, 2], [3, 4]], [1, 0], axis=1)
        tensor([[2, 1],
                [4, 3]], dtype=torch.int32)
    """
    x, indices = tensors(x, indices, op="ops.take")
    if indices.is_floating_point() or indices.dtype == torch.bool:
        raise TypeError(f"ops.take: indices must be integers, received dtype {indices.dtype}.")
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = canonical_axis(axis, x.ndim, "ops.take")
    indices = _wrap_negative(indices.long(), x.shape[axis])
    if x.ndim == 2 and axis == 0:
        return torch.nn.functional.embedding(indices, x)  # the fused row lookup
    out = torch.index_select(x, axis, indices.reshape(-1))
    return out.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])


@keras_op("numpy")
def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` matched along ``axis`` (as returned by
    ``argsort``); other axes broadcast.

    Args:
        x: input tensor.
        indices: integer tensor of ``x``'s rank.
        axis: the axis, or ``None`` for the flattened tensor.

    Returns:
        The gathered values.

    Example:
        >>> from torch_keraslike import ops
        >>> x = ops.array([[3, 1, 2]])
        >>> ops.take_along_axis(x, ops.argsort(x, axis=1), axis=1)
        tensor([[1, 2, 3]], dtype=torch.int32)
    """
    x, indices = tensors(x, indices, op="ops.take_along_axis")
    if axis is None:
        x, indices, axis = x.reshape(-1), indices.reshape(-1), 0
    axis = canonical_axis(axis, x.ndim, "ops.take_along_axis")
    if indices.ndim != x.ndim:
        raise ValueError(
            f"ops.take_along_axis: indices must have the rank of x ({x.ndim}), received shapes "
            f"{shape_str(x.shape)} and {shape_str(indices.shape)}."
        )
    return torch.take_along_dim(x, _wrap_negative(indices.long(), x.shape[axis]), dim=axis)


@keras_op("numpy")
def get_item(x, key):
    """``x[key]``: indexing with ints, slices, ``None``, ``...`` and index tensors.

    Args:
        x: input tensor.
        key: the index.

    Returns:
        The indexed tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.get_item([[1, 2], [3, 4]], (slice(None), 1))
        tensor([2, 4], dtype=torch.int32)
    """
    return convert(x, op="ops.get_item")[key]


@keras_op("numpy", keras_name="SearchSorted")
def searchsorted(sorted_sequence, values, side="left"):
    """Indices where ``values`` would be inserted to keep ``sorted_sequence`` sorted.

    Args:
        sorted_sequence: 1-D sorted tensor.
        values: tensor of values to place.
        side: ``"left"`` (first suitable index) or ``"right"`` (last).

    Returns:
        An ``int32`` tensor of ``values``' shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.searchsorted([1, 3, 5], [3, 4])
        tensor([1, 2], dtype=torch.int32)
    """
    sequence, values = tensors(sorted_sequence, values, op="ops.searchsorted")
    if sequence.ndim != 1:
        raise ValueError(
            "ops.searchsorted only supports a 1-D sorted_sequence, received shape "
            f"{shape_str(sequence.shape)}. Fix: use ops.vectorized_map for batches of sequences."
        )
    if side not in ("left", "right"):
        raise ValueError(f"ops.searchsorted: side must be 'left' or 'right', received {side!r}.")
    dtype = result_type(sequence.dtype, values.dtype)
    return torch.searchsorted(sequence.to(dtype), values.to(dtype), side=side,
                              out_int32=sequence.shape[0] < 2**31)


@keras_op("numpy")
def digitize(x, bins):
    """Index of the bin of each value: ``i`` such that ``bins[i-1] <= x < bins[i]``.

    Args:
        x: input tensor.
        bins: 1-D increasing tensor of bin edges.

    Returns:
        An ``int32`` tensor of ``x``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.digitize([0.5, 1.5, 3.0], [1.0, 2.0])
        tensor([0, 1, 2], dtype=torch.int32)
    """
    x, bins = tensors(x, bins, op="ops.digitize")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    dtype = result_type(x.dtype, bins.dtype) if x.dtype != bins.dtype else x.dtype
    return torch.bucketize(x.to(dtype), bins.to(dtype), right=True).to(torch.int32)


@keras_op("numpy")
def nonzero(x):
    """Indices of the non-zero elements.

    Args:
        x: input tensor.

    Returns:
        An ``int32`` tensor of shape ``(x.ndim, count)``: row ``i`` holds the indices
        along axis ``i`` (Keras's torch backend returns it stacked).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nonzero([[0, 1], [2, 0]])
        tensor([[0, 1],
                [1, 0]], dtype=torch.int32)
    """
    return torch.nonzero(convert(x, op="ops.nonzero")).T.to(torch.int32)


@keras_op("numpy")
def unravel_index(indices, shape):
    """Flat indices as coordinates in a tensor of ``shape``.

    Args:
        indices: integer tensor of flat indices.
        shape: the tensor shape.

    Returns:
        A tuple of ``len(shape)`` integer tensors (64-bit inputs give ``int32``).

    Example:
        >>> from torch_keraslike import ops
        >>> [t.tolist() for t in ops.unravel_index([5], (2, 3))]
        [[1], [2]]
    """
    indices = convert(indices, op="ops.unravel_index")
    dtype = result_type(indices.dtype)
    return tuple(t.to(dtype) for t in torch.unravel_index(indices, tuple(shape)))


__all__ = exported(globals())
