"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU`` and ``Softmax``.

They compute the functions of ``torch_keraslike.activations`` (torch's fused kernels
where those compute Keras's formula) and pass masks through (``supports_masking``);
``Softmax`` also takes a ``mask`` call argument, as in Keras.
"""

import warnings

import torch
import torch.nn.functional as F

from .. import activations, constraints, initializers, regularizers, symbolic
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import add_weight_from_options, is_int, is_real, layer_label, serialize_options

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


class _Activation(Layer):
    """Element-wise activation layers: masks pass through, shapes are unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs, **kwargs):
        # The activations compute in floating point: integer inputs give float outputs.
        keeps_dtype = inputs.dtype.is_floating_point and not self._tkl_autocast
        return symbolic.KerasTensor(tuple(inputs.shape), inputs.dtype if keeps_dtype else self._tkl_dtype)


@register_serializable(package="keras")
class ReLU(_Activation):
    """Rectified linear unit with an optional cap, slope and threshold.

    ``f(x) = max_value`` for ``x >= max_value``; ``x`` for ``threshold <= x <
    max_value``; ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: the cap (``None``, default: none), a non-negative number.
        negative_slope: the slope below the threshold (default 0), non-negative.
        threshold: the value below which the slope applies (default 0), non-negative.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ReLU(max_value=8.0, threshold=5.0)(torch.tensor([6.0, 0.0, 5.0, 10.0]))
        tensor([6., 0., 0., 8.])
    """

    build_at_init = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and (not is_real(max_value) or max_value < 0):
            raise ValueError(
                f"{layer_label(self)}: max_value of a ReLU layer cannot be a negative value. "
                f"Received: max_value={max_value!r}. Fix: pass a number >= 0 (e.g. 6.0) or None."
            )
        for arg, value in (("negative_slope", negative_slope), ("threshold", threshold)):
            if not is_real(value) or value < 0:
                raise ValueError(
                    f"{layer_label(self)}: {arg} of a ReLU layer cannot be None or a negative "
                    f"value. Received: {arg}={value!r}. Fix: pass a number >= 0, e.g. {arg}=0.0."
                )
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self._plain = self.max_value is None and self.negative_slope == 0 and self.threshold == 0

    def call(self, inputs):
        if self._plain and inputs.is_floating_point():
            return F.relu(inputs)
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


