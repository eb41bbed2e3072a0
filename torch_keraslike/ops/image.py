"""``keras.ops.image`` on torch: resizing, cropping and padding, patches, colour
spaces, filters, SSIM, and the geometric warps of :mod:`._image_warp`.

Images are ``(height, width, channels)`` or batches ``(batch, height, width,
channels)``; ``data_format="channels_first"`` (or ``tkl.config``'s default) puts the
channels before the spatial axes.

Example:
    >>> from torch_keraslike import ops
    >>> ops.image.resize(ops.ones((2, 4, 4, 3)), (8, 8)).shape
    torch.Size([2, 8, 8, 3])
"""

import torch
import torch.nn.functional as F

from ..config import standardize_data_format
from ._base import check_choice, convert, is_axis_int, result_type, shape_str, tensors
from ._image_warp import *  # noqa: F401,F403
from ._image_warp import __all__ as _warp_ops
from ._image_warp import gaussian_filter
from ._nn_conv import _same_pads
from ._symbolic import exported, keras_op

_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def _images(images, op):
    images = convert(images, op=op)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{op}: images must have rank 3 (one image) or 4 (a batch), received shape {shape_str(images.shape)}."
        )
    return images


def _to_nchw(images, data_format):
    """A channels-first batch, and whether a batch axis was added."""
    single = images.ndim == 3
    batch = images.unsqueeze(0) if single else images
    return (batch if data_format == "channels_first" else batch.permute(0, 3, 1, 2)), single


def _from_nchw(images, data_format, single):
    images = images if data_format == "channels_first" else images.permute(0, 2, 3, 1)
    return images.squeeze(0) if single else images


