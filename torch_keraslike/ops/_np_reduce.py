"""Reductions and scans of ``keras.ops.numpy``: ``sum``, ``mean``, ``max``, ``std``,
quantiles, ``cumsum`` and their NaN-ignoring variants.

``axis`` is ``None`` (all axes), an int or a tuple of ints, negative allowed; an axis
out of range raises a ``ValueError`` naming the op. An empty tuple reduces nothing,
as in NumPy. Result dtypes follow Keras's torch backend: ``sum`` of small integers is
``int32``, ``mean`` of integers is ``float32``, ``var``/``quantile`` give Keras's
weak-float promotion, arg-reductions give ``int32``.
"""

import builtins

import torch

from ._base import canonical_axes, canonical_axis, cast, convert, result_type, tensors, to_torch_dtype
from ._symbolic import exported, keras_op

_SMALL_INTS = (torch.bool, torch.uint8, torch.int8, torch.int16)


def _input(x, op):
    if isinstance(x, (list, tuple)) and builtins.any(isinstance(v, torch.Tensor) for v in x):
        x = torch.stack([convert(v, op=op) for v in x])
    return convert(x, op=op)


def _dims(x, axis, op):
    """``axis`` as torch's ``dim``: a tuple of axes, or all axes for ``None``."""
    axes = canonical_axes(axis, x.ndim, op)
    return tuple(range(x.ndim)) if axes is None else axes


def _empty_axis(axis):
    return isinstance(axis, (tuple, list)) and len(axis) == 0


@keras_op("numpy")
def sum(x, axis=None, keepdims=False):
    """Sum of elements over ``axis``.

    Args:
        x: input tensor (or a list of tensors, stacked first).
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The sums; bool and 8/16-bit integers sum into ``int32``, other dtypes are kept.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.sum([[1, 2], [3, 4]], axis=0)
        tensor([4, 6], dtype=torch.int32)
    """
    x = _input(x, "ops.sum")
    if _empty_axis(axis):
        return x
    dtype = torch.int32 if x.dtype in _SMALL_INTS else x.dtype
    return cast(torch.sum(x, dim=_dims(x, axis, "ops.sum"), keepdim=keepdims), dtype)


def _mean_dtypes(x):
    """(compute, result) dtypes of Keras's mean: at least float32, integers give float32."""
    compute = torch.float64 if x.dtype == torch.float64 else result_type(x.dtype, "float32")
    return compute, (compute if not x.is_floating_point() and not x.is_complex() else x.dtype)


@keras_op("numpy")
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``.

    Args:
        x: input tensor (or a list of tensors, stacked first).
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The means, computed in at least float32; integer inputs give ``float32``,
        floating inputs keep their dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.mean([[1, 2], [3, 4]], axis=1)
        tensor([1.5000, 3.5000])
    """
    x = _input(x, "ops.mean")
    if _empty_axis(axis):
        return x
    compute, result = _mean_dtypes(x)
    return cast(torch.mean(cast(x, compute), dim=_dims(x, axis, "ops.mean"), keepdim=keepdims), result)


def _extremum(x, axis, keepdims, initial, name, torch_fn, combine):
    x = convert(x, op=f"ops.{name}")
    dims = _dims(x, axis, f"ops.{name}")
    if x.numel() == 0:
        if initial is None:
            raise ValueError(
                f"ops.{name}: cannot compute the {name} of an empty tensor (shape "
                f"{tuple(x.shape)}) without `initial`. Fix: pass initial=<value>."
            )
        shape = tuple(1 if i in dims else d for i, d in enumerate(x.shape)) if keepdims else tuple(
            d for i, d in enumerate(x.shape) if i not in dims)
        return torch.full(shape, initial, dtype=x.dtype, device=x.device)
    if _empty_axis(axis):
        result = x
    else:
        result = torch_fn(x, dim=dims, keepdim=keepdims)
    if initial is not None:
        result = combine(result, torch.as_tensor(initial, dtype=result.dtype, device=result.device))
    return result


@keras_op("numpy")
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.
        initial: smallest value of the result; required for empty inputs.

    Returns:
        The maxima, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.max([[1, 5], [3, 2]], axis=0)
        tensor([3, 5], dtype=torch.int32)
    """
    return _extremum(x, axis, keepdims, initial, "max", torch.amax, torch.maximum)


@keras_op("numpy")
def min(x, axis=None, keepdims=False, initial=None):
    """Minimum over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.
        initial: largest value of the result; required for empty inputs.

    Returns:
        The minima, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.min([[1, 5], [3, 2]], axis=1)
        tensor([1, 2], dtype=torch.int32)
    """
    return _extremum(x, axis, keepdims, initial, "min", torch.amin, torch.minimum)


