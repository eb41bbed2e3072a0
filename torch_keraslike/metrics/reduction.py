"""Reduction metrics: ``Sum``, ``Mean`` and ``MeanMetricWrapper`` (the mean of a
per-sample function over everything seen).

Values are reduced to one value per sample first (the mean, or for ``Sum`` the sum,
over the non-batch axes), then weighted: a ``Mean`` of values ``v_i`` with weights
``w_i`` is ``sum(w_i * v_i) / sum(w_i)`` (without weights, ``w_i = 1`` per sample).

Example:
    >>> import torch
    >>> m = Mean()
    >>> m.update_state(torch.tensor([1.0, 2.0]))
    >>> m.update_state(torch.tensor(4.0), sample_weight=2)
    >>> float(m.result())
    2.75
"""

import torch

from .._masking import get_mask
from ..losses.loss import apply_mask, construct, squeeze_or_expand_to_same_rank, to_tensor
from .metric import Metric

__all__ = ["BuiltinMeanMetric", "Mean", "MeanMetricWrapper", "Sum", "reduce_to_samplewise_values"]


def _reduce_trailing(values, start, reduce_fn):
    if values.dim() > start:
        return reduce_fn(values, dim=tuple(range(start, values.dim())))
    return values


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """``(values, sample_weight)`` reduced to one entry per sample (Keras's rule): the
    weights are aligned with the values, axes beyond the weights' are reduced with
    ``reduce_fn``, the values weighted, then every axis beyond the first reduced."""
    mask = get_mask(values)
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_rank = sample_weight.dim()
        values = _reduce_trailing(values, weight_rank, reduce_fn)
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_rank > 1:
            sample_weight = _reduce_trailing(sample_weight, 1, reduce_fn)
    return _reduce_trailing(values, 1, reduce_fn), sample_weight


class Sum(Metric):
    """Running (weighted) sum of the values it is given.

    Args:
        name: name of the metric.
        dtype: dtype of the state.

    Example:
        >>> import torch
        >>> s = Sum()
        >>> s.update_state(torch.tensor([1.0, 3.0]), sample_weight=torch.tensor([1.0, 0.5]))
        >>> float(s.result())
        2.5
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self._dtype, name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum, self._dtype)
        self.total.add_(values.detach().sum())

    def result(self):
        return self.total.clone()


class Mean(Metric):
    """Running (weighted) mean of the values it is given.

    ``update_state(values, sample_weight=None)``: ``sample_weight`` may be a number (a
    scalar value then counts that many times, e.g. a batch's loss and its batch size),
    or weights per sample.

    Args:
        name: name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self._dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self._dtype, name="count")

    def update_state(self, values, sample_weight=None):
        if type(sample_weight) in (int, float) and isinstance(values, torch.Tensor) and values.dim() == 0 and (
                get_mask(values) is None):
            # A batch's scalar loss weighted by its size (fit's loss tracker, every step):
            # two kernels, no host transfer.
            values = values.detach()
            self.total.add_(values if values.dtype == self._dtype else values.to(self._dtype), alpha=sample_weight)
            self.count.add_(sample_weight)
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, torch.mean, self._dtype)
        self.total.add_(values.detach().sum())
        if sample_weight is not None:
            self.count.add_(sample_weight.detach().sum())
        else:
            self.count.add_(values.shape[0] if values.dim() else 1)

    def result(self):
        count = self.count
        return torch.where(count != 0, self.total / torch.where(count != 0, count, 1.0), 0.0)


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the function (e.g. a loss function).
        name: name of the metric (default: the function's name).
        dtype: dtype of the state.
        **kwargs: keyword arguments passed to ``fn``.

    Example:
        >>> import torch
        >>> from torch_keraslike.losses import huber
        >>> m = MeanMetricWrapper(huber, delta=0.5)
        >>> m.update_state(torch.tensor([[0.0]]), torch.tensor([[2.0]]))
        >>> float(m.result()), m.name
        (0.875, 'huber')
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be a callable fn(y_true, y_pred), received {fn!r}.")
        super().__init__(name=name or getattr(fn, "__name__", None) or type(fn).__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(None if sample_weight is None else to_tensor(
                sample_weight, self._dtype, values.device), mask, self._dtype, "sum")
        super().update_state(values, sample_weight)

    def get_config(self):
        from . import serialize_function

        return {**super().get_config(), "fn": serialize_function(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        if isinstance(config, dict) and "fn" in config:
            from . import deserialize

            config = {**config, "fn": deserialize(config["fn"])}
        return construct(cls, config)


class BuiltinMeanMetric(MeanMetricWrapper):
    """A built-in mean metric: a fixed function configured by the constructor arguments
    named in ``_options`` (its config holds those, not the function)."""

    _options = ()
    #: Whether larger values are better ("up") or worse ("down"), for callbacks.
    _direction = "down"

    def get_config(self):
        return {**Metric.get_config(self), **{key: getattr(self, key) for key in self._options}}

    @classmethod
    def from_config(cls, config):
        return construct(cls, config)
