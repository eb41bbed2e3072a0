"""Convolution and pooling ops of ``keras.ops.nn`` on torch's kernels.

Layouts are Keras's: inputs ``(batch, *spatial, channels)`` for ``channels_last``
(the default of ``tkl.config.image_data_format()``) or ``(batch, channels, *spatial)``;
kernels ``(*spatial, in_channels / groups, out_channels)`` (``conv_transpose``:
``(*spatial, out_channels, in_channels)``). ``"same"`` padding is Keras's (TensorFlow's):
the output has ``ceil(size / stride)`` steps and an odd total padding puts the extra
pixel after; pooling ignores padded positions.
"""

import torch
import torch.nn.functional as F

from ..config import standardize_data_format
from ._base import check_choice, shape_str, tensors
from ._symbolic import exported, keras_op

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_ADAPTIVE = {"avg": {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d},
             "max": {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}}


def _spatial_rank(x, op):
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"{op} needs a batched 1-D, 2-D or 3-D input of rank 3, 4 or 5 (batch, spatial..., channels), "
            f"received shape {shape_str(x.shape)}."
        )
    return x.ndim - 2


def _tuple(value, n, op, name, minimum=1):
    items = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(items) != n or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in items):
        raise ValueError(f"{op}: {name} must be an int or {n} ints >= {minimum}, received {value!r}.")
    return items


def _channels_first(x, data_format):
    return x if data_format == "channels_first" else torch.movedim(x, -1, 1)


def _restore(x, data_format):
    return x if data_format == "channels_first" else torch.movedim(x, 1, -1)


def _same_pads(size, kernel, stride, dilation=1):
    """Keras's "same" padding ``(before, after)`` of one spatial axis."""
    effective = (kernel - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _padding(x, kernels, strides, dilations, padding, op):
    """``(x, torch_padding)``: symmetric "same" padding goes to the kernel, asymmetric
    padding is applied here (with zeros)."""
    padding = check_choice(str(padding).lower(), ("valid", "same"), op, "padding")
    if padding == "valid":
        return x, 0
    pads = [_same_pads(size, k, s, d) for size, k, s, d in zip(x.shape[2:], kernels, strides, dilations)]
    if all(a == b for a, b in pads):
        return x, tuple(a for a, _ in pads)
    return F.pad(x, [v for pair in reversed(pads) for v in pair]), 0


def _prepare(inputs, kernel, data_format, op):
    data_format = standardize_data_format(data_format)
    inputs, kernel = tensors(inputs, kernel, op=op)
    rank = _spatial_rank(inputs, op)
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"{op}: a {rank}-D convolution needs a kernel of rank {rank + 2} (*spatial, in, out), received "
            f"kernel shape {shape_str(kernel.shape)}."
        )
    dtype = torch.promote_types(inputs.dtype, kernel.dtype)
    return _channels_first(inputs.to(dtype), data_format), kernel.to(dtype), rank, data_format


@keras_op("nn")
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (cross-correlation, as in every framework); grouped when
    ``kernel``'s input channels divide the input's.

    Args:
        inputs: ``(batch, *spatial, channels)`` (``channels_last``) or
            ``(batch, channels, *spatial)``; 1 to 3 spatial axes.
        kernel: ``(*kernel_spatial, in_channels / groups, out_channels)``.
        strides: int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``tkl.config.image_data_format()``.
        dilation_rate: int or one per spatial axis.

    Returns:
        The convolved tensor in ``data_format``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.conv(ops.ones((1, 5, 5, 3)), ops.ones((3, 3, 3, 8)), padding="same").shape
        torch.Size([1, 5, 5, 8])
    """
    op = "ops.conv"
    x, kernel, rank, data_format = _prepare(inputs, kernel, data_format, op)
    strides = _tuple(strides, rank, op, "strides")
    dilations = _tuple(dilation_rate, rank, op, "dilation_rate")
    in_channels, kernel_in = x.shape[1], kernel.shape[-2]
    if kernel_in == 0 or in_channels % kernel_in:
        raise ValueError(
            f"{op}: the input has {in_channels} channels, which the kernel's input channels ({kernel_in}, "
            f"kernel shape {shape_str(kernel.shape)}) must divide (groups = {in_channels} / {kernel_in})."
        )
    weight = torch.movedim(kernel, (-1, -2), (0, 1))  # -> (out, in / groups, *spatial)
    x, pad = _padding(x, weight.shape[2:], strides, dilations, padding, op)
    out = _CONV[rank](x, weight, stride=strides, padding=pad, dilation=dilations, groups=in_channels // kernel_in)
    return _restore(out, data_format)


def _check_depthwise(x, kernel, op):
    if kernel.shape[-2] != x.shape[1]:
        raise ValueError(
            f"{op}: the kernel's input channels (axis -2 of kernel shape {shape_str(kernel.shape)}) must "
            f"equal the input's channels ({x.shape[1]})."
        )


@keras_op("nn")
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own
    ``channel_multiplier`` filters.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first.
        kernel: ``(*kernel_spatial, in_channels, channel_multiplier)``.
        strides: int or one per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        dilation_rate: int or one per spatial axis.

    Returns:
        ``in_channels * channel_multiplier`` output channels.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.depthwise_conv(ops.ones((1, 5, 5, 3)), ops.ones((3, 3, 3, 2))).shape
        torch.Size([1, 3, 3, 6])
    """
    op = "ops.depthwise_conv"
    x, kernel_t, _, fmt = _prepare(inputs, kernel, data_format, op)
    _check_depthwise(x, kernel_t, op)
    grouped = kernel_t.reshape(*kernel_t.shape[:-2], 1, kernel_t.shape[-2] * kernel_t.shape[-1])
    return conv._tkl_op_impl(_restore(x, fmt), grouped, strides, padding, fmt, dilation_rate)


