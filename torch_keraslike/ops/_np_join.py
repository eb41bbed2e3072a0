"""Joining and splitting ops of ``keras.ops.numpy``: ``concatenate``, ``stack``,
``hstack``/``vstack``/``dstack``, ``append``, ``split``, ``array_split`` and
``hsplit``/``vsplit``/``dsplit``. Shapes are checked first, so mismatched inputs give
a ``ValueError`` naming the op and every shape.
"""

import torch

from ._base import canonical_axis, check_int, convert, is_axis_int, shape_str, tensors
from ._symbolic import exported, keras_op


def _joinable(xs, op, axis, same_shape):
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(f"{op}: expected a non-empty list of tensors, received {xs!r}.")
    xs = tensors(*xs, op=op)
    ndim = xs[0].ndim
    if same_shape:
        wrong = [t for t in xs if t.shape != xs[0].shape]
        if wrong:
            raise ValueError(
                f"{op}: all tensors must have the same shape, received shapes "
                f"{[tuple(t.shape) for t in xs]}."
            )
        return xs, canonical_axis(axis, ndim + 1, op)
    if ndim == 0:
        raise ValueError(f"{op}: scalars (0-d tensors) cannot be concatenated; use ops.stack.")
    axis = canonical_axis(axis, ndim, op)
    for t in xs:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, xs[0].shape)) if i != axis):
            raise ValueError(
                f"{op}: all tensors must have the same shape except along axis {axis}, received "
                f"shapes {[tuple(v.shape) for v in xs]}."
            )
    return xs, axis



@keras_op("numpy")
def concatenate(xs, axis=0):
    """Joins tensors along an existing axis.

    Args:
        xs: list of tensors with equal shapes except along ``axis``.
        axis: the axis to join along.

    Returns:
        The joined tensor (dtype promoted across the inputs).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.concatenate([ops.zeros((2, 3)), ops.ones((2, 1))], axis=1).shape
        torch.Size([2, 4])
    """
    xs, axis = _joinable(xs, "ops.concatenate", axis, same_shape=False)
    return torch.cat(xs, dim=axis)



@keras_op("numpy")
def stack(x, axis=0):
    """Joins tensors of equal shape along a new axis.

    Args:
        x: list of tensors of the same shape.
        axis: position of the new axis in the result.

    Returns:
        The stacked tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.stack([ops.zeros(3), ops.ones(3)], axis=1).shape
        torch.Size([3, 2])
    """
    xs, axis = _joinable(x, "ops.stack", axis, same_shape=True)
    return torch.stack(xs, dim=axis)



def _stack_like(name, torch_fn, doc, call, result):
    def op(xs):
        if not isinstance(xs, (list, tuple)) or not xs:
            raise ValueError(f"ops.{name}: expected a non-empty list of tensors, received {xs!r}.")
        return torch_fn(tensors(*xs, op=f"ops.{name}"))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    xs: list of tensors.\n\nReturns:\n    The joined tensor.\n\n"
                  f"Example:\n    >>> from torch_keraslike import ops\n    >>> ops.{call}\n    {result}\n")
    return keras_op("numpy")(op)



hstack = _stack_like("hstack", torch.hstack, "Joins tensors column-wise (axis 1; axis 0 for 1-D).",
                     "hstack([ops.zeros((2, 1)), ops.zeros((2, 2))]).shape", "torch.Size([2, 3])")



vstack = _stack_like("vstack", torch.vstack, "Joins tensors row-wise (axis 0, 1-D as rows).",
                     "vstack([ops.zeros(3), ops.zeros(3)]).shape", "torch.Size([2, 3])")



dstack = _stack_like("dstack", torch.dstack, "Joins tensors depth-wise (axis 2).",
                     "dstack([ops.zeros((2, 3)), ops.zeros((2, 3))]).shape", "torch.Size([2, 3, 2])")



@keras_op("numpy")
def append(x1, x2, axis=None):
    """Appends ``x2`` to ``x1`` along ``axis`` (both flattened for ``None``).

    Args:
        x1: first tensor.
        x2: tensor to append.
        axis: the axis, or ``None`` to flatten both first.

    Returns:
        The joined tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.append([1, 2], [[3]])
        tensor([1, 2, 3], dtype=torch.int32)
    """
    x1, x2 = tensors(x1, x2, op="ops.append")
    if axis is None:
        return torch.cat((x1.reshape(-1), x2.reshape(-1)))
    return concatenate._tkl_op_impl([x1, x2], axis=axis)



