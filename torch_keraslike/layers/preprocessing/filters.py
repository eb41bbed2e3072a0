"""Random filters and occlusion: ``RandomSharpness``, ``RandomGaussianBlur`` (depthwise
convolutions on torch's kernels) and ``RandomErasing``."""

import torch
import torch.nn.functional as F

from ...ops._image_warp import gaussian_filter
from ...saving import register_serializable
from .._common import layer_label
from ._base import (
    BaseImagePreprocessingLayer,
    batch_size_of,
    factor_pair,
    images_of,
    is_number,
    value_range_pair,
)

__all__ = ["RandomErasing", "RandomGaussianBlur", "RandomSharpness"]


def _nchw(layer, images):
    return images.permute(0, 3, 1, 2) if layer._channels_last else images


def _from_nchw(layer, images):
    return images.permute(0, 2, 3, 1) if layer._channels_last else images


@register_serializable(package="keras")
class RandomSharpness(BaseImagePreprocessingLayer):
    """Sharpens or blurs each image by a random amount, while training.

    ``x -> x + (1 - 2 f) * (smooth(x) - x)``, clipped to ``value_range``, where
    ``smooth`` is the 3x3 filter ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` (zero
    padding) and ``f`` is drawn per image from ``[lower, upper]``: 0 gives the
    smoothed image, 0.5 the original, 1 the most sharpened one. In inference the
    input is returned unchanged (in the layer's floating dtype).

    Args:
        factor: a number ``f`` in ``[0, 1]`` (range ``[0, f]``) or a pair
            ``(lower, upper)``.
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``); outputs are clipped to it.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomSharpness((0.5, 0.5))  # 0.5: unchanged
        >>> x = torch.rand(1, 5, 5, 3) * 255
        >>> bool(torch.allclose(layer(x, training=True), x))
        True
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.value_range = sorted(value_range_pair(self, value_range))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        return {"factor": self._uniform((batch_size_of(images),), *self.factor, images.device)}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        sharpness = (transformation["factor"] * 2).reshape(-1, 1, 1, 1).to(images.dtype)
        x = _nchw(self, images)
        channels = x.shape[1]
        kernel = torch.ones(3, 3, dtype=images.dtype, device=images.device)
        kernel[1, 1] = 5.0
        kernel = (kernel / 13.0).expand(channels, 1, 3, 3)
        smoothed = _from_nchw(self, F.conv2d(x, kernel, padding=1, groups=channels))
        return (images + (1.0 - sharpness) * (smoothed - images)).clamp(*self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


def _odd_sizes(layer, kernel_size):
    sizes = list(kernel_size) if isinstance(kernel_size, (tuple, list)) else [kernel_size] * 2
    if len(sizes) != 2 or not all(is_number(k) and k == int(k) and k > 0 and int(k) % 2 == 1 for k in sizes):
        raise ValueError(
            f"{layer_label(layer)}: kernel_size must be an odd positive number or a pair of them. "
            f"Received: kernel_size={kernel_size!r}. Fix: e.g. kernel_size=3 or (3, 5)."
        )
    return tuple(int(k) for k in sizes)


@register_serializable(package="keras")
class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blurs some images with a Gaussian filter of random width, while training.

    Each image is blurred with a probability drawn from ``[lower, upper]`` of
    ``factor``; one ``(sigma_x, sigma_y)`` pair is drawn per call from ``sigma``.
    The blur is a depthwise convolution with zero padding (the image edges darken
    slightly), as Keras's; results are clipped to ``value_range``. In inference the
    input is returned unchanged (in the layer's floating dtype).

    Args:
        factor: the blur probability: a number ``f`` in ``[0, 1]`` (range
            ``[0, f]``) or a pair (default 1.0).
        kernel_size: an odd int or a pair ``(width, height)`` of odd ints (default 3).
        sigma: a number ``s`` in ``[0, 1]`` (range ``[0, s]``) or a pair; the
            standard deviations in pixels (default 1.0).
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(1.0, 1.0))
        >>> image = torch.zeros(1, 5, 5, 1)
        >>> image[0, 2, 2, 0] = 255.0
        >>> layer(image, training=True)[0, 1:4, 1:4, 0].round()
        tensor([[19., 32., 19.],
                [32., 52., 32.],
                [19., 32., 19.]])
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.kernel_size = _odd_sizes(self, kernel_size)
        self.sigma = factor_pair(self, sigma, (0, 1), name="sigma")
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        should_apply = self._apply_with_probability(batch, self.factor, device)
        blur_factor = self._uniform((2,), *self.sigma, device).to(self._tkl_dtype) + 1e-6
        return {"should_apply_blur": should_apply, "blur_factor": blur_factor}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        sigma = transformation["blur_factor"].to(images.dtype)
        blurred = _from_nchw(self, gaussian_filter(_nchw(self, images), self.kernel_size, (sigma[0], sigma[1])))
        apply = transformation["should_apply_blur"].reshape(-1, 1, 1, 1)
        return torch.where(apply, blurred, images).clamp(*self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, kernel_size=self.kernel_size, sigma=self.sigma,
                      value_range=self.value_range, seed=self.seed)
        return config


def _fill_value(layer, fill_value):
    if fill_value is None or is_number(fill_value):
        return fill_value
    if isinstance(fill_value, (tuple, list)) and len(fill_value) == 3 and all(is_number(v) for v in fill_value):
        return list(fill_value)
    raise ValueError(
        f"{layer_label(layer)}: the `fill_value` argument should be a number (or a list of three "
        f"numbers, one per channel), or None for Gaussian noise. Received: fill_value={fill_value!r}."
    )


@register_serializable(package="keras")
class RandomErasing(BaseImagePreprocessingLayer):
    """Erases a random rectangle of some images, while training.

    Each image is erased with a probability drawn from ``[lower, upper]`` of
    ``factor``. Its rectangle covers the fractions ``sqrt(s_w)`` of the width and
    ``sqrt(s_h)`` of the height (``s_w``, ``s_h`` drawn from ``scale``) at a random
    position, and is filled with ``fill_value`` (default: Gaussian noise times
    ``high``), clipped to ``value_range``. In inference the input is returned
    unchanged (in the layer's floating dtype).

    Args:
        factor: the erasing probability: a number ``f`` in ``[0, 1]`` (range
            ``[0, f]``) or a pair (default 1.0).
        scale: the range of the area fractions, a number or a pair in ``[0, 1]``
            (default ``(0.02, 0.33)``).
        fill_value: a number, three numbers (one per channel, channels_last), or
            None for noise.
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
        >>> layer = tkl.layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0, seed=0)
        >>> out = layer(torch.full((1, 8, 8, 1), 9.0), training=True)
        >>> int((out == 0).sum())  # a 4 x 4 rectangle
        16
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.scale = factor_pair(self, scale, (0, 1), name="scale")
        self.fill_value = _fill_value(self, fill_value)
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)

    def build(self, input_shape):
        super().build(input_shape)
        if isinstance(self.fill_value, list):
            self._check_channels(input_shape, (3,))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        height, width = self._image_size(images)
        ratios = torch.sqrt(self._uniform((batch, 2), *self.scale, device))
        masks, _ = self._random_rectangles(batch, height, width, ratios[:, 0], ratios[:, 1], device)
        apply = self._apply_with_probability(batch, self.factor, device)
        shape = (batch,) + tuple(images.shape[-3:])
        if self.fill_value is None:
            fill = self._normal(shape, device) * self.value_range[1]
        else:
            fill = torch.tensor(self.fill_value, dtype=torch.float32, device=device)
            if fill.dim() and not self._channels_last:
                fill = fill.reshape(-1, 1, 1)
            fill = fill.expand(shape)
        fill = fill.clamp(self.value_range[0], self.value_range[1]).to(self._tkl_dtype)
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": fill}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        fill = transformation["fill_value"].to(images.dtype)
        if fill.dim() == 3:  # a single image's fill (Keras's transformations of rank-3 inputs)
            fill = fill.unsqueeze(0)
        erased = torch.where(transformation["batch_masks"], fill, images)
        return torch.where(transformation["apply_erasing"].reshape(-1, 1, 1, 1), erased, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, fill_value=self.fill_value,
                      value_range=self.value_range, seed=self.seed)
        return config
