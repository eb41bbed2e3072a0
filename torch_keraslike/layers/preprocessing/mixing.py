"""Augmentations that mix the images of a batch, and their labels: ``CutMix`` and
``MixUp``. Labels are expected one-hot (or soft); they are mixed with the weights of
the images."""

import torch

from ...saving import register_serializable
from .._common import layer_label
from ._base import _MASKS, BaseImagePreprocessingLayer, batch_size_of, factor_pair, images_of, is_number

__all__ = ["CutMix", "MixUp"]


def _per_sample(weights, like):
    """``weights`` of shape ``(batch,)`` shaped to broadcast against ``like``."""
    return weights.reshape((-1,) + (1,) * (like.dim() - 1)).to(like.dtype)


class _BatchMixing(BaseImagePreprocessingLayer):
    """Mixes each sample with the sample ``permutation_order[i]`` of the same batch."""

    # Blended masks are floats (MixUp); CutMix keeps their dtype.
    _float_masks = False

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = labels if labels.is_floating_point() else labels.to(self._tkl_dtype)
        weight = _per_sample(transformation["mix_weight"], labels)
        return weight * labels + (1.0 - weight) * labels[transformation["permutation_order"]]

    def compute_output_spec(self, data, training=None, **kwargs):
        outputs = super().compute_output_spec(data, training=training, **kwargs)
        if isinstance(outputs, dict):  # mixed labels (and MixUp's masks) are floats
            for key in ("labels",) + ((_MASKS,) if self._float_masks else ()):
                if key in outputs:
                    outputs[key] = type(outputs[key])(outputs[key].shape, self._tkl_dtype)
        return outputs


@register_serializable(package="keras")
class CutMix(_BatchMixing):
    """Pastes a random rectangle of another image of the batch into each image, while
    training (CutMix).

    Per call, ``alpha`` is drawn from ``[lower, upper]`` of ``factor``; per image, a
    weight ``w ~ Beta(alpha, alpha)`` gives a rectangle of ``sqrt(1 - w)`` of the
    height and width at a random position, filled from the image at
    ``permutation_order[i]``. Labels are mixed by the area actually kept
    (``1 - rectangle area / image area``); segmentation masks are cut like the
    images (dtype kept). A single image is returned unchanged. In inference the
    input is returned unchanged (in the layer's floating dtype).

    Args:
        factor: the range of ``alpha``: a number ``f`` in ``[0, 1]`` (range
            ``[0, f]``) or a pair (default 1.0).
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Images ``(batch, H, W, C)`` (channels_last) keep their shape; labels
        ``(batch, classes)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.CutMix(seed=0)
        >>> data = {"images": torch.rand(4, 8, 8, 3), "labels": torch.eye(4)}
        >>> out = layer(data, training=True)
        >>> torch.allclose(out["labels"].sum(-1), torch.ones(4))
        True
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = factor_pair(self, factor, (0, 1))
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = images_of(data)
        if not training or images.dim() == 3:
            return None
        batch, device = images.shape[0], images.device
        height, width = self._image_size(images)
        alpha = self._uniform((), *self.factor, device) + 1e-6
        ratio = torch.sqrt(1.0 - self._beta((batch,), alpha, alpha, device))
        masks, area = self._random_rectangles(batch, height, width, ratio, ratio, device)
        return {"permutation_order": self._permutation(batch, device), "batch_masks": masks,
                "mix_weight": 1.0 - area}

    def _cut(self, images, transformation):
        return torch.where(transformation["batch_masks"], images[transformation["permutation_order"]], images)

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return self._cut(images, transformation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._cut(segmentation_masks, transformation)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, seed=self.seed)
        return config


@register_serializable(package="keras")
class MixUp(_BatchMixing):
    """Blends each image with another image of the batch, while training (MixUp).

    Per image, ``w ~ Beta(alpha, alpha)`` and the output is
    ``w * x[i] + (1 - w) * x[permutation_order[i]]``; labels and segmentation masks
    are blended with the same weights (masks become floats). In inference the input
    is returned unchanged (in the layer's floating dtype).

    Args:
        alpha: the concentration of the Beta distribution, > 0 (default 0.2; small
            values keep the images mostly as they are).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int making the draws reproducible (one stream per layer).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Images ``(batch, H, W, C)`` (channels_last) keep their shape; labels
        ``(batch, classes)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.MixUp(alpha=0.5, seed=0)
        >>> out = layer({"images": torch.rand(4, 8, 8, 3), "labels": torch.eye(4)}, training=True)
        >>> out["images"].shape, torch.allclose(out["labels"].sum(-1), torch.ones(4))
        (torch.Size([4, 8, 8, 3]), True)
    """

    _float_masks = True

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not is_number(alpha) or not alpha > 0:
            raise ValueError(
                f"{layer_label(self)}: `alpha` must be a positive number (the Beta distribution's "
                f"concentration), received alpha={alpha!r}. Fix: e.g. alpha=0.2."
            )
        self.alpha = alpha
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch, device = batch_size_of(images), images.device
        permutation = self._permutation(batch, device)
        return {"mix_weight": self._beta((batch,), self.alpha, self.alpha, device),
                "permutation_order": permutation}

    def _mix(self, images, transformation):
        weight = _per_sample(transformation["mix_weight"], images)
        return weight * images + (1.0 - weight) * images[transformation["permutation_order"]]

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return self._mix(images, transformation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._mix(segmentation_masks.to(self._tkl_dtype), transformation)

    def get_config(self):
        config = super().get_config()
        config.update(alpha=self.alpha, seed=self.seed)
        return config