def _split_check(x, indices_or_sections, axis, op, divisible):
    x = convert(x, op=op)
    axis = canonical_axis(axis, x.ndim, op)
    if is_axis_int(indices_or_sections):
        sections = check_int(indices_or_sections, op, "indices_or_sections", minimum=1)
        if divisible and x.shape[axis] % sections:
            raise ValueError(
                f"{op}: cannot split axis {axis} of size {x.shape[axis]} (tensor of shape "
                f"{shape_str(x.shape)}) into {sections} equal sections. Fix: pass a number of "
                "sections that divides the size, or a list of split indices, or use ops.array_split."
            )
        return x, sections, axis
    if isinstance(indices_or_sections, torch.Tensor):
        indices_or_sections = indices_or_sections.tolist()
    return x, [int(i) for i in indices_or_sections], axis



@keras_op("numpy")
def split(x, indices_or_sections, axis=0):
    """Splits ``x`` into equal sections or at given indices along ``axis``.

    Args:
        x: input tensor.
        indices_or_sections: number of equal sections (must divide the axis), or a
            sorted list of indices where the splits happen.
        axis: the axis to split.

    Returns:
        A list of tensors.

    Example:
        >>> from torch_keraslike import ops
        >>> [t.tolist() for t in ops.split([1, 2, 3, 4, 5], [2, 3])]
        [[1, 2], [3], [4, 5]]
    """
    x, where, axis = _split_check(x, indices_or_sections, axis, "ops.split", divisible=True)
    return list(torch.tensor_split(x, where, dim=axis))



@keras_op("numpy")
def array_split(x, indices_or_sections, axis=0):
    """Splits ``x`` into ``indices_or_sections`` nearly equal parts along ``axis``
    (the first parts one longer when the size does not divide).

    Args:
        x: input tensor.
        indices_or_sections: the number of parts (a positive int).
        axis: the axis to split.

    Returns:
        A list of tensors.

    Example:
        >>> from torch_keraslike import ops
        >>> [t.tolist() for t in ops.array_split([1, 2, 3, 4, 5], 2)]
        [[1, 2, 3], [4, 5]]
    """
    if not is_axis_int(indices_or_sections):
        raise TypeError(
            f"ops.array_split: indices_or_sections must be an int, received {indices_or_sections!r}."
        )
    x, sections, axis = _split_check(x, indices_or_sections, axis, "ops.array_split", divisible=False)
    return list(torch.tensor_split(x, sections, dim=axis))



def _directional_split(name, axis_of, doc, call, result):
    def op(x, indices_or_sections):
        x = convert(x, op=f"ops.{name}")
        axis = axis_of(x)
        if x.ndim <= axis:
            raise ValueError(f"ops.{name} needs a tensor of rank > {axis}, received shape {shape_str(x.shape)}.")
        return split._tkl_op_impl(x, indices_or_sections, axis=axis)

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    x: input tensor.\n    indices_or_sections: number of equal "
                  "sections or split indices.\n\nReturns:\n    A list of tensors.\n\nExample:\n"
                  f"    >>> from torch_keraslike import ops\n    >>> {call}\n    {result}\n")
    return keras_op("numpy")(op)



hsplit = _directional_split("hsplit", lambda x: 0 if x.ndim == 1 else 1,
                            "Splits along axis 1 (axis 0 for 1-D tensors).",
                            "[t.shape for t in ops.hsplit(ops.zeros((2, 4)), 2)]",
                            "[torch.Size([2, 2]), torch.Size([2, 2])]")



vsplit = _directional_split("vsplit", lambda x: 0, "Splits along axis 0.",
                            "len(ops.vsplit(ops.zeros((4, 2)), 2))", "2")



dsplit = _directional_split("dsplit", lambda x: 2, "Splits along axis 2.",
                            "len(ops.dsplit(ops.zeros((1, 1, 4)), [1]))", "2")



__all__ = exported(globals())
