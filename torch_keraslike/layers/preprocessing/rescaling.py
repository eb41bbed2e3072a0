"""``Rescaling``: ``inputs * scale + offset`` in the layer's floating dtype."""

import numpy as np
import torch

from ... import config as tkl_config
from ...layer import Layer
from ...saving import register_serializable
from .._common import layer_label
from .._specs import SameShapeFloatingOutput

__all__ = ["Rescaling"]


def _decode(value):
    """A ``scale``/``offset`` as configs carry it: a number, a (nested) list, or
    Keras's ``{"class_name": "__numpy__" | "__tensor__", "config": {"value": ...}}``."""
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
        return value["config"]["value"]
    return value


@register_serializable(package="keras")
class Rescaling(SameShapeFloatingOutput, Layer):
    """Rescales inputs: ``inputs * scale + offset``, in training and inference.

    E.g. ``scale=1/255`` maps ``[0, 255]`` to ``[0, 1]``; ``scale=1/127.5, offset=-1``
    maps it to ``[-1, 1]``. Integer inputs give floats (the layer's dtype). A
    per-channel ``scale`` (or ``offset``) is a vector over the last axis, or over
    axis -3 when ``tkl.config.image_data_format()`` is ``"channels_first"`` (as in
    Keras, which EfficientNet relies on). The mask, if any, passes through.

    Args:
        scale: a number or an array of numbers.
        offset: a number or an array of numbers (default 0).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.Rescaling(scale=1 / 127.5, offset=-1)
        >>> layer(torch.tensor([0, 255], dtype=torch.uint8))
        tensor([-1.,  1.])
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = self._checked(scale, "scale")
        self.offset = self._checked(offset, "offset")
        for name in ("scale", "offset"):
            value = getattr(self, name)
            if isinstance(value, list):
                # Non-persistent buffers: they follow .to() but are not weights.
                tensor = torch.tensor(value, dtype=self._tkl_dtype)
                self.register_buffer(f"_{name}_values", tensor, persistent=False)

    def _checked(self, value, name):
        value = _decode(value)
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is None or isinstance(value, (bool, np.bool_)) or not np.all(np.isfinite(array)):
            raise ValueError(
                f"{layer_label(self)}: {name} must be a finite number or an array of numbers, "
                f"received {name}={value!r}. Fix: e.g. Rescaling(scale=1 / 255)."
            )
        return float(array) if array.ndim == 0 else array.tolist()

    def _factor(self, name):
        value = getattr(self, name)
        if not isinstance(value, list):
            return value
        tensor = getattr(self, f"_{name}_values")
        if tensor.dim() and tkl_config.image_data_format() == "channels_first":
            tensor = tensor.reshape(tuple(tensor.shape) + (1,) * max(3 - tensor.dim(), 0))
        return tensor

    def call(self, inputs):
        x = inputs.to(self._tkl_dtype)
        scale, offset = self._factor("scale"), self._factor("offset")
        if isinstance(scale, torch.Tensor):
            scale = scale.to(x.dtype)
        if isinstance(offset, torch.Tensor):
            offset = offset.to(x.dtype)
        return x * scale + offset

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config
