"""Reshaping layers: ``Flatten``."""

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable

__all__ = ["Flatten"]


@register_serializable(package="keras")
class Flatten(Layer):
    """Flattens every axis but the batch axis.

    With ``data_format="channels_first"`` the channels are first moved last, so the
    flattened order matches the ``channels_last`` layout (as in Keras).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Shapes:
        Input ``(batch, d1, ..., dn)``; output ``(batch, d1 * ... * dn)``; a 1-D input
        ``(batch,)`` gives ``(batch, 1)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Flatten()(torch.ones(2, 3, 4)).shape
        torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        size = 1
        for dim in input_shape[1:]:
            if dim is None:
                return (input_shape[0], None)
            size *= dim
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