@keras_op("image")
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to ``size``.

    Args:
        images: one image or a batch.
        size: ``(height, width)``.
        interpolation: ``"bilinear"``, ``"nearest"`` or ``"bicubic"`` (``"lanczos3"``/
            ``"lanczos5"`` have no torch kernel: use ``scale_and_translate``).
        antialias: low-pass filter when downsampling (bilinear and bicubic).
        crop_to_aspect_ratio: first crop the centre to the target aspect ratio.
        pad_to_aspect_ratio: first pad (with ``fill_value``) to the target aspect ratio.
        fill_mode: ``"constant"`` (the only mode).
        fill_value: padding value of ``pad_to_aspect_ratio``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The resized images in the input dtype (integers rounded; ``uint8`` bicubic
        results clipped to [0, 255]).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.resize(ops.ones((4, 6, 3)), (2, 3)).shape
        torch.Size([2, 3, 3])
    """
    op = "ops.image.resize"
    data_format = standardize_data_format(data_format)
    if interpolation in ("lanczos3", "lanczos5"):
        raise ValueError(f"{op}: interpolation={interpolation!r} has no torch kernel. Fix: use "
                         "ops.image.scale_and_translate(..., method='lanczos3').")
    check_choice(interpolation, tuple(_RESIZE_MODES), op, "interpolation")
    check_choice(fill_mode, ("constant",), op, "fill_mode")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(f"{op}: only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be True.")
    size = tuple(size)
    if len(size) != 2 or not all(is_axis_int(s) and s > 0 for s in size):
        raise ValueError(f"{op}: size must be two positive ints (height, width), received size={size!r}.")
    images = _images(images, op)
    x, single = _to_nchw(images, data_format)
    dtype = x.dtype
    if dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)
    height, width = x.shape[-2:]
    target_h, target_w = size
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        x = x[:, :, top:top + crop_h, left:left + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = int((max(height, int(width * target_h / target_w)) - height) / 2)
        pad_w = int((max(width, int(height * target_w / target_h)) - width) / 2)
        x = F.pad(x, (pad_w, pad_w, pad_h, pad_h), value=fill_value)
    smooth = interpolation in ("bilinear", "bicubic")
    out = F.interpolate(x, size=size, mode=_RESIZE_MODES[interpolation], align_corners=False if smooth else None,
                        antialias=antialias and smooth)
    if interpolation == "bicubic" and dtype == torch.uint8:
        out = out.clamp(0, 255)
    if dtype != out.dtype:
        out = (torch.round(out) if not dtype.is_floating_point else out).to(dtype)
    return _from_nchw(out, data_format, single)


def _box_args(names, values, op):
    """Checks that exactly two of (before, after, target) are given per axis, >= 0."""
    for axis in range(2):
        trio = [values[axis], values[axis + 2], values[axis + 4]]
        if trio.count(None) != 1:
            given = ", ".join(f"{names[i]}={values[i]}" for i in (axis, axis + 2, axis + 4))
            raise ValueError(f"{op}: give exactly two of {names[axis]}, {names[axis + 2]}, {names[axis + 4]}; "
                             f"received {given}.")
    for name, value in zip(names, values):
        if value is not None and value < 0:
            raise ValueError(f"{op}: {name} must be >= 0, received {name}={value}.")


def _spatial(images, data_format):
    return (images.shape[-3], images.shape[-2]) if data_format == "channels_last" else images.shape[-2:]


def _edges(before, after, target, size, sign):
    """``(before, after, target)`` along one axis from two of them: padding adds
    (``sign=1``, ``target = size + before + after``), cropping removes (``sign=-1``)."""
    if before is None:
        before = sign * (target - size) - after
    elif after is None:
        after = sign * (target - size) - before
    return before, after, size + sign * (before + after)


@keras_op("image")
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """Pads images with zeros; per axis give two of: the padding before, after, or the
    target size.

    Args:
        images: one image or a batch.
        top_padding: rows added above.
        left_padding: columns added on the left.
        bottom_padding: rows added below.
        right_padding: columns added on the right.
        target_height: height of the result.
        target_width: width of the result.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The padded images.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.pad_images(ops.ones((2, 2, 1)), 1, 1, target_height=4, target_width=5).shape
        torch.Size([4, 5, 1])
    """
    op = "ops.image.pad_images"
    data_format = standardize_data_format(data_format)
    images = _images(images, op)
    names = ("top_padding", "left_padding", "bottom_padding", "right_padding", "target_height", "target_width")
    values = [top_padding, left_padding, bottom_padding, right_padding, target_height, target_width]
    _box_args(names, values, op)
    height, width = _spatial(images, data_format)
    top, bottom, _ = _edges(top_padding, bottom_padding, target_height, height, 1)
    left, right, _ = _edges(left_padding, right_padding, target_width, width, 1)
    for name, value in (("top_padding", top), ("bottom_padding", bottom), ("left_padding", left),
                        ("right_padding", right)):
        if value < 0:
            raise ValueError(f"{op}: the target size is smaller than the image ({height}x{width}): "
                             f"{name} would be {value}.")
    pads = (0, 0, left, right, top, bottom) if data_format == "channels_last" else (left, right, top, bottom)
    return F.pad(images, pads)


@keras_op("image")
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """Crops images; per axis give two of: the cropping before, after, or the target size.

    Args:
        images: one image or a batch.
        top_cropping: rows removed at the top.
        left_cropping: columns removed on the left.
        bottom_cropping: rows removed at the bottom.
        right_cropping: columns removed on the right.
        target_height: height of the result.
        target_width: width of the result.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The cropped images (a view).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.crop_images(ops.ones((4, 5, 1)), 1, 1, target_height=2, target_width=3).shape
        torch.Size([2, 3, 1])
    """
    op = "ops.image.crop_images"
    data_format = standardize_data_format(data_format)
    images = _images(images, op)
    names = ("top_cropping", "left_cropping", "bottom_cropping", "right_cropping", "target_height", "target_width")
    values = [top_cropping, left_cropping, bottom_cropping, right_cropping, target_height, target_width]
    _box_args(names, values, op)
    height, width = _spatial(images, data_format)
    top, _, new_h = _edges(top_cropping, bottom_cropping, target_height, height, -1)
    left, _, new_w = _edges(left_cropping, right_cropping, target_width, width, -1)
    if top < 0 or left < 0 or new_h < 0 or new_w < 0 or top + new_h > height or left + new_w > width:
        raise ValueError(f"{op}: the crop (top={top}, left={left}, height={new_h}, width={new_w}) does not fit "
                         f"in images of {height}x{width}.")
    axis = images.ndim - 3 if data_format == "channels_last" else images.ndim - 2
    return images.narrow(axis, top, new_h).narrow(axis + 1, left, new_w)


def _patches(x, sizes, strides, dilations, padding, data_format, op):
    """Patches of the spatial axes of a batched tensor, channels last in each patch."""
    x = x if data_format == "channels_last" else torch.movedim(x, 1, -1)
    rank = len(sizes)
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], sizes[i], strides[i], dilations[i]) for i in range(rank)]
        x = F.pad(x, [0, 0] + [v for pair in reversed(pads) for v in pair])
    for i in range(rank):
        effective = (sizes[i] - 1) * dilations[i] + 1
        if x.shape[1 + i] < effective:
            raise ValueError(f"{op}: patches of {sizes} (dilated {effective}) do not fit in the input's "
                             f"spatial axis {i} of size {x.shape[1 + i]}.")
        x = x.unfold(1 + i, effective, strides[i])[..., ::dilations[i]]
    # (N, *out, C, *patch) -> (N, *out, *patch, C), flattened per patch.
    x = torch.movedim(x, 1 + rank, -1)
    x = x.reshape(*x.shape[: 1 + rank], -1)
    return x if data_format == "channels_last" else torch.movedim(x, -1, 1)


def _patch_args(images, size, strides, dilation_rate, padding, data_format, rank, op):
    data_format = standardize_data_format(data_format)
    padding = check_choice(str(padding).lower(), ("valid", "same"), op, "padding")
    sizes = (size,) * rank if is_axis_int(size) else tuple(size)
    steps = sizes if not strides else ((strides,) * rank if is_axis_int(strides) else tuple(strides))
    dilations = (dilation_rate,) * rank if is_axis_int(dilation_rate) else tuple(dilation_rate)
    for name, value in (("size", sizes), ("strides", steps), ("dilation_rate", dilations)):
        if len(value) != rank or not all(is_axis_int(v) and v >= 1 for v in value):
            raise ValueError(f"{op}: {name} must be an int or {rank} ints >= 1, received {value!r}.")
    x = convert(images, op=op)
    if x.ndim not in (rank + 1, rank + 2):
        raise ValueError(f"{op}: expected rank {rank + 1} or {rank + 2}, received shape {shape_str(x.shape)}.")
    single = x.ndim == rank + 1
    out = _patches(x.unsqueeze(0) if single else x, sizes, steps, dilations, padding, data_format, op)
    return out.squeeze(0) if single else out


@keras_op("image")
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of images, each flattened into the channel axis (a 3-element ``size``
    extracts 3-D patches of volumes).

    Args:
        images: one image or a batch (or volumes for 3-D sizes).
        size: patch size, an int or ``(height, width)``.
        strides: steps between patches (default ``size``).
        dilation_rate: spacing of the pixels of a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(batch, rows, cols, size_h * size_w * channels)`` (patch pixels in row-major
        order, channels innermost).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.extract_patches(ops.ones((1, 4, 4, 3)), 2).shape
        torch.Size([1, 2, 2, 12])
    """
    op = "ops.image.extract_patches"
    if not is_axis_int(size):
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{op}: size must be an int or a tuple, received {size!r}.")
        if len(size) not in (2, 3):
            raise ValueError(f"{op}: size must have 2 or 3 elements, received size={size!r}.")
    rank = 3 if not is_axis_int(size) and len(size) == 3 else 2
    return _patch_args(images, size, strides, dilation_rate, padding, data_format, rank, op)


