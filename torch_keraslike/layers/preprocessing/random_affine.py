"""Random affine augmentations: ``RandomRotation``, ``RandomZoom``,
``RandomTranslation``, resampled with Keras 3's ``affine_transform`` arithmetic."""

import torch

from ...saving import register_serializable
from .._common import layer_label
from ._affine import FILL_MODES, INTERPOLATIONS, affine_transform, rotation_matrix
from ._base import BaseImagePreprocessingLayer, factor_pair, is_number

__all__ = ["RandomRotation", "RandomTranslation", "RandomZoom"]


def _symmetric_range(layer, factor, name, what, interval, in_range):
    """``(lower, upper)``: a number ``f`` gives ``(-|f|, |f|)``, a pair is sorted; every
    value must satisfy ``in_range``."""
    pair = isinstance(factor, (tuple, list))
    items = list(factor) if pair else [factor]
    if (pair and len(items) != 2) or not all(is_number(f) and in_range(f) for f in items):
        raise ValueError(
            f"{layer_label(layer)}: the `{what} should be a number (or a list of two numbers) in "
            f"the range {interval}. Received: {name}={factor!r}."
        )
    if pair:
        lower, upper = sorted(float(f) for f in items)
        return lower, upper
    return -abs(float(factor)), abs(float(factor))


def _as_config(factor):
    """A factor as configs keep it (JSON-stable: pairs as lists)."""
    if factor is None:
        return None
    return [float(f) for f in factor] if isinstance(factor, (tuple, list)) else float(factor)


class _RandomAffine(BaseImagePreprocessingLayer):
    """Shared arguments and resampling; subclasses build the per-image matrices."""

    def _setup(self, fill_mode, interpolation, seed, fill_value):
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(
                f"{layer_label(self)}: Unknown `fill_mode` {fill_mode!r}. Expected of one {FILL_MODES}."
            )
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"{layer_label(self)}: Unknown `interpolation` {interpolation!r}. Expected of one "
                f"{INTERPOLATIONS}."
            )
        if not is_number(fill_value):
            raise ValueError(f"{layer_label(self)}: fill_value must be a number, received {fill_value!r}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)
        self._set_seed(seed)

    def _batch_and_size(self, images):
        batch = images.shape[0] if images.dim() == 4 else 1
        return batch, *self._image_size(images)

    def _matrix(self, transformation, images):
        raise NotImplementedError

    def _resample(self, images, transformation, interpolation):
        if transformation is None:
            return images
        matrix = self._matrix(transformation, images).to(torch.float32)
        return affine_transform(images, matrix, interpolation, self.fill_mode, self.fill_value,
                                self._channels_last)

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        return self._resample(images, transformation, self.interpolation) if training else images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training:
            return segmentation_masks
        return self._resample(segmentation_masks, transformation, "nearest")

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, fill_value=self.fill_value,
                      interpolation=self.interpolation, seed=self.seed)
        return config


_FILL_DOC = """fill_mode: how points outside the image are filled: ``"reflect"``
            (default; ``d c b a | a b c d | d c b a``), ``"wrap"``, ``"nearest"``
            or ``"constant"`` (``fill_value``).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: int making the draws reproducible (one stream per layer).
        fill_value: value of ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments."""