@keras_op("numpy")
def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis`` (``max`` without ``initial``).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The maxima, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.amax([1.0, 3.0, 2.0])
        tensor(3.)
    """
    return _extremum(x, axis, keepdims, None, "amax", torch.amax, None)


@keras_op("numpy")
def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis`` (``min`` without ``initial``).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The minima, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.amin([1.0, 3.0, 2.0])
        tensor(1.)
    """
    return _extremum(x, axis, keepdims, None, "amin", torch.amin, None)


def _prod_dtype(x, dtype):
    if dtype is not None:
        return to_torch_dtype(dtype, "ops.prod")
    dtype = result_type(x.dtype)
    return torch.int32 if dtype in _SMALL_INTS else dtype


@keras_op("numpy")
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of elements over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.
        dtype: result dtype; default: Keras's promotion of ``x`` (small integers and
            bool give ``int32``, 64-bit types their 32-bit counterpart).

    Returns:
        The products.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.prod([[1, 2], [3, 4]], axis=1)
        tensor([ 2, 12], dtype=torch.int32)
    """
    x = convert(x, op="ops.prod")
    result = _prod_dtype(x, dtype)
    compute = torch.float32 if result == torch.float16 and x.device.type == "cpu" else result
    dims = _dims(x, axis, "ops.prod")
    if axis is None:
        out = torch.prod(x, dtype=compute)
        return cast(out.reshape((1,) * x.ndim) if keepdims else out, result)
    for dim in sorted(dims, reverse=True):  # torch.prod reduces one axis at a time
        x = torch.prod(x, dim=dim, keepdim=keepdims, dtype=compute)
    return cast(x, result)


def _boolean_reduction(x, axis, keepdims, name, torch_fn):
    x = convert(x, op=f"ops.{name}")
    if _empty_axis(axis):
        return x.to(torch.bool)
    return torch_fn(x, dim=_dims(x, axis, f"ops.{name}"), keepdim=keepdims).to(torch.bool)


@keras_op("numpy")
def all(x, axis=None, keepdims=False):
    """Whether all elements over ``axis`` are true (non-zero).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A bool tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.all([[True, False], [True, True]], axis=1)
        tensor([False,  True])
    """
    return _boolean_reduction(x, axis, keepdims, "all", torch.all)


@keras_op("numpy")
def any(x, axis=None, keepdims=False):
    """Whether any element over ``axis`` is true (non-zero).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        A bool tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.any([[True, False], [False, False]], axis=1)
        tensor([ True, False])
    """
    return _boolean_reduction(x, axis, keepdims, "any", torch.any)


def _arg(x, axis, keepdims, name, torch_fn):
    x = convert(x, op=f"ops.{name}")
    if axis is not None:
        axis = canonical_axis(axis, x.ndim, f"ops.{name}")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    out = torch_fn(x, dim=axis, keepdim=keepdims)
    if axis is None and keepdims:
        out = out.reshape((1,) * x.ndim)
    return out.to(torch.int32)


@keras_op("numpy")
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (of the flattened tensor for ``None``).

    Args:
        x: input tensor.
        axis: an int, or ``None`` for the flattened tensor.
        keepdims: keep the reduced axis with size 1.

    Returns:
        An ``int32`` tensor of indices (the first occurrence wins).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.argmax([[1, 5], [7, 2]], axis=1)
        tensor([1, 0], dtype=torch.int32)
    """
    return _arg(x, axis, keepdims, "argmax", torch.argmax)


