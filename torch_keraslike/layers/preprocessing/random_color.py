"""Random colour augmentations: ``RandomContrast`` and ``RandomBrightness``."""

import math

import torch

from ...saving import register_serializable
from ._base import BaseImagePreprocessingLayer, factor_pair, saturate_cast, value_range_pair

__all__ = ["RandomBrightness", "RandomContrast"]


class _RandomColor(BaseImagePreprocessingLayer):
    """One random factor per image, shaped ``(batch, 1, 1, 1)`` (``(1, 1, 1)`` for a
    single image); masks are unchanged."""

    def _per_image_shape(self, images):
        return (images.shape[0], 1, 1, 1) if images.dim() == 4 else (1, 1, 1)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


@register_serializable(package="keras")
class RandomContrast(_RandomColor):
    """Scales the contrast of each image by a random factor, while training.

    Per image and channel, ``x -> (x - mean) * c + mean`` (``mean`` over height and
    width), then clipped to ``value_range``; ``c`` is drawn per image from
    ``[1 - lower, 1 + upper]``. As in Keras 3, a single number ``f`` gives
    ``(lower, upper) = (0, f)``, i.e. ``c`` in ``[1, 1 + f]``; pass ``(f, f)`` for
    ``[1 - f, 1 + f]``. In inference the input is returned unchanged (in the layer's
    floating dtype).

    Args:
        factor: a number in ``[0, 1]`` or a pair ``(lower, upper)``, see above.
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``); outputs are clipped to it.
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomContrast(0.5, value_range=(0, 1), seed=0)
        >>> out = layer(torch.rand(2, 4, 4, 3), training=True)
        >>> bool(out.min() >= 0 and out.max() <= 1)
        True
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        lower, upper = self.factor
        factor = self._uniform(self._per_image_shape(images), 1.0 - lower, 1.0 + upper, images.device)
        return {"contrast_factor": factor.to(self._tkl_dtype)}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        factor = transformation["contrast_factor"].reshape(-1, 1, 1, 1).to(images.dtype)
        mean = images.mean(self._height_axis, keepdim=True).mean(self._width_axis, keepdim=True)
        outputs = (images - mean) * factor + mean
        return outputs.clamp(self.value_range[0], self.value_range[1])


@register_serializable(package="keras")
class RandomBrightness(_RandomColor):
    """Adds a random brightness offset to each image, while training.

    Each image gets ``x + delta`` clipped to ``value_range``, with ``delta`` drawn
    per image from ``[lower, upper] * (high - low)``. Integer images keep their dtype:
    ``delta`` is truncated towards zero (as Keras casts it), and the result is
    saturated into the dtype (Keras wraps negative offsets of ``uint8`` images
    around; this layer does not). In inference the input is returned unchanged
    (floating inputs in the layer's dtype).

    Args:
        factor: a number ``f`` in ``[-1, 1]`` (offsets in ``[-|f|, |f|]`` of the
            range) or a pair ``(lower, upper)``; -1 makes images black, 1 white.
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``); outputs are clipped to it.
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)``; output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomBrightness((0.5, 0.5), value_range=(0, 1))
        >>> layer(torch.tensor([[0.2, 0.7]]).reshape(1, 1, 2, 1), training=True).flatten()
        tensor([0.7000, 1.0000])
    """

    _keeps_integer_dtype = True

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (-1, 1))
        self.value_range = sorted(value_range_pair(self, value_range))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        low, high = self.value_range
        lower, upper = self.factor
        delta = self._uniform(self._per_image_shape(images), lower, upper, images.device)
        return {"rgb_delta": delta * (high - low)}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        delta = transformation["rgb_delta"].reshape(-1, 1, 1, 1)
        low, high = self.value_range
        if images.is_floating_point():
            return (images + delta.to(images.dtype)).clamp(low, high)
        shifted = images.to(torch.int64) + delta.trunc().to(torch.int64)
        return saturate_cast(shifted.clamp(math.ceil(low), math.floor(high)), images.dtype)
