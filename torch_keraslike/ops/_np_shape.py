"""Shape ops of ``keras.ops.numpy``: reshaping, transposing, joining, splitting,
flipping, tiling and padding. Each checks its arguments against the input's shape
first, so a bad axis or size is a ``ValueError`` naming the op, not a kernel error.
"""

import math

import torch
import torch.nn.functional as F

from ._base import canonical_axes, canonical_axis, check_choice, check_int, convert, is_axis_int
from ._base import shape_str, to_torch_dtype
from ._symbolic import exported, keras_op


def _shape_tuple(shape, op, name="shape"):
    if isinstance(shape, torch.Tensor):
        shape = shape.tolist()
    if is_axis_int(shape):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of ints, received {shape!r}.") from None
    if not all(is_axis_int(d) for d in shape):
        raise TypeError(f"{op}: {name} must contain only ints, received {shape!r}.")
    return tuple(int(d) for d in shape)


@keras_op("numpy")
def reshape(x, newshape):
    """Gives ``x`` a new shape with the same number of elements.

    Args:
        x: input tensor.
        newshape: an int or tuple of ints; one entry may be -1 (inferred).

    Returns:
        The reshaped tensor (a view when possible).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.reshape(ops.arange(6), (2, -1)).shape
        torch.Size([2, 3])
    """
    x = convert(x, op="ops.reshape")
    shape = _shape_tuple(newshape, "ops.reshape", "newshape")
    unknown = [d for d in shape if d == -1]
    known = math.prod([d for d in shape if d != -1])
    bad = len(unknown) > 1 or any(d < -1 for d in shape)
    if not bad:
        bad = (known != x.numel()) if not unknown else (known == 0 or x.numel() % known != 0)
    if bad:
        raise ValueError(
            f"ops.reshape: cannot reshape a tensor of shape {shape_str(x.shape)} ({x.numel()} "
            f"elements) into newshape={shape}. The sizes must multiply to {x.numel()}, with at "
            "most one -1 standing for the inferred size."
        )
    return torch.reshape(x, shape)


@keras_op("numpy")
def transpose(x, axes=None):
    """Permutes the axes of ``x``.

    Args:
        x: input tensor.
        axes: a permutation of ``range(x.ndim)``; ``None`` reverses the axes.

    Returns:
        The transposed tensor (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.transpose(ops.zeros((2, 3, 4)), (2, 0, 1)).shape
        torch.Size([4, 2, 3])
    """
    x = convert(x, op="ops.transpose")
    if axes is None:
        return x.permute(tuple(range(x.ndim - 1, -1, -1)))
    axes = _shape_tuple(axes, "ops.transpose", "axes")
    if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)) or not all(
            -x.ndim <= a < x.ndim for a in axes):
        raise ValueError(
            f"ops.transpose: axes={axes} is not a permutation of the {x.ndim} axes of a tensor of "
            f"shape {shape_str(x.shape)}."
        )
    return x.permute(axes)


@keras_op("numpy")
def expand_dims(x, axis):
    """Inserts axes of size 1 at ``axis`` (positions in the result).

    Args:
        x: input tensor.
        axis: an int or a tuple of ints.

    Returns:
        ``x`` with ``len(axis)`` more axes (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.expand_dims(ops.zeros((2, 3)), (0, -1)).shape
        torch.Size([1, 2, 3, 1])
    """
    x = convert(x, op="ops.expand_dims")
    axes = (axis,) if is_axis_int(axis) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    for dim in canonical_axes(axes, out_ndim, "ops.expand_dims"):
        x = torch.unsqueeze(x, dim)
    return x


@keras_op("numpy")
def squeeze(x, axis=None):
    """Removes axes of size 1.

    Args:
        x: input tensor.
        axis: ``None`` (every size-1 axis), an int or a tuple of ints; each named axis
            must have size 1.

    Returns:
        ``x`` without those axes (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.squeeze(ops.zeros((1, 3, 1)), axis=0).shape
        torch.Size([3, 1])
    """
    x = convert(x, op="ops.squeeze")
    if axis is None:
        return torch.squeeze(x)
    axes = canonical_axes(axis, x.ndim, "ops.squeeze")
    wrong = [a for a in axes if x.shape[a] != 1]
    if wrong:
        raise ValueError(
            f"ops.squeeze: cannot squeeze axis {wrong[0]} of a tensor of shape {shape_str(x.shape)}: "
            "only axes of size 1 can be removed."
        )
    return torch.squeeze(x, dim=axes) if axes else x