@keras_op("nn")
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first.
        depthwise_kernel: ``(*kernel_spatial, in_channels, channel_multiplier)``.
        pointwise_kernel: ``(1, ..., 1, in_channels * channel_multiplier, out_channels)``.
        strides: int or one per spatial axis (of the depthwise step).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        dilation_rate: int or one per spatial axis.

    Returns:
        ``out_channels`` output channels.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.separable_conv(ops.ones((1, 5, 5, 3)), ops.ones((3, 3, 3, 2)), ops.ones((1, 1, 6, 4))).shape
        torch.Size([1, 3, 3, 4])
    """
    fmt = standardize_data_format(data_format)
    depthwise = depthwise_conv._tkl_op_impl(inputs, depthwise_kernel, strides, padding, fmt, dilation_rate)
    return conv._tkl_op_impl(depthwise, pointwise_kernel, 1, "valid", fmt, dilation_rate)


def _transpose_pads(kernel, stride, dilation, padding, output_padding):
    """Keras's (JAX's) padding ``(left, right)`` of the dilated input of a transposed
    convolution along one axis."""
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return effective - 1, effective - 1 + extra
    if output_padding is None:
        total = stride + effective - 2
    else:
        total = effective + effective % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, effective - 1)
    return left, total - left


@keras_op("nn")
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed convolution (the gradient of ``conv``), Keras's output sizes.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first.
        kernel: ``(*kernel_spatial, out_channels, in_channels)``.
        strides: int or one per spatial axis.
        padding: ``"valid"`` or ``"same"`` (output ``size * stride``).
        output_padding: int or one per spatial axis added after; ``None`` for Keras's default.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        dilation_rate: int or one per spatial axis.

    Returns:
        The upsampled tensor with ``out_channels`` channels.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.conv_transpose(ops.ones((1, 4, 4, 3)), ops.ones((3, 3, 8, 3)), strides=2, padding="same").shape
        torch.Size([1, 8, 8, 8])
    """
    op = "ops.conv_transpose"
    x, kernel, rank, data_format = _prepare(inputs, kernel, data_format, op)
    padding = check_choice(str(padding).lower(), ("valid", "same"), op, "padding")
    strides = _tuple(strides, rank, op, "strides")
    dilations = _tuple(dilation_rate, rank, op, "dilation_rate")
    extras = (None,) * rank if output_padding is None else _tuple(output_padding, rank, op, "output_padding", 0)
    if kernel.shape[-1] != x.shape[1]:
        raise ValueError(
            f"{op}: the kernel's input channels (its last axis, kernel shape {shape_str(kernel.shape)}) must "
            f"equal the input's channels ({x.shape[1]})."
        )
    weight = torch.movedim(kernel, (-1, -2), (0, 1))  # -> (in, out, *spatial)
    # torch's transposed convolution gives the widest output; crop (or zero-extend) each
    # side to the window Keras computes.
    out = _CONV_T[rank](x, weight, stride=strides, dilation=dilations)
    pads = []
    for axis, (k, s, d, extra) in enumerate(zip(weight.shape[2:], strides, dilations, extras)):
        left, right = _transpose_pads(k, s, d, padding, extra)
        effective = (k - 1) * d + 1
        crop_left, crop_right = effective - 1 - left, effective - 1 - right
        size = out.shape[axis + 2]
        out = out.narrow(axis + 2, max(crop_left, 0), size - max(crop_left, 0) - max(crop_right, 0))
        pads.append((max(-crop_left, 0), max(-crop_right, 0)))
    if any(a or b for a, b in pads):
        out = F.pad(out, [v for pair in reversed(pads) for v in pair])
    return _restore(out, data_format)


