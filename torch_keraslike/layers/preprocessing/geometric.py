"""Random geometric warps: ``RandomShear`` (affine), ``RandomPerspective``
(projective) and ``RandomElasticTransform`` (a smooth random displacement field).
Segmentation masks follow the images with nearest-neighbour sampling."""

import torch
import torch.nn.functional as F

from ...ops import image as image_ops
from ...saving import register_serializable
from .._common import layer_label
from ._affine import INTERPOLATIONS, sample
from ._base import BaseImagePreprocessingLayer, batch_size_of, factor_pair, images_of, is_number, value_range_pair
from .random_affine import _RandomAffine

__all__ = ["RandomElasticTransform", "RandomPerspective", "RandomShear"]


def _shear_range(layer, factor, name):
    """``(lower, upper)``: a number ``f`` in ``[0, 1]`` gives ``(-f, f)``; a pair (in
    ``[-1, 1]``, so that configs, which hold the pair, load again) is sorted."""
    pair = isinstance(factor, (tuple, list))
    items = list(factor) if pair else [factor]
    low = -1 if pair else 0
    if len(items) != (2 if pair else 1) or not all(is_number(f) and low <= f <= 1 for f in items):
        raise ValueError(
            f"{layer_label(layer)}: the `factor` argument should be a number in the range [0, 1.0] "
            f"(or a list of two numbers in [-1.0, 1.0]). Received: {name}={factor!r}."
        )
    if isinstance(factor, (tuple, list)):
        return tuple(sorted(items))
    return (-abs(factor), abs(factor))


def _check_interpolation(layer, interpolation):
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer_label(layer)}: Unknown `interpolation` {interpolation!r}. Expected of one {INTERPOLATIONS}."
        )


