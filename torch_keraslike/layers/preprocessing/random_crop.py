"""``RandomCrop``: a random ``(height, width)`` window of the batch while training."""

import torch

from ...saving import register_serializable
from ._base import BaseImagePreprocessingLayer
from .resizing import aspect_crop_box, resize_images

__all__ = ["RandomCrop"]


@register_serializable(package="keras")
class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``(height, width)`` window, while training; the whole batch
    shares one window (as in Keras).

    When an image axis is not larger than the window, the centred window of the
    target aspect ratio is taken instead and resized (bilinear) to ``(height,
    width)``. In inference the input is returned unchanged, whatever its size (Keras
    3's behaviour; ``compute_output_shape`` gives the training shape). The output is
    in the layer's floating dtype; segmentation masks get the same window
    (nearest-neighbour when resized) and keep their dtype.

    Args:
        height, width: size of the window (positive ints).
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output (training)
        with ``H, W`` replaced by ``height, width``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandomCrop(4, 4, seed=1)
        >>> layer(torch.rand(2, 8, 8, 3), training=True).shape
        torch.Size([2, 4, 4, 3])
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_size(height, width)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        in_height, in_width = self._image_size(images)
        if training and in_height > self.height and in_width > self.width:
            device = images.device
            top = self._uniform((), 0.0, float(in_height - self.height + 1), device).to(torch.int64)
            left = self._uniform((), 0.0, float(in_width - self.width + 1), device).to(torch.int64)
            return top, left
        top, left, _, _ = aspect_crop_box(in_height, in_width, self.height, self.width)
        return top, left

    def _crop(self, images, transformation, interpolation):
        top, left = transformation
        height_axis, width_axis = images.dim() + self._height_axis, images.dim() + self._width_axis
        if isinstance(top, torch.Tensor):
            # Gathered rather than sliced at a tensor offset: static output shape, so
            # the draw stays on the device and torch.compile traces it.
            device = images.device
            top, left = top.to(device), left.to(device)
            images = images.index_select(height_axis, top + torch.arange(self.height, device=device))
            images = images.index_select(width_axis, left + torch.arange(self.width, device=device))
        else:
            images = images.narrow(height_axis, top, min(self.height, images.shape[height_axis] - top))
            images = images.narrow(width_axis, left, min(self.width, images.shape[width_axis] - left))
        if self._image_size(images) != (self.height, self.width):
            images = resize_images(images, (self.height, self.width), interpolation,
                                   channels_last=self._channels_last)
        return images

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        return self._crop(images, transformation, "bilinear") if training else images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._crop(segmentation_masks, transformation, "nearest") if training else segmentation_masks

    def compute_output_shape(self, input_shape):
        return self._sized_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, seed=self.seed)
        return config
