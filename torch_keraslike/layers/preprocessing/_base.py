"""The shared base of the image preprocessing layers (``Resizing``, ``CenterCrop``,
``RandomFlip``...): Keras 3's calling convention on torch tensors.

A layer takes a batch ``(batch, height, width, channels)`` or one image
``(height, width, channels)`` (``channels_first`` moves the channels first), or a
dict with ``"images"`` and optionally ``"labels"`` and ``"segmentation_masks"``. Each
call samples one *transformation* with :meth:`get_random_transformation` (``None``
when the layer does nothing) and applies it with :meth:`transform_images` (masks:
:meth:`transform_segmentation_masks`, nearest-neighbour, dtype kept), so the same
transformation reaches the images and their masks. These method names and the
transformation dicts are Keras's, so a transformation sampled by Keras can be applied
here (how the parity tests check the arithmetic).

Random layers draw from a ``torch.Generator`` on the input's device, seeded with
``seed`` (one continuing stream per layer), or from torch's global generator when
``seed`` is None. They transform only while training (``training=True``, or torch's
``train()`` mode, the default of a new module, as Keras's default ``training=True``);
in inference they return the input unchanged.
"""

import numbers

import torch

from ... import symbolic
from ...config import standardize_data_format
from ...layer import Layer
from .._common import is_positive_int, is_seed, layer_label, seeded_generator

_MASKS = "segmentation_masks"


def is_number(value):
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def saturate_cast(values, dtype):
    """``values`` rounded (when floating) and clamped into the range of integer ``dtype``."""
    if values.is_floating_point():
        values = values.round()
    if dtype == torch.bool:
        return values != 0
    info = torch.iinfo(dtype)
    return values.clamp(info.min, info.max).to(dtype)


@torch.compiler.disable
def _seeded_draw(layer, device, draw):
    # torch.compile cannot trace a torch.Generator: seeded draws run eagerly.
    return draw(seeded_generator(layer, device))


