"""``RMSNormalization``: divides by the root mean square over some axes and scales."""

import numbers

import torch
import torch.nn.functional as F

from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import layer_label
from .unit_normalization import axes_of, min_ndim, resolve_axes

__all__ = ["RMSNormalization"]

_HALF = (torch.float16, torch.bfloat16)


@register_serializable(package="keras")
class RMSNormalization(Layer):
    """Root mean square normalization (Zhang & Sennrich, 2019):
    ``x * rsqrt(mean(x**2 over axis) + epsilon) * scale``.

    Unlike ``LayerNormalization`` the mean is not subtracted. Trailing axes run on
    ``F.rms_norm``; half-precision inputs are computed in float32 and cast back, as
    Keras does.

    Args:
        axis: int or list/tuple of ints: the axes to normalize over (default -1).
        epsilon: added to the mean square (default 1e-6).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Output has the input's shape. The trainable weight ``scale`` (initialized to
        ones) has shape ``tuple(input_shape[a] for a in sorted axes)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.RMSNormalization()
        >>> layer(torch.tensor([[3.0, 4.0]])).detach()  # rms = sqrt(12.5)
        tensor([[0.8485, 1.1314]])
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self._axes = axes_of(self, axis)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon >= 0:
            raise ValueError(
                f"{layer_label(self)}: epsilon must be a non-negative number, received "
                f"epsilon={epsilon!r}. Fix: e.g. epsilon=1e-6 (the Keras default)."
            )
        self.epsilon = float(epsilon)
        self.input_spec = InputSpec(min_ndim=min_ndim(self._axes))

    def build(self, input_shape):
        dims = resolve_axes(self, self._axes, input_shape)
        shape = tuple(input_shape[d] for d in dims)
        if None in shape:
            raise ValueError(
                f"{layer_label(self)}: the normalized axes {self.axis!r} of the input must have "
                f"known sizes, received input_shape={tuple(input_shape)}. Fix: give those "
                "sizes in Input(shape=...)."
            )
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.input_spec = InputSpec(
            min_ndim=min_ndim(self._axes), axes={a: input_shape[a] for a in self._axes})

    def call(self, inputs):
        dtype = inputs.dtype
        x = inputs.float() if dtype in _HALF else inputs
        if not x.is_floating_point():
            x = x.to(self._tkl_dtype)
        ndim = x.dim()
        dims = resolve_axes(self, self._axes, x.shape)
        scale = self.scale.to(x.dtype)
        if dims == list(range(ndim - len(dims), ndim)):
            out = F.rms_norm(x, scale.shape, scale, self.epsilon)
        else:
            broadcast = [x.shape[d] if d in dims else 1 for d in range(ndim)]
            inv = torch.rsqrt(x.square().mean(dims, keepdim=True) + self.epsilon)
            out = x * inv * scale.reshape(broadcast)
        return out.to(dtype) if dtype in _HALF else out

    def compute_output_shape(self, input_shape):
        resolve_axes(self, self._axes, input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon)
        return config