def _pool_args(inputs, pool_size, strides, data_format, op):
    data_format = standardize_data_format(data_format)
    x, = tensors(inputs, op=op)
    rank = _spatial_rank(x, op)
    pool = _tuple(pool_size, rank, op, "pool_size")
    strides = pool if strides is None else _tuple(strides, rank, op, "strides")
    return _channels_first(x, data_format), rank, pool, strides, data_format


@keras_op("nn")
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over windows of ``pool_size``.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first, 1 to 3 spatial axes.
        pool_size: int or one per spatial axis.
        strides: int or one per spatial axis; default ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padded positions never win).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The pooled tensor in ``data_format``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.max_pool(ops.ones((1, 5, 5, 2)), 2, padding="same").shape
        torch.Size([1, 3, 3, 2])
    """
    op = "ops.max_pool"
    x, rank, pool, strides, data_format = _pool_args(inputs, pool_size, strides, data_format, op)
    padding = check_choice(str(padding).lower(), ("valid", "same"), op, "padding")
    pad = 0
    if padding == "same":
        pads = [_same_pads(size, k, s) for size, k, s in zip(x.shape[2:], pool, strides)]
        if all(a == b for a, b in pads):
            pad = tuple(a for a, _ in pads)
        else:
            low = torch.finfo(x.dtype).min if x.is_floating_point() else torch.iinfo(x.dtype).min
            x = F.pad(x, [v for pair in reversed(pads) for v in pair], value=float("-inf") if x.is_floating_point()
                      else low)
    return _restore(_MAX_POOL[rank](x, pool, strides, pad), data_format)


@keras_op("nn")
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over windows of ``pool_size``.

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first, 1 to 3 spatial axes.
        pool_size: int or one per spatial axis.
        strides: int or one per spatial axis; default ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (windows average their non-padded positions).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The pooled tensor in ``data_format``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.average_pool(ops.ones((1, 4, 4, 2)), 2).shape
        torch.Size([1, 2, 2, 2])
    """
    op = "ops.average_pool"
    x, rank, pool, strides, data_format = _pool_args(inputs, pool_size, strides, data_format, op)
    padding = check_choice(str(padding).lower(), ("valid", "same"), op, "padding")
    pool_fn = _AVG_POOL[rank]
    if padding == "valid":
        return _restore(pool_fn(x, pool, strides), data_format)
    pads = [_same_pads(size, k, s) for size, k, s in zip(x.shape[2:], pool, strides)]
    if all(a == b for a, b in pads):
        out = pool_fn(x, pool, strides, tuple(a for a, _ in pads), count_include_pad=False)
        return _restore(out, data_format)
    # Asymmetric padding: the average over zero-padded windows, rescaled by the share of
    # real (non-padded) positions in each window.
    flat = [v for pair in reversed(pads) for v in pair]
    ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
    return _restore(pool_fn(F.pad(x, flat), pool, strides) / pool_fn(F.pad(ones, flat), pool, strides), data_format)


def _adaptive(inputs, output_size, data_format, kind, op):
    data_format = standardize_data_format(data_format)
    x, = tensors(inputs, op=op)
    rank = _spatial_rank(x, op)
    size = _tuple(output_size, rank, op, "output_size")
    out = _ADAPTIVE[kind][rank](_channels_first(x, data_format), size[0] if rank == 1 else size)
    return _restore(out[0] if isinstance(out, tuple) else out, data_format)


@keras_op("nn")
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed output size (window sizes adapt to the input).

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first, 1 to 3 spatial axes.
        output_size: int or one per spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A tensor with spatial shape ``output_size``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.adaptive_average_pool(ops.ones((1, 7, 7, 2)), 3).shape
        torch.Size([1, 3, 3, 2])
    """
    return _adaptive(inputs, output_size, data_format, "avg", "ops.adaptive_average_pool")


@keras_op("nn")
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed output size (window sizes adapt to the input).

    Args:
        inputs: ``(batch, *spatial, channels)`` or channels-first, 1 to 3 spatial axes.
        output_size: int or one per spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A tensor with spatial shape ``output_size``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.adaptive_max_pool(ops.ones((1, 7, 7, 2)), (2, 3)).shape
        torch.Size([1, 2, 3, 2])
    """
    return _adaptive(inputs, output_size, data_format, "max", "ops.adaptive_max_pool")


