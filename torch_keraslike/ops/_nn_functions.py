"""Encodings, losses, normalizations and attention of ``keras.ops.nn``.

Losses clip probabilities to ``[epsilon, 1 - epsilon]`` (Keras's backend epsilon,
1e-7) before the logarithm, as Keras does; normalizations compute in at least
float32 and return the input's dtype.
"""

import math

import torch
import torch.nn.functional as F

from .. import config
from .._numerics import clip_probabilities
from ._base import canonical_axes, canonical_axis, check_int, convert, floatx, result_type
from ._base import shape_str, tensors, to_torch_dtype
from ._symbolic import exported, keras_op



@keras_op("nn")
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer class ids (ids outside ``[0, num_classes)`` give
    all-zero vectors).

    Args:
        x: integer tensor of class ids.
        num_classes: number of classes.
        axis: position of the new class axis in the result.
        dtype: result dtype (default floatx).
        sparse: must be False (no sparse tensors here).

    Returns:
        A tensor with one more axis, of size ``num_classes``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.one_hot([0, 2], 3)
        tensor([[1., 0., 0.],
                [0., 0., 1.]])
    """
    if sparse:
        raise ValueError("ops.one_hot: sparse=True is not supported on torch; pass sparse=False.")
    num_classes = check_int(num_classes, "ops.one_hot", "num_classes", minimum=1)
    x = convert(x, op="ops.one_hot")
    x = x.long() if x.is_floating_point() else x
    dtype = to_torch_dtype(dtype, "ops.one_hot") if dtype is not None else floatx()
    # One comparison (no data-dependent check, so no device sync and no graph break):
    # ids outside [0, num_classes) give all-zero vectors, as in TensorFlow and JAX.
    encoded = (x.unsqueeze(-1) == torch.arange(num_classes, device=x.device)).to(dtype)
    return torch.movedim(encoded, -1, canonical_axis(axis, encoded.ndim, "ops.one_hot"))


@keras_op("nn")
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding: for each sample, 1 at every class id it contains.

    Args:
        inputs: integer tensor of class ids; 2-D inputs encode each row, 1-D one sample.
        num_classes: number of classes (``num_tokens`` is accepted as an alias).
        axis: position of the class axis.
        dtype: result dtype (default floatx).
        sparse: must be False.
        **kwargs: ``num_tokens``.

    Returns:
        ``(batch, num_classes)`` (or ``(num_classes,)`` for 1-D input).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.multi_hot([[0, 2], [1, 1]], 3)
        tensor([[1., 0., 1.],
                [0., 1., 0.]])
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"ops.multi_hot got unexpected keyword arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("ops.multi_hot: num_classes must be given (the number of classes).")
    x = convert(inputs, op="ops.multi_hot")
    encoded = one_hot._tkl_op_impl(x.to(torch.int32), num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return torch.amax(encoded, dim=1 if x.ndim > 1 else 0)


def _same_shapes(target, output, op):
    if target.shape != output.shape:
        raise ValueError(
            f"{op}: target and output must have the same shape, received target.shape="
            f"{shape_str(target.shape)} and output.shape={shape_str(output.shape)}."
        )


@keras_op("nn")
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy.

    Args:
        target: labels in ``[0, 1]``.
        output: probabilities (or logits with ``from_logits``), same shape.
        from_logits: whether ``output`` holds logits.

    Returns:
        The per-element losses (no reduction).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.binary_crossentropy([1.0, 0.0], [0.5, 0.5])
        tensor([0.6931, 0.6931])
    """
    target, output = tensors(target, output, op="ops.binary_crossentropy")
    _same_shapes(target, output, "ops.binary_crossentropy")
    target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return F.binary_cross_entropy(clip_probabilities(output), target, reduction="none")


