"""``UnitNormalization``: scales each sample to unit L2 norm over some axes."""

import torch

from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import is_int, layer_label
from ._specs import floating_output_spec

__all__ = ["UnitNormalization"]

_EPSILON = 1e-12  # Keras's floor on the norm


def axes_of(layer, axis):
    """``axis`` (an int or a list/tuple of ints) checked, as ``(stored value, list)``."""
    items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not items or not all(is_int(a) for a in items):
        raise TypeError(
            f"{layer_label(layer)}: invalid value for `axis` argument: expected an int or a "
            f"list/tuple of ints. Received: axis={axis!r}. Fix: e.g. axis=-1 or axis=[1, 2]."
        )
    items = [int(a) for a in items]
    if len(set(items)) != len(items):
        raise ValueError(
            f"{layer_label(layer)}: axis contains duplicates: {axis!r}. Fix: list each axis once.")
    return (items if isinstance(axis, (list, tuple)) else items[0]), items


def resolve_axes(layer, axes, input_shape):
    """The axes as sorted non-negative ints for an input of ``input_shape``."""
    ndim = len(input_shape)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{layer_label(layer)}: axis {a} is out of bounds for input shape "
                f"{tuple(input_shape)} (rank {ndim}). Fix: use axes in [{-ndim}, {ndim - 1}]."
            )
    resolved = sorted(a % ndim for a in axes)
    if len(set(resolved)) != len(resolved):
        raise ValueError(
            f"{layer_label(layer)}: axis={layer.axis!r} names the same axis twice for inputs of "
            f"rank {ndim}. Fix: list each axis once."
        )
    return resolved


def min_ndim(axes):
    return max(a + 1 if a >= 0 else -a for a in axes)


@register_serializable(package="keras")
class UnitNormalization(Layer):
    """Divides each sample by its L2 norm over ``axis``, so the result has norm 1:
    ``x * min(1 / sqrt(sum(x**2)), 1e12)`` (Keras's formula and floor).

    Args:
        axis: int or list/tuple of ints: the axes to normalize over (default -1).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Output has the input's shape; integer inputs give floats. The mask, if any,
        passes through.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> out = tkl.layers.UnitNormalization()(torch.tensor([[3.0, 4.0]]))
        >>> out
        tensor([[0.6000, 0.8000]])
    """

    build_at_init = True

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis, self._axes = axes_of(self, axis)
        self.input_spec = InputSpec(min_ndim=min_ndim(self._axes))

    def call(self, inputs):
        if not inputs.is_floating_point():
            inputs = inputs.to(self._tkl_dtype)
        dims = resolve_axes(self, self._axes, inputs.shape)
        inv_norm = torch.rsqrt(inputs.square().sum(dims, keepdim=True)).clamp(max=1.0 / _EPSILON)
        return inputs * inv_norm

    def compute_output_shape(self, input_shape):
        resolve_axes(self, self._axes, input_shape)
        return tuple(input_shape)

    def compute_output_spec(self, inputs):
        return floating_output_spec(self, inputs)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
