"""``LayerScale``: ConvNeXt's learnable per-channel scale (Touvron et al., 2021)."""

import numbers

from .. import initializers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import is_positive_int, layer_label

__all__ = ["LayerScale"]


@register_serializable(package="keras")
class LayerScale(Layer):
    """Multiplies its input by a trainable vector ``gamma`` over the last axis.

    The layer Keras's ``ConvNeXt`` application defines (``keras.applications.convnext
    .LayerScale``), registered as ``"LayerScale"`` so ConvNeXt files and configs load.

    Args:
        init_values: initial value of every entry of ``gamma`` (ConvNeXt uses 1e-6).
        projection_dim: size of ``gamma``: the number of channels (last axis).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(..., projection_dim)``; output has the input's shape; ``gamma`` has
        shape ``(projection_dim,)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.LayerScale(init_values=0.5, projection_dim=3)
        >>> layer(torch.ones(1, 3)).tolist()
        [[0.5, 0.5, 0.5]]
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        if isinstance(init_values, bool) or not isinstance(init_values, numbers.Real):
            raise ValueError(
                f"{layer_label(self)}: init_values must be a number, received "
                f"init_values={init_values!r}. Fix: e.g. init_values=1e-6."
            )
        if not is_positive_int(projection_dim):
            raise ValueError(
                f"{layer_label(self)}: projection_dim must be a positive integer (the number "
                f"of channels), received projection_dim={projection_dim!r}."
            )
        self.init_values = float(init_values)
        self.projection_dim = int(projection_dim)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: self.projection_dim})

    def build(self, input_shape=None):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values), name="gamma")

    def call(self, inputs):
        return inputs * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(init_values=self.init_values, projection_dim=self.projection_dim)
        return config
