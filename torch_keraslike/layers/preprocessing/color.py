"""Random colour augmentations of RGB images: ``RandomColorDegeneration``,
``RandomGrayscale``, ``RandomHue``, ``RandomSaturation`` and ``RandomColorJitter``
(brightness, contrast, saturation and hue in one layer)."""

import torch

from ... import config as tkl_config
from ...ops import image as image_ops
from ...saving import register_serializable
from .._common import layer_label
from ._base import (
    BaseImagePreprocessingLayer,
    batch_size_of,
    driven_by,
    factor_pair,
    images_of,
    is_number,
    to_value_range,
    value_range_pair,
)
from .random_color import RandomBrightness, RandomContrast, _RandomColor

__all__ = ["RandomColorDegeneration", "RandomColorJitter", "RandomGrayscale", "RandomHue", "RandomSaturation"]

_RGB = (3,)


class _RandomRGB(_RandomColor):
    """Colour layers that need three channels; the check runs when the layer builds."""

    def build(self, input_shape):
        super().build(input_shape)
        self._check_channels(input_shape, _RGB)

    def _hsv(self, images):
        return image_ops.rgb_to_hsv(images, data_format=self.data_format)

    def _rgb(self, images):
        return image_ops.hsv_to_rgb(images, data_format=self.data_format)

    def _with_channel(self, images, index, channel):
        """``images`` with channel ``index`` replaced by ``channel`` (channel axis removed)."""
        axis = -1 if self._channels_last else -3
        planes = list(images.unbind(axis))
        planes[index] = channel
        return torch.stack(planes, dim=axis)

    def _per_image(self, values, images):
        """Per-image ``values`` shaped to broadcast against one channel plane."""
        return values.reshape(-1, 1, 1).to(images.dtype)


@register_serializable(package="keras")
class RandomColorDegeneration(_RandomRGB):
    """Blends each image with its grayscale version by a random factor, while training.

    ``x -> x + f * (gray(x) - x)``, clipped to ``value_range``, with ``f`` drawn per
    image from ``[lower, upper]``: 0 keeps the image, 1 gives the grayscale image.
    As in Keras 3, a single number ``f`` samples from ``[-f, f]`` (negative factors
    push the colours away from gray); pass ``(0, f)`` for ``[0, f]``. In inference
    the input is returned unchanged (in the layer's floating dtype).

    Args:
        factor: a number in ``[-1, 1]`` or a pair ``(lower, upper)``.
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``); outputs are clipped to it.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, 3)`` or ``(H, W, 3)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomColorDegeneration((1.0, 1.0))  # always fully gray
        >>> out = layer(torch.rand(2, 4, 4, 3) * 255, training=True)
        >>> bool(torch.allclose(out[..., 0], out[..., 2]))
        True
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (-1, 1))
        self.value_range = sorted(value_range_pair(self, value_range))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        factor = self._uniform((batch_size_of(images), 1, 1, 1), *self.factor, images.device)
        return {"factor": factor}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        factor = transformation["factor"].reshape(-1, 1, 1, 1).to(images.dtype)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return (images + factor * (gray - images)).clamp(*self.value_range)


@register_serializable(package="keras")
class RandomGrayscale(BaseImagePreprocessingLayer):
    """Turns each image to grayscale with probability ``factor``, while training.

    A converted image keeps its number of channels, all equal to its luma
    ``0.2989 R + 0.587 G + 0.114 B``. Integer images keep their dtype (the luma is
    truncated to it, as in Keras). In inference the input is returned unchanged.

    Args:
        factor: the probability, in ``[0, 1]``, that an image is converted
            (default 0.5).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, 3)`` or ``(H, W, 3)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomGrayscale(factor=1.0)
        >>> layer(torch.tensor([[[[10.0, 20.0, 30.0]]]]), training=True)
        tensor([[[[18.1490, 18.1490, 18.1490]]]])
    """

    _keeps_integer_dtype = True

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not is_number(factor) or not 0 <= factor <= 1:
            raise ValueError(
                f"{layer_label(self)}: `factor` should be between 0 and 1. Received: "
                f"factor={factor!r}. Fix: e.g. factor=0.5 (half of the images)."
            )
        self.factor = factor
        self._set_seed(seed)

    def build(self, input_shape):
        super().build(input_shape)
        self._check_channels(input_shape, (1, 3))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        draws = self._rand((batch_size_of(images),), images.device)
        # Keras's transformation is the boolean tensor itself, shaped to broadcast.
        return (draws < self.factor).reshape(-1, 1, 1, 1)

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return torch.where(transformation.reshape(-1, 1, 1, 1), gray, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, seed=self.seed)
        return config


@register_serializable(package="keras")
class RandomHue(_RandomRGB):
    """Rotates the hue of each image by a random amount, while training.

    In HSV space the hue of each image moves by ``±f / 2`` of a turn (the sign drawn
    with probability 1/2), ``f`` drawn from ``[lower, upper]``; saturation and value
    stay. ``value_range`` maps the pixels to ``[0, 1]`` and back. In inference the
    input is returned unchanged (in the layer's floating dtype).

    Args:
        factor: a number ``f`` in ``[0, 1]`` (range ``[0, f]``) or a pair
            ``(lower, upper)``; 1 allows the largest shift (half a turn).
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, 3)`` or ``(H, W, 3)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomHue((1.0, 1.0), value_range=(0, 1))  # half a turn
        >>> layer(torch.tensor([[[[1.0, 0.0, 0.0]]]]), training=True)  # red -> cyan
        tensor([[[[0., 1., 1.]]]])
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch = batch_size_of(images)
        sign = torch.where(self._rand((batch,), images.device) > 0.5, -1.0, 1.0)
        factor = self._uniform((batch,), *self.factor, images.device)
        return {"factor": sign * factor * 0.5}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        hsv = self._hsv(to_value_range(images, self.value_range, (0, 1)))
        axis = -1 if self._channels_last else -3
        hue = hsv.select(axis, 0) + self._per_image(transformation["factor"], images)
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        rgb = self._rgb(self._with_channel(hsv, 0, hue)).clamp(0, 1)
        return to_value_range(rgb, (0, 1), self.value_range)


