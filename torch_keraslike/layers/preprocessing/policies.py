"""Augmentation policies built from the other image layers: ``RandAugment`` (a few
random operations per batch) and ``AugMix`` (a blend of random chains of
operations). Their operations draw from the policy's own random stream."""

import torch

from ...saving import register_serializable
from .._common import is_positive_int, layer_label
from ._base import BaseImagePreprocessingLayer, driven_by, factor_pair, is_number, value_range_pair
from .filters import RandomSharpness
from .color import RandomColorDegeneration
from .geometric import RandomShear
from .histogram import Equalization
from .random_affine import RandomRotation, RandomTranslation
from .random_color import RandomBrightness, RandomContrast
from .tone import AutoContrast, RandomPosterization, Solarization

__all__ = ["AugMix", "RandAugment"]

_GEOMETRIC = ("random_shear", "random_translation", "random_rotation")
_TONE = ("random_posterization", "solarization", "auto_contrast", "equalization")
_COLOR = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")


def _build_operations(owner, names, factor, value_range, interpolation):
    """Creates the operations ``names`` of a policy as its sub-layers, with Keras's
    arguments derived from the policy's ``factor``; returns them in order."""
    common = {"data_format": owner.data_format, "dtype": owner._tkl_dtype}
    colour = dict(common, factor=factor, value_range=value_range)
    geometric = dict(common, interpolation=interpolation)
    makers = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, **geometric),
        "random_translation": lambda: RandomTranslation(factor, factor, **geometric),
        "random_rotation": lambda: RandomRotation(factor, **geometric),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * factor[1])), value_range=value_range,
                                                            **common),
        "solarization": lambda: Solarization(factor, factor, value_range=value_range, **common),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, **common),
        "equalization": lambda: Equalization(value_range=value_range, **common),
        "random_brightness": lambda: RandomBrightness(**colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(**colour),
        "random_contrast": lambda: RandomContrast(**colour),
        "random_sharpness": lambda: RandomSharpness(**colour),
    }
    operations = []
    for name in names:
        layer = makers[name]()
        setattr(owner, name, driven_by(owner, layer))
        operations.append(name)
    return operations


class _Policy(BaseImagePreprocessingLayer):
    """Shared arguments of the policies."""

    def _setup(self, value_range, factor, interpolation, seed):
        self.value_range = value_range_pair(self, value_range)
        self.factor = factor_pair(self, factor, (0, 1))
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"{layer_label(self)}: Unknown `interpolation` {interpolation!r}. Expected of one "
                "('nearest', 'bilinear')."
            )
        self.interpolation = interpolation
        self._set_seed(seed)

    def build(self, input_shape):
        super().build(input_shape)
        for name in self._operations:
            getattr(self, name).build(input_shape)

    def _positive(self, value, name):
        if not is_positive_int(value):
            raise ValueError(f"{layer_label(self)}: `{name}` must be a positive integer, received {name}={value!r}.")
        return int(value)


@register_serializable(package="keras")
class RandAugment(_Policy):
    """RandAugment: ``num_ops`` operations, each picked at random for the whole
    batch, applied one after the other, while training.

    The operations are shear, translation, rotation, brightness, colour
    degeneration, contrast, sharpness, posterization, solarization, auto-contrast
    and equalization, all with magnitudes in ``factor``. As in Keras, each operation
    samples its own parameters per call. In inference the input is returned
    unchanged (in the layer's floating dtype).

    Args:
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        num_ops: how many operations to apply (default 2).
        factor: the magnitude: a number ``f`` in ``[0, 1]`` (range ``[0, f]``) or a
            pair (default 0.5).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``, for the
            geometric operations.
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RandAugment(num_ops=2, factor=0.3, seed=0)
        >>> layer(torch.rand(2, 16, 16, 3) * 255, training=True).shape
        torch.Size([2, 16, 16, 3])
    """

    _OPERATIONS = _GEOMETRIC + ("random_brightness", "random_color_degeneration", "random_contrast",
                                "random_sharpness") + _TONE

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._setup(value_range, factor, interpolation, seed)
        self.num_ops = self._positive(num_ops, "num_ops")
        self._operations = _build_operations(self, self._OPERATIONS, self.factor, self.value_range,
                                             interpolation)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        count = len(self._operations)
        indices = self._draw(images.device, lambda g: torch.randint(
            0, count, (self.num_ops,), generator=g, device=images.device))
        transforms = {name: getattr(self, name).get_random_transformation(images, training=True)
                      for name in self._operations}
        return {"transforms": transforms, "layer_idxes": indices}

    def _apply_picked(self, values, transformation, method):
        indices, transforms = transformation["layer_idxes"], transformation["transforms"]
        if torch.compiler.is_compiling():
            # The picks are data: every operation runs and the picked one is kept.
            for i in range(self.num_ops):
                for index, (name, transform) in enumerate(transforms.items()):
                    result = getattr(getattr(self, name), method)(values, transform)
                    values = torch.where(indices[i] == index, result, values)
            return values
        names = list(transforms)
        for index in indices.tolist():
            name = names[index]
            values = getattr(getattr(self, name), method)(values, transforms[name])
        return values

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return self._apply_picked(images, transformation, "transform_images")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._apply_picked(segmentation_masks, transformation, "transform_segmentation_masks")

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, num_ops=self.num_ops, factor=self.factor,
                      interpolation=self.interpolation, seed=self.seed)
        return config


