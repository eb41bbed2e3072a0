"""``RandomFlip``: flips images horizontally and/or vertically at random while
training."""

import torch

from ...saving import register_serializable
from .._common import layer_label
from ._base import BaseImagePreprocessingLayer

__all__ = ["RandomFlip"]

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


@register_serializable(package="keras")
class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image with probability 1/2, while training.

    With ``"horizontal_and_vertical"`` one draw per image decides both flips (as in
    Keras: an image is either flipped on both axes or left as it is). In inference
    the input is returned unchanged (in the layer's floating dtype). Segmentation
    masks get the same flips and keep their dtype.

    Args:
        mode: ``"horizontal"`` (left-right), ``"vertical"`` (up-down) or
            ``"horizontal_and_vertical"`` (default).
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomFlip("horizontal", seed=0)
        >>> image = torch.tensor([[1.0, 2.0, 3.0]]).reshape(1, 1, 3, 1)
        >>> layer(image, training=False).flatten()   # inference: unchanged
        tensor([1., 2., 3.])
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(
                f"{layer_label(self)}: RandomFlip layer {self.name} received an unknown mode "
                f"argument {mode!r}. Expected one of {list(_MODES)}."
            )
        self.mode = mode
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (images.shape[0], 1, 1, 1) if images.dim() == 4 else (1, 1, 1)
        return {"flips": self._rand(shape, images.device) <= 0.5, "input_shape": tuple(images.shape)}

    def _flip(self, images, transformation):
        flips = transformation["flips"].reshape(-1, 1, 1, 1)
        width_axis, height_axis = self._width_axis, self._height_axis
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = torch.where(flips, images.flip(width_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = torch.where(flips, images.flip(height_axis), images)
        return images

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        return self._flip(images, transformation) if training and transformation is not None else images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if training and transformation is not None:
            return self._flip(segmentation_masks, transformation)
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, mode=self.mode)
        return config
