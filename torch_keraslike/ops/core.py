"""``keras.ops`` core: conversion and dtypes (``convert_to_tensor``, ``cast``,
``shape``...), ``stop_gradient``, scatter and slice updates; and the control flow of
:mod:`._control_flow` (``cond``, ``while_loop``, ``scan``...), which Keras also places
in its core ops.

Example:
    >>> from torch_keraslike import ops
    >>> ops.core.cast(ops.core.convert_to_tensor([1.5]), "int32")
    tensor([1], dtype=torch.int32)
"""

import builtins

import numpy as np
import torch

from .._dtypes import dtype_name
from ..symbolic import KerasTensor
from . import _control_flow
from ._control_flow import *  # noqa: F401,F403
from ._base import canonical_axis, check_int, convert, shape_str, standardize_dtype, tensors
from ._base import to_torch_dtype
from ._symbolic import exported, keras_op


# ------------------------------------------------------------- conversion
@keras_op("core")
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a tensor, with Keras's conversion rules (Python ints give ``int32``,
    floats floatx, NumPy arrays keep their dtype; tensors keep their device).

    Args:
        x: tensor, NumPy array, Python number or nested list.
        dtype: optional dtype to cast to.
        sparse: must be falsy (torch tensors here are dense).
        ragged: must be falsy.

    Returns:
        A ``torch.Tensor``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.convert_to_tensor([1, 2])
        tensor([1, 2], dtype=torch.int32)
    """
    if sparse:
        raise ValueError("ops.convert_to_tensor: sparse=True is not supported on torch; pass sparse=None.")
    if ragged:
        raise ValueError("ops.convert_to_tensor: ragged=True is not supported on torch; pass ragged=None.")
    return convert(x, dtype, op="ops.convert_to_tensor")


@keras_op("core", symbolic=False)
def convert_to_numpy(x):
    """``x`` as a NumPy array (copied to the CPU, detached from autograd).

    Args:
        x: tensor, array-like, or a list of tensors.

    Returns:
        A ``numpy.ndarray`` (``bfloat16`` tensors give ``ml_dtypes.bfloat16`` arrays when
        ``ml_dtypes`` is installed, else float32).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.convert_to_numpy(ops.ones(2))
        array([1., 1.], dtype=float32)
    """
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"ops.convert_to_numpy: {x!r} is a symbolic tensor and holds no values. Fix: build a "
            "Model from it and call the model on real data."
        )

    def to_numpy(value):
        if not isinstance(value, torch.Tensor):
            return np.asarray(value)
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            try:
                import ml_dtypes

                return value.float().numpy().astype(ml_dtypes.bfloat16)
            except ImportError:
                return value.float().numpy()
        return value.resolve_conj().numpy()

    if isinstance(x, (list, tuple)):
        return np.array([to_numpy(v) for v in x])
    return to_numpy(x)


@keras_op("core", symbolic=False)
def is_tensor(x):
    """Whether ``x`` is a ``torch.Tensor`` (a ``KerasTensor`` is not).

    Args:
        x: any value.

    Returns:
        A bool.

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> ops.is_tensor(torch.ones(1)), ops.is_tensor([1.0])
        (True, False)
    """
    return isinstance(x, torch.Tensor)


@keras_op("core", symbolic=False)
def shape(x):
    """The shape of ``x`` as a tuple (``None`` for unknown sizes of a ``KerasTensor``).

    Args:
        x: tensor, array-like or ``KerasTensor``.

    Returns:
        A tuple of ints.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.shape(ops.zeros((2, 3)))
        (2, 3)
    """
    if isinstance(x, KerasTensor):
        return x.shape
    return tuple(convert(x, op="ops.shape").shape)


@keras_op("core", symbolic=False)
def dtype(x):
    """Keras's name of the dtype of ``x`` (``"float32"``).

    Args:
        x: tensor, array-like or ``KerasTensor``.

    Returns:
        A string.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.dtype(ops.ones(1, dtype="int32"))
        'int32'
    """
    if isinstance(x, KerasTensor) or isinstance(x, torch.Tensor):
        return dtype_name(x.dtype)
    return standardize_dtype(getattr(x, "dtype", None) or convert(x).dtype, "ops.dtype")


@keras_op("core")
def cast(x, dtype):
    """``x`` converted to ``dtype`` (values wrap or truncate as in torch).

    Args:
        x: tensor or array-like.
        dtype: a Keras dtype name, ``torch.dtype`` or NumPy dtype.

    Returns:
        A tensor of ``dtype``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cast([1.7, -1.7], "int32")
        tensor([ 1, -1], dtype=torch.int32)
    """
    return convert(x, to_torch_dtype(dtype, "ops.cast"), op="ops.cast")


def _limits(dtype):
    if dtype == torch.bool:
        return 0, 1
    info = torch.finfo(dtype) if dtype.is_floating_point else torch.iinfo(dtype)
    return info.min, info.max


@keras_op("core")
def saturate_cast(x, dtype):
    """``x`` converted to ``dtype``, values first clipped to the range of ``dtype``
    (so ``300`` becomes ``255`` in ``uint8`` instead of wrapping around).

    Args:
        x: tensor or array-like.
        dtype: the target dtype.

    Returns:
        A tensor of ``dtype``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.saturate_cast([-5, 300], "uint8")
        tensor([  0, 255], dtype=torch.uint8)
    """
    target = to_torch_dtype(dtype, "ops.saturate_cast")
    x = convert(x, op="ops.saturate_cast")
    in_min, in_max = _limits(x.dtype)
    out_min, out_max = _limits(target)
    low = torch.tensor(max(in_min, out_min), dtype=torch.float64).to(x.dtype)
    high = torch.tensor(min(in_max, out_max), dtype=torch.float64).to(x.dtype)
    # A bound the input dtype rounds past the output range (2**31 - 1 in float32) is
    # nudged one step toward zero, as Keras does, so the conversion stays defined.
    if x.is_floating_point():
        if float(low) < out_min:
            low = torch.nextafter(low, torch.zeros_like(low))
        if float(high) > out_max:
            high = torch.nextafter(high, torch.zeros_like(high))
    return torch.clamp(x, min=low.to(x.device), max=high.to(x.device)).to(target)


# ----------------------------------------------------------- control flow
@keras_op("core")
def stop_gradient(variable):
    """``variable`` with no gradient flowing back through it.

    Args:
        variable: tensor.

    Returns:
        A tensor sharing the values (``detach()``).

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> ops.stop_gradient(torch.ones(1, requires_grad=True)).requires_grad
        False
    """
    return convert(variable, op="ops.stop_gradient").detach()


# ---------------------------------------------------------- scatter/slice
def _index_rows(indices, depth):
    return tuple(indices.reshape(-1, depth).long().T)


@keras_op("core")
def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (duplicates add up).

    Args:
        indices: integer tensor ``(..., k)`` of positions in the first ``k`` axes.
        values: tensor ``indices.shape[:-1] + shape[k:]``.
        shape: the output shape.

    Returns:
        A tensor of ``shape`` and ``values``' dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.scatter([[0], [2], [2]], [1.0, 2.0, 3.0], (4,))
        tensor([1., 0., 5., 0.])
    """
    indices, values = tensors(indices, values, op="ops.scatter")
    shape = tuple(int(d) for d in shape)
    depth = indices.shape[-1]
    if depth > len(shape):
        raise ValueError(f"ops.scatter: indices address {depth} axes but shape {shape} has {len(shape)}.")
    values = values.reshape((-1,) + shape[depth:])
    out = torch.zeros(shape, dtype=values.dtype, device=values.device)
    return out.index_put_(_index_rows(indices, depth), values, accumulate=True)


