"""``Masking``: marks the time steps whose features all equal a padding value."""

import numbers

import torch

from ..layer import Layer
from ..saving import register_serializable
from ._common import layer_label

__all__ = ["Masking"]


@register_serializable(package="keras")
class Masking(Layer):
    """Masks the time steps of a sequence that are padding (Keras's layer).

    A step (index ``[b, t]`` of a ``(batch, timesteps, features)`` input) is masked when
    all its features equal ``mask_value``; its features are set to zero and the
    layers downstream that support masking (``LSTM``, ``GlobalAveragePooling1D``,
    attention...) skip it.

    Args:
        mask_value: the padding value (default 0.0).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Output: the input's shape; mask: the input's shape without the last axis.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> y = tkl.layers.Masking(mask_value=0.0)(x)
        >>> y._keras_mask
        tensor([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Number):
            raise ValueError(
                f"{layer_label(self)}: mask_value must be a number, received "
                f"mask_value={mask_value!r} (of type {type(mask_value).__name__}). Fix: e.g. "
                "Masking(mask_value=0.0)."
            )
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return torch.any(inputs != self.mask_value, dim=-1)

    def call(self, inputs):
        keep = torch.any(inputs != self.mask_value, dim=-1, keepdim=True)
        return torch.where(keep, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