@keras_op("nn")
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predicted distributions.

    Args:
        target: target distributions.
        output: predicted probabilities (normalised along ``axis`` first) or logits.
        from_logits: whether ``output`` holds logits.
        axis: the class axis.

    Returns:
        The losses, without the class axis.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])
        tensor([0.6931])
    """
    op = "ops.categorical_crossentropy"
    target, output = tensors(target, output, op=op)
    _same_shapes(target, output, op)
    if output.ndim < 1:
        raise ValueError(f"{op}: target and output must be at least rank 1, received scalars.")
    axis = canonical_axis(axis, output.ndim, op)
    if from_logits:
        log_prob = F.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        log_prob = torch.log(clip_probabilities(output))
    return -torch.sum(target * log_prob, dim=axis)


@keras_op("nn")
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer class ids and predicted distributions.

    Args:
        target: integer class ids, shaped like ``output`` without the class axis (a
            trailing size-1 class axis is accepted).
        output: predicted probabilities or logits.
        from_logits: whether ``output`` holds logits.
        axis: the class axis of ``output``.

    Returns:
        The losses, shaped like ``target``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.sparse_categorical_crossentropy([1], [[0.5, 0.5]])
        tensor([0.6931])
    """
    op = "ops.sparse_categorical_crossentropy"
    target, output = tensors(target, output, op=op)
    if output.ndim < 1:
        raise ValueError(f"{op}: output must be at least rank 1, received a scalar.")
    axis = canonical_axis(axis, output.ndim, op)
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    expected = output.shape[:axis] + output.shape[axis + 1:]
    if target.shape != expected:
        raise ValueError(
            f"{op}: target must have the shape of output without its class axis {axis}, i.e. "
            f"{shape_str(expected)}; received target.shape={shape_str(target.shape)} and "
            f"output.shape={shape_str(output.shape)}."
        )
    target = target.long()
    logits = torch.movedim(output, axis, 1) if output.ndim > 1 else output.unsqueeze(0)
    labels = target if output.ndim > 1 else target.unsqueeze(0)
    if from_logits:
        losses = F.cross_entropy(logits, labels, reduction="none")
    else:
        probs = logits / torch.sum(logits, dim=1, keepdim=True)
        losses = F.nll_loss(torch.log(clip_probabilities(probs)), labels, reduction="none")
    return losses if output.ndim > 1 else losses.squeeze(0)


def _statistics(x, axes, keepdims, synchronized):
    """Mean and (population) variance over ``axes``; across processes when
    ``synchronized`` and ``torch.distributed`` is initialised."""
    distributed = synchronized and torch.distributed.is_available() and torch.distributed.is_initialized()
    if not distributed:
        variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
    else:
        count = float(math.prod([x.shape[a] for a in axes]))
        totals = torch.cat([x.sum(dim=axes).reshape(-1), (x * x).sum(dim=axes).reshape(-1), x.new_tensor([count])])
        torch.distributed.all_reduce(totals)
        size = (totals.numel() - 1) // 2
        shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
        mean = (totals[:size] / totals[-1]).reshape(shape)
        variance = (totals[size:-1] / totals[-1]).reshape(shape) - mean * mean
    if not keepdims:
        mean, variance = mean.squeeze(axes), variance.squeeze(axes)
    return mean, variance


@keras_op("nn")
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of ``x`` over ``axes``.

    Args:
        x: input tensor.
        axes: the axes to reduce (int or sequence).
        keepdims: keep the reduced axes with size 1.
        synchronized: average the statistics over all processes of
            ``torch.distributed`` (when initialised), as synchronized batch norm does.

    Returns:
        ``(mean, variance)``; ``float16`` inputs are computed in float32 and returned in
        float16 (clipped to its range).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.moments([1.0, 2.0, 3.0, 4.0], axes=[0])
        (tensor(2.5000), tensor(1.2500))
    """
    x = convert(x, op="ops.moments")
    dims = canonical_axes(axes, x.ndim, "ops.moments", "axes")
    dtype = x.dtype
    if dtype == torch.float16 or not (x.is_floating_point() or x.is_complex()):
        x = x.to(torch.float32)
    mean, variance = _statistics(x, dims, keepdims, synchronized)
    if dtype == torch.float16:
        limit = torch.finfo(torch.float16).max
        mean, variance = mean.clamp(-limit, limit).to(dtype), variance.clamp(-limit, limit).to(dtype)
    return mean, variance


@keras_op("nn", keras_name="BatchNorm")
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with per-feature
    statistics along ``axis``.

    Args:
        x: input tensor.
        mean: 1-D tensor, one value per feature of ``axis``.
        variance: 1-D tensor of variances.
        axis: the feature axis.
        offset: optional 1-D shift (beta).
        scale: optional 1-D scale (gamma).
        epsilon: added to the variance.

    Returns:
        The normalised tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.batch_normalization([[1.0, 2.0]], [1.0, 0.0], [1.0, 4.0], axis=1, epsilon=0.0)
        tensor([[0., 1.]])
    """
    op = "ops.batch_normalization"
    x, mean, variance = tensors(x, mean, variance, op=op)
    axis = canonical_axis(axis, x.ndim, op)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    params = {}
    for name, value in (("mean", mean), ("variance", variance), ("offset", offset), ("scale", scale)):
        if value is None:
            continue
        value = convert(value, device=x.device, op=op)
        if value.numel() != x.shape[axis]:
            raise ValueError(
                f"{op}: {name} must hold one value per feature of axis {axis} ({x.shape[axis]}), received "
                f"shape {shape_str(value.shape)}."
            )
        params[name] = value.reshape(shape)
    inverse = torch.rsqrt(params["variance"] + epsilon)
    if "scale" in params:
        inverse = inverse * params["scale"]
    out = (x - params["mean"]) * inverse
    return out + params["offset"] if "offset" in params else out


