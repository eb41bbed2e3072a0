"""Regularization layers: ``SpatialDropout1D/2D/3D``, ``GaussianDropout``,
``GaussianNoise``, ``AlphaDropout`` and ``ActivityRegularization``.

The noise layers act only in training (``training=True``, or torch's ``train()`` mode
when no ``training`` is given) and are the identity at inference, as in Keras. With a
``seed``, each layer draws from its own ``torch.Generator`` on the input's device, so
a seeded layer repeats its sequence of masks; without one it uses torch's global RNG
(as do seeded layers inside ``torch.compile``, which cannot trace a generator object:
``torch.manual_seed`` makes compiled noise reproducible). All of them pass masks
through unchanged (``supports_masking``).
"""

import math

import torch

from .. import config as _config
from .. import regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import is_int, is_real, is_seed, layer_label, seeded_generator

__all__ = [
    "ActivityRegularization",
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]

# SELU's constants: AlphaDropout keeps a SELU network's self-normalisation.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class _RandomLayer(Layer):
    """Validation of ``rate``/``stddev`` and ``seed``, and the seeded generator."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_fraction(self, value, arg, upper_open=False):
        """``value`` as a float in ``[0, 1]`` (``[0, 1)`` with ``upper_open``)."""
        if not is_real(value) or not 0 <= value <= 1 or (upper_open and value == 1):
            interval = "[0, 1)" if upper_open else "[0, 1]"
            raise ValueError(
                f"{layer_label(self)}: Invalid value received for argument `{arg}`. Expected a "
                f"float value between 0 and 1. Received: {arg}={value!r}. Fix: pass a float in "
                f"{interval}, e.g. {arg}=0.1."
            )
        return float(value)

    def _set_seed(self, seed):
        if not is_seed(seed):
            raise ValueError(
                f"{layer_label(self)}: seed must be an int or None, received seed={seed!r}. Fix: "
                "e.g. seed=1337 for reproducible noise."
            )
        self.seed = None if seed is None else int(seed)
        self._generator = None

    def _draw(self, kind, shape, inputs):
        """Random numbers for one call, on the input's device, from the layer's seeded
        generator (or torch's global one): ``"normal"`` (standard normal) or
        ``"uniform"`` (in ``[0, 1)``), in the input's floating dtype."""
        dtype = inputs.dtype if inputs.is_floating_point() else self._tkl_dtype
        make = torch.randn if kind == "normal" else torch.rand
        return make(shape, generator=seeded_generator(self, inputs.device), dtype=dtype,
                    device=inputs.device)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _SpatialDropout(_RandomLayer):
    """Drops whole feature maps: one keep/drop draw per sample and channel, shared by
    every spatial position, the kept maps scaled by ``1 / (1 - rate)``.

    Args:
        rate: the fraction of channels to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int; makes the masks reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).
    """

    _rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = self._check_fraction(rate, "rate")
        self._set_seed(seed)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, shape):
        spatial = (1,) * self._rank
        if self.data_format == "channels_last":
            return (shape[0],) + spatial + (shape[-1],)
        return (shape[0], shape[1]) + spatial

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        keep = self._draw("uniform", self._noise_shape(inputs.shape), inputs) >= self.rate
        return torch.where(keep, inputs / (1 - self.rate), 0)

    def get_config(self):
        # Keras's keys: no ``trainable`` for these layers.
        config = {"name": self.name, "dtype": self.dtype, "rate": self.rate, "seed": self.seed}
        if self._rank > 1:  # SpatialDropout1D has no data_format in Keras
            config["data_format"] = self.data_format
        return config


@register_serializable(package="keras")
class SpatialDropout1D(_SpatialDropout):
    __doc__ = _SpatialDropout.__doc__.replace(
        "        data_format: ``\"channels_last\"`` (default) or ``\"channels_first\"``.\n", "") + """
    Shapes:
        Input ``(batch, steps, channels)``; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> out = tkl.layers.SpatialDropout1D(0.5, seed=1)(torch.ones(2, 3, 4), training=True)
        >>> bool((out == out[:, :1]).all())  # one draw per sample and channel
        True
    """

    _rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)


@register_serializable(package="keras")
class SpatialDropout2D(_SpatialDropout):
    __doc__ = _SpatialDropout.__doc__ + """
    Shapes:
        Input ``(batch, height, width, channels)`` (channels_last) or ``(batch,
        channels, height, width)``; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.SpatialDropout2D(0.5)(torch.ones(1, 2, 2, 3), training=False).sum().item()
        12.0
    """

    _rank = 2


@register_serializable(package="keras")
class SpatialDropout3D(_SpatialDropout):
    __doc__ = _SpatialDropout.__doc__ + """
    Shapes:
        Input ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or ``(batch,
        channels, dim1, dim2, dim3)``; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.SpatialDropout3D(0.2)(torch.ones(1, 2, 2, 2, 3)).shape
        torch.Size([1, 2, 2, 2, 3])
    """

    _rank = 3