@register_serializable(package="keras")
class RandomSaturation(_RandomRGB):
    """Scales the saturation of each image by a random factor, while training.

    A draw ``f`` from ``[lower, upper]`` becomes the multiplier ``f / (1 - f + eps)``
    of the HSV saturation (so ``f = 0.5`` keeps it, 0 gives gray, 1 the most
    saturated colours); the scaled saturation is clipped to ``value_range`` as in
    Keras 3. As in Keras, a single number ``f`` samples from ``[-f, f]`` (negative
    draws give gray); pass ``(0.5, 0.5)`` for no change. In inference the input is
    returned unchanged (in the layer's floating dtype).

    Args:
        factor: a number in ``[-1, 1]`` or a pair ``(lower, upper)``.
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, 3)`` or ``(H, W, 3)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomSaturation((0.0, 0.0))  # fully desaturated
        >>> layer(torch.tensor([[[[200.0, 100.0, 50.0]]]]), training=True)
        tensor([[[[200., 200., 200.]]]])
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (-1, 1))
        self.value_range = sorted(value_range_pair(self, value_range))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        factor = self._uniform((batch_size_of(images),), *self.factor, images.device)
        return {"factor": factor / (1 - factor + tkl_config.epsilon())}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        hsv = self._hsv(images)
        axis = -1 if self._channels_last else -3
        saturation = hsv.select(axis, 1) * self._per_image(transformation["factor"], images)
        return self._rgb(self._with_channel(hsv, 1, saturation.clamp(*self.value_range)))


_JITTER_LAYERS = (
    ("brightness_factor", "random_brightness", RandomBrightness),
    ("contrast_factor", "random_contrast", RandomContrast),
    ("saturation_factor", "random_saturation", RandomSaturation),
    ("hue_factor", "random_hue", RandomHue),
)


@register_serializable(package="keras")
class RandomColorJitter(BaseImagePreprocessingLayer):
    """Random brightness, contrast, saturation and hue changes in one layer, while
    training.

    Each factor that is not None enables the matching layer
    (:class:`RandomBrightness`, :class:`RandomContrast`, :class:`RandomSaturation`,
    :class:`RandomHue`, with this ``value_range``), applied in that order; all
    draw from this layer's stream. In inference the input is returned unchanged (in
    the layer's floating dtype).

    Args:
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        brightness_factor: ``factor`` of :class:`RandomBrightness`, or None.
        contrast_factor: ``factor`` of :class:`RandomContrast`, or None.
        saturation_factor: ``factor`` of :class:`RandomSaturation`, or None.
        hue_factor: ``factor`` of :class:`RandomHue`, or None.
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, 3)`` or ``(H, W, 3)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomColorJitter(brightness_factor=0.2, hue_factor=0.1, seed=1)
        >>> layer(torch.rand(2, 8, 8, 3) * 255, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)
        factors = {"brightness_factor": brightness_factor, "contrast_factor": contrast_factor,
                   "saturation_factor": saturation_factor, "hue_factor": hue_factor}
        self._jitter_layers = []
        for argument, attribute, cls in _JITTER_LAYERS:
            factor = factors[argument]
            setattr(self, argument, factor)
            if factor is None:
                continue
            try:
                layer = cls(factor, value_range=self.value_range, data_format=self.data_format,
                            name=f"{self.name}_{attribute}", dtype=self._tkl_dtype)
            except ValueError as error:
                raise ValueError(f"{layer_label(self)}: invalid `{argument}`: {error}") from None
            setattr(self, attribute, driven_by(self, layer))
            self._jitter_layers.append(attribute)

    def build(self, input_shape):
        super().build(input_shape)
        for name in self._jitter_layers:
            getattr(self, name).build(input_shape)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        # Each draw depends only on the batch size: they are all made before applying.
        images = images_of(data)
        return {name: getattr(self, name).get_random_transformation(images, training=True)
                for name in self._jitter_layers}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        for name in self._jitter_layers:
            images = getattr(self, name).transform_images(images, transformation[name], training=True)
        return images

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, brightness_factor=self.brightness_factor,
                      contrast_factor=self.contrast_factor, saturation_factor=self.saturation_factor,
                      hue_factor=self.hue_factor, seed=self.seed)
        return config
