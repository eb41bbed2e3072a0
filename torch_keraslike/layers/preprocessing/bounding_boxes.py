"""``MaxNumBoundingBoxes``: pads or truncates the bounding boxes of a batch to a fixed
number, so batches of detection data have static shapes."""

import torch

from ... import symbolic
from ...saving import register_serializable
from .._common import is_int, is_positive_int, layer_label
from ._base import BaseImagePreprocessingLayer

__all__ = ["MaxNumBoundingBoxes"]

_BOXES = "bounding_boxes"


@register_serializable(package="keras")
class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Pads (with ``fill_value``) or truncates the boxes of each sample to
    ``max_number``, in training and inference.

    The input is a dict with ``"images"`` and ``"bounding_boxes"``, itself a dict
    of ``"boxes"`` ``(batch, num_boxes, 4)`` and ``"labels"`` ``(batch, num_boxes)``
    (or one sample: ``(num_boxes, 4)`` and ``(num_boxes,)``); the boxes' format does
    not matter. Images, labels and masks pass unchanged; a plain images tensor is
    returned as it is.

    Args:
        max_number: the number of boxes per sample, > 0.
        fill_value: the value of padded boxes and labels (default -1).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        ``boxes``: ``(batch, max_number, 4)``; ``labels``: ``(batch, max_number)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.MaxNumBoundingBoxes(max_number=3)
        >>> boxes = {"boxes": torch.ones(2, 1, 4), "labels": torch.zeros(2, 1, dtype=torch.int64)}
        >>> out = layer({"images": torch.rand(2, 8, 8, 3), "bounding_boxes": boxes})
        >>> out["bounding_boxes"]["labels"]
        tensor([[ 0, -1, -1],
                [ 0, -1, -1]])
    """

    _keeps_integer_dtype = True

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if not is_positive_int(max_number):
            raise ValueError(
                f"{layer_label(self)}: `max_number` must be a positive integer, received "
                f"max_number={max_number!r}. Fix: e.g. MaxNumBoundingBoxes(max_number=100)."
            )
        if not is_int(fill_value):
            raise ValueError(f"{layer_label(self)}: `fill_value` must be an integer, received {fill_value!r}.")
        self.max_number, self.fill_value = int(max_number), int(fill_value)

    def _check_dict(self, data):
        if "images" not in data:
            raise ValueError(
                f"{layer_label(self)}: a dict input needs an 'images' entry, received keys {sorted(data)}. "
                "Fix: pass {'images': images, 'bounding_boxes': {'boxes': ..., 'labels': ...}}."
            )
        boxes = data.get(_BOXES)
        if boxes is None:
            return
        keys = set(boxes) if isinstance(boxes, dict) else None
        if keys != {"boxes", "labels"}:
            raise ValueError(
                f"{layer_label(self)}: 'bounding_boxes' must be a dict with exactly the keys 'boxes' and "
                f"'labels', received {sorted(keys) if keys is not None else type(boxes).__name__}. Fix: "
                "drop the other keys."
            )
        box_shape, label_shape = (tuple(getattr(boxes[k], "shape", boxes[k])) for k in ("boxes", "labels"))
        if (len(box_shape) not in (2, 3) or box_shape[-1] != 4 or label_shape != box_shape[:-1]):
            raise ValueError(
                f"{layer_label(self)}: expected boxes of shape (batch, num_boxes, 4) with labels of shape "
                f"(batch, num_boxes) (or one sample without the batch axis), received boxes {box_shape} "
                f"and labels {label_shape}."
            )

    def call(self, data, training=True):
        if not isinstance(data, dict):
            return self._check_images(data)
        self._check_dict(data)
        outputs = dict(data)
        if _BOXES in data:
            outputs[_BOXES] = self.transform_bounding_boxes(data[_BOXES], None, training=training)
        return outputs

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        """``bounding_boxes`` with ``max_number`` boxes and labels per sample."""
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        axis = boxes.dim() - 2  # the boxes axis: 1 for a batch, 0 for one sample
        count = boxes.shape[axis]
        boxes, labels = boxes.narrow(axis, 0, min(count, self.max_number)), labels.narrow(
            axis, 0, min(count, self.max_number))
        missing = self.max_number - boxes.shape[axis]
        if missing:
            pad_shape = list(boxes.shape)
            pad_shape[axis] = missing
            boxes = torch.cat([boxes, boxes.new_full(pad_shape, self.fill_value)], dim=axis)
            labels = torch.cat([labels, labels.new_full(pad_shape[:-1], self.fill_value)], dim=axis)
        return dict(bounding_boxes, boxes=boxes, labels=labels)

    def _boxes_shapes(self, shapes):
        boxes, labels = list(shapes["boxes"]), list(shapes["labels"])
        boxes[-2] = labels[-1] = self.max_number
        return {"boxes": tuple(boxes), "labels": tuple(labels)}

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return {key: self._boxes_shapes(value) if key == _BOXES else value for key, value in input_shape.items()}
        return tuple(input_shape)

    def compute_output_spec(self, data, training=None, **kwargs):
        if not isinstance(data, dict):
            return symbolic.KerasTensor(data.shape, data.dtype)
        self._check_dict(data)
        outputs = {}
        for key, value in data.items():
            if key == _BOXES:
                shapes = self._boxes_shapes({k: v.shape for k, v in value.items()})
                outputs[key] = {k: symbolic.KerasTensor(shapes[k], value[k].dtype) for k in value}
            else:
                outputs[key] = symbolic.KerasTensor(value.shape, value.dtype)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(max_number=self.max_number, fill_value=self.fill_value)
        return config