@keras_op("numpy")
def flip(x, axis=None):
    """Reverses the order of elements along ``axis``.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.

    Returns:
        The flipped tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.flip([1, 2, 3])
        tensor([3, 2, 1], dtype=torch.int32)
    """
    x = convert(x, op="ops.flip")
    axes = canonical_axes(axis, x.ndim, "ops.flip")
    return torch.flip(x, dims=tuple(range(x.ndim)) if axes is None else axes)


@keras_op("numpy")
def fliplr(x):
    """Reverses axis 1 (left/right) of a tensor of rank >= 2.

    Args:
        x: input tensor of rank >= 2.

    Returns:
        The flipped tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.fliplr([[1, 2]])
        tensor([[2, 1]], dtype=torch.int32)
    """
    x = convert(x, op="ops.fliplr")
    if x.ndim < 2:
        raise ValueError(f"ops.fliplr needs a tensor of rank >= 2, received shape {shape_str(x.shape)}.")
    return torch.fliplr(x)


@keras_op("numpy")
def flipud(x):
    """Reverses axis 0 (up/down).

    Args:
        x: input tensor of rank >= 1.

    Returns:
        The flipped tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.flipud([[1], [2]])
        tensor([[2],
                [1]], dtype=torch.int32)
    """
    x = convert(x, op="ops.flipud")
    if x.ndim < 1:
        raise ValueError("ops.flipud needs a tensor of rank >= 1, received a scalar.")
    return torch.flipud(x)


@keras_op("numpy")
def roll(x, shift, axis=None):
    """Rolls elements along ``axis`` (of the flattened tensor for ``None``); elements
    shifted past the end come back at the start.

    Args:
        x: input tensor.
        shift: number of places (an int, or a tuple matching ``axis``).
        axis: ``None``, an int or a tuple of ints.

    Returns:
        The rolled tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.roll([1, 2, 3], 1)
        tensor([3, 1, 2], dtype=torch.int32)
    """
    x = convert(x, op="ops.roll")
    if axis is not None:
        canonical_axes(axis, x.ndim, "ops.roll")
    return torch.roll(x, shift, dims=axis)


@keras_op("numpy")
def rot90(array, k=1, axes=(0, 1)):
    """Rotates by 90 degrees ``k`` times in the plane of ``axes`` (from the first axis
    toward the second).

    Args:
        array: input tensor of rank >= 2.
        k: number of rotations (negative rotates the other way).
        axes: the two axes of the plane.

    Returns:
        The rotated tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.rot90([[1, 2], [3, 4]])
        tensor([[2, 4],
                [1, 3]], dtype=torch.int32)
    """
    x = convert(array, op="ops.rot90")
    if x.ndim < 2:
        raise ValueError(f"ops.rot90 needs a tensor of rank >= 2, received shape {shape_str(x.shape)}.")
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"ops.rot90: axes must be two different axes, received axes={axes!r}.")
    dims = [canonical_axis(a, x.ndim, "ops.rot90", "axes") for a in axes]
    if dims[0] == dims[1]:
        raise ValueError(f"ops.rot90: axes must be two different axes, received axes={axes!r}.")
    return torch.rot90(x, k=check_int(k, "ops.rot90", "k"), dims=dims)


@keras_op("numpy")
def tile(x, repeats):
    """Repeats the whole of ``x`` ``repeats`` times along each axis.

    Args:
        x: input tensor.
        repeats: an int or a tuple of ints (leading axes are added when longer than
            ``x.ndim``).

    Returns:
        The tiled tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.tile([1, 2], 2)
        tensor([1, 2, 1, 2], dtype=torch.int32)
    """
    x = convert(x, op="ops.tile")
    return torch.tile(x, dims=_shape_tuple(repeats, "ops.tile", "repeats"))