@register_serializable(package="keras")
class RandomRotation(_RandomAffine):
    """Rotates each image by a random angle about its centre, while training.

    The angle of each image is drawn uniformly from ``[lower * 360, upper * 360]``
    degrees (counter-clockwise for positive values). In inference the input is
    returned unchanged (in the layer's floating dtype).

    Args:
        factor: a fraction of a full turn: a number ``f`` gives ``[-|f|, |f|]``, a
            pair ``(lower, upper)`` the range itself; values in ``[-1, 1]``.
        {fill}

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomRotation((0.25, 0.25))  # always a quarter turn
        >>> image = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
        >>> layer(image, training=True)[0, ..., 0].round()
        tensor([[2., 4.],
                [1., 3.]])
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (-1, 1))
        self._setup(fill_mode, interpolation, seed, fill_value)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch, height, width = self._batch_and_size(images)
        lower, upper = self.factor
        angle = self._uniform((batch,), lower * 360.0, upper * 360.0, images.device)
        return {"angle": angle, "rotation_matrix": rotation_matrix(angle, height, width),
                "image_height": height, "image_width": width, "batch_size": batch}

    def _matrix(self, transformation, images):
        return transformation["rotation_matrix"]

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@register_serializable(package="keras")
class RandomZoom(_RandomAffine):
    """Zooms each image in or out by a random amount, while training.

    Each image is scaled about its centre by ``1 + h`` vertically and ``1 + w``
    horizontally, ``h`` drawn from ``height_factor`` and ``w`` from ``width_factor``
    (or ``w = h``, keeping the aspect ratio, when ``width_factor`` is None). Positive
    values zoom out, negative ones zoom in. In inference the input is returned
    unchanged (in the layer's floating dtype).

    Args:
        height_factor: a number ``f`` (range ``[-|f|, |f|]``) or a pair
            ``(lower, upper)``, values in ``(-1, 1]``.
        width_factor: as ``height_factor``, or None (same zoom as the height).
        {fill}

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomZoom((-0.5, -0.5), fill_mode="constant")  # 2x zoom in
        >>> layer(torch.rand(2, 8, 8, 3), training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_lower, self.height_upper = self._zoom_range(height_factor, "height_factor")
        if width_factor is not None:
            self.width_lower, self.width_upper = self._zoom_range(width_factor, "width_factor")
        self.height_factor, self.width_factor = _as_config(height_factor), _as_config(width_factor)
        self._setup(fill_mode, interpolation, seed, fill_value)

    def _zoom_range(self, factor, name):
        return _symmetric_range(self, factor, name, "height_factor` and `width_factor` arguments",
                                "(-1.0, 1.0]", lambda f: -1.0 < f <= 1.0)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch, _, _ = self._batch_and_size(images)
        device = images.device
        height_zoom = self._uniform((batch, 1), 1.0 + self.height_lower, 1.0 + self.height_upper, device)
        width_zoom = height_zoom if self.width_factor is None else self._uniform(
            (batch, 1), 1.0 + self.width_lower, 1.0 + self.width_upper, device)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": tuple(images.shape)}

    def _matrix(self, transformation, images):
        zooms = torch.cat([transformation["width_zoom"], transformation["height_zoom"]], dim=1).float()
        height, width = self._image_size(images)
        zx, zy = zooms[:, 0:1], zooms[:, 1:]
        x_offset = ((width - 1.0) / 2.0) * (1.0 - zx)
        y_offset = ((height - 1.0) / 2.0) * (1.0 - zy)
        zeros = torch.zeros_like(zx)
        return torch.cat([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


@register_serializable(package="keras")
class RandomTranslation(_RandomAffine):
    """Shifts each image by a random offset, while training.

    The vertical shift of each image is ``dy * height`` with ``dy`` drawn from
    ``height_factor`` (positive: down), the horizontal one ``dx * width`` with ``dx``
    from ``width_factor`` (positive: right). In inference the input is returned
    unchanged (in the layer's floating dtype).

    Args:
        height_factor: a number ``f`` (range ``[-|f|, |f|]``) or a pair
            ``(lower, upper)``, fractions of the height in ``[-1, 1]``.
        width_factor: the same for the width.
        {fill}

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomTranslation(0, (0.5, 0.5), fill_mode="constant")
        >>> layer(torch.tensor([[1.0, 2.0, 3.0, 4.0]]).reshape(1, 1, 4, 1), training=True).flatten()
        tensor([0., 0., 1., 2.])
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_lower, self.height_upper = self._shift_range(height_factor, "height_factor")
        self.width_lower, self.width_upper = self._shift_range(width_factor, "width_factor")
        self.height_factor, self.width_factor = _as_config(height_factor), _as_config(width_factor)
        self._setup(fill_mode, interpolation, seed, fill_value)

    def _shift_range(self, factor, name):
        return _symmetric_range(self, factor, name, "factor` argument", "[-1.0, 1.0]",
                                lambda f: -1.0 <= f <= 1.0)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch, height, width = self._batch_and_size(images)
        device = images.device
        height_translate = self._uniform((batch, 1), self.height_lower, self.height_upper, device) * height
        width_translate = self._uniform((batch, 1), self.width_lower, self.width_upper, device) * width
        translations = torch.cat([width_translate, height_translate], dim=1).float()
        return {"translations": translations, "input_shape": tuple(images.shape)}

    def _matrix(self, transformation, images):
        translations = transformation["translations"]
        ones = torch.ones_like(translations[:, 0:1])
        zeros = torch.zeros_like(ones)
        dx, dy = translations[:, 0:1], translations[:, 1:]
        return torch.cat([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


for _cls in (RandomRotation, RandomZoom, RandomTranslation):
    _cls.__doc__ = _cls.__doc__.replace("{fill}", _FILL_DOC)
