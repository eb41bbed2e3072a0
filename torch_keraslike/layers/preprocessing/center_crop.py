"""``CenterCrop``: the central window of each image, resized when the image is
smaller than the window."""

from ...saving import register_serializable
from ._base import BaseImagePreprocessingLayer
from .resizing import resize_images

__all__ = ["CenterCrop"]


@register_serializable(package="keras")
class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central ``(height, width)`` window of each image, in training and
    inference.

    An image smaller than the window on either axis is instead cropped to the largest
    centred window with the target aspect ratio and resized (bilinear) to
    ``(height, width)``, as Keras does. Output is in the layer's (floating) dtype;
    segmentation masks are cropped the same way (nearest-neighbour when resized)
    and keep their dtype.

    Args:
        height, width: size of the window (positive ints).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output with
        ``H, W`` replaced by ``height, width``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> image = torch.arange(16.0).reshape(1, 4, 4, 1)
        >>> tkl.layers.CenterCrop(2, 2)(image)[0, ..., 0]
        tensor([[ 5.,  6.],
                [ 9., 10.]])
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_size(height, width)

    def _crop(self, images, interpolation):
        in_height, in_width = self._image_size(images)
        h_diff, w_diff = in_height - self.height, in_width - self.width
        if h_diff < 0 or w_diff < 0:
            return resize_images(images, (self.height, self.width), interpolation,
                                 crop_to_aspect_ratio=True, channels_last=self._channels_last)
        top, left = h_diff // 2, w_diff // 2
        rows, cols = slice(top, top + self.height), slice(left, left + self.width)
        return images[:, rows, cols, :] if self._channels_last else images[:, :, rows, cols]

    def transform_images(self, images, transformation=None, training=True):
        return self._crop(self._to_compute_dtype(images), "bilinear")

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return self._crop(segmentation_masks, "nearest")

    def compute_output_shape(self, input_shape):
        return self._sized_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config
