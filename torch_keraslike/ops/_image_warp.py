"""Geometric image ops of ``keras.ops.image``: sampling at coordinates
(``map_coordinates``), projective warps (``affine_transform``,
``perspective_transform``), ``elastic_transform`` and ``scale_and_translate``.

Sampling gathers every output pixel of the whole batch at once (advanced indexing);
interpolation is nearest or bilinear, with Keras's fill modes for points outside the
image: ``constant`` (``fill_value``), ``nearest`` (edge), ``wrap``, ``mirror``
(reflect without repeating the edge) and ``reflect`` (with the edge).
"""

import itertools
import math

import torch

from ..config import standardize_data_format
from ._base import check_choice, convert, result_type, shape_str, tensors
from ._symbolic import exported, keras_op

_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_ORDER = {"nearest": 0, "bilinear": 1}


def _mirror(index, size):
    if size == 1:
        return torch.zeros_like(index)
    period = size - 1
    return torch.abs((index + period) % (2 * period) - period)


def _fix(index, size, mode):
    """Indices outside ``[0, size)`` mapped back inside by the fill mode."""
    if mode in ("constant", "nearest"):
        return index.clamp(0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":
        return _mirror(index, size)
    return torch.div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")


def _nodes(coordinate, order):
    """Interpolation nodes along one axis: ``[(index, weight), ...]``."""
    if order == 0:
        index = coordinate if not coordinate.is_floating_point() else torch.round(coordinate)
        return [(index.long(), None)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    return [(lower.long(), 1 - upper_weight), (lower.long() + 1, upper_weight)]


def _sample(values, coordinates, sizes, order, fill_mode, fill_value, lead=()):
    """Interpolates ``values`` at ``coordinates`` (one float tensor per sampled axis).

    ``lead`` holds index tensors of leading axes taken as they are (the batch).
    Returns the samples in ``values``' dtype (integers rounded).
    """
    per_axis = [[(_fix(i, size, fill_mode), (i >= 0) & (i < size), w) for i, w in _nodes(c, order)]
                for c, size in zip(coordinates, sizes)]
    total = None
    for corner in itertools.product(*per_axis):
        indices = [fixed for fixed, _, _ in corner]
        value = values[tuple(lead) + tuple(indices)]
        extra = value.ndim - indices[0].ndim  # trailing axes not sampled (channels)
        if fill_mode == "constant":
            valid = corner[0][1]
            for _, ok, _ in corner[1:]:
                valid = valid & ok
            fill = torch.as_tensor(fill_value, dtype=value.dtype, device=value.device)
            value = torch.where(valid.reshape(valid.shape + (1,) * extra), value, fill)
        weights = [w for _, _, w in corner if w is not None]
        if weights:
            weight = weights[0]
            for w in weights[1:]:
                weight = weight * w
            value = value * weight.reshape(weight.shape + (1,) * extra)
        total = value if total is None else total + value
    if not values.is_floating_point():
        return torch.round(total).to(values.dtype) if total.is_floating_point() else total.to(values.dtype)
    return total.to(values.dtype)


@keras_op("image")
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Samples ``inputs`` at arbitrary coordinates (``scipy.ndimage.map_coordinates``).

    Args:
        inputs: N-D tensor.
        coordinates: ``(N, ...)``: for each axis of ``inputs``, the coordinates of every
            output point (pixel centres are at integer coordinates).
        order: 0 (nearest) or 1 (linear) interpolation.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: the value outside the input in ``"constant"`` mode.

    Returns:
        ``coordinates.shape[1:]`` samples in ``inputs``' dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.map_coordinates([[0.0, 1.0], [2.0, 3.0]], [[0.5], [0.5]], order=1)
        tensor([1.5000])
    """
    op = "ops.image.map_coordinates"
    values = convert(inputs, op=op)
    if isinstance(coordinates, torch.Tensor) or not isinstance(coordinates, (list, tuple)):
        coordinates = list(convert(coordinates, device=values.device, op=op))
    coordinates = [c.to(result_type(c.dtype, float)) if isinstance(c, torch.Tensor) else c
                   for c in (convert(c, device=values.device, op=op) for c in coordinates)]
    if len(coordinates) != values.ndim:
        raise ValueError(
            f"{op}: coordinates must have one entry per axis of inputs ({values.ndim}, shape "
            f"{shape_str(values.shape)}), received {len(coordinates)}."
        )
    if coordinates[0].ndim < 1:
        raise ValueError(f"{op}: coordinates must have rank >= 2 (axes, points...), received rank 1.")
    if order not in (0, 1):
        raise ValueError(f"{op}: order must be 0 (nearest) or 1 (linear), received order={order!r}.")
    check_choice(fill_mode, _FILL_MODES, op, "fill_mode")
    coordinates = torch.broadcast_tensors(*coordinates)
    return _sample(values, coordinates, values.shape, order, fill_mode, fill_value)


def _batched_images(images, data_format, op):
    data_format = standardize_data_format(data_format)
    images = convert(images, op=op)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{op}: images must have rank 3 (one image) or 4 (a batch), received shape {shape_str(images.shape)}."
        )
    single = images.ndim == 3
    images = images.unsqueeze(0) if single else images
    if data_format == "channels_first":
        images = images.permute(0, 2, 3, 1)
    return images, single, data_format


def _unbatch(images, single, data_format):
    if data_format == "channels_first":
        images = images.permute(0, 3, 1, 2)
    return images.squeeze(0) if single else images


def _warp(images, transforms, order, fill_mode, fill_value):
    """Projective warp of channels-last ``(B, H, W, C)`` images by TensorFlow's
    ``(B, 8)`` transforms (output pixel -> input point)."""
    batch, height, width, _ = images.shape
    dtype = transforms.dtype
    y, x = torch.meshgrid(torch.arange(height, dtype=dtype, device=images.device),
                          torch.arange(width, dtype=dtype, device=images.device), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (transforms[:, i].reshape(-1, 1, 1) for i in range(8))
    k = c0 * x + c1 * y + 1
    xs = (a0 * x + a1 * y + a2) / k
    ys = (b0 * x + b1 * y + b2) / k
    ys, xs = torch.broadcast_tensors(ys.expand(batch, height, width), xs.expand(batch, height, width))
    lead = (torch.arange(batch, device=images.device).reshape(-1, 1, 1),)
    return _sample(images, (ys, xs), (height, width), order, fill_mode, fill_value, lead)


def _interpolation(interpolation, op):
    return _ORDER[check_choice(interpolation, tuple(_ORDER), op, "interpolation")]


@keras_op("image")
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Warps images by projective transforms (TensorFlow's 8-number format).

    Args:
        images: ``(batch, height, width, channels)`` (or one image, or channels-first).
        transform: ``(8,)`` or ``(batch, 8)``: ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps
            each output pixel ``(x, y)`` to the input point ``((a0 x + a1 y + a2) / k,
            (b0 x + b1 y + b2) / k)`` with ``k = c0 x + c1 y + 1``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: value outside the image in ``"constant"`` mode.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The warped images, same shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> shift_right = [1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
        >>> ops.image.affine_transform(ops.ones((1, 2, 3, 1)), shift_right)[0, 0, :, 0]
        tensor([0., 1., 1.])
    """
    op = "ops.image.affine_transform"
    order = _interpolation(interpolation, op)
    check_choice(fill_mode, _FILL_MODES, op, "fill_mode")
    images, single, data_format = _batched_images(images, data_format, op)
    transform = convert(transform, device=images.device, op=op)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(f"{op}: transform must have shape (8,) or (batch, 8), received {shape_str(transform.shape)}.")
    transform = transform.reshape(-1, 8).to(result_type(transform.dtype, float))
    warped = _warp(images, transform.expand(images.shape[0], 8), order, fill_mode, fill_value)
    return _unbatch(warped, single, data_format)


def _homography(start_points, end_points):
    """``(B, 8)`` transforms mapping ``end_points`` (output) to ``start_points`` (input)."""
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    zeros, ones = torch.zeros_like(ex), torch.ones_like(ex)
    rows_x = torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], dim=-1)
    rows_y = torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], dim=-1)
    matrix = torch.stack([rows_x, rows_y], dim=2).reshape(-1, 8, 8)
    target = torch.stack([sx, sy], dim=2).reshape(-1, 8, 1)
    compute = torch.float64 if matrix.dtype == torch.float64 else torch.float32
    return torch.linalg.solve(matrix.to(compute), target.to(compute)).reshape(-1, 8).to(matrix.dtype)