@keras_op("image", keras_name="ExtractPatches3D")
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """3-D patches of volumes, each flattened into the channel axis.

    Args:
        volumes: one volume ``(depth, height, width, channels)`` or a batch.
        size: an int or ``(depth, height, width)``.
        strides: steps between patches (default ``size``).
        dilation_rate: spacing of the voxels of a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(batch, d, h, w, size_d * size_h * size_w * channels)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.extract_patches_3d(ops.ones((1, 4, 4, 4, 2)), 2).shape
        torch.Size([1, 2, 2, 2, 16])
    """
    return _patch_args(volumes, size, strides, dilation_rate, padding, data_format, 3,
                       "ops.image.extract_patches_3d")


@keras_op("image")
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Gaussian blur of each channel (zero padding, same size for odd kernels).

    Args:
        images: one image or a batch.
        kernel_size: ``(kernel_width, kernel_height)`` as in Keras's torch backend
            (equal sizes are the common case).
        sigma: standard deviations, ordered like ``kernel_size``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The blurred images.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.gaussian_blur(ops.ones((1, 5, 5, 1)))[0, 2, 2, 0]
        tensor(1.)
    """
    op = "ops.image.gaussian_blur"
    data_format = standardize_data_format(data_format)
    images = _images(images, op)
    sizes = (kernel_size,) * 2 if is_axis_int(kernel_size) else tuple(kernel_size)
    sigmas = (float(sigma),) * 2 if isinstance(sigma, (int, float)) else tuple(float(s) for s in sigma)
    if len(sizes) != 2 or not all(is_axis_int(s) and s >= 1 for s in sizes) or len(sigmas) != 2:
        raise ValueError(f"{op}: kernel_size and sigma must each be one or two values, received "
                         f"kernel_size={kernel_size!r}, sigma={sigma!r}.")
    x, single = _to_nchw(images, data_format)
    x = x if x.is_floating_point() else x.to(result_type(x.dtype, float))
    return _from_nchw(gaussian_filter(x, sizes, sigmas), data_format, single)


def _colour_planes(images, data_format, op, float_only=True):
    data_format = standardize_data_format(data_format)
    images = _images(images, op)
    if float_only and not images.is_floating_point():
        raise ValueError(f"{op}: images must be a float dtype, received {images.dtype}.")
    axis = -1 if data_format == "channels_last" else -3
    if images.shape[axis] != 3:
        raise ValueError(f"{op}: images need 3 channels on axis {axis}, received shape {shape_str(images.shape)}.")
    return images, axis


@keras_op("image", keras_name="RGBToGrayscale")
def rgb_to_grayscale(images, data_format=None):
    """Luma of RGB images: ``0.2989 R + 0.587 G + 0.114 B`` (one-channel images pass through).

    Args:
        images: one image or a batch with 3 (or 1) channels.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        One-channel images in the input dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.rgb_to_grayscale(ops.ones((2, 2, 3))).shape
        torch.Size([2, 2, 1])
    """
    op = "ops.image.rgb_to_grayscale"
    data_format = standardize_data_format(data_format)
    images = _images(images, op)
    axis = -1 if data_format == "channels_last" else -3
    if images.shape[axis] == 1:
        return images.clone()
    if images.shape[axis] != 3:
        raise ValueError(f"{op}: images need 3 or 1 channels, received shape {shape_str(images.shape)}.")
    red, green, blue = images.unbind(axis)
    return (0.2989 * red + 0.587 * green + 0.114 * blue).to(images.dtype).unsqueeze(axis)


@keras_op("image", keras_name="RGBToHSV")
def rgb_to_hsv(images, data_format=None):
    """RGB to HSV; all channels in ``[0, 1]`` (hue as a fraction of a turn).

    Args:
        images: float images with 3 channels.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        HSV images of the same shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.rgb_to_hsv([[[1.0, 0.0, 0.0]]])
        tensor([[[0., 1., 1.]]])
    """
    images, axis = _colour_planes(images, data_format, "ops.image.rgb_to_hsv")
    images = torch.where(torch.abs(images) < torch.finfo(images.dtype).eps, 0.0, images)
    red, green, blue = images.unbind(axis)
    value = torch.maximum(torch.maximum(red, green), blue)
    spread = value - torch.minimum(torch.minimum(red, green), blue)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == green, norm * (blue - red) + 2.0 / 6.0, norm * (red - green) + 4.0 / 6.0)
    hue = torch.where(value == red, norm * (green - blue), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack((hue, saturation, value), dim=axis)


@keras_op("image", keras_name="HSVToRGB")
def hsv_to_rgb(images, data_format=None):
    """HSV to RGB; the inverse of :func:`rgb_to_hsv`.

    Args:
        images: float images with 3 channels (hue, saturation, value in ``[0, 1]``).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        RGB images of the same shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.hsv_to_rgb([[[0.0, 1.0, 1.0]]])
        tensor([[[1., 0., 0.]]])
    """
    images, axis = _colour_planes(images, data_format, "ops.image.hsv_to_rgb")
    hue, saturation, value = images.unbind(axis)
    sector = torch.remainder(hue, 1.0) * 6.0
    red = torch.clip(torch.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = torch.clip(2.0 - torch.abs(sector - 2.0), 0.0, 1.0)
    blue = torch.clip(2.0 - torch.abs(sector - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    return torch.stack([value * (grey + saturation * c) for c in (red, green, blue)], dim=axis)


@keras_op("image")
def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel (zero padding).

    Args:
        images: a batch of images.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The input shape plus a last axis of 2: ``[dy, dx]``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.image.sobel_edges(ops.ones((1, 4, 4, 3))).shape
        torch.Size([1, 4, 4, 3, 2])
    """
    op = "ops.image.sobel_edges"
    data_format = standardize_data_format(data_format)
    images = convert(images, op=op)
    if images.ndim != 4:
        raise ValueError(f"{op} needs a batch of images (rank 4), received shape {shape_str(images.shape)}.")
    x = images if data_format == "channels_first" else images.permute(0, 3, 1, 2)
    channels = x.shape[1]
    gx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=x.dtype, device=x.device)
    kernels = torch.stack([gx.T, gx]).unsqueeze(1).repeat(channels, 1, 1, 1)  # [dy, dx] per channel
    edges = F.conv2d(x, kernels, padding=1, groups=channels)
    edges = edges.reshape(x.shape[0], channels, 2, *x.shape[2:]).movedim(2, -1)
    return edges if data_format == "channels_first" else edges.permute(0, 2, 3, 1, 4)