@register_serializable(package="keras")
class AugMix(_Policy):
    """AugMix: a random blend of ``num_chains`` chains of random operations, mixed
    back with the original image, while training.

    Each chain applies up to ``chain_depth`` operations (each step picks one of the
    operations or none); the chains are blended with Dirichlet(``alpha``) weights,
    and the result with the original image with a Beta(``alpha``, ``alpha``)
    weight, then clipped to ``value_range``. The operations are shear, translation,
    rotation, posterization, solarization, auto-contrast and equalization, plus
    brightness, colour degeneration, contrast and sharpness with ``all_ops``. The
    picks are Python choices (drawn from the layer's stream), so under
    ``torch.compile`` they run eagerly (a graph break). In inference the input is
    returned unchanged (in the layer's floating dtype).

    Args:
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        num_chains: the number of chains (default 3).
        chain_depth: the largest number of operations of a chain (default 3).
        factor: the magnitude: a number ``f`` in ``[0, 1]`` (range ``[0, f]``) or a
            pair (default 0.3).
        alpha: the concentration of the Dirichlet and Beta weights, > 0 (default 1).
        all_ops: whether to include the four colour operations (default True).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: int making the draws reproducible (one stream per layer).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.AugMix(seed=0)
        >>> out = layer(torch.rand(2, 16, 16, 3) * 255, training=True)
        >>> out.shape, bool(out.min() >= 0 and out.max() <= 255)
        (torch.Size([2, 16, 16, 3]), True)
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._setup(value_range, factor, interpolation, seed)
        self.num_chains = self._positive(num_chains, "num_chains")
        self.chain_depth = self._positive(chain_depth, "chain_depth")
        if not is_number(alpha) or not alpha > 0:
            raise ValueError(f"{layer_label(self)}: `alpha` must be a positive number, received alpha={alpha!r}.")
        self.alpha, self.all_ops = alpha, bool(all_ops)
        names = _GEOMETRIC + _TONE + (_COLOR if self.all_ops else ())
        self._operations = _build_operations(self, names, self.factor, self.value_range, interpolation)

    @torch.compiler.disable
    def _picks(self, device):
        # One pick per step of every chain: an operation, or the last index for none.
        count = self.num_chains * self.chain_depth
        picks = self._draw(device, lambda g: torch.randint(
            0, len(self._operations) + 1, (count,), generator=g, device=device))
        return picks.tolist()

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        device = images.device
        gamma = self._gamma((self.num_chains,), self.alpha, device)
        weights = gamma / gamma.sum(-1, keepdim=True)
        weight_sample = self._beta((), self.alpha, self.alpha, device)
        picks = iter(self._picks(device))
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                pick = next(picks)
                if pick == len(self._operations):
                    continue
                name = self._operations[pick]
                transform = getattr(self, name).get_random_transformation(images, training=True)
                steps.append({"layer_name": name, "transformation": transform})
            chains.append(steps)
        return {"chain_mixing_weights": weights, "weight_sample": weight_sample, "chain_transforms": chains}

    def _blend(self, values, transformation, method):
        weights = transformation["chain_mixing_weights"].to(values.dtype)
        weight_sample = transformation["weight_sample"].to(values.dtype)
        mixed = torch.zeros_like(values)
        for index, chain in enumerate(transformation["chain_transforms"]):
            chained = values
            for step in chain:
                chained = getattr(getattr(self, step["layer_name"]), method)(chained, step["transformation"])
            mixed = mixed + chained * weights[index]
        return weight_sample * values + (1 - weight_sample) * mixed

    def transform_images(self, images, transformation, training=True):
        images = self._to_compute_dtype(images)
        if not training or transformation is None:
            return images
        return self._blend(images, transformation, "transform_images").clamp(*sorted(self.value_range))

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._blend(segmentation_masks.to(self._tkl_dtype), transformation, "transform_segmentation_masks")

    def compute_output_spec(self, data, training=None, **kwargs):
        outputs = super().compute_output_spec(data, training=training, **kwargs)
        if isinstance(outputs, dict) and "segmentation_masks" in outputs:  # blended masks are floats
            masks = outputs["segmentation_masks"]
            outputs["segmentation_masks"] = type(masks)(masks.shape, self._tkl_dtype)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, num_chains=self.num_chains, chain_depth=self.chain_depth,
                      factor=self.factor, alpha=self.alpha, all_ops=self.all_ops,
                      interpolation=self.interpolation, seed=self.seed)
        return config