_REDUCE = {"max": "amax", "min": "amin", "mul": "prod"}


@keras_op("core")
def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the elements (or slices) at ``indices`` replaced by, or reduced
    with, ``updates``.

    Args:
        inputs: tensor.
        indices: integer tensor ``(N, k)`` of positions in the first ``k`` axes.
        updates: ``(N,) + inputs.shape[k:]`` values.
        reduction: ``None`` (replace), ``"add"``, ``"max"``, ``"min"`` or ``"mul"``.

    Returns:
        A new tensor of ``inputs``' shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.scatter_update(ops.zeros(3), [[1]], [5.0])
        tensor([0., 5., 0.])
    """
    if reduction is not None:
        reduction = str(reduction).lower()
        if reduction not in ("add", "max", "min", "mul"):
            raise ValueError(
                f"ops.scatter_update: invalid reduction={reduction!r}; expected None, 'add', 'max', "
                "'min' or 'mul'."
            )
    inputs, indices, updates = tensors(inputs, indices, updates, op="ops.scatter_update")
    depth = indices.shape[-1]
    updates = updates.to(inputs.dtype).reshape((-1,) + tuple(inputs.shape[depth:]))
    rows = _index_rows(indices, depth)
    out = inputs.clone()
    if reduction in (None, "add"):
        return out.index_put_(rows, updates, accumulate=reduction == "add")
    # One scatter_reduce over the flattened leading axes handles every duplicate.
    lead = inputs.shape[:depth]
    strides = torch.tensor([int(np.prod(lead[i + 1:])) for i in range(depth)], device=inputs.device)
    flat_index = (torch.stack(rows, dim=-1) * strides).sum(-1)
    flat = out.reshape((-1,) + tuple(inputs.shape[depth:]))
    index = flat_index.reshape((-1,) + (1,) * (flat.ndim - 1)).expand_as(updates)
    return flat.scatter_reduce(0, index, updates, reduce=_REDUCE[reduction], include_self=True).reshape(
        inputs.shape)


def _start_indices(start_indices, rank, op):
    if isinstance(start_indices, torch.Tensor):
        start_indices = start_indices.tolist()
    start = [int(s) for s in start_indices]
    if len(start) != rank:
        raise ValueError(f"{op}: start_indices needs one start per axis ({rank}), received {start_indices!r}.")
    return start


@keras_op("core")
def slice(inputs, start_indices, shape):
    """The block of ``inputs`` of ``shape`` starting at ``start_indices``.

    Args:
        inputs: tensor.
        start_indices: one start per axis.
        shape: the size of the block along each axis.

    Returns:
        A tensor of ``shape`` (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.slice(ops.arange(10).reshape(2, 5), (0, 1), (2, 2))
        tensor([[1, 2],
                [6, 7]], dtype=torch.int32)
    """
    inputs = convert(inputs, op="ops.slice")
    start = _start_indices(start_indices, inputs.ndim, "ops.slice")
    sizes = [int(s) for s in (shape.tolist() if isinstance(shape, torch.Tensor) else shape)]
    if len(sizes) != inputs.ndim or any(s < 0 or b < 0 or s + b > d for s, b, d in zip(sizes, start, inputs.shape)):
        raise ValueError(
            f"ops.slice: a block of shape {tuple(sizes)} at {tuple(start)} does not fit in a tensor of "
            f"shape {shape_str(inputs.shape)}."
        )
    return inputs[tuple(builtins.slice(b, b + s) for b, s in zip(start, sizes))]


@keras_op("core")
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    Args:
        inputs: tensor.
        start_indices: one start per axis.
        updates: the new block (same rank as ``inputs``).

    Returns:
        A new tensor of ``inputs``' shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.slice_update(ops.zeros(4), (1,), ops.ones(2))
        tensor([0., 1., 1., 0.])
    """
    inputs, updates = tensors(inputs, updates, op="ops.slice_update")
    start = _start_indices(start_indices, inputs.ndim, "ops.slice_update")
    if updates.ndim != inputs.ndim or any(b < 0 or b + s > d for b, s, d in zip(start, updates.shape, inputs.shape)):
        raise ValueError(
            f"ops.slice_update: updates of shape {shape_str(updates.shape)} at {tuple(start)} do not fit "
            f"in a tensor of shape {shape_str(inputs.shape)}."
        )
    out = inputs.clone()
    out[tuple(builtins.slice(b, b + s) for b, s in zip(start, updates.shape))] = updates
    return out


@keras_op("core")
def unstack(x, num=None, axis=0):
    """Splits ``x`` into its slices along ``axis``.

    Args:
        x: tensor.
        num: expected number of slices (checked when given).
        axis: the axis.

    Returns:
        A tuple of tensors with ``axis`` removed.

    Example:
        >>> from torch_keraslike import ops
        >>> [t.tolist() for t in ops.unstack([[1, 2], [3, 4]])]
        [[1, 2], [3, 4]]
    """
    x = convert(x, op="ops.unstack")
    axis = canonical_axis(axis, x.ndim, "ops.unstack")
    if num is not None and check_int(num, "ops.unstack", "num") != x.shape[axis]:
        raise ValueError(f"ops.unstack: num={num} but axis {axis} of shape {shape_str(x.shape)} has {x.shape[axis]}.")
    return x.unbind(axis)


__all__ = sorted(exported(globals()) + [n for n in _control_flow.__all__ if n != "vectorize"])