@keras_op("image")
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """Warps images so the four ``start_points`` move to the ``end_points``.

    Args:
        images: ``(batch, height, width, channels)`` (or one image, or channels-first).
        start_points: ``(4, 2)`` or ``(batch, 4, 2)`` ``(x, y)`` corners in the input.
        end_points: where they go in the output, same shape.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_value: value outside the input.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The warped images, same shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> corners = [[0.0, 0.0], [3.0, 0.0], [3.0, 3.0], [0.0, 3.0]]
        >>> ops.image.perspective_transform(ops.ones((4, 4, 1)), corners, corners).sum()
        tensor(16.)
    """
    op = "ops.image.perspective_transform"
    order = _interpolation(interpolation, op)
    images, single, data_format = _batched_images(images, data_format, op)
    dtype = images.dtype if images.is_floating_point() else result_type(images.dtype, float)
    start, end = (convert(p, dtype, images.device, op) for p in (start_points, end_points))
    for name, points in (("start_points", start), ("end_points", end)):
        if points.shape[-2:] != (4, 2) or points.ndim not in (2, 3):
            raise ValueError(f"{op}: {name} must have shape (4, 2) or (batch, 4, 2), received {shape_str(points.shape)}.")
    if start.shape != end.shape:
        raise ValueError(f"{op}: start_points {shape_str(start.shape)} and end_points {shape_str(end.shape)} differ.")
    transforms = _homography(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
    warped = _warp(images, transforms.expand(images.shape[0], 8), order, "constant", fill_value)
    return _unbatch(warped, single, data_format)


def _gaussian_1d(size, sigma, dtype, device):
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_filter(images, kernel_size, sigma):
    """Depthwise Gaussian blur of channels-first ``(B, C, H, W)`` images; the kernel is
    ``(kernel_size[1], sigma[1])`` along the height and ``(kernel_size[0], sigma[0])``
    along the width, zero-padded by ``kernel_size // 2``, as Keras's torch backend."""
    dtype, device = images.dtype, images.device
    rows = _gaussian_1d(kernel_size[1], sigma[1], dtype, device)
    cols = _gaussian_1d(kernel_size[0], sigma[0], dtype, device)
    channels = images.shape[1]
    kernel = torch.outer(rows, cols).expand(channels, 1, kernel_size[1], kernel_size[0])
    return torch.nn.functional.conv2d(images, kernel, padding=(kernel_size[1] // 2, kernel_size[0] // 2),
                                      groups=channels)


def _seed_generator(seed, device, op):
    if seed is None:
        return None
    if hasattr(seed, "next") and callable(seed.next):  # a SeedGenerator: draw the next seed
        seed = int(torch.as_tensor(seed.next()).reshape(-1).abs().sum())
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"{op}: seed must be None, an int or a SeedGenerator, received {seed!r}.")
    return torch.Generator(device=device).manual_seed(seed)


@keras_op("image")
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Elastic deformation: pixels move along a random displacement field smoothed by
    a Gaussian of ``sigma`` and scaled by ``alpha``.

    Args:
        images: ``(batch, height, width, channels)`` (or one image, or channels-first).
        alpha: displacement scale.
        sigma: smoothness of the displacement field.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: as for :func:`affine_transform`.
        fill_value: value outside the image in ``"constant"`` mode.
        seed: ``None``, an int (same field each call) or a ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The deformed images, same shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.elastic_transform(ops.ones((2, 8, 8, 3)), seed=1).shape
        torch.Size([2, 8, 8, 3])
    """
    op = "ops.image.elastic_transform"
    order = _interpolation(interpolation, op)
    check_choice(fill_mode, _FILL_MODES, op, "fill_mode")
    images, single, data_format = _batched_images(images, data_format, op)
    batch, height, width, _ = images.shape
    dtype = images.dtype if images.is_floating_point() else result_type(images.dtype, float)
    generator = _seed_generator(seed, images.device, op)
    size = int(6 * float(sigma)) | 1
    noise = torch.randn((batch, 2, height, width), generator=generator, dtype=dtype, device=images.device) * sigma
    field = gaussian_filter(noise.reshape(batch * 2, 1, height, width), (size, size), (float(sigma),) * 2)
    dy, dx = field.reshape(batch, 2, height, width).unbind(1)
    y, x = torch.meshgrid(torch.arange(height, dtype=dtype, device=images.device),
                          torch.arange(width, dtype=dtype, device=images.device), indexing="ij")
    lead = (torch.arange(batch, device=images.device).reshape(-1, 1, 1),)
    warped = _sample(images, (y + alpha * dy, x + alpha * dx), (height, width), order, fill_mode, fill_value, lead)
    return _unbatch(warped, single, data_format)


def _triangle(x):
    return torch.clamp(1 - torch.abs(x), min=0)


def _keys_cubic(x):
    x = torch.abs(x)
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return torch.where(x >= 2.0, 0.0, torch.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        x = torch.abs(x)
        y = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius)
        out = torch.where(x > 1e-3, y / torch.where(x != 0, math.pi**2 * x**2, 1), 1)
        return torch.where(x > radius, 0.0, out)

    return kernel


_KERNELS = {"linear": _triangle, "bilinear": _triangle, "trilinear": _triangle, "cubic": _keys_cubic,
            "bicubic": _keys_cubic, "tricubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}


def _weights(in_size, out_size, scale, translation, kernel, antialias):
    """``(in_size, out_size)`` resampling weights of one axis (JAX's scale_and_translate)."""
    inverse = 1.0 / scale
    kernel_scale = torch.clamp(inverse, min=1.0) if antialias else torch.ones_like(inverse)
    centers = (torch.arange(out_size, dtype=scale.dtype, device=scale.device) + 0.5) * inverse - translation * inverse - 0.5
    distance = torch.abs(centers[None, :] - torch.arange(in_size, dtype=scale.dtype, device=scale.device)[:, None])
    weights = kernel(distance / kernel_scale)
    total = weights.sum(dim=0, keepdim=True)
    weights = torch.where(torch.abs(total) > 1000.0 * torch.finfo(torch.float32).eps,
                          weights / torch.where(total != 0, total, 1), 0)
    inside = (centers >= -0.5) & (centers <= in_size - 0.5)
    return torch.where(inside[None, :], weights, 0)


@keras_op("image")
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Resamples ``images`` along ``spatial_dims`` with a scale and a translation
    (``jax.image.scale_and_translate``).

    Args:
        images: input tensor.
        output_shape: the full output shape.
        scale: one scale per spatial dim.
        translation: one translation per spatial dim (in output pixels).
        spatial_dims: the axes to resample.
        method: ``"linear"``/``"bilinear"``/``"trilinear"``, ``"cubic"``/``"bicubic"``/
            ``"tricubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        antialias: widen the kernel when downsampling.

    Returns:
        A tensor of ``output_shape`` (integers rounded and clipped to the input's range).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.scale_and_translate(ops.ones((4, 4)), (8, 8), [2.0, 2.0], [0.0, 0.0], [0, 1], "linear").shape
        torch.Size([8, 8])
    """
    op = "ops.image.scale_and_translate"
    kernel = _KERNELS[check_choice(method, tuple(_KERNELS), op, "method")]
    images, scale, translation = tensors(images, scale, translation, op=op)
    dtype = result_type(scale.dtype, translation.dtype)
    scale, translation = scale.to(dtype), translation.to(dtype)
    output_shape = tuple(int(d) for d in output_shape)
    if len(output_shape) != images.ndim:
        raise ValueError(f"{op}: output_shape {output_shape} must have the rank of images {shape_str(images.shape)}.")
    out = images.to(torch.float32) if not images.is_floating_point() else images.clone()
    for i, dim in enumerate(spatial_dims):
        dim = dim % images.ndim
        weight = _weights(images.shape[dim], output_shape[dim], scale[i], translation[i], kernel, antialias)
        out = torch.movedim(torch.tensordot(out, weight.to(out.dtype), dims=([dim], [0])), -1, dim)
    if not images.is_floating_point():
        out = torch.clamp(torch.round(out), images.min(), images.max()).to(images.dtype)
    return out


__all__ = exported(globals())