@keras_op("nn")
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding blocks of a channels-first batch of images (im2col).

    Args:
        x: ``(N, C, H, W)`` tensor.
        kernel_size: int or ``(kH, kW)``.
        dilation: int or pair.
        padding: int or pair (zeros on both sides).
        stride: int or pair.

    Returns:
        ``(N, C * kH * kW, L)``, ``L`` the number of blocks.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.unfold(ops.ones((1, 2, 4, 4)), 2).shape
        torch.Size([1, 8, 9])
    """
    x, = tensors(x, op="ops.unfold")
    if x.ndim != 4:
        raise ValueError(f"ops.unfold needs a 4-D (N, C, H, W) input, received shape {shape_str(x.shape)}.")
    return F.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)


@keras_op("nn")
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums sliding blocks back into a channels-first batch of images (col2im, the
    inverse layout of ``unfold``).

    Args:
        x: ``(N, C * kH * kW, L)`` tensor.
        output_size: int or ``(H, W)``.
        kernel_size: int or ``(kH, kW)``.
        dilation: int or pair.
        padding: int or pair.
        stride: int or pair.

    Returns:
        ``(N, C, H, W)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.fold(ops.ones((1, 8, 9)), 4, 2).shape
        torch.Size([1, 2, 4, 4])
    """
    x, = tensors(x, op="ops.fold")
    if x.ndim != 3:
        raise ValueError(f"ops.fold needs a 3-D (N, C*kH*kW, L) input, received shape {shape_str(x.shape)}.")
    return F.fold(x, output_size, kernel_size, dilation=dilation, padding=padding, stride=stride)


def _block_args(x, block_size, data_format, op):
    data_format = standardize_data_format(data_format)
    if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 2:
        raise ValueError(f"{op}: block_size must be an int >= 2, received block_size={block_size!r}.")
    x, = tensors(x, op=op)
    if x.ndim != 4:
        raise ValueError(f"{op} needs a 4-D batch of images, received shape {shape_str(x.shape)}.")
    return _channels_first(x, data_format), data_format


@keras_op("nn")
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size x block_size`` spatial blocks
    (TensorFlow's ``depth_to_space`` order).

    Args:
        x: 4-D batch of images.
        block_size: int >= 2; the channels must be divisible by its square.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        Spatial size times ``block_size``, channels divided by ``block_size**2``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.depth_to_space(ops.ones((1, 2, 2, 8)), 2).shape
        torch.Size([1, 4, 4, 2])
    """
    x, data_format = _block_args(x, block_size, data_format, "ops.depth_to_space")
    n, c, h, w = x.shape
    if c % (block_size * block_size):
        raise ValueError(f"ops.depth_to_space: {c} channels are not divisible by block_size**2 = {block_size**2}.")
    new_c = c // (block_size * block_size)
    # Keras's torch backend orders the channels (block_row, block_col, channel) for
    # channels_last, as TensorFlow does, and (channel, block_row, block_col) for
    # channels_first, as torch's pixel_shuffle does.
    if data_format == "channels_last":
        x = x.reshape(n, block_size, block_size, new_c, h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        x = x.reshape(n, new_c, block_size, block_size, h, w).permute(0, 1, 4, 2, 5, 3)
    return _restore(x.reshape(n, new_c, h * block_size, w * block_size), data_format)


@keras_op("nn")
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves ``block_size x block_size`` spatial blocks into channels (the inverse of
    ``depth_to_space``).

    Args:
        x: 4-D batch of images; height and width divisible by ``block_size``.
        block_size: int >= 2.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        Spatial size divided by ``block_size``, channels times ``block_size**2``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.space_to_depth(ops.ones((1, 4, 4, 2)), 2).shape
        torch.Size([1, 2, 2, 8])
    """
    x, data_format = _block_args(x, block_size, data_format, "ops.space_to_depth")
    n, c, h, w = x.shape
    if h % block_size or w % block_size:
        raise ValueError(
            f"ops.space_to_depth: height {h} and width {w} must be divisible by block_size={block_size}."
        )
    x = x.reshape(n, c, h // block_size, block_size, w // block_size, block_size)
    x = x.permute(0, 3, 5, 1, 2, 4) if data_format == "channels_last" else x.permute(0, 1, 3, 5, 2, 4)
    return _restore(x.reshape(n, c * block_size * block_size, h // block_size, w // block_size), data_format)


__all__ = exported(globals())
