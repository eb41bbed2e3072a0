"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``,
``GroupNormalization``, with Keras 3's formulas, defaults (``epsilon=1e-3``) and
momentum convention, on torch's fused kernels where they compute the same thing.

Batch statistics follow Keras 3's ``ops.moments``: the *biased* variance
(``mean(x**2) - mean(x)**2``, divided by ``n``), both to normalise and to update
``moving_variance`` (torch's own ``BatchNorm`` stores the unbiased one instead).
"""

import numbers

import torch
import torch.nn.functional as F

from .. import constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._batch_renorm import add_renorm_weights, check_renorm_arguments, renorm_scale_and_offset
from ._common import add_weight_from_options, is_int, layer_label, serialize_options

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization"]

_HALF = (torch.float16, torch.bfloat16)
_MASK_EPSILON = 1e-7  # Keras's backend epsilon, used by its masked moments


class _Normalization(Layer):
    """Shared argument checks and gamma/beta handling."""

    cast_integer_inputs = True
    supports_masking = True

    def _setup(self, epsilon, center, scale, beta_initializer, gamma_initializer,
               beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint):
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon >= 0:
            raise ValueError(
                f"{layer_label(self)}: epsilon must be a non-negative number, received "
                f"epsilon={epsilon!r}. Fix: e.g. epsilon=1e-3 (the Keras default)."
            )
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _check_int_axis(self, axis):
        if not is_int(axis):
            raise TypeError(
                f"{layer_label(self)}: axis must be an int, received axis={axis!r} (of type "
                f"{type(axis).__name__}). Fix: e.g. axis=-1 (channels_last) or axis=1 "
                "(channels_first)."
            )
        return int(axis)

    def _resolve_axis(self, axis, input_shape):
        ndim = len(input_shape)
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"{layer_label(self)}: axis {axis} is out of bounds for input shape "
                f"{tuple(input_shape)} (rank {ndim}). Fix: use an axis in [{-ndim}, {ndim - 1}]."
            )
        axis %= ndim
        if input_shape[axis] is None:
            raise ValueError(
                f"{layer_label(self)}: axis {axis} of the input should have a defined dimension, "
                f"but the layer received an input with shape {tuple(input_shape)}."
            )
        return axis

    def _add_gamma_beta(self, shape, gamma=True, beta=True):
        self.gamma = add_weight_from_options(self, "gamma", shape) if gamma else None
        self.beta = add_weight_from_options(self, "beta", shape) if beta else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
        )
        return serialize_options(
            config,
            beta_initializer=self.beta_initializer,
            gamma_initializer=self.gamma_initializer,
            beta_regularizer=self.beta_regularizer,
            gamma_regularizer=self.gamma_regularizer,
            beta_constraint=self.beta_constraint,
            gamma_constraint=self.gamma_constraint,
        )


def _all_reduce_sum(tensor, group):
    if group is None:
        return tensor
    from torch.distributed import _functional_collectives as collectives

    return collectives.wait_tensor(collectives.all_reduce(tensor, "sum", group))


def _min_ndim(axes):
    return max(a + 1 if a >= 0 else -a for a in axes)


@register_serializable(package="keras")
class BatchNormalization(_Normalization):
    """Normalizes each channel with batch statistics while training and with moving
    statistics at inference: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Training (``training=True``, or ``layer.train()``, *and* ``layer.trainable``) uses the
    batch mean and biased variance and updates, as in Keras,
    ``moving = moving * momentum + batch_stat * (1 - momentum)``. Otherwise, and always
    when the layer is frozen (``trainable=False``, as in Keras 3), it uses
    ``moving_mean``/``moving_variance``, which are buffers (in ``state_dict``, never in
    ``parameters()``).

    Args:
        axis: the channel axis (``-1`` channels_last; ``1`` channels_first).
        momentum: momentum of the moving averages (Keras's convention, default 0.99;
            torch's ``BatchNorm`` momentum is ``1 - momentum``).
        epsilon: added to the variance (default 1e-3).
        center, scale: whether to create ``beta``/``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint.
        renorm: whether to use batch renormalization (Ioffe, 2017): while training,
            the batch statistics are corrected towards renorm moving statistics
            (weights ``moving_stddev``, ``renorm_mean``, ``renorm_stddev`` are added
            after ``moving_variance``, which is then derived from ``moving_stddev``).
        renorm_clipping: with ``renorm``, an optional dict with keys ``"rmax"``,
            ``"rmin"``, ``"dmax"`` clipping the corrections ``r`` and ``d``.
        renorm_momentum: momentum of the renorm moving statistics (default 0.99).
        synchronized: when True and a ``torch.distributed`` process group is
            initialized, the batch statistics of a training call are all-reduced
            over all processes (as ``nn.SyncBatchNorm`` does), so every rank
            normalizes with, and stores, the statistics of the union of the
            batches; on one process it changes nothing. (Keras 3 supports it only on
            TensorFlow.)
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: tensor of any rank.
        training: bool; see above.
        mask: optional tensor of rank ``inputs.ndim - 1`` (all axes but the last);
            masked-out entries do not count towards the batch statistics (Keras's
            weighted moments).

    Shapes:
        Output has the input's shape; weights have shape ``(channels,)``; the order of
        ``get_weights()`` is ``gamma, beta, moving_mean, moving_variance`` (then
        ``moving_stddev, renorm_mean, renorm_stddev`` with ``renorm=True``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> bn = tkl.layers.BatchNormalization()
        >>> bn(torch.randn(8, 4, 4, 3), training=True).shape
        torch.Size([8, 4, 4, 3])
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis = self._check_int_axis(axis)
        self.renorm_clipping = check_renorm_arguments(self, renorm, renorm_clipping, renorm_momentum)
        self.renorm, self.renorm_momentum = bool(renorm), float(renorm_momentum)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(
                f"{layer_label(self)}: momentum must be a number in [0, 1], received "
                f"momentum={momentum!r}. Fix: e.g. momentum=0.99 (Keras's convention: the "
                "weight of the old moving value)."
            )
        self.momentum = float(momentum)
        self._setup(epsilon, center, scale, beta_initializer, gamma_initializer,
                    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = bool(synchronized)
        self.input_spec = InputSpec(min_ndim=_min_ndim([self.axis]))

    def build(self, input_shape):
        axis = self._resolve_axis(self.axis, input_shape)
        shape = (input_shape[axis],)
        self._add_gamma_beta(shape, self.scale, self.center)
        self.moving_mean = self.add_weight(
            shape=shape, initializer=self.moving_mean_initializer, trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance")
        if self.renorm:
            add_renorm_weights(self, shape)
        self._axis = axis
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: input_shape[axis]})

    def call(self, inputs, training=None, mask=None):
        if mask is not None and mask.dim() != inputs.dim() - 1:
            raise ValueError(
                f"{layer_label(self)}: the mask provided should be one dimension less than the "
                f"inputs. Received: mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}."
            )
        # An empty batch has no statistics, and a shape-only (meta) one no values: the
        # moving statistics stay as they are (torch would make them NaN).
        training = bool(training) and self.trainable and inputs.numel() > 0 and not inputs.is_meta
        axis = self._axis
        fast = mask is None and inputs.dtype not in _HALF and inputs.dim() > 1 and not (
            training and (self.renorm or inputs.numel() <= inputs.shape[axis]
                          or self._sync_group() is not None))
        if not fast:
            return self._call_general(inputs, training, mask)
        # One fused kernel on a view with the channels at dim 1 (no copy).
        x = inputs if axis == 1 else inputs.movedim(axis, 1)
        if not training:
            out = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                               False, 0.0, self.epsilon)
        else:
            # torch updates running stats with momentum 1 - m and the *unbiased*
            # variance v * n / (n - 1). It works on copies (autograd keeps its inputs),
            # and the variance update is then corrected to Keras's biased one:
            # m * old + (1 - m) * v == torch_new * (n - 1) / n + m * old / n.
            m, n = self.momentum, inputs.numel() // inputs.shape[axis]
            running_mean = self.moving_mean.clone()
            running_var = self.moving_variance.clone()
            out = F.batch_norm(x, running_mean, running_var, self.gamma, self.beta,
                               True, 1.0 - m, self.epsilon)
            with torch.no_grad():
                self.moving_mean.copy_(running_mean)
                self.moving_variance.mul_(m / n).add_(running_var, alpha=(n - 1) / n)
        return out if axis == 1 else out.movedim(1, axis)

    def _call_general(self, inputs, training, mask):
        """Keras's formula written out: masks, half inputs (computed in float32, as
        Keras does), one value per channel, synchronized statistics."""
        axis, dtype = self._axis, inputs.dtype
        x = inputs.float() if dtype in _HALF else inputs
        gamma = None if self.gamma is None else self.gamma.to(x.dtype)
        beta = None if self.beta is None else self.beta.to(x.dtype)
        if training:
            mean, variance = self._moments(x, mask)
            if self.renorm:
                gamma, beta = renorm_scale_and_offset(self, mean, variance, gamma, beta)
            else:
                with torch.no_grad():
                    m = self.momentum
                    self.moving_mean.mul_(m).add_(mean.to(self.moving_mean.dtype), alpha=1.0 - m)
                    self.moving_variance.mul_(m).add_(variance.to(self.moving_variance.dtype), alpha=1.0 - m)
        else:
            mean, variance = self.moving_mean.to(x.dtype), self.moving_variance.to(x.dtype)
        shape = [1] * x.dim()
        shape[axis] = -1
        inv = torch.rsqrt(variance + self.epsilon)
        if gamma is not None:
            inv = inv * gamma
        out = (x - mean.reshape(shape)) * inv.reshape(shape)
        if beta is not None:
            out = out + beta.reshape(shape)
        return out.to(dtype)

    def _moments(self, x, mask):
        axes = tuple(d for d in range(x.dim()) if d != self._axis)
        if not axes:  # one value per channel (torch would reduce over everything)
            return x, torch.zeros_like(x)
        group = self._sync_group()
        if mask is None and group is None:
            variance, mean = torch.var_mean(x, dim=axes, correction=0)
            return mean, variance
        # Keras's two-pass (weighted) moments, the mask broadcast over the last axis.
        # Synchronized, each pass's sums are all-reduced over the process group with
        # torch's functional collective (differentiable: its backward all-reduces the
        # gradients, as SyncBatchNorm's does; traceable by torch.compile).
        weights = None if mask is None else mask.unsqueeze(-1).expand_as(x).to(x.dtype)
        if weights is None:
            count = x.new_full((1,), x.numel() // x.shape[self._axis])
            sums = torch.cat([x.sum(axes), count])
        else:
            sums = torch.cat([(weights * x).sum(axes), weights.sum(axes)])
        sums = _all_reduce_sum(sums, group)
        channels = x.shape[self._axis]
        total = sums[channels:] if weights is None else sums[channels:] + _MASK_EPSILON
        mean = sums[:channels] / total
        shape = [1] * x.dim()
        shape[self._axis] = channels
        squares = (x - mean.reshape(shape)).square()
        if weights is not None:
            squares = weights * squares
        return mean, _all_reduce_sum(squares.sum(axes), group) / total

    def _sync_group(self):
        """The process group to synchronize statistics over, or None (one process)."""
        dist = torch.distributed
        if self.synchronized and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            return dist.group.WORLD
        return None

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, momentum=self.momentum)
        serialize_options(
            config,
            moving_mean_initializer=self.moving_mean_initializer,
            moving_variance_initializer=self.moving_variance_initializer,
        )
        config.update(
            synchronized=self.synchronized,
            renorm=self.renorm,
            renorm_clipping=self.renorm_clipping,
            renorm_momentum=self.renorm_momentum,
        )
        return config


@register_serializable(package="keras")
class LayerNormalization(_Normalization):
    """Normalizes each sample over ``axis``: ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Statistics are per sample (biased variance); ``gamma``/``beta`` span the
    normalized axes. Trailing axes run on ``F.layer_norm``.

    Args:
        axis: int or list/tuple of ints: the axes to normalize over (default -1).
        epsilon: added to the variance (default 1e-3, Keras's; torch uses 1e-5).
        center, scale: whether to create ``beta``/``gamma``.
        rms_scaling: if True, ``center`` and ``scale`` are ignored and the output is
            ``x / sqrt(var(x) + epsilon) * gamma``: exactly Keras 3's formula, which
            divides by the *centered* variance and does not subtract the mean.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint: for the weights.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Output has the input's shape; ``gamma``/``beta`` have shape
        ``tuple(input_shape[a] for a in axis)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.LayerNormalization()(torch.randn(2, 5, 8)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        rms_scaling=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and axis:
            self.axis = [self._check_int_axis(a) for a in axis]
            axes = self.axis
        else:
            self.axis = self._check_int_axis(axis)
            axes = [self.axis]
        if len(set(axes)) != len(axes):
            raise ValueError(
                f"{layer_label(self)}: axis contains duplicates: {axis!r}. Fix: list each axis once.")
        self._axes_given = tuple(axes)
        self.rms_scaling = bool(rms_scaling)
        self._setup(epsilon, center, scale, beta_initializer, gamma_initializer,
                    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)
        self.input_spec = InputSpec(min_ndim=_min_ndim(axes))

    def build(self, input_shape):
        axes = [self._resolve_axis(a, input_shape) for a in self._axes_given]
        if len(set(axes)) != len(axes):
            raise ValueError(
                f"{layer_label(self)}: axis={self.axis!r} names the same axis twice for inputs of "
                f"rank {len(input_shape)}. Fix: list each axis once."
            )
        shape = tuple(input_shape[a] for a in axes)
        self._add_gamma_beta(shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling)
        self.input_spec = InputSpec(
            min_ndim=_min_ndim(self._axes_given),
            axes={a: input_shape[a] for a in self._axes_given},
        )

    def call(self, inputs):
        dtype, ndim = inputs.dtype, inputs.dim()
        x = inputs.float() if dtype in _HALF else inputs
        axes = sorted(a % ndim for a in self._axes_given)
        normalized_shape = tuple(x.shape[a] for a in axes)
        gamma = None if self.gamma is None else self.gamma.to(x.dtype)
        beta = None if self.beta is None else self.beta.to(x.dtype)
        if not self.rms_scaling and axes == list(range(ndim - len(axes), ndim)):
            if gamma is not None:
                gamma = gamma.reshape(normalized_shape)
            if beta is not None:
                beta = beta.reshape(normalized_shape)
            return F.layer_norm(x, normalized_shape, gamma, beta, self.epsilon).to(dtype)
        broadcast = [1] * ndim
        for a in axes:
            broadcast[a] = x.shape[a]
        variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        inv = torch.rsqrt(variance + self.epsilon)
        if gamma is not None:
            inv = inv * gamma.reshape(broadcast)
        if self.rms_scaling:
            return (x * inv).to(dtype)
        shift = -mean * inv
        if beta is not None:
            shift = shift + beta.reshape(broadcast)
        return (x * inv + shift).to(dtype)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, rms_scaling=self.rms_scaling)
        return config


@register_serializable(package="keras")
class GroupNormalization(_Normalization):
    """Group normalization: the channels of ``axis`` are split into ``groups``; each
    sample is normalized over each group (its channels and all other non-batch axes),
    then scaled by a per-channel ``gamma`` and shifted by ``beta``. Runs on
    ``F.group_norm``.

    Args:
        groups: number of groups (default 32); ``-1`` means one group per channel
            (instance normalization). Must divide the number of channels.
        axis: the channel axis (default -1; ``1`` for channels_first).
        epsilon: added to the variance (default 1e-3).
        center, scale, beta_initializer, gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint: as in
            :class:`LayerNormalization`.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input of rank >= 2 ``(batch, ..., channels)``; output has the input's shape;
        ``gamma``/``beta`` have shape ``(channels,)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.GroupNormalization(groups=2)(torch.randn(2, 4, 4, 6)).shape
        torch.Size([2, 4, 4, 6])
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not is_int(groups) or not (groups > 0 or groups == -1):
            raise ValueError(
                f"{layer_label(self)}: groups must be a positive integer or -1 (one group per "
                f"channel), received groups={groups!r}. Fix: e.g. groups=32."
            )
        self.groups = int(groups)
        self.axis = self._check_int_axis(axis)
        self._setup(epsilon, center, scale, beta_initializer, gamma_initializer,
                    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)
        self.input_spec = InputSpec(min_ndim=max(2, _min_ndim([self.axis])))

    def build(self, input_shape):
        axis = self._resolve_axis(self.axis, input_shape)
        if axis == 0:
            raise ValueError(
                f"{layer_label(self)}: axis={self.axis} is the batch axis of inputs of shape "
                f"{tuple(input_shape)}; group normalization needs a channel axis. Fix: e.g. "
                "axis=-1 (channels_last) or axis=1 (channels_first)."
            )
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if channels < groups or channels % groups:
            raise ValueError(
                f"{layer_label(self)}: the number of channels ({channels}, axis {self.axis} of "
                f"input shape {tuple(input_shape)}) must be a multiple of groups ({groups}). "
                "Fix: pick groups dividing the channel count, or groups=-1."
            )
        self._add_gamma_beta((channels,), self.scale, self.center)
        self._axis, self._groups = axis, groups
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})

    def call(self, inputs):
        dtype, axis = inputs.dtype, self._axis
        x = inputs.float() if dtype in _HALF else inputs
        x = x if axis == 1 else x.movedim(axis, 1)
        gamma = None if self.gamma is None else self.gamma.to(x.dtype)
        beta = None if self.beta is None else self.beta.to(x.dtype)
        out = F.group_norm(x, self._groups, gamma, beta, self.epsilon)
        out = out if axis == 1 else out.movedim(1, axis)
        return out.to(dtype)

    def get_config(self):
        config = super().get_config()
        config.update(groups=self.groups, axis=self.axis)
        return config
