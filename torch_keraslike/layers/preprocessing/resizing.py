"""``Resizing`` and the resize function it shares with ``CenterCrop``/``RandomCrop``,
computed as Keras 3's torch backend does (``F.interpolate``)."""

import torch
import torch.nn.functional as F

from ...saving import register_serializable
from .._common import layer_label
from ._base import BaseImagePreprocessingLayer, is_number, saturate_cast

__all__ = ["Resizing", "aspect_crop_box", "resize_images"]

# Keras's names -> torch's modes. "area" is torch's adaptive average pooling (Keras's
# TensorFlow "area" for integer downscaling factors; Keras's torch backend lacks it).
_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic", "area": "area"}
_UNSUPPORTED = ("lanczos3", "lanczos5")
_ANTIALIASED = ("bilinear", "bicubic")


def check_interpolation(layer, interpolation):
    if interpolation in _UNSUPPORTED:
        raise ValueError(
            f"{layer_label(layer)}: resizing with Lanczos interpolation is not supported on "
            f"torch (torch.nn.functional.interpolate has no Lanczos kernel). Received: "
            f"interpolation={interpolation!r}. Fix: use one of {sorted(_MODES)}, e.g. "
            "'bicubic' with antialias=True."
        )
    if interpolation not in _MODES:
        raise ValueError(
            f"{layer_label(layer)}: invalid value for argument `interpolation`. Expected one of "
            f"{sorted(_MODES)}. Received: interpolation={interpolation!r}."
        )
    return interpolation


def aspect_crop_box(height, width, target_height, target_width):
    """Keras's centred window of the target aspect ratio: ``(top, left, h, w)``."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width


def _pad_to_aspect(images, target_height, target_width, fill_value):
    """Pads NCHW ``images`` evenly on the short side to the target aspect ratio."""
    height, width = images.shape[-2:]
    pad_height = max(height, int(float(width * target_height) / target_width))
    pad_width = max(width, int(float(height * target_width) / target_height))
    top, left = int(float(pad_height - height) / 2), int(float(pad_width - width) / 2)
    if top > 0 or left > 0:
        images = F.pad(images, (left, left, top, top), value=fill_value)
    return images


def resize_images(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
                  pad_to_aspect_ratio=False, fill_value=0.0, channels_last=True):
    """Resizes a batch ``(N, H, W, C)`` (or ``(N, C, H, W)``) to ``size``.

    Keras's torch backend semantics: ``nearest`` is torch's ``nearest-exact``,
    ``bilinear``/``bicubic`` use ``align_corners=False`` (antialias optional),
    ``crop_to_aspect_ratio`` first takes the centred window of the target aspect
    ratio, ``pad_to_aspect_ratio`` first pads evenly with ``fill_value``. Other
    floating dtypes than float32/float64 compute in float32; integer images are
    rounded and saturated back to their dtype.
    """
    dtype = images.dtype
    x = images if dtype in (torch.float32, torch.float64) else images.to(torch.float32)
    if channels_last:
        x = x.permute(0, 3, 1, 2)
    target_height, target_width = size
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = aspect_crop_box(*x.shape[-2:], target_height, target_width)
        x = x[:, :, top:top + crop_height, left:left + crop_width]
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect(x, target_height, target_width, fill_value)
    mode = _MODES[interpolation]
    x = F.interpolate(
        x, size=(target_height, target_width), mode=mode,
        align_corners=False if interpolation in _ANTIALIASED else None,
        antialias=antialias and interpolation in _ANTIALIASED,
    )
    if channels_last:
        x = x.permute(0, 2, 3, 1)
    if x.dtype == dtype:
        return x
    return x.to(dtype) if dtype.is_floating_point else saturate_cast(x, dtype)


@register_serializable(package="keras")
class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``(height, width)``, in training and inference.

    Interpolations: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"`` and
    ``"area"`` (torch's adaptive average: box averages for integer downscaling
    factors); ``"lanczos3"``/``"lanczos5"`` raise a ``ValueError`` (torch has no
    Lanczos resampling). Numerics are those of Keras 3 on torch. Integer images keep
    their dtype (rounded and saturated); floating images are computed in the layer's
    dtype. Segmentation masks use nearest-neighbour sampling.

    Args:
        height, width: output size (positive ints).
        interpolation: see above.
        crop_to_aspect_ratio: first crop the largest centred window with the target
            aspect ratio (no distortion).
        pad_to_aspect_ratio: first pad evenly on the short side with ``fill_value``
            to the target aspect ratio (no distortion, nothing cropped).
        fill_mode: how padded areas are filled; only ``"constant"``.
        fill_value: the padding value.
        antialias: anti-aliasing when downsampling (``bilinear``/``bicubic`` only).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output with
        ``H, W`` replaced by ``height, width``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Resizing(4, 6)(torch.rand(2, 8, 8, 3)).shape
        torch.Size([2, 4, 6, 3])
    """

    _keeps_integer_dtype = True

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_size(height, width)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                f"{layer_label(self)}: only one of `pad_to_aspect_ratio` & "
                "`crop_to_aspect_ratio` can be `True`."
            )
        if fill_mode != "constant":
            raise ValueError(
                f"{layer_label(self)}: invalid value for argument `fill_mode`. Only 'constant' "
                f"is supported. Received: fill_mode={fill_mode!r}."
            )
        if not is_number(fill_value):
            raise ValueError(f"{layer_label(self)}: fill_value must be a number, received {fill_value!r}.")
        self.interpolation = check_interpolation(self, interpolation)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)

    def _resize(self, images, interpolation):
        return resize_images(
            images, (self.height, self.width), interpolation, self.antialias,
            self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value, self._channels_last,
        )

    def transform_images(self, images, transformation=None, training=True):
        return self._resize(self._to_compute_dtype(images), self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return self._resize(segmentation_masks, "nearest")

    def compute_output_shape(self, input_shape):
        return self._sized_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            height=self.height,
            width=self.width,
            interpolation=self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            antialias=self.antialias,
        )
        return config
