"""Core layers: ``Dense``, ``Activation``, ``Dropout``, ``Identity``, ``Lambda``."""

import inspect
import numbers

import torch
import torch.nn.functional as F

from .. import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import get_registered_name, get_registered_object, register_serializable
from ._common import (
    KERNEL_BIAS_OPTIONS,
    add_weight_from_options,
    is_positive_int,
    options_of,
    seeded_generator,
    serialize_options,
)

__all__ = ["Activation", "Dense", "Dropout", "Identity", "Lambda"]


@register_serializable(package="keras")
class Dense(Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)``.

    The kernel has Keras's layout ``(input_dim, units)``; inputs of rank > 2 are
    multiplied along their last axis.

    Args:
        units: size of the output's last axis.
        activation: activation name or callable (default: none).
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers (Keras names accepted).
        kernel_regularizer, bias_regularizer: regularizers of the weights.
        activity_regularizer: regularizer of the output.
        kernel_constraint, bias_constraint: constraints applied after optimizer steps.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ``input_shape``...).

    Shapes:
        Input ``(batch, ..., input_dim)``; output ``(batch, ..., units)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Dense(3, activation="relu")(torch.ones(2, 5)).shape
        torch.Size([2, 3])
    """

    cast_integer_inputs = True
    supports_masking = True

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not is_positive_int(units):
            raise ValueError(
                f'Layer "{self.name}" (Dense): units must be a positive integer, received '
                f"units={units!r}. Fix: e.g. Dense(64)."
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self._activation_fn = activations.fused(self.activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}" (Dense) needs the last axis of its input to be known, '
                f"received input_shape={input_shape}. Fix: give the feature size, e.g. "
                "Input(shape=(16,))."
            )
        self.kernel = add_weight_from_options(self, "kernel", (input_dim, self.units))
        self.bias = add_weight_from_options(self, "bias", (self.units,)) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        kernel, bias = self.kernel, self.bias
        if bias is not None and inputs.dim() == 2:
            outputs = torch.addmm(bias, inputs, kernel)
        else:
            outputs = F.linear(inputs, kernel.t(), bias)
        if self._activation_fn is not None:
            outputs = self._activation_fn(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
        )
        return serialize_options(config, **options_of(self, KERNEL_BIAS_OPTIONS))

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}, activation={activations.serialize(self.activation)!r}"


@register_serializable(package="keras")
class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: Keras name (``"relu"``, ``"softmax"``...) or callable.

    Shapes:
        Output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Activation("relu")(torch.tensor([[-1.0, 2.0]]))
        tensor([[0., 2.]])
    """

    build_at_init = True

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@register_serializable(package="keras")
class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. for an optional branch).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Identity()(torch.ones(2))
        tensor([1., 1.])
    """

    build_at_init = True

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return super().get_config()


@register_serializable(package="keras")
class Dropout(Layer):
    """Sets a fraction ``rate`` of the inputs to 0 while training, scaling the rest
    by ``1 / (1 - rate)``; the identity at inference.

    Args:
        rate: fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: shape of the binary mask, broadcast over the input (``None``
            entries take the input's size), e.g. ``(batch, 1, features)`` to drop the
            same features at every time step.
        seed: int; makes the masks reproducible.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Dropout(0.5)(torch.ones(2, 3), training=False)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    build_at_init = True

    cast_integer_inputs = True
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(
                f'Layer "{self.name}" (Dropout): invalid value received for argument `rate`. '
                f"Expected a float value between 0 and 1. Received: rate={rate!r}. Fix: e.g. "
                "Dropout(0.5)."
            )
        if seed is not None and not isinstance(seed, int):
            raise ValueError(
                f'Layer "{self.name}" (Dropout): seed must be an int or None, received '
                f"{seed!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = inputs.shape if self.noise_shape is None else tuple(
            size if want is None else want for size, want in zip(inputs.shape, self.noise_shape)
        )
        keep = torch.full(shape, 1 - self.rate, device=inputs.device, dtype=inputs.dtype)
        mask = torch.bernoulli(keep, generator=seeded_generator(self, inputs.device))
        return inputs * mask / (1 - self.rate)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            rate=self.rate,
            noise_shape=None if self.noise_shape is None else list(self.noise_shape),
            seed=self.seed,
        )
        return config


@register_serializable(package="keras")
class Lambda(Layer):
    """Wraps a function as a layer: ``function(inputs, **arguments)``.

    Its config names the function by registered name only (never its code), so a
    ``Lambda`` round-trips through configs when the function is an activation name or
    registered with ``tkl.saving.register_serializable``.

    Args:
        function: callable applied to the inputs.
        output_shape: optional output shape (one sample) or callable computing it.
        arguments: extra keyword arguments passed to ``function``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Lambda(lambda x: x * 2)(torch.ones(2))
        tensor([2., 2.])
    """

    _allow_non_tensor_positional_args = True

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(function, str):
            resolved = get_registered_object(function) or activations.get(function)
            function = resolved
        if not callable(function):
            raise TypeError(
                f'Layer "{self.name}" (Lambda): function must be callable, received '
                f"{function!r}. Fix: Lambda(lambda x: x * 2)."
            )
        self.function = function
        self.output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        # As in Keras: the output mask is ``mask(inputs, input_mask)`` (or ``mask`` itself).
        self.supports_masking = mask is not None
        try:
            self._function_takes_mask = "mask" in inspect.signature(function).parameters
        except (TypeError, ValueError):
            self._function_takes_mask = False

    def call(self, inputs, mask=None):
        if self._function_takes_mask:
            return self.function(inputs, mask=mask, **self.arguments)
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        """``mask(inputs, mask)`` when ``mask`` is callable, else ``mask`` itself."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if callable(self.output_shape):
            return self.output_shape(input_shape)
        if self.output_shape is not None:
            return (input_shape[0],) + tuple(self.output_shape)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        name = get_registered_name(self.function)
        if get_registered_object(name) is not self.function:
            try:
                name = activations.serialize(self.function)
            except ValueError:
                raise ValueError(
                    f'Layer "{self.name}" (Lambda) cannot be serialized: its function '
                    f"{self.function!r} is not registered, and configs never store code. Fix: "
                    "decorate the function with @tkl.saving.register_serializable(), or "
                    "write a Layer subclass."
                ) from None
        config = super().get_config()
        config.update(
            function=name,
            output_shape=None if callable(self.output_shape) else self.output_shape,
            arguments=self.arguments,
        )
        return config