@register_serializable(package="keras")
class LeakyReLU(_Activation):
    """Leaky rectified linear unit: ``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Args:
        negative_slope: the slope for negative inputs (default 0.3), non-negative.
            ``alpha=`` (its Keras 2 name) is accepted with a warning, as in Keras.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.LeakyReLU(negative_slope=0.5)(torch.tensor([-10.0, 0.0, 5.0]))
        tensor([-5.,  0.,  5.])
    """

    build_at_init = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if not is_real(negative_slope) or negative_slope < 0:
            raise ValueError(
                f"{layer_label(self)}: The negative_slope value of a Leaky ReLU layer cannot be "
                f"None or negative value. Expected a float. Received: negative_slope="
                f"{negative_slope!r}. Fix: e.g. negative_slope=0.3."
            )
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        if inputs.is_floating_point():
            return F.leaky_relu(inputs, self.negative_slope)
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@register_serializable(package="keras")
class ELU(_Activation):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

    Args:
        alpha: the scale of the negative part (default 1.0).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.ELU(alpha=2.0)(torch.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """

    build_at_init = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if not is_real(alpha):
            raise ValueError(
                f"{layer_label(self)}: alpha must be a number, received alpha={alpha!r}. Fix: "
                "e.g. ELU(alpha=1.0)."
            )
        self.alpha = float(alpha)

    def call(self, inputs):
        if inputs.is_floating_point():
            return F.elu(inputs, self.alpha)
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@register_serializable(package="keras")
class PReLU(_Activation):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` below, with a learned
    ``alpha`` per input position (shared along ``shared_axes``).

    Args:
        alpha_initializer: initializer of ``alpha`` (default ``"zeros"``: a plain ReLU
            at the start).
        alpha_regularizer: optional regularizer of ``alpha``.
        alpha_constraint: optional constraint of ``alpha``.
        shared_axes: axis or axes (1-based, the batch axis being 0) along which one
            ``alpha`` is shared, e.g. ``[1, 2]`` for one ``alpha`` per channel of
            ``(batch, height, width, channels)`` images.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input of rank >= 2; the output has the input's shape. ``alpha`` has the
        input's shape without the batch axis, with size 1 along ``shared_axes``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.PReLU(alpha_initializer=tkl.initializers.Constant(0.5), shared_axes=[1])
        >>> layer(torch.tensor([[[-4.0, 3.0], [-1.0, -2.0]]])).tolist()
        [[[-2.0, 3.0], [-0.5, -1.0]]]
        >>> tuple(layer.alpha.shape)
        (1, 2)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        axes = [shared_axes] if is_int(shared_axes) else shared_axes
        if axes is not None and (not isinstance(axes, (list, tuple)) or not all(
                is_int(a) and a > 0 for a in axes)):
            raise ValueError(
                f"{layer_label(self)}: shared_axes must be None, a positive int or a list of "
                f"positive ints (1-based axes; 0 is the batch axis), received "
                f"shared_axes={shared_axes!r}. Fix: e.g. shared_axes=[1, 2]."
            )
        self.shared_axes = None if axes is None else [int(a) for a in axes]

    def build(self, input_shape):
        rank = len(input_shape)
        if self.shared_axes is not None and max(self.shared_axes) >= rank:
            raise ValueError(
                f"{layer_label(self)}: shared_axes={self.shared_axes} names an axis the input does "
                f"not have (input_shape={tuple(input_shape)}, axes 1 to {rank - 1}). Fix: list "
                "axes of the input, counting the batch axis as 0."
            )
        shared = set(self.shared_axes or ())
        shape = tuple(1 if axis in shared else size for axis, size in enumerate(input_shape[1:], start=1))
        if None in shape:
            raise ValueError(
                f"{layer_label(self)} needs every axis it does not share to be known, received "
                f"input_shape={tuple(input_shape)}. Fix: give those sizes, or add the unknown axes "
                "to shared_axes."
            )
        self.alpha = add_weight_from_options(self, "alpha", shape)
        self.input_spec = InputSpec(ndim=rank, axes={
            axis: size for axis, size in enumerate(input_shape[1:], start=1) if axis not in shared})

    def call(self, inputs):
        return torch.where(inputs >= 0, inputs, inputs * self.alpha)

    def get_config(self):
        config = super().get_config()
        config["shared_axes"] = self.shared_axes
        return serialize_options(
            config,
            alpha_initializer=self.alpha_initializer,
            alpha_regularizer=self.alpha_regularizer,
            alpha_constraint=self.alpha_constraint,
        )


def _large_negative(dtype):
    """The value masked-out logits get: very negative, yet finite in ``dtype``."""
    return -30000.0 if dtype == torch.float16 else -1e9


@register_serializable(package="keras")
class Softmax(_Activation):
    """Softmax over ``axis``, with an optional mask of the positions to keep.

    Args:
        axis: an int or a tuple of ints, the axes normalised together (default -1).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: the logits.
        mask: optional tensor broadcastable to ``inputs`` (right-aligned), True (or
            > 0.5) where a logit takes part. Masked-out positions get probability 0;
            so does every position of a slice without any kept logit.

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Softmax()(torch.tensor([[1.0, 1.0, 5.0]]), mask=torch.tensor([[True, True, False]]))
        tensor([[0.5000, 0.5000, 0.0000]])
    """

    build_at_init = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not is_int(axis) and not (isinstance(axis, (list, tuple)) and axis and all(is_int(a) for a in axis)):
            raise ValueError(
                f"{layer_label(self)}: axis must be an int or a non-empty tuple of ints, received "
                f"axis={axis!r}. Fix: e.g. Softmax(axis=-1)."
            )
        self.axis = int(axis) if is_int(axis) else tuple(int(a) for a in axis)
        self._dim = self.axis if is_int(self.axis) else (self.axis[0] if len(self.axis) == 1 else None)

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            inputs = torch.where(mask, inputs, _large_negative(inputs.dtype))
        if not inputs.is_floating_point():
            inputs = inputs.to(self._tkl_dtype)
        if self._dim is not None:
            outputs = F.softmax(inputs, dim=self._dim)
        else:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        if mask is not None:
            outputs = torch.where(mask, outputs, 0.0)
        return outputs

    def _check_mask(self, inputs, mask):
        if mask.dim() > inputs.dim():
            raise ValueError(
                f"{layer_label(self)}: The `mask` must be broadcastable to `inputs` and must not "
                f"have more dimensions. Received: inputs.shape={tuple(inputs.shape)}, "
                f"mask.shape={tuple(mask.shape)}. Fix: drop the extra mask axes."
            )
        for m, i in zip(reversed(mask.shape), reversed(inputs.shape)):
            if m != 1 and m != i:
                raise ValueError(
                    f"{layer_label(self)}: The `mask` must be broadcastable to `inputs`. Each mask "
                    "dimension must be 1 or match the corresponding input dimension. Received: "
                    f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}. Fix: "
                    "align the mask's axes with the inputs' last axes."
                )
        return mask if mask.dtype == torch.bool else mask > 0.5

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