class BaseImagePreprocessingLayer(Layer):
    """Base class: rank checks, dict inputs, batching, dtypes and random draws.

    Subclasses implement :meth:`transform_images` (on 4-D batches) and, when random,
    :meth:`get_random_transformation`.

    Args:
        data_format: ``"channels_last"`` (default, from ``tkl.config``) or
            ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.
    """

    # Whether integer images keep their dtype (Resizing, RandomBrightness) instead of
    # becoming the compute dtype (floats), as in Keras.
    _keeps_integer_dtype = False

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        try:
            self.data_format = standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{layer_label(self)}: {error}") from None
        self._channels_last = self.data_format == "channels_last"
        self._height_axis, self._width_axis = (-3, -2) if self._channels_last else (-2, -1)

    # ----------------------------------------------------------------- checks
    def _set_seed(self, seed):
        if not is_seed(seed):
            raise ValueError(f"{layer_label(self)}: seed must be an int or None, received seed={seed!r}.")
        self.seed = None if seed is None else int(seed)
        self._generator = None

    def _set_size(self, height, width):
        if not (is_positive_int(height) and is_positive_int(width)):
            raise ValueError(
                f"{layer_label(self)}: height and width must be positive integers, received "
                f"height={height!r}, width={width!r}. Fix: e.g. {type(self).__name__}(224, 224)."
            )
        self.height, self.width = int(height), int(width)

    def _rank_error(self, key, shape):
        return ValueError(
            f"{layer_label(self)}: expected {key} to have rank 3 (single image) or 4 (batch "
            f"of images). Received: {key}.shape={shape}. Fix: pass (batch, height, width, "
            f"channels) or (height, width, channels) tensors ({self.data_format})."
        )

    def _check_images(self, images, key="images"):
        if not isinstance(images, torch.Tensor) or images.dim() not in (3, 4):
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise self._rank_error(key, shape)
        return images

    def _check_dict(self, data):
        if "images" not in data:
            raise ValueError(
                f"{layer_label(self)}: a dict input needs an 'images' entry, received keys "
                f"{sorted(data)}. Fix: pass {{'images': images, 'labels': ..., "
                "'segmentation_masks': ...}."
            )
        if "bounding_boxes" in data:
            raise ValueError(
                f"{layer_label(self)}: bounding boxes are not supported by the image "
                "preprocessing layers of torch_keraslike (images, labels and segmentation "
                "masks are). Fix: transform the boxes outside the layer, or drop the "
                "'bounding_boxes' entry."
            )

    def build(self, input_shape):
        # No weights; the inputs are checked here too, so a first call with bad inputs
        # leaves the layer unbuilt.
        if isinstance(input_shape, dict):
            self._check_dict(input_shape)
        shapes = input_shape if isinstance(input_shape, dict) else {"images": input_shape}
        for key in ("images", _MASKS):
            shape = shapes.get(key, ())
            if key in shapes and (shape is None or len(shape) not in (3, 4)):
                raise self._rank_error(key, shape)

    def _image_size(self, images):
        return images.shape[self._height_axis], images.shape[self._width_axis]

    # ------------------------------------------------------------------ draws
    def _draw(self, device, draw):
        """``draw(generator)`` with the layer's seeded generator on ``device``, or with
        ``None`` (torch's global generator) when the layer has no seed.

        Layers that a composite layer (``RandAugment``...) drives draw from the
        composite's stream instead, as Keras passes them its seed generator.
        """
        source = self.__dict__.get("_tkl_rng_owner", self)
        if source.seed is None:
            return draw(None)
        return _seeded_draw(source, device, draw)

    def _check_channels(self, input_shape, allowed):
        """Raises when the channel axis of ``input_shape`` (an images shape, or a dict
        of them) is known and not one of ``allowed``."""
        shape = input_shape.get("images") if isinstance(input_shape, dict) else input_shape
        channels = shape[-1 if self._channels_last else -3] if shape is not None and len(shape) in (3, 4) else None
        if channels is not None and channels not in allowed:
            wanted = " or ".join(str(c) for c in allowed)
            raise ValueError(
                f"{layer_label(self)}: expected images with {wanted} channels (RGB), received "
                f"images of shape {tuple(shape)} ({self.data_format}). Fix: pass RGB images, "
                "or set data_format to match the channel axis."
            )

    def _rand(self, shape, device):
        """Uniform [0, 1) float32 draws on ``device`` from the layer's stream."""
        return self._draw(device, lambda g: torch.rand(shape, generator=g, device=device))

    def _uniform(self, shape, low, high, device):
        # Keras's formula: (maxval - minval) * rand + minval.
        return (high - low) * self._rand(shape, device) + low

    def _normal(self, shape, device):
        """Standard normal float32 draws on ``device`` from the layer's stream."""
        return self._draw(device, lambda g: torch.randn(shape, generator=g, device=device))

    def _gamma(self, shape, alpha, device):
        """Gamma(``alpha``, 1) float32 draws of ``shape`` from the layer's stream
        (``alpha``: a number or a tensor broadcast to ``shape``)."""
        if isinstance(alpha, torch.Tensor):
            concentration = alpha.to(torch.float32).expand(shape).contiguous()
        else:
            concentration = torch.full(shape, float(alpha), device=device)
        # torch._standard_gamma is the gamma kernel that takes a generator.
        return self._draw(device, lambda g: torch._standard_gamma(concentration, generator=g))

    def _beta(self, shape, alpha, beta, device):
        """Beta(``alpha``, ``beta``) draws, as the ratio of two gamma draws."""
        first = self._gamma(shape, alpha, device)
        return first / (first + self._gamma(shape, beta, device))

    def _permutation(self, size, device):
        """A random permutation of ``range(size)`` (int64), as Keras's shuffle: the
        order that sorts uniform draws."""
        return torch.argsort(self._rand((size,), device))

    def _random_rectangles(self, batch, height, width, width_ratio, height_ratio, device):
        """Keras's random boxes of CutMix and RandomErasing: per image, a rectangle of
        ``ratio * side`` on each axis at a uniform position (x drawn first).

        Returns ``(masks, area_fraction)``: boolean masks broadcastable to the images
        (a channel axis of 1) and the fraction of each image the rectangle covers.
        """
        corners = []
        for length, ratio in ((width, width_ratio), (height, height_ratio)):
            crop = ratio * length
            start = self._rand((batch,), device) * (length - crop)
            corners.append((start.reshape(-1, 1, 1), (start + crop).reshape(-1, 1, 1)))
        (x0, x1), (y0, y1) = corners
        grid_y = torch.arange(height, dtype=torch.float32, device=device).reshape(1, -1, 1)
        grid_x = torch.arange(width, dtype=torch.float32, device=device).reshape(1, 1, -1)
        inside = (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)
        area = ((x1 - x0) * (y1 - y0)).reshape(-1) / (width * height)
        return inside.unsqueeze(-1 if self._channels_last else 1), area

    def _apply_with_probability(self, batch, factor, device):
        """Keras's per-image coin of the random layers with a probability ``factor``
        range: a probability drawn in ``factor``, then ``uniform < probability``."""
        probability = self._uniform((batch,), factor[0], factor[1], device)
        return self._rand((batch,), device) < probability

    # ------------------------------------------------------------------- call
    def call(self, data, training=True):
        if isinstance(data, dict):
            return self._call_dict(data, training)
        images = self._check_images(data)
        transformation = self.get_random_transformation(images, training=training)
        return self._run_transform(self.transform_images, images, transformation, training)

    def _call_dict(self, data, training):
        self._check_dict(data)
        images = self._check_images(data["images"])
        transformation = self.get_random_transformation(images, training=training)
        outputs = dict(data)
        outputs["images"] = self._run_transform(self.transform_images, images, transformation, training)
        if "labels" in data:
            outputs["labels"] = self.transform_labels(data["labels"], transformation, training=training)
        if _MASKS in data:
            masks = self._check_images(data[_MASKS], key=_MASKS)
            outputs[_MASKS] = self._run_transform(
                self.transform_segmentation_masks, masks, transformation, training)
        return outputs

    def _run_transform(self, transform, images, transformation, training):
        if images.dim() == 4:
            return transform(images, transformation, training=training)
        return transform(images.unsqueeze(0), transformation, training=training).squeeze(0)

    def _to_compute_dtype(self, images):
        if images.is_floating_point() or not self._keeps_integer_dtype:
            return images.to(self._tkl_dtype)
        return images

    # ------------------------------------------------------ Keras's interface
    def get_random_transformation(self, data, training=True, seed=None):
        """The parameters of this call's transformation (``None``: identity)."""
        return None

    def transform_images(self, images, transformation, training=True):
        """Applies ``transformation`` to a batch of images (subclasses override)."""
        raise NotImplementedError(f"{type(self).__name__} must implement transform_images().")

    def transform_labels(self, labels, transformation, training=True):
        """Labels are unchanged by image transformations."""
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """Masks follow the images' geometry with nearest-neighbour sampling, keeping
        their dtype (class indices stay class indices). Default: unchanged."""
        return segmentation_masks

    # ---------------------------------------------------------------- shapes
    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return {k: self.compute_output_shape(v) if k in ("images", _MASKS) else v
                    for k, v in input_shape.items()}
        return tuple(input_shape)

    def _sized_output_shape(self, input_shape):
        """The output shape of layers resizing images to ``(self.height, self.width)``."""
        if isinstance(input_shape, dict):
            return BaseImagePreprocessingLayer.compute_output_shape(self, input_shape)
        shape = list(input_shape)
        shape[self._height_axis], shape[self._width_axis] = self.height, self.width
        return tuple(shape)

    def compute_output_spec(self, data, training=None, **kwargs):
        if isinstance(data, dict):
            outputs = {}
            for key, value in data.items():
                if key == "images":
                    outputs[key] = self.compute_output_spec(value)
                elif key == _MASKS:
                    outputs[key] = symbolic.KerasTensor(self.compute_output_shape(value.shape), value.dtype)
                else:
                    outputs[key] = symbolic.KerasTensor(value.shape, value.dtype)
            return outputs
        dtype = data.dtype
        if dtype.is_floating_point or not self._keeps_integer_dtype:
            dtype = self._tkl_dtype
        return symbolic.KerasTensor(self.compute_output_shape(data.shape), dtype)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


