"""The ``Loss`` base class: Keras's call protocol, reductions, sample weights and masks.

``loss(y_true, y_pred, sample_weight=None)`` converts both to the loss's dtype
(``float32`` by default, as Keras does), computes the per-sample values of
:meth:`Loss.call`, weights them (``sample_weight`` and the mask that ``y_pred`` carries
as ``_keras_mask``) and reduces them:

- ``"sum_over_batch_size"`` (default) and ``"mean"``: the sum divided by the number of
  values (0 for none);
- ``"mean_with_sample_weight"``: the sum divided by the sum of the sample weights;
- ``"sum"``: the sum;
- ``None``/``"none"``: the per-sample values.

Example:
    >>> import torch
    >>> from torch_keraslike.losses import MeanSquaredError
    >>> MeanSquaredError()(torch.tensor([[0.0], [0.0]]), torch.tensor([[1.0], [3.0]]))
    tensor(5.)
"""

import numbers

import numpy as np
import torch

from .._dtypes import dtype_name, to_torch_dtype
from .._masking import get_mask, set_mask
from .._naming import to_snake_case, unique_name

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "apply_mask",
    "compute_dtype",
    "construct",
    "pair",
    "reduce_values",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
]

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")
_MEANS = ("sum_over_batch_size", "mean")


def standardize_reduction(reduction, owner="Loss"):
    """Returns ``reduction`` after checking it is one of Keras's reductions."""
    if not (reduction is None or isinstance(reduction, str)) or reduction not in REDUCTIONS:
        raise ValueError(
            f"{owner}: invalid value for argument `reduction`. Expected one of {list(REDUCTIONS)}. "
            f"Received: reduction={reduction!r}. Fix: use the default 'sum_over_batch_size' (a "
            "mean), 'sum', or None for per-sample values."
        )
    return reduction


def compute_dtype(dtype, owner):
    """The torch dtype a loss or metric computes in: ``None`` means the default float
    dtype (``tkl.config.floatx()``); a Keras dtype policy (its name, e.g.
    ``"mixed_bfloat16"``, its config dict, or an object with ``compute_dtype``) gives
    its compute dtype."""
    if dtype is None:
        return torch.get_default_dtype()
    policy = dtype
    if isinstance(policy, dict) and isinstance(policy.get("config"), dict):
        policy = policy["config"].get("name")
    elif not isinstance(policy, (str, torch.dtype)) and hasattr(policy, "compute_dtype"):
        policy = policy.compute_dtype
    if isinstance(policy, str) and policy.startswith("mixed_"):
        policy = policy[len("mixed_"):]
    try:
        return to_torch_dtype(policy, context=f"dtype of {owner}")
    except ValueError as error:
        raise ValueError(f"{error} Fix: pass dtype=None (float32) or a float dtype name.") from None


def to_tensor(value, dtype=None, device=None):
    """``value`` (tensor, NumPy array, list or number) as a tensor, cast to ``dtype``
    and moved to ``device`` when they are given and differ."""
    if not isinstance(value, torch.Tensor):
        try:
            value = torch.as_tensor(np.asarray(value) if not isinstance(value, numbers.Number) else value)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"Expected a tensor, a NumPy array, a list of numbers or a number, received {value!r} (of type "
                f"{type(value).__name__}). Fix: pass y_true and y_pred as tensors or arrays.") from None
    if device is not None and value.device != device:
        value = value.to(device, non_blocking=True)
    if dtype is not None and value.dtype != dtype:
        value = value.to(dtype)
    return value


def pair(y_true, y_pred, align=True):
    """``y_pred`` as a tensor and ``y_true`` in its dtype and on its device, with
    Keras's rank alignment when ``align``."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device)
    if align:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank alignment: when the ranks differ by one and the longer tensor ends
    in a size-1 axis, that axis is squeezed (or, for a rank-1 partner, the partner gets
    one), so ``(N,)`` targets never broadcast against ``(N, 1)`` predictions."""
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean ``mask`` into the sample weights. For the mean reductions the
    valid entries weigh ``total / valid``, so the mean runs over valid entries only."""
    if mask is None:
        return sample_weight
    if reduction in _MEANS:
        valid = mask.to(dtype).sum()
        scale = torch.where(valid > 0, mask.numel() / valid.clamp_min(1), 0.0)
        float_mask = torch.where(mask.bool(), scale, 0.0)
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = _align_weight(float_mask, sample_weight.to(dtype))
    return sample_weight * float_mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Applies ``reduction`` to (already weighted) per-sample ``values``."""
    if reduction is None or reduction == "none" or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = sample_weight.sum().to(total.dtype)
        return torch.where(divisor != 0, total / torch.where(divisor != 0, divisor, 1.0), 0.0)
    count = values.numel()
    return total / count if count else total * 0