@keras_op("numpy")
def repeat(x, repeats, axis=None):
    """Repeats each element ``repeats`` times along ``axis`` (flattened for ``None``).

    Args:
        x: input tensor.
        repeats: an int, or one int per element along ``axis``.
        axis: the axis, or ``None`` to flatten first.

    Returns:
        The tensor with repeated elements.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.repeat([1, 2], 2)
        tensor([1, 1, 2, 2], dtype=torch.int32)
    """
    x = convert(x, op="ops.repeat")
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = canonical_axis(axis, x.ndim, "ops.repeat")
    if is_axis_int(repeats):
        # expand + reshape keeps the output shape static (no data-dependent size).
        count = check_int(repeats, "ops.repeat", "repeats", minimum=0)
        shape = list(x.shape)
        expanded = x.unsqueeze(axis + 1).expand(*shape[: axis + 1], count, *shape[axis + 1:])
        shape[axis] *= count
        return expanded.reshape(shape)
    repeats = convert(repeats, torch.int64, x.device, "ops.repeat").reshape(-1)
    if repeats.shape[0] != x.shape[axis]:
        raise ValueError(
            f"ops.repeat: repeats has {repeats.shape[0]} entries but axis {axis} of the tensor "
            f"(shape {shape_str(x.shape)}) has {x.shape[axis]} elements."
        )
    return torch.repeat_interleave(x, repeats, dim=axis)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "circular")


def _pad_widths(pad_width, ndim):
    if isinstance(pad_width, torch.Tensor):
        pad_width = pad_width.tolist()
    if is_axis_int(pad_width):
        pairs = [(pad_width, pad_width)] * ndim
    else:
        pad_width = [list(p) if isinstance(p, (list, tuple)) else p for p in pad_width]
        if all(is_axis_int(p) for p in pad_width):
            pad_width = [pad_width]
        pairs = [(p[0], p[0]) if len(p) == 1 else tuple(p) for p in pad_width]
        if len(pairs) == 1:
            pairs = pairs * ndim
    if len(pairs) != ndim or any(len(p) != 2 or not all(is_axis_int(v) and v >= 0 for v in p) for p in pairs):
        raise ValueError(
            f"ops.pad: pad_width must give non-negative (before, after) pairs for each of the "
            f"{ndim} axes (or one pair, or one int, for all axes), received {pad_width!r}."
        )
    return [(int(a), int(b)) for a, b in pairs]


def _pad_index(size, before, after, mode, device):
    """Indices into an axis of ``size`` elements that read the padded axis."""
    i = torch.arange(-before, size + after, device=device)
    if mode == "edge":
        return i.clamp(0, size - 1)
    if mode in ("wrap", "circular"):
        return i.remainder(size)
    if mode == "symmetric":
        i = i.remainder(2 * size)
        return torch.where(i >= size, 2 * size - 1 - i, i)
    if size == 1:  # "reflect" of a single element repeats it
        return torch.zeros_like(i)
    period = 2 * (size - 1)
    i = i.remainder(period)
    return torch.where(i >= size, period - i, i)