@keras_op("image", keras_name="SSIM")
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """Structural similarity index between two images (or batches), averaged over
    pixels and channels.

    Args:
        image1: one image or a batch.
        image2: same shape.
        max_val: dynamic range of the pixel values.
        filter_size: size of the Gaussian window.
        filter_sigma: its standard deviation.
        k1: stabiliser of the luminance term.
        k2: stabiliser of the contrast term.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(batch,)`` values (a scalar for one image), in the input dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> image = ops.linspace(0.0, 1.0, 16 * 16).reshape(16, 16, 1)
        >>> round(float(ops.image.ssim(image, image)), 4)
        1.0
    """
    op = "ops.image.ssim"
    data_format = standardize_data_format(data_format)
    a, b = tensors(image1, image2, op=op)
    for name, value in (("image1", a), ("image2", b)):
        if value.ndim not in (3, 4):
            raise ValueError(f"{op}: {name} must have rank 3 or 4, received shape {shape_str(value.shape)}.")
    if a.shape != b.shape:
        raise ValueError(f"{op}: the images must have the same shape, received {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}.")
    dtype = a.dtype
    compute = result_type(dtype, float)
    a, b = a.to(compute), b.to(compute)
    x, single = _to_nchw(a, data_format)
    y, _ = _to_nchw(b, data_format)
    batch, channels, height, width = x.shape
    x, y = x.reshape(-1, 1, height, width), y.reshape(-1, 1, height, width)
    window = torch.arange(filter_size, dtype=compute, device=x.device) - (filter_size - 1) / 2.0
    window = torch.exp(-(window**2) / (2.0 * filter_sigma**2))
    window = window / window.sum()
    kernel = torch.outer(window, window)[None, None]

    def local_mean(values):
        return F.conv2d(values, kernel)

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x * mu_x
    var_y = local_mean(y * y) - mu_y * mu_y
    cov = local_mean(x * y) - mu_x * mu_y
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    index = ((2.0 * mu_x * mu_y + c1) * (2.0 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    result = index.mean(dim=(1, 2, 3)).reshape(batch, channels).mean(-1)
    return (result.squeeze(0) if single else result).to(dtype)


__all__ = sorted(exported(globals()) + _warp_ops)