def _align_weight(values, sample_weight):
    """Sample weights shaped to multiply ``values``: Keras's rank alignment, then
    trailing axes for per-sample weights of per-step values ``(N,)`` vs ``(N, T)``."""
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    if sample_weight.dim() < values.dim():
        sample_weight = sample_weight.reshape(
            tuple(sample_weight.shape) + (1,) * (values.dim() - sample_weight.dim()))
    return values, sample_weight


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size",
                           dtype=None):
    """Weights ``values`` by ``sample_weight`` and ``mask``, then reduces them."""
    reduction = standardize_reduction(reduction)
    dtype = values.dtype if dtype is None else dtype
    values = values.to(dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, values.device)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = _align_weight(values, sample_weight.to(dtype))
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def construct(cls, config):
    """``cls(**config)``, with an error naming the class and the config when the
    arguments do not fit its constructor."""
    if not isinstance(config, dict):
        raise TypeError(f"{cls.__name__}.from_config expects a dict of constructor arguments, received {config!r}.")
    try:
        return cls(**config)
    except TypeError as error:
        raise TypeError(
            f"{cls.__name__}.from_config could not create the object from {config!r}: {error}. Fix: pass the "
            f"dict {cls.__name__}(...).get_config() returns, or override from_config().") from None


class Loss:
    """Base class of Keras losses: ``loss(y_true, y_pred, sample_weight=None)``.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample values; the base
    class converts the inputs, weights and reduces (see the module docstring).

    Args:
        name: name of the loss (in the logs of multi-output models); default: the
            snake_case class name, made unique.
        reduction: ``"sum_over_batch_size"`` (default), ``"mean"``,
            ``"mean_with_sample_weight"``, ``"sum"`` or ``None``.
        dtype: dtype of the computation (default ``tkl.config.floatx()``); a Keras dtype
            policy gives its compute dtype.

    Example:
        >>> import torch
        >>> class Cubed(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((y_pred - y_true) ** 3).mean(dim=-1)
        >>> Cubed()(torch.zeros(2, 1), torch.ones(2, 1))
        tensor(1.)
    """

    #: What ``y_true`` looks like, for the target checks of ``fit``: ``"elementwise"``
    #: (the shape of ``y_pred``), ``"sparse"`` (class indices, ``y_pred`` without its
    #: class axis) or None (anything: no check).
    target_kind = None

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, received {name!r}.")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self._dtype = compute_dtype(dtype, type(self).__name__)

    @property
    def dtype(self):
        """Name of the dtype the loss computes in (``"float32"``)."""
        return dtype_name(self._dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred), returning per-sample values.")

    def _mean(self, y_true, y_pred):
        """The ``sum_over_batch_size`` reduction of :meth:`call` (subclasses use torch's
        fused mean kernels here)."""
        values = self.call(y_true, y_pred)
        mask = get_mask(values)
        if mask is not None or values.dim() == 0 or values.numel() == 0:
            return reduce_weighted_values(values, None, mask, self.reduction, self._dtype)
        return values.mean()

    def _convert(self, y_true, y_pred):
        y_pred = to_tensor(y_pred, self._dtype)
        return to_tensor(y_true, self._dtype, y_pred.device), y_pred

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = get_mask(y_pred)
        y_true, y_pred = self._convert(y_true, y_pred)
        if sample_weight is None and in_mask is None and self.reduction in _MEANS:
            return self._mean(y_true, y_pred)
        values = self.call(y_true, y_pred)
        out_mask = get_mask(values)
        if in_mask is not None and out_mask is not None:
            mask = in_mask.bool() & out_mask.bool()
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self._dtype)

    def get_config(self):
        """The constructor arguments (JSON-serialisable)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Creates a loss from :meth:`get_config`'s dict."""
        return construct(cls, config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if not isinstance(v, dict))
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    ``y_true`` and ``y_pred`` get Keras's rank alignment before the call. This is how a
    plain function given to ``compile(loss=...)`` becomes a loss.

    Args:
        fn: the loss function.
        reduction: see :class:`Loss`.
        name: name of the loss (default: the function's name).
        dtype: see :class:`Loss`.
        **kwargs: keyword arguments passed to ``fn``.

    Example:
        >>> import torch
        >>> def absolute(y_true, y_pred):
        ...     return (y_pred - y_true).abs().mean(dim=-1)
        >>> LossFunctionWrapper(absolute)(torch.zeros(2), torch.tensor([[1.0], [3.0]]))
        tensor(2.)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(
                f"LossFunctionWrapper: fn must be a callable fn(y_true, y_pred), received {fn!r} (of "
                f"type {type(fn).__name__}).")
        super().__init__(name=name or to_snake_case(getattr(fn, "__name__", type(fn).__name__)),
                         reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from . import serialize

        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        if isinstance(config, dict) and "fn" in config:
            from . import deserialize

            config = {**config, "fn": deserialize(config["fn"])}
        return construct(cls, config)

    def __repr__(self):
        return f"LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})"


class BuiltinLoss(LossFunctionWrapper):
    """A built-in loss: a fixed function configured by the constructor arguments named
    in ``_options`` (its config holds those, not the function)."""

    target_kind = "elementwise"
    _options = ()

    def get_config(self):
        return {**Loss.get_config(self), **{key: getattr(self, key) for key in self._options}}


def set_values_mask(values, mask):
    """Attaches a mask to per-sample values (as Keras's ``set_keras_mask``): the
    reduction then ignores the masked entries."""
    set_mask(values, mask)
    return values