def _trailing(axes, ndim):
    return axes == tuple(range(ndim - len(axes), ndim))


@keras_op("nn", keras_name="LayerNorm")
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Layer normalisation over ``axis``: zero mean and unit variance, then
    ``* gamma + beta``.

    Args:
        x: input tensor.
        gamma: optional scale, shaped like the normalised axes.
        beta: optional shift.
        axis: int or sequence of ints to normalise over.
        epsilon: added to the variance (default 1e-7, Keras's backend epsilon).
        **kwargs: ``rms_scaling`` (deprecated in Keras: scales by the variance; use
            ``rms_normalization`` for RMS normalisation).

    Returns:
        A tensor of ``x``'s shape and dtype (computed in at least float32).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.layer_normalization([[1.0, 3.0]], epsilon=0.0)
        tensor([[-1.,  1.]])
    """
    op = "ops.layer_normalization"
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"{op} got unexpected keyword arguments {sorted(kwargs)}.")
    epsilon = config.epsilon() if epsilon is None else epsilon
    x = convert(x, op=op)
    dtype = x.dtype
    x = x.to(torch.float64 if dtype == torch.float64 else result_type(dtype, "float32"))
    axes = canonical_axes(axis, x.ndim, op)
    shape = [d if i in axes else 1 for i, d in enumerate(x.shape)]
    gamma, beta = (None if v is None else convert(v, x.dtype, x.device, op) for v in (gamma, beta))
    if not rms_scaling and _trailing(axes, x.ndim):
        normalized = [x.shape[a] for a in axes]
        gamma, beta = (None if v is None else v.reshape(normalized) for v in (gamma, beta))
        return F.layer_norm(x, normalized, gamma, beta, epsilon).to(dtype)
    variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
    out = x * torch.rsqrt(variance + epsilon) if rms_scaling else (x - mean) * torch.rsqrt(variance + epsilon)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None and not rms_scaling:
        out = out + beta.reshape(shape)
    return out.to(dtype)


@keras_op("nn", keras_name="RMSNorm")
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalisation: ``x / sqrt(mean(x**2) + epsilon) * scale``.

    Args:
        x: input tensor.
        scale: optional scale, shaped like the normalised axes.
        axis: int or sequence of ints to normalise over.
        epsilon: added to the mean square (default 1e-7).

    Returns:
        A tensor of ``x``'s shape and dtype (computed in at least float32).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.rms_normalization([[3.0, 4.0]], epsilon=0.0)
        tensor([[0.8485, 1.1314]])
    """
    op = "ops.rms_normalization"
    epsilon = config.epsilon() if epsilon is None else epsilon
    x = convert(x, op=op)
    dtype = x.dtype
    x = x.to(torch.float64 if dtype == torch.float64 else result_type(dtype, "float32"))
    axes = canonical_axes(axis, x.ndim, op)
    scale = None if scale is None else convert(scale, x.dtype, x.device, op)
    if _trailing(axes, x.ndim):
        normalized = [x.shape[a] for a in axes]
        return F.rms_norm(x, normalized, None if scale is None else scale.reshape(normalized), epsilon).to(dtype)
    out = x * torch.rsqrt(torch.mean(x * x, dim=axes, keepdim=True) + epsilon)
    if scale is not None:
        out = out * scale.reshape([d if i in axes else 1 for i, d in enumerate(x.shape)])
    return out.to(dtype)


@keras_op("nn")
def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``).

    Args:
        x: input tensor.
        axis: the axis (or axes) of the norm.
        order: the norm order, an int >= 1 (2: Euclidean).
        epsilon: smallest divisor (default 1e-7).

    Returns:
        A tensor of ``x``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.normalize([3.0, 4.0])
        tensor([0.6000, 0.8000])
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"ops.normalize: order must be an int >= 1, received order={order!r}.")
    epsilon = config.epsilon() if epsilon is None else epsilon
    x = convert(x, op="ops.normalize")
    if x.ndim == 0:
        x = x.unsqueeze(0)
    dims = canonical_axes(axis, x.ndim, "ops.normalize")
    if order == 2:
        inverse = torch.rsqrt(torch.sum(x * x, dim=dims, keepdim=True))
        return x * torch.clamp(inverse, max=1.0 / epsilon)
    norm = torch.linalg.vector_norm(x, ord=order, dim=dims, keepdim=True)
    return x / torch.clamp(norm, min=epsilon)


