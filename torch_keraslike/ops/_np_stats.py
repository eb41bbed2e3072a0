"""Order statistics and NaN-ignoring reductions of ``keras.ops.numpy``: quantiles,
percentiles, medians, and the ``nan*`` variants of the reductions and scans.

Results follow Keras's torch backend: quantiles are computed in at least float32 and
returned in Keras's weak-float promotion of the input (``float64`` gives ``float32``,
``float16`` stays); ``nan*`` reductions keep the dtype rules of their plain versions.
"""

import torch

from ._base import canonical_axes, canonical_axis, cast, convert, result_type, tensors
from ._np_reduce import _SMALL_INTS, _arg, _dims, _empty_axis, _input, _scan, prod
from ._symbolic import exported, keras_op


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")



def _quantile(x, q, axis, method, keepdims, name, torch_fn, percent=False):
    op = f"ops.{name}"
    if method not in _METHODS:
        raise ValueError(f"{op}: invalid method={method!r}; expected one of {_METHODS}.")
    x, q = tensors(x, q, op=op)
    compute = torch.float64 if x.dtype == torch.float64 else result_type(x.dtype, "float32")
    result = result_type(x.dtype, float)
    x, q = x.to(compute), q.to(compute)
    if percent:
        q = q / 100.0
    axes = canonical_axes(axis, x.ndim, op)
    if axes is None:
        y = x.reshape(-1)
    else:
        others = [d for d in range(x.ndim) if d not in axes]
        y = x.permute(others + list(axes)).reshape([x.shape[d] for d in others] + [-1])
    y = torch_fn(y, q, dim=-1, interpolation=method)
    if keepdims:
        lead = 1 if q.ndim else 0
        kept = range(x.ndim) if axes is None else axes
        for dim in sorted(kept):
            y = y.unsqueeze(dim + lead)
    return cast(y, result)



@keras_op("numpy")
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles of ``x`` over ``axis``.

    Args:
        x: input tensor.
        q: quantile(s) in ``[0, 1]``: a number or a 1-D sequence.
        axis: ``None`` (all axes), an int or a tuple of ints.
        method: ``"linear"``, ``"lower"``, ``"higher"``, ``"midpoint"`` or ``"nearest"``.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The quantiles (a leading axis for a sequence ``q``), in Keras's weak-float
        promotion of ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.quantile([1.0, 2.0, 3.0, 4.0], 0.5)
        tensor(2.5000)
    """
    return _quantile(x, q, axis, method, keepdims, "quantile", torch.quantile)



@keras_op("numpy")
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles of ``x`` over ``axis`` (``quantile`` with ``q / 100``).

    Args:
        x: input tensor.
        q: percentile(s) in ``[0, 100]``.
        axis: ``None`` (all axes), an int or a tuple of ints.
        method: as for :func:`quantile`.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The percentiles.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.percentile([1.0, 2.0, 3.0], 50)
        tensor(2.)
    """
    return _quantile(x, q, axis, method, keepdims, "percentile", torch.quantile, percent=True)



@keras_op("numpy")
def median(x, axis=None, keepdims=False):
    """Median over ``axis`` (the mean of the two middle values for even counts).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The medians, in Keras's weak-float promotion of ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.median([[1, 2], [3, 4]], axis=0)
        tensor([2., 3.])
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, "median", torch.quantile)



@keras_op("numpy")
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` ignoring NaNs.

    Args:
        x: input tensor.
        q: quantile(s) in ``[0, 1]``.
        axis: ``None`` (all axes), an int or a tuple of ints.
        method: as for :func:`quantile`.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The quantiles of the non-NaN values (NaN where all are NaN).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanquantile([1.0, float("nan"), 3.0], 0.5)
        tensor(2.)
    """
    return _quantile(x, q, axis, method, keepdims, "nanquantile", torch.nanquantile)



