"""Affine resampling of image batches, as Keras 3's ``ops.image.affine_transform``.

A transform is Keras's 8-vector ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image:
output pixel ``(y, x)`` samples the input at ``x' = a0*x + a1*y + a2``,
``y' = b0*x + b1*y + b2`` (pixel-centre coordinates; ``c0``/``c1`` are 0 for the
layers here). Points outside the image follow ``fill_mode``:

- ``"reflect"``: ``d c b a | a b c d | d c b a`` (about the edge of the last pixel);
- ``"wrap"``: ``a b c d | a b c d | a b c d``;
- ``"nearest"``: ``a a a a | a b c d | d d d d``;
- ``"constant"``: ``k k k k | a b c d | k k k k`` with ``k = fill_value``;
- ``"mirror"`` (:func:`sample` only): ``d c b | a b c d | c b a`` (about the centre of
  the last pixel).

The sampling is Keras's ``map_coordinates`` (order 0 rounds half to even, order 1
is bilinear with each corner fixed or filled on its own), vectorised over the
batch with one gather per corner, so it runs on any device and under torch.compile.
"""

import math

import torch

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _reflect(index, size):
    # Keras's index fixer: reflection about the pixel edges, via the triangular wave.
    s = 2 * size
    mirrored = torch.abs((2 * index + 1 + s) % (2 * s) - s)
    return torch.div(mirrored - 1, 2, rounding_mode="floor")


def _mirror(index, size):
    if size == 1:
        return torch.zeros_like(index)
    period = size - 1
    return torch.abs((index + period) % (2 * period) - period)


def _fix(index, size, fill_mode):
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":
        return _reflect(index, size)
    if fill_mode == "mirror":
        return _mirror(index, size)
    return index.clamp(0, size - 1)  # nearest; constant (out-of-range corners are filled)


def _nodes(coordinate, size, interpolation, fill_mode):
    """``[(index, weight, valid)]`` along one axis (``valid`` only for constant fill)."""
    if interpolation == "nearest":
        raw = [(torch.round(coordinate).to(torch.int64), None)]
    else:
        lower = torch.floor(coordinate)
        upper_weight = coordinate - lower
        lower = lower.to(torch.int64)
        raw = [(lower, 1 - upper_weight), (lower + 1, upper_weight)]
    nodes = []
    for index, weight in raw:
        valid = ((index >= 0) & (index < size)) if fill_mode == "constant" else None
        nodes.append((_fix(index, size, fill_mode), weight, valid))
    return nodes


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     channels_last=True):
    """Resamples a batch ``(N, H, W, C)`` (or ``(N, C, H, W)``) with one transform per
    image (``transform`` of shape ``(N, 8)`` or ``(8,)``); same size and dtype out."""
    if not channels_last:
        images = images.permute(0, 2, 3, 1)
    batch, height, width, _ = images.shape
    transform = transform.reshape(-1, 8).expand(batch, 8)
    dtype, device = transform.dtype, transform.device
    y = torch.arange(height, dtype=dtype, device=device).reshape(1, height, 1)
    x = torch.arange(width, dtype=dtype, device=device).reshape(1, 1, width)
    a0, a1, a2, b0, b1, b2 = (transform[:, i].reshape(batch, 1, 1) for i in range(6))
    source_y = (y * b1 + x * b0) + b2
    source_x = (y * a1 + x * a0) + a2
    output = sample(images, source_y, source_x, interpolation, fill_mode, fill_value)
    return output if channels_last else output.permute(0, 3, 1, 2)


def sample(images, source_y, source_x, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Samples channels-last ``images`` ``(N, H, W, C)`` at the points
    ``(source_y, source_x)``, each ``(N, H, W)`` (pixel-centre coordinates); the
    result has the images' shape and dtype."""
    batch, height, width, channels = images.shape
    source_y, source_x = source_y.expand(batch, height, width), source_x.expand(batch, height, width)
    flat = images.reshape(batch, height * width, channels)
    output = None
    for iy, wy, vy in _nodes(source_y, height, interpolation, fill_mode):
        for ix, wx, vx in _nodes(source_x, width, interpolation, fill_mode):
            index = (iy * width + ix).reshape(batch, height * width, 1).expand(-1, -1, channels)
            values = torch.gather(flat, 1, index).reshape(batch, height, width, channels)
            if vy is not None:
                fill = torch.tensor(fill_value, dtype=values.dtype, device=values.device)
                values = torch.where((vy & vx).unsqueeze(-1), values, fill)
            if wy is not None:
                values = (wy * wx).unsqueeze(-1) * values
            output = values if output is None else output + values
    if output.dtype != images.dtype:  # bilinear weights made integer images float
        output = output.round().to(images.dtype)
    return output


def rotation_matrix(angle, height, width):
    """Keras's affine matrix of a rotation by ``angle`` degrees (shape ``(N,)``)
    about the image centre, as ``(N, 8)`` float32."""
    angle = angle * torch.tensor(math.pi / 180.0, dtype=angle.dtype)
    height = torch.tensor(height, dtype=angle.dtype, device=angle.device)
    width = torch.tensor(width, dtype=angle.dtype, device=angle.device)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = cx - cx * a0 - cy * a1
    b2 = cy - cx * b0 - cy * b1
    zeros = torch.zeros_like(angle)
    return torch.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], dim=1)
