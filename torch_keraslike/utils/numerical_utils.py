"""``to_categorical`` (one-hot labels) and ``normalize`` (unit-norm rows)."""

import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F

from .. import config
from ..symbolic import KerasTensor, raise_op_error

__all__ = ["normalize", "to_categorical"]


def _class_indices(x):
    """``x`` as int64 class indices (NumPy or torch); fractional values are an error
    rather than silently truncated."""
    if isinstance(x, torch.Tensor):
        if x.is_floating_point():
            if bool((x != x.trunc()).any()):
                raise ValueError(
                    "to_categorical: class values must be whole numbers, but the tensor holds "
                    "fractional values. Fix: pass integer labels such as [0, 2, 1]."
                )
        elif x.is_complex() or x.dtype == torch.bool:
            raise ValueError(f"to_categorical: class values must be integers, received dtype {x.dtype}.")
        return x.to(torch.int64)
    try:
        array = np.asarray(x)
    except ValueError:
        array = None
    if array is None or array.dtype.kind not in "biuf" or array.dtype.kind == "b":
        raise ValueError(
            f"to_categorical: `x` must hold integer class values, received {x!r:.80}. Fix: e.g. "
            "to_categorical([0, 2, 1], num_classes=3)."
        )
    if array.dtype.kind == "f" and not np.array_equal(array, np.trunc(array)):
        raise ValueError(
            "to_categorical: class values must be whole numbers, but `x` holds fractional "
            "values. Fix: pass integer labels such as [0, 2, 1]."
        )
    return array.astype(np.int64)


def to_categorical(x, num_classes=None):
    """Converts class indices to one-hot rows (for ``categorical_crossentropy``).

    A trailing axis of size 1 is dropped first, so ``(n, 1)`` labels give ``(n, C)``.

    Args:
        x: class indices in ``[0, num_classes)``: an array-like (list, NumPy array) or a
            ``torch.Tensor``.
        num_classes: number of classes; ``None`` uses ``max(x) + 1``.

    Returns:
        ``x.shape + (num_classes,)`` ones and zeros: a float64 NumPy array for array-like
        input (as Keras returns), a ``torch.Tensor`` of ``tkl.backend.floatx()`` on
        ``x``'s device for tensor input.

    Example:
        >>> to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
    """
    if isinstance(x, KerasTensor):
        raise_op_error("tkl.utils.to_categorical", x)
    indices = _class_indices(x)
    if num_classes is not None and (
            isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
            or num_classes < 1):
        raise ValueError(
            f"to_categorical: `num_classes` must be a positive int or None, but received "
            f"num_classes={num_classes!r}."
        )
    if indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices.reshape(indices.shape[:-1])
    size = indices.numel() if isinstance(indices, torch.Tensor) else indices.size
    largest = int(indices.max()) if size else -1
    smallest = int(indices.min()) if size else 0
    if num_classes is None:
        num_classes = largest + 1
        if num_classes < 1:
            raise ValueError(
                "to_categorical: `x` is empty, so the number of classes cannot be inferred. "
                "Fix: pass num_classes."
            )
    if smallest < 0 or largest >= num_classes:
        bad = smallest if smallest < 0 else largest
        raise ValueError(
            f"to_categorical: class values must be in [0, {num_classes}) for "
            f"num_classes={num_classes}, but `x` contains {bad}. Fix: pass the right "
            "num_classes, or remap the labels to 0..num_classes-1."
        )
    if isinstance(indices, torch.Tensor):
        return F.one_hot(indices, int(num_classes)).to(torch.get_default_dtype())
    flat = indices.reshape(-1)
    out = np.zeros((flat.shape[0], int(num_classes)))
    out[np.arange(flat.shape[0]), flat] = 1
    return out.reshape(indices.shape + (int(num_classes),))


def normalize(x, axis=-1, order=2):
    """Divides ``x`` by its ``order``-norm along ``axis`` (all-zero slices stay zero).

    Args:
        x: a NumPy array (or array-like) or a ``torch.Tensor``.
        axis: the axis to normalize along.
        order: the norm's order: a positive int (2: Euclidean) or ``math.inf``.

    Returns:
        A normalized copy, a NumPy array for array input (integers become float64) and
        a tensor for tensor input (there the norm is floored at
        ``tkl.backend.epsilon()``, as Keras's ``ops.normalize`` does).

    Example:
        >>> normalize([[3.0, 4.0], [0.0, 0.0]])
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    if isinstance(x, KerasTensor):
        raise_op_error("tkl.utils.normalize", x)
    if not ((isinstance(order, numbers.Integral) and not isinstance(order, bool) and order >= 1)
            or order == math.inf):
        raise ValueError(
            f"normalize: `order` must be an int >= 1 or math.inf, but received order={order!r}. "
            "Fix: order=2 for the Euclidean norm, order=1 for the sum of absolute values."
        )
    tensor = isinstance(x, torch.Tensor)
    array = x if tensor else np.asarray(x)
    real = (array.dtype != torch.bool and not array.is_complex()) if tensor else (
        array.dtype.kind in "iuf")
    if not real:
        raise ValueError(f"normalize: `x` must hold real numbers, received dtype {array.dtype}.")
    ndim = array.dim() if tensor else array.ndim
    if ndim == 0 or not (isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
                         and -ndim <= axis < ndim):
        raise ValueError(
            f"normalize: `axis`={axis!r} is not an axis of `x` of shape {tuple(array.shape)}. "
            f"Fix: an int in [-{max(ndim, 1)}, {max(ndim, 1)}) on an array of rank >= 1."
        )
    if tensor:
        if not array.is_floating_point():
            array = array.to(torch.get_default_dtype())
        return F.normalize(array, p=float(order), dim=int(axis), eps=config.epsilon())
    norm = np.linalg.norm(array, ord=order, axis=int(axis), keepdims=True)
    norm[norm == 0] = 1
    return array / norm