@keras_op("numpy")
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (of the flattened tensor for ``None``).

    Args:
        x: input tensor.
        axis: an int, or ``None`` for the flattened tensor.
        keepdims: keep the reduced axis with size 1.

    Returns:
        An ``int32`` tensor of indices (the first occurrence wins).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.argmin([[1, 5], [7, 2]], axis=1)
        tensor([0, 1], dtype=torch.int32)
    """
    return _arg(x, axis, keepdims, "argmin", torch.argmin)


@keras_op("numpy")
def std(x, axis=None, keepdims=False):
    """Standard deviation (population, no Bessel correction) over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The standard deviations; integer inputs give ``float32``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.std([1.0, 3.0])
        tensor(1.)
    """
    x = convert(x, op="ops.std")
    if not x.is_floating_point() and not x.is_complex():
        x = x.to(torch.float32)
    return torch.std(x, dim=_dims(x, axis, "ops.std"), keepdim=keepdims, correction=0)


def _var_dtypes(x):
    compute = torch.float64 if x.dtype == torch.float64 else result_type(x.dtype, "float32")
    return compute, result_type(x.dtype, float)


@keras_op("numpy")
def var(x, axis=None, keepdims=False):
    """Variance (population, no Bessel correction) over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The variances, in Keras's weak-float promotion of ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.var([1.0, 3.0])
        tensor(1.)
    """
    x = convert(x, op="ops.var")
    compute, result = _var_dtypes(x)
    if _empty_axis(axis):
        return torch.zeros_like(x, dtype=result)
    out = torch.var(x.to(compute), dim=_dims(x, axis, "ops.var"), keepdim=keepdims, correction=0)
    return cast(out, result)


def _scan(x, axis, dtype, name, torch_fn):
    x = convert(x, op=f"ops.{name}")
    if axis is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = canonical_axis(axis, x.ndim, f"ops.{name}")
    dtype = result_type(dtype if dtype is not None else x.dtype)
    if dtype == torch.bool:
        dtype = torch.int32
    if dtype == torch.float16 and x.device.type == "cpu":
        return torch_fn(x, dim=axis, dtype=torch.float32).to(torch.float16)
    return torch_fn(x, dim=axis, dtype=dtype)


@keras_op("numpy")
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (of the flattened tensor for ``None``).

    Args:
        x: input tensor.
        axis: an int, or ``None`` to flatten first.
        dtype: result dtype; default: Keras's promotion of ``x`` (bool gives ``int32``).

    Returns:
        The running sums.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cumsum([1, 2, 3])
        tensor([1, 3, 6], dtype=torch.int32)
    """
    return _scan(x, axis, dtype, "cumsum", torch.cumsum)


@keras_op("numpy")
def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (of the flattened tensor for ``None``).

    Args:
        x: input tensor.
        axis: an int, or ``None`` to flatten first.
        dtype: result dtype; default: Keras's promotion of ``x`` (bool gives ``int32``).

    Returns:
        The running products.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cumprod([1, 2, 3])
        tensor([1, 2, 6], dtype=torch.int32)
    """
    return _scan(x, axis, dtype, "cumprod", torch.cumprod)


@keras_op("numpy")
def count_nonzero(x, axis=None):
    """Number of non-zero elements over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.

    Returns:
        An ``int32`` tensor of counts.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.count_nonzero([[0, 1], [2, 3]], axis=1)
        tensor([1, 2], dtype=torch.int32)
    """
    x = convert(x, op="ops.count_nonzero")
    if _empty_axis(axis):
        return torch.ne(x, 0).to(torch.int32)
    return torch.count_nonzero(x, dim=_dims(x, axis, "ops.count_nonzero")).to(torch.int32)


@keras_op("numpy")
def ptp(x, axis=None, keepdims=False):
    """Range (maximum minus minimum) over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The ranges, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.ptp([[1, 5], [2, 9]], axis=1)
        tensor([4, 7], dtype=torch.int32)
    """
    x = convert(x, op="ops.ptp")
    if _empty_axis(axis):
        return torch.zeros_like(x)
    dims = _dims(x, axis, "ops.ptp")
    return torch.amax(x, dim=dims, keepdim=keepdims) - torch.amin(x, dim=dims, keepdim=keepdims)


@keras_op("numpy")
def average(x, axis=None, weights=None):
    """Weighted average over ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        weights: weights of the shape of ``x``, or 1-D along a single ``axis``;
            ``None`` for equal weights.

    Returns:
        The averages, in Keras's promotion of ``x`` (and ``weights``) with float.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.average([1.0, 2.0, 4.0], weights=[2.0, 1.0, 1.0])
        tensor(2.)
    """
    op = "ops.average"
    x, = tensors(x, op=op)
    if weights is not None:
        x, weights = tensors(x, weights, op=op)
    dtype = result_type(x.dtype, float, *(() if weights is None else (weights.dtype,)))
    x = x.to(dtype)
    if _empty_axis(axis):
        return x
    dims = _dims(x, axis, op)
    if weights is None:
        return torch.mean(x, dim=dims)
    weights = weights.to(dtype)
    if weights.shape != x.shape:
        if weights.ndim != 1 or len(dims) != 1 or weights.shape[0] != x.shape[dims[0]]:
            raise ValueError(
                f"{op}: weights must have the shape of x {tuple(x.shape)}, or be 1-D with the "
                f"length of the single averaged axis; received weights of shape {tuple(weights.shape)} "
                f"with axis={axis!r}."
            )
        weights = weights.reshape([-1 if d == dims[0] else 1 for d in range(x.ndim)])
    total = torch.sum(weights.expand_as(x), dim=dims)
    return torch.sum(x * weights, dim=dims) / total


__all__ = exported(globals())