@keras_op("numpy")
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` ignoring NaNs.

    Args:
        x: input tensor.
        q: percentile(s) in ``[0, 100]``.
        axis: ``None`` (all axes), an int or a tuple of ints.
        method: as for :func:`quantile`.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The percentiles of the non-NaN values.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanpercentile([1.0, float("nan"), 3.0], 100)
        tensor(3.)
    """
    return _quantile(x, q, axis, method, keepdims, "nanpercentile", torch.nanquantile, percent=True)



@keras_op("numpy")
def nanmedian(x, axis=None, keepdims=False):
    """``median`` ignoring NaNs.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The medians of the non-NaN values.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanmedian([1.0, float("nan"), 4.0])
        tensor(2.5000)
    """
    if _empty_axis(axis):
        return convert(x, op="ops.nanmedian")
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", torch.nanquantile)



@keras_op("numpy")
def nansum(x, axis=None, keepdims=False):
    """``sum`` treating NaNs as 0.

    Args:
        x: input tensor (or a list of tensors, stacked first).
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The sums, with ``sum``'s dtype rule.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nansum([1.0, float("nan"), 2.0])
        tensor(3.)
    """
    x = _input(x, "ops.nansum")
    dtype = torch.int32 if x.dtype in _SMALL_INTS else x.dtype
    if _empty_axis(axis):
        return cast(torch.nan_to_num(x, nan=0), dtype)
    if not x.is_floating_point():
        return cast(torch.sum(x, dim=_dims(x, axis, "ops.nansum"), keepdim=keepdims), dtype)
    return cast(torch.nansum(x, dim=_dims(x, axis, "ops.nansum"), keepdim=keepdims), dtype)



@keras_op("numpy")
def nanmean(x, axis=None, keepdims=False):
    """``mean`` of the non-NaN values.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The means, in Keras's weak-float promotion of ``x``'s dtype (NaN where all are NaN).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanmean([1.0, float("nan"), 3.0])
        tensor(2.)
    """
    x = convert(x, op="ops.nanmean")
    if _empty_axis(axis):
        return x
    dtype = result_type(x.dtype, float)
    return torch.nanmean(x.to(dtype), dim=_dims(x, axis, "ops.nanmean"), keepdim=keepdims)



def _nan_extremum(x, axis, keepdims, name, torch_fn, fill):
    x = convert(x, op=f"ops.{name}")
    dims = _dims(x, axis, f"ops.{name}")
    if not x.is_floating_point():
        return torch_fn(x, dim=dims, keepdim=keepdims)
    if _empty_axis(axis):
        return x
    nan = torch.isnan(x)
    out = torch_fn(torch.where(nan, fill, x), dim=dims, keepdim=keepdims)
    return torch.where(nan.all(dim=dims, keepdim=keepdims), torch.nan, out)



@keras_op("numpy")
def nanmax(x, axis=None, keepdims=False):
    """``max`` ignoring NaNs (NaN where all values are NaN).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The maxima, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanmax([1.0, float("nan"), 3.0])
        tensor(3.)
    """
    return _nan_extremum(x, axis, keepdims, "nanmax", torch.amax, float("-inf"))



@keras_op("numpy")
def nanmin(x, axis=None, keepdims=False):
    """``min`` ignoring NaNs (NaN where all values are NaN).

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The minima, in ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanmin([1.0, float("nan"), 3.0])
        tensor(1.)
    """
    return _nan_extremum(x, axis, keepdims, "nanmin", torch.amin, float("inf"))



@keras_op("numpy")
def nanprod(x, axis=None, keepdims=False):
    """``prod`` treating NaNs as 1.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The products, with ``prod``'s dtype rule.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanprod([2.0, float("nan"), 3.0])
        tensor(6.)
    """
    x = convert(x, op="ops.nanprod")
    if _empty_axis(axis):
        return torch.nan_to_num(x, nan=1)
    if x.is_floating_point():
        x = torch.where(torch.isnan(x), torch.ones((), dtype=x.dtype, device=x.device), x)
    return prod._tkl_op_impl(x, axis=axis, keepdims=keepdims)



@keras_op("numpy")
def nanvar(x, axis=None, keepdims=False):
    """``var`` of the non-NaN values.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The variances, in Keras's weak-float promotion of ``x``'s dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanvar([1.0, float("nan"), 3.0])
        tensor(1.)
    """
    x = convert(x, op="ops.nanvar")
    x = x.to(result_type(x.dtype, float))
    if _empty_axis(axis):
        return torch.where(torch.isnan(x), x, torch.zeros((), dtype=x.dtype, device=x.device))
    dims = _dims(x, axis, "ops.nanvar")
    valid = ~torch.isnan(x)
    centered = torch.where(valid, x - torch.nanmean(x, dim=dims, keepdim=True), 0)
    squares = centered.real**2 + centered.imag**2 if centered.is_complex() else centered.square()
    return squares.sum(dim=dims, keepdim=keepdims) / valid.sum(dim=dims, keepdim=keepdims)



@keras_op("numpy")
def nanstd(x, axis=None, keepdims=False):
    """``std`` of the non-NaN values.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The standard deviations.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanstd([1.0, float("nan"), 3.0])
        tensor(1.)
    """
    return torch.sqrt(nanvar._tkl_op_impl(x, axis=axis, keepdims=keepdims))



def _nan_arg(x, axis, keepdims, name, fill, torch_fn):
    x = convert(x, op=f"ops.{name}")
    if not x.is_floating_point():
        return _arg(x, axis, keepdims, name, torch_fn)
    nan = torch.isnan(x)
    index = _arg(torch.where(nan, fill, x), axis, keepdims, name, torch_fn)
    if axis is None:
        all_nan = nan.all().reshape(index.shape)
    else:
        all_nan = nan.all(dim=canonical_axis(axis, x.ndim, f"ops.{name}"), keepdim=keepdims)
    return torch.where(all_nan, torch.tensor(-1, dtype=torch.int32, device=x.device), index)



@keras_op("numpy")
def nanargmax(x, axis=None, keepdims=False):
    """``argmax`` ignoring NaNs; -1 where all values are NaN.

    Args:
        x: input tensor.
        axis: an int, or ``None`` for the flattened tensor.
        keepdims: keep the reduced axis with size 1.

    Returns:
        An ``int32`` tensor of indices.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanargmax([1.0, float("nan"), 3.0])
        tensor(2, dtype=torch.int32)
    """
    return _nan_arg(x, axis, keepdims, "nanargmax", float("-inf"), torch.argmax)



@keras_op("numpy")
def nanargmin(x, axis=None, keepdims=False):
    """``argmin`` ignoring NaNs; -1 where all values are NaN.

    Args:
        x: input tensor.
        axis: an int, or ``None`` for the flattened tensor.
        keepdims: keep the reduced axis with size 1.

    Returns:
        An ``int32`` tensor of indices.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nanargmin([1.0, float("nan"), -3.0])
        tensor(2, dtype=torch.int32)
    """
    return _nan_arg(x, axis, keepdims, "nanargmin", float("inf"), torch.argmin)



@keras_op("numpy")
def nancumsum(x, axis=None, dtype=None):
    """``cumsum`` treating NaNs as 0.

    Args:
        x: input tensor.
        axis: an int, or ``None`` to flatten first.
        dtype: result dtype (see :func:`cumsum`).

    Returns:
        The running sums.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nancumsum([1.0, float("nan"), 2.0])
        tensor([1., 1., 3.])
    """
    return _scan(torch.nan_to_num(convert(x, op="ops.nancumsum"), nan=0.0), axis, dtype, "nancumsum",
                 torch.cumsum)



@keras_op("numpy")
def nancumprod(x, axis=None, dtype=None):
    """``cumprod`` treating NaNs as 1.

    Args:
        x: input tensor.
        axis: an int, or ``None`` to flatten first.
        dtype: result dtype (see :func:`cumprod`).

    Returns:
        The running products.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.nancumprod([2.0, float("nan"), 3.0])
        tensor([2., 2., 6.])
    """
    return _scan(torch.nan_to_num(convert(x, op="ops.nancumprod"), nan=1.0), axis, dtype, "nancumprod",
                 torch.cumprod)



__all__ = exported(globals())
