"""Pixel-value (tone) transforms: ``AutoContrast`` (always active) and the random
``RandomInvert``, ``RandomPosterization`` and ``Solarization``."""

import torch

from ...saving import register_serializable
from .._common import is_int, layer_label
from ._base import (
    BaseImagePreprocessingLayer,
    batch_size_of,
    factor_pair,
    images_of,
    is_number,
    to_value_range,
    value_range_pair,
)

__all__ = ["AutoContrast", "RandomInvert", "RandomPosterization", "Solarization"]

_FULL = (0, 255)


@register_serializable(package="keras")
class AutoContrast(BaseImagePreprocessingLayer):
    """Stretches each channel of each image over the whole ``value_range``, in
    training and inference.

    Per image and channel, the smallest value becomes ``low`` and the largest
    ``high`` (linearly in between). A constant channel (no range to stretch) is
    returned unchanged. Outputs are in the layer's floating dtype.

    Args:
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.AutoContrast(value_range=(0, 1))
        >>> layer(torch.tensor([0.2, 0.4, 0.6]).reshape(1, 1, 3, 1)).flatten()
        tensor([0.0000, 0.5000, 1.0000])
    """

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = sorted(value_range_pair(self, value_range))

    def transform_images(self, images, transformation=None, training=True):
        images = self._to_compute_dtype(images)
        scaled = to_value_range(images, self.value_range, _FULL)
        spatial = (self._height_axis, self._width_axis)
        low = scaled.amin(dim=spatial, keepdim=True)
        high = scaled.amax(dim=spatial, keepdim=True)
        scale = 255.0 / (high - low)
        stretched = (scaled * scale - low * scale).clamp(0.0, 255.0)
        results = to_value_range(stretched, _FULL, self.value_range)
        # A constant channel divides by zero (NaN): it keeps its values.
        return torch.where(torch.isnan(results), images, results)

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config