@keras_op("numpy")
def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads ``x`` along each axis.

    Args:
        x: input tensor.
        pad_width: ``((before_1, after_1), ..., (before_N, after_N))``; one pair or one
            int applies to every axis.
        mode: ``"constant"``, ``"edge"``, ``"reflect"`` (mirror without the edge),
            ``"symmetric"`` (mirror with the edge), ``"wrap"``/``"circular"``; NumPy's
            meanings.
        constant_values: the fill value of ``"constant"`` mode (default 0).

    Returns:
        The padded tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.pad([1, 2, 3], 2, mode="reflect")
        tensor([3, 2, 1, 2, 3, 2, 1], dtype=torch.int32)
    """
    check_choice(mode, _PAD_MODES, "ops.pad", "mode")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"ops.pad: constant_values is only used with mode='constant', received mode={mode!r}.")
    x = convert(x, op="ops.pad")
    pairs = _pad_widths(pad_width, x.ndim)
    if mode == "constant":
        flat = [v for pair in reversed(pairs) for v in pair]
        value = 0 if constant_values is None else constant_values
        if x.dtype == torch.bool:  # F.pad has no bool kernel
            return F.pad(x.to(torch.uint8), flat, value=int(value)).to(torch.bool)
        return F.pad(x, flat, value=value)
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            if x.shape[axis] == 0:
                raise ValueError(f"ops.pad: cannot pad the empty axis {axis} with mode={mode!r}.")
            x = x.index_select(axis, _pad_index(x.shape[axis], before, after, mode, x.device))
    return x


@keras_op("numpy")
def moveaxis(x, source, destination):
    """Moves axes to new positions; the others keep their order.

    Args:
        x: input tensor.
        source: an int or tuple of ints.
        destination: the new positions, matching ``source``.

    Returns:
        The tensor with moved axes (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.moveaxis(ops.zeros((2, 3, 4)), 0, -1).shape
        torch.Size([3, 4, 2])
    """
    x = convert(x, op="ops.moveaxis")
    src = (source,) if is_axis_int(source) else tuple(source)
    dst = (destination,) if is_axis_int(destination) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"ops.moveaxis: source {source!r} and destination {destination!r} differ in length.")
    src = [canonical_axis(a, x.ndim, "ops.moveaxis", "source") for a in src]
    dst = [canonical_axis(a, x.ndim, "ops.moveaxis", "destination") for a in dst]
    return torch.moveaxis(x, src, dst)


@keras_op("numpy")
def swapaxes(x, axis1, axis2):
    """Interchanges two axes.

    Args:
        x: input tensor.
        axis1: first axis.
        axis2: second axis.

    Returns:
        The tensor with the two axes swapped (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.swapaxes(ops.zeros((2, 3)), 0, 1).shape
        torch.Size([3, 2])
    """
    x = convert(x, op="ops.swapaxes")
    return torch.swapaxes(x, canonical_axis(axis1, x.ndim, "ops.swapaxes", "axis1"),
                          canonical_axis(axis2, x.ndim, "ops.swapaxes", "axis2"))


@keras_op("numpy")
def ravel(x):
    """Flattens ``x`` to 1-D.

    Args:
        x: input tensor.

    Returns:
        A 1-D tensor of ``x.numel()`` elements.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.ravel([[1, 2], [3, 4]])
        tensor([1, 2, 3, 4], dtype=torch.int32)
    """
    return torch.ravel(convert(x, op="ops.ravel"))


@keras_op("numpy")
def broadcast_to(x, shape):
    """Broadcasts ``x`` to ``shape`` (NumPy's rules).

    Args:
        x: input tensor.
        shape: the target shape.

    Returns:
        A view of ``x`` with the target shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.broadcast_to([1, 2], (3, 2)).shape
        torch.Size([3, 2])
    """
    x = convert(x, op="ops.broadcast_to")
    shape = _shape_tuple(shape, "ops.broadcast_to")
    ok = len(shape) >= x.ndim and all(
        d == t or d == 1 for d, t in zip(reversed(x.shape), reversed(shape)))
    if not ok:
        raise ValueError(
            f"ops.broadcast_to: cannot broadcast a tensor of shape {shape_str(x.shape)} to shape "
            f"{shape}: each axis must match or be 1, counted from the last."
        )
    return torch.broadcast_to(x, shape)


@keras_op("numpy", symbolic=False)
def ndim(x):
    """Number of axes of ``x`` (also of a ``KerasTensor``).

    Args:
        x: tensor, array-like or ``KerasTensor``.

    Returns:
        A Python int.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.ndim([[1, 2]])
        2
    """
    if hasattr(x, "shape") and not isinstance(x, torch.Tensor):
        return len(x.shape)
    return convert(x, op="ops.ndim").ndim


@keras_op("numpy")
def size(x):
    """Number of elements of ``x``.

    Args:
        x: input tensor.

    Returns:
        A 0-d ``int64`` tensor (as Keras's torch backend returns).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.size(ops.zeros((2, 3)))
        tensor(6)
    """
    x = convert(x, op="ops.size")
    return torch.tensor(x.numel(), dtype=torch.int64, device=x.device)


@keras_op("numpy")
def view(x, dtype=None):
    """Reinterprets the bytes of ``x`` as ``dtype`` (a bit-cast, no conversion).

    Args:
        x: input tensor.
        dtype: the new dtype (default floatx); a different item size rescales the
            last axis.

    Returns:
        A view of ``x``'s memory.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.view(ops.ones(1), "int32")
        tensor([1065353216], dtype=torch.int32)
    """
    x = convert(x, op="ops.view")
    return x.view(to_torch_dtype(dtype, "ops.view"))


__all__ = exported(globals())