@register_serializable(package="keras")
class GaussianDropout(_RandomLayer):
    """Multiplies the inputs by noise drawn from ``N(1, rate / (1 - rate))`` in
    training (the variance of a dropout of that rate); the identity at inference.

    Args:
        rate: the equivalent dropout rate, in ``[0, 1)``.
        seed: int; makes the noise reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> out = tkl.layers.GaussianDropout(0.3, seed=1)(torch.ones(200, 500), training=True)
        >>> abs(out.std().item() - (0.3 / 0.7) ** 0.5) < 0.01
        True
    """

    build_at_init = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = self._check_fraction(rate, "rate", upper_open=True)
        self._set_seed(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (self._draw("normal", inputs.shape, inputs) * stddev + 1.0)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


@register_serializable(package="keras")
class GaussianNoise(_RandomLayer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` in training
    (data augmentation against overfitting); the identity at inference.

    Args:
        stddev: the standard deviation of the noise, in ``[0, 1]``.
        seed: int; makes the noise reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.GaussianNoise(0.1, seed=1)
        >>> bool((layer(torch.zeros(3), training=False) == 0).all())
        True
    """

    build_at_init = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = self._check_fraction(stddev, "stddev")
        self._set_seed(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + self._draw("normal", inputs.shape, inputs) * self.stddev

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


@register_serializable(package="keras")
class AlphaDropout(_RandomLayer):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks).

    In training a fraction ``rate`` of the inputs is set to SELU's negative saturation
    value ``-alpha * scale`` and the result is mapped by ``a * x + b``, with ``a`` and
    ``b`` chosen so that inputs of mean 0 and variance 1 keep them; the identity at
    inference.

    Args:
        rate: the fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: shape of the binary keep mask, broadcast over the input (``None``
            entries take the input's size), e.g. ``(batch, 1, features)``.
        seed: int; makes the masks reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output has the input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> x = torch.randn(100, 1000, generator=torch.Generator().manual_seed(0))
        >>> out = tkl.layers.AlphaDropout(0.2, seed=1)(x, training=True)
        >>> abs(out.mean().item()) < 0.02 and abs(out.std().item() - 1) < 0.02
        True
    """

    build_at_init = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = self._check_fraction(rate, "rate", upper_open=True)
        self.noise_shape = self._check_noise_shape(noise_shape)
        self._set_seed(seed)

    def _check_noise_shape(self, noise_shape):
        if noise_shape is None:
            return None
        try:
            entries = tuple(noise_shape) if not isinstance(noise_shape, str) else None
        except TypeError:
            entries = None
        if entries is None or not all(d is None or (is_int(d) and d > 0) for d in entries):
            raise ValueError(
                f"{layer_label(self)}: Invalid value received for argument `noise_shape`. "
                "Expected a tuple or list of positive integers or None. Received: "
                f"noise_shape={noise_shape!r}. Fix: e.g. noise_shape=(None, 1, 16)."
            )
        return tuple(None if d is None else int(d) for d in entries)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            if len(self.noise_shape) != inputs.dim():
                raise ValueError(
                    f"{layer_label(self)}: noise_shape={self.noise_shape} has {len(self.noise_shape)} "
                    f"entries but the input has rank {inputs.dim()} (shape {tuple(shape)}). Fix: give "
                    "one entry per input axis (None keeps the input's size)."
                )
            shape = tuple(size if want is None else want for size, want in zip(shape, self.noise_shape))
        uniform = self._draw("uniform", shape, inputs)
        kept = (uniform >= self.rate).to(uniform.dtype)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=None if self.noise_shape is None else list(self.noise_shape))
        return config


@register_serializable(package="keras")
class ActivityRegularization(Layer):
    """Returns its input unchanged and adds the activity penalty
    ``l1 * sum(|x|) + l2 * sum(x ** 2)`` (divided by the batch size, as every activity
    regularizer) to ``layer.losses``.

    Args:
        l1: the L1 factor, a non-negative number.
        l2: the L2 factor, a non-negative number.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Any input; the output is the input.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.ActivityRegularization(l1=0.2, l2=0.3)
        >>> _ = layer(torch.full((1, 2), 2.0))
        >>> round(layer.losses[0].item(), 4)  # 2 * (0.2 * 2 + 0.3 * 4)
        3.2
    """

    build_at_init = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("l1", l1), ("l2", l2)):
            if not is_real(value) or value < 0:
                raise ValueError(
                    f"{layer_label(self)}: {arg} must be a non-negative number, received "
                    f"{arg}={value!r}. Fix: e.g. {arg}=0.01."
                )
        self.l1, self.l2 = float(l1), float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(l1=self.l1, l2=self.l2)
        return config