@register_serializable(package="keras")
class RandomInvert(BaseImagePreprocessingLayer):
    """Inverts the colours of some images, ``x -> high - x``, while training.

    Each image is inverted with a probability drawn from ``[lower, upper]`` (a
    number ``f`` gives ``[0, f]``). In inference the input is returned unchanged (in
    the layer's floating dtype).

    Args:
        factor: a number in ``[0, 1]`` or a pair ``(lower, upper)`` (default 1.0).
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``); inverted pixels are ``high - x``, as in Keras.
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomInvert(factor=(1.0, 1.0), value_range=(0, 1))
        >>> layer(torch.tensor([0.25, 1.0]).reshape(1, 1, 2, 1), training=True).flatten()
        tensor([0.7500, 0.0000])
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self.value_range = value_range_pair(self, value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        return {"apply_inversion": self._apply_with_probability(batch_size_of(images), self.factor, images.device)}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        apply = transformation["apply_inversion"].reshape(-1, 1, 1, 1)
        return torch.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


@register_serializable(package="keras")
class RandomPosterization(BaseImagePreprocessingLayer):
    """Keeps only the ``b`` highest bits of each 8-bit pixel value, while training.

    Pixels are mapped from ``value_range`` to ``[0, 255]``, truncated to 8-bit
    integers, their ``8 - b`` lowest bits cleared, and mapped back. ``b`` is drawn
    per image from ``[lower, upper)`` (upper excluded, as Keras's ``randint``), or is
    ``lower`` when both are equal. In inference the input is returned unchanged (in
    the layer's floating dtype).

    Args:
        factor: an int ``b`` in ``[1, 8]`` (range ``[1, b)``) or a pair
            ``(lower, upper)`` of such ints.
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
        >>> layer = tkl.layers.RandomPosterization(factor=(2, 2))  # keep 2 bits
        >>> layer(torch.tensor([[[[37.0, 200.0, 255.0]]]]), training=True)
        tensor([[[[  0., 192., 192.]]]])
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        items = list(factor) if isinstance(factor, (tuple, list)) else [factor]
        if len(items) not in (1, 2) or not all(is_int(f) and 1 <= f <= 8 for f in items):
            raise ValueError(
                f"{layer_label(self)}: the `factor` argument should be an integer (or a list of "
                f"two integers) in the range [1, 8] (bits kept). Received: factor={factor!r}. "
                "Fix: e.g. factor=4 or factor=(2, 6)."
            )
        self.factor = factor_pair(self, factor, (1, 8))
        self.factor = tuple(int(f) for f in self.factor)
        self.value_range = sorted(value_range_pair(self, value_range))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        lower, upper = self.factor
        if lower != upper:
            bits = self._draw(device, lambda g: torch.randint(lower, upper, (batch,), generator=g, device=device))
        else:
            bits = torch.full((batch,), lower, device=device)
        return {"shift_factor": (8 - bits).to(torch.uint8)}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        shift = transformation["shift_factor"].reshape(-1, 1, 1, 1).to(torch.int32)
        pixels = to_value_range(images, self.value_range, _FULL).clamp(0, 255).to(torch.int32)
        pixels = torch.bitwise_left_shift(torch.bitwise_right_shift(pixels, shift), shift)
        return to_value_range(pixels.to(images.dtype), _FULL, self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


def _solarization_factor(layer, factor, name):
    """Keras's pair for ``addition_factor``/``threshold_factor``: ``f`` gives
    ``(0, f)``, a pair is sorted; values in ``[0, 1]``."""
    items = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if len(items) not in (1, 2) or not all(is_number(f) and 0 <= f <= 1 for f in items):
        raise ValueError(
            f"{layer_label(layer)}: the `addition_factor` and `threshold_factor` arguments should "
            f"be a number (or a list of two numbers) in the range [0, 1]. Received: "
            f"{name}={factor!r}."
        )
    if isinstance(factor, (tuple, list)):
        return tuple(sorted(items))
    return (0, factor)


@register_serializable(package="keras")
class Solarization(BaseImagePreprocessingLayer):
    """Solarizes images: pixels at or above a threshold are inverted, while training.

    On the ``[0, 255]`` scale, each image gets ``x + a`` (clipped to ``[0, 255]``),
    then every value ``>= t`` becomes ``255 - value``. ``a`` is drawn per image
    from ``[lower, upper * 255]`` of ``addition_factor`` and ``t`` likewise from
    ``threshold_factor`` (Keras's formula: only the upper bound is scaled, so
    ``(0.5, 0.5)`` draws ``t`` in ``[0.5, 127.5]``). With the default thresholds of 0
    every pixel is inverted. In inference the input is
    returned unchanged (in the layer's floating dtype).

    Args:
        addition_factor: a number ``f`` in ``[0, 1]`` (range ``[0, f]``) or a pair;
            default 0 (nothing added).
        threshold_factor: a number ``f`` in ``[0, 1]`` (range ``[0, f]``) or a pair;
            default 0.
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
        >>> layer = tkl.layers.Solarization()  # thresholds 0: every pixel is inverted
        >>> layer(torch.tensor([[[[100.0, 200.0]]]]), training=True)
        tensor([[[[155.,  55.]]]])
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.addition_factor = _solarization_factor(self, addition_factor, "addition_factor")
        self.threshold_factor = _solarization_factor(self, threshold_factor, "threshold_factor")
        self.value_range = sorted(value_range_pair(self, value_range))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        shape = (images.shape[0], 1, 1, 1) if images.dim() == 4 else (1, 1, 1)
        (add_low, add_high), (low, high) = self.addition_factor, self.threshold_factor
        additions = self._uniform(shape, add_low, add_high * 255, images.device)
        thresholds = self._uniform(shape, low, high * 255, images.device)
        return {"additions": additions.to(self._tkl_dtype), "thresholds": thresholds.to(self._tkl_dtype)}

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        additions = transformation["additions"].reshape(-1, 1, 1, 1).to(images.dtype)
        thresholds = transformation["thresholds"].reshape(-1, 1, 1, 1).to(images.dtype)
        results = (to_value_range(images, self.value_range, _FULL) + additions).clamp(0, 255)
        results = torch.where(results < thresholds, results, 255 - results)
        return to_value_range(results, _FULL, self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, addition_factor=self.addition_factor,
                      threshold_factor=self.threshold_factor, seed=self.seed)
        return config