@register_serializable(package="keras")
class RandomShear(_RandomAffine):
    """Shears each image by random amounts along x and y, while training.

    Output pixel ``(x, y)`` samples the input at ``(x + s_x * y, y + s_y * x)``;
    ``s_x`` is drawn per image from ``x_factor``, ``s_y`` from ``y_factor``, and both
    change sign together with probability 1/2. In inference the input is returned
    unchanged (in the layer's floating dtype).

    Args:
        x_factor: a number ``f`` in ``[0, 1]`` (range ``[-f, f]``) or a pair
            ``(lower, upper)`` in ``[-1, 1]`` (default 0: no horizontal shear).
        y_factor: the same for the vertical shear.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or
            ``"nearest"``: how points outside the image are filled.
        fill_value: value of ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomShear(x_factor=(1.0, 1.0), fill_mode="constant", seed=2)
        >>> layer(torch.ones(1, 3, 3, 1), training=True)[0, ..., 0]
        tensor([[1., 1., 1.],
                [0., 1., 1.],
                [0., 0., 1.]])
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = _shear_range(self, x_factor, "x_factor")
        self.y_factor = _shear_range(self, y_factor, "y_factor")
        self._setup(fill_mode, interpolation, seed, fill_value)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        sign = torch.where(self._rand((batch, 1), device) > 0.5, -1.0, 1.0)
        shear_y = self._uniform((batch, 1), *self.y_factor, device)
        shear_x = self._uniform((batch, 1), *self.x_factor, device)
        shear = torch.cat([shear_x, shear_y], dim=1) * sign
        return {"shear_factor": shear.to(self._tkl_dtype), "input_shape": tuple(images.shape)}

    def _matrix(self, transformation, images):
        shear = transformation["shear_factor"].to(torch.float32)
        ones, zeros = torch.ones_like(shear[:, 0]), torch.zeros_like(shear[:, 0])
        return torch.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update(x_factor=self.x_factor, y_factor=self.y_factor)
        return config


@register_serializable(package="keras")
class RandomPerspective(BaseImagePreprocessingLayer):
    """Applies a random perspective warp to some images, while training.

    Each image is warped with a probability drawn from ``[lower, upper]`` of
    ``factor``: its corners move by up to ``scale / 2`` of their coordinates
    (corner ``(x, y)`` goes to ``(x (1 + dx), y (1 + dy))``, ``dx``, ``dy`` drawn in
    ``[-scale / 2, scale / 2]``; the top-left corner stays). Points outside the
    input get ``fill_value``. In inference the input is returned unchanged (in the
    layer's floating dtype).

    Args:
        factor: the warp probability: a number ``f`` in ``[0, 1]`` (range
            ``[0, f]``) or a pair (default 1.0).
        scale: the strength of the warp, in ``[0, 1]`` (default 1.0).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: value of the points outside the input (default 0).
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomPerspective(scale=0.5, seed=3)
        >>> layer(torch.rand(2, 8, 8, 3), training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        if not is_number(scale) or not 0 <= scale <= 1:
            raise ValueError(
                f"{layer_label(self)}: the `scale` argument should be a number in the range [0,1]. "
                f"Received: scale={scale!r}."
            )
        _check_interpolation(self, interpolation)
        if not is_number(fill_value):
            raise ValueError(f"{layer_label(self)}: fill_value must be a number, received {fill_value!r}.")
        self.scale, self.interpolation, self.fill_value = scale, interpolation, fill_value
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        height, width = self._image_size(images)
        apply = self._apply_with_probability(batch, self.factor, device)
        factor = self._uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, device).to(self._tkl_dtype)
        corners = [[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0], [width - 1.0, height - 1.0]]
        start = torch.tensor(corners, dtype=self._tkl_dtype, device=device).expand(batch, 4, 2)
        return {"apply_perspective": apply, "start_points": start, "end_points": start + start * factor,
                "input_shape": tuple(images.shape)}

    def _warp(self, images, transformation, interpolation):
        warped = image_ops.perspective_transform(
            images, transformation["start_points"], transformation["end_points"], interpolation=interpolation,
            fill_value=self.fill_value, data_format=self.data_format)
        return torch.where(transformation["apply_perspective"].reshape(-1, 1, 1, 1), warped, images)

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return self._warp(images, transformation, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._warp(segmentation_masks, transformation, "nearest")

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, interpolation=self.interpolation,
                      fill_value=self.fill_value, seed=self.seed)
        return config


_ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _smooth(noise, sigma, max_size):
    """Keras's Gaussian smoothing of ``noise`` ``(N, 1, H, W)``: a kernel of odd size
    ``int(6 sigma) | 1`` (zero padding). ``sigma`` is a tensor: the kernel is built at
    ``max_size`` with the taps beyond the true radius zeroed, which is the same sum,
    without reading the size back from the device."""
    size = torch.floor(6 * sigma)
    size = size + 1 - torch.remainder(size, 2)
    offsets = torch.arange(max_size, dtype=noise.dtype, device=noise.device) - (max_size - 1) / 2
    taps = torch.exp(-0.5 * (offsets / sigma) ** 2) * (offsets.abs() <= (size - 1) / 2)
    taps = taps / taps.sum()
    kernel = torch.outer(taps, taps).reshape(1, 1, max_size, max_size)
    return F.conv2d(noise, kernel, padding=max_size // 2)


@register_serializable(package="keras")
class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Displaces the pixels of some images along a smooth random field, while
    training.

    Each image is deformed with a probability drawn from ``[lower, upper]`` of
    ``factor``. One strength ``s`` per call is drawn from ``scale``; per image, two
    Gaussian noise planes (times ``sigma = 0.05 s min(H, W)``) are smoothed by a
    Gaussian of that ``sigma`` and scaled by ``alpha = 0.1 s max(H, W)``: pixel
    ``(y, x)`` samples the input at ``(y + alpha dy, x + alpha dx)``. Results are
    clipped to ``value_range``; masks follow the same field (nearest). In inference
    the input is returned unchanged (in the layer's floating dtype).

    Args:
        factor: the deformation probability: a number ``f`` in ``[0, 1]`` (range
            ``[0, f]``) or a pair (default 1.0).
        scale: the strength: a number ``s`` in ``[0, 1]`` (range ``[0, s]``) or a pair
            (default 1.0).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"mirror"``, ``"wrap"``, ``"nearest"``
            or ``"constant"``.
        fill_value: value of ``fill_mode="constant"`` (default 0).
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomElasticTransform(seed=0)
        >>> layer(torch.rand(2, 16, 16, 3) * 255, training=True).shape
        torch.Size([2, 16, 16, 3])
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.scale = factor_pair(self, scale, (0, 1), name="scale")
        _check_interpolation(self, interpolation)
        if fill_mode not in _ELASTIC_FILL_MODES:
            raise NotImplementedError(
                f"{layer_label(self)}: Unknown `fill_mode` {fill_mode!r}. Expected of one {_ELASTIC_FILL_MODES}."
            )
        if not is_number(fill_value):
            raise ValueError(f"{layer_label(self)}: fill_value must be a number, received {fill_value!r}.")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        height, width = self._image_size(images)
        apply = self._apply_with_probability(batch, self.factor, device)
        distortion = self._uniform((), *self.scale, device).to(self._tkl_dtype)
        noise = self._normal((2, batch, height, width), device).to(self._tkl_dtype)
        return {"apply_transform": apply, "distortion_factor": distortion, "noise": noise}

    def _deform(self, images, transformation, interpolation):
        channels_last = images if self._channels_last else images.permute(0, 2, 3, 1)
        batch, height, width, _ = channels_last.shape
        dtype = images.dtype if images.is_floating_point() else self._tkl_dtype
        factor = transformation["distortion_factor"].to(dtype)
        alpha, sigma = max(height, width) * 0.1 * factor, min(height, width) * 0.05 * factor
        noise = transformation.get("noise")
        if noise is None:
            # A transformation sampled by Keras: its noise comes from torch's global
            # generator, drawn as Keras draws it (dx, then dy).
            noise = torch.stack([torch.randn((batch, height, width), dtype=dtype, device=images.device)
                                 for _ in range(2)])
        max_size = int(6 * min(height, width) * 0.05 * self.scale[1]) | 1
        field = _smooth(noise.to(dtype).reshape(2 * batch, 1, height, width) * sigma, sigma, max_size + 2)
        dx, dy = field.reshape(2, batch, height, width)
        y = torch.arange(height, dtype=dtype, device=images.device).reshape(1, -1, 1)
        x = torch.arange(width, dtype=dtype, device=images.device).reshape(1, 1, -1)
        warped = sample(channels_last, y + alpha * dy, x + alpha * dx, interpolation, self.fill_mode,
                        self.fill_value)
        warped = warped if self._channels_last else warped.permute(0, 3, 1, 2)
        return torch.where(transformation["apply_transform"].reshape(-1, 1, 1, 1), warped, images)

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return self._deform(images, transformation, self.interpolation).clamp(*sorted(self.value_range))

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._deform(segmentation_masks, transformation, "nearest")

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, interpolation=self.interpolation,
                      fill_mode=self.fill_mode, fill_value=self.fill_value, value_range=self.value_range,
                      seed=self.seed)
        return config