def driven_by(owner, layer):
    """Makes ``layer`` (a part of the composite layer ``owner``) draw from ``owner``'s
    random stream; returns ``layer``."""
    vars(layer)["_tkl_rng_owner"] = owner
    return layer


def images_of(data):
    """The images of a call's data: the tensor itself, or a dict's ``"images"``."""
    return data["images"] if isinstance(data, dict) else data


def batch_size_of(images):
    """The number of images: 1 for a single image (rank 3)."""
    return images.shape[0] if images.dim() == 4 else 1


def to_value_range(images, source, target):
    """Keras's linear map of pixel values from the ``source`` range to ``target``."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    images = (images - float(source[0])) / (float(source[1]) - float(source[0]))
    return images * (float(target[1]) - float(target[0])) + float(target[0])


def factor_pair(layer, factor, bounds, name="factor"):
    """Keras's ``(lower, upper)`` for a ``factor`` argument with allowed ``bounds``: a
    number ``f`` gives ``(max(-|f|, low), |f|)``, a pair is sorted."""
    low, high = bounds
    message = (
        f"{layer_label(layer)}: the `{name}` argument should be a number (or a list of two "
        f"numbers) in the range [{low}, {high}]. Received: {name}={factor!r}."
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(is_number(f) for f in factor) or factor[0] > high or factor[1] < low:
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
    elif is_number(factor):
        if not low <= factor <= high:
            raise ValueError(message)
        factor = abs(float(factor))
        lower, upper = max(-factor, low), factor
    else:
        raise ValueError(message)
    return lower, upper


def value_range_pair(layer, value_range):
    """``value_range`` checked, as a list ``[low, high]`` (JSON-stable in configs)."""
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(is_number(v) for v in value_range)):
        raise ValueError(
            f"{layer_label(layer)}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range!r}. Fix: e.g. value_range=(0, 255)."
        )
    return list(value_range)