@keras_op("nn", keras_name="PSNR")
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse)`` in decibels.

    Args:
        x1: first image batch.
        x2: second image batch, same shape.
        max_val: the largest possible pixel value.

    Returns:
        A 0-d tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> round(float(ops.psnr([[0.0, 1.0]], [[0.0, 0.9]], 1.0)), 2)
        23.01
    """
    a, b = tensors(x1, x2, op="ops.psnr")
    _same_shapes(a, b, "ops.psnr")
    peak = torch.as_tensor(max_val, dtype=a.dtype, device=a.device)
    return 20 * torch.log10(peak) - 10 * torch.log10(torch.mean((a - b) ** 2))


def _large_negative(dtype):
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


@keras_op("nn")
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on torch's fused kernel
    (``F.scaled_dot_product_attention``).

    Args:
        query: ``(batch, query_length, num_heads, head_dim)``.
        key: ``(batch, key_length, num_kv_heads, head_dim)``; ``num_kv_heads`` divides
            ``num_heads`` (grouped-query attention).
        value: ``(batch, key_length, num_kv_heads, value_dim)``.
        bias: optional additive bias broadcastable to ``(batch, heads, query, key)``.
        mask: optional bool mask of that shape (True = attend); not with ``bias``.
        scale: logits scale (default ``1 / sqrt(head_dim)``).
        is_causal: apply a causal mask (combined with ``mask`` when both are given).
        flash_attention: ``None`` lets torch pick the kernel; ``True`` requires the
            flash kernel (CUDA) and raises when it cannot run; ``False`` excludes it.
        attn_logits_soft_cap: not supported (Keras supports it on JAX/TPU only).

    Returns:
        ``(batch, query_length, num_heads, value_dim)``.

    Example:
        >>> from torch_keraslike import ops
        >>> q = ops.ones((2, 5, 4, 8))
        >>> ops.dot_product_attention(q, q, q).shape
        torch.Size([2, 5, 4, 8])
    """
    op = "ops.dot_product_attention"
    if attn_logits_soft_cap is not None:
        raise ValueError(f"{op}: attn_logits_soft_cap is only supported by Keras on JAX/TPU; pass None.")
    if bias is not None and mask is not None:
        raise ValueError(f"{op}: pass either bias or mask, not both.")
    query, key, value = tensors(query, key, value, op=op)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            f"{op} needs 4-D inputs (batch, length, heads, dim), received query {shape_str(query.shape)}, "
            f"key {shape_str(key.shape)} and value {shape_str(value.shape)}."
        )
    heads, kv_heads = query.shape[2], key.shape[2]
    if key.shape[2] != value.shape[2] or heads % kv_heads or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{op}: key and value need the same number of heads dividing the query's ({heads}) and the key's "
            f"head_dim must match the query's; received query {shape_str(query.shape)}, key "
            f"{shape_str(key.shape)}, value {shape_str(value.shape)}."
        )
    dtype = result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = (t.to(dtype).transpose(1, 2) for t in (query, key, value))
    attn_mask = None
    if mask is not None:
        mask = convert(mask, torch.bool, query.device, op)
        if is_causal:
            causal = torch.ones((query.shape[2], key.shape[2]), dtype=torch.bool, device=query.device).tril()
            mask, is_causal = mask & causal, False
        attn_mask = torch.where(mask, 0.0, _large_negative(dtype)).to(dtype)
    elif bias is not None:
        attn_mask = convert(bias, dtype, query.device, op)
    kwargs = {"attn_mask": attn_mask, "is_causal": is_causal, "scale": scale, "enable_gqa": heads != kv_heads}
    if flash_attention is None:
        out = F.scaled_dot_product_attention(query, key, value, **kwargs)
    else:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        backends = [SDPBackend.FLASH_ATTENTION] if flash_attention else [
            SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH, SDPBackend.CUDNN_ATTENTION]
        try:
            with sdpa_kernel(backends):
                out = F.scaled_dot_product_attention(query, key, value, **kwargs)
        except RuntimeError as error:
            raise ValueError(
                f"{op}: flash_attention={flash_attention} cannot run on these inputs ({error}). Fix: pass "
                "flash_attention=None to let torch choose a kernel (flash attention needs CUDA and half precision)."
            ) from None
    return out.transpose(1, 2)


@keras_op("nn")
def polar(abs_, angle):
    """Complex numbers from magnitudes and angles: ``abs_ * (cos(angle) + i sin(angle))``.

    Args:
        abs_: magnitudes.
        angle: angles in radians (broadcast).

    Returns:
        A complex tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.polar([2.0], [0.0])
        tensor([2.+0.j])
    """
    magnitude, angle = tensors(abs_, angle, op="ops.polar")
    dtype = result_type(magnitude.dtype, angle.dtype, float)
    magnitude, angle = torch.broadcast_tensors(magnitude.to(dtype), angle.to(dtype))
    return torch.polar(magnitude, angle)


__all__ = exported(globals())
