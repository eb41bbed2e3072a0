"""Keras metrics accumulated on tensors, and the metrics of a compiled model.

A metric keeps a running total as a tensor on the device of the values it sees;
``result()`` is a tensor too. Nothing is copied to the host until a log needs the
number (``float(metric.result())``), so training steps never wait for the device.

Names accepted by ``Model.compile(metrics=[...])``: ``"accuracy"``/``"acc"`` (resolved
to binary, categorical or sparse categorical accuracy from the loss and the shapes,
like Keras), ``"binary_accuracy"``, ``"categorical_accuracy"``,
``"sparse_categorical_accuracy"``, ``"mae"``/``"mean_absolute_error"``,
``"mse"``/``"mean_squared_error"``, ``"rmse"``/``"root_mean_squared_error"`` and the
loss names (``"binary_crossentropy"``...). Also :class:`Metric` objects and callables
``fn(y_true, y_pred)`` returning per-sample values (torch loss modules and functions
of the ``torch`` namespace are called torch's way, ``fn(y_pred, y_true)``).

Example:
    >>> import torch
    >>> from torch_keraslike.training import metrics
    >>> m = metrics.SparseCategoricalAccuracy()
    >>> m.update_state(torch.tensor([0, 1]), torch.tensor([[0.9, 0.1], [0.8, 0.2]]))
    >>> float(m.result())
    0.5
"""

import copy

import torch
from torch import nn

from . import losses as losses_module
from .data import flatten

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "get",
    "sparse_categorical_accuracy",
]


# ------------------------------------------------------------------ functions
def accuracy(y_true, y_pred):
    """Per-sample fraction of exactly equal values."""
    y_true = losses_module._align(y_true, y_pred)
    return (y_true == y_pred).float().mean(dim=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-sample fraction of ``(y_pred > threshold) == y_true``."""
    y_true = losses_module._align(y_true, y_pred)
    return ((y_pred > threshold).to(y_true.dtype) == y_true).float().mean(dim=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == argmax(y_true)`` (one-hot targets), else 0."""
    return (y_true.argmax(dim=-1) == y_pred.argmax(dim=-1)).float()


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == y_true`` (integer labels), else 0."""
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return (y_pred.argmax(dim=-1) == y_true.long()).float()


def _squared_error(y_true, y_pred):
    return torch.square(y_pred - losses_module._align(y_true, y_pred)).mean(dim=-1)


# -------------------------------------------------------------------- classes
class Metric:
    """Base class: ``update_state(...)`` accumulates, ``result()`` reads,
    ``reset_state()`` starts over. Calling the metric updates it and returns the result.

    Args:
        name: name shown in the logs.
    """

    def __init__(self, name=None):
        self.name = name or losses_module._snake(type(self).__name__)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state().")

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """Running (weighted) mean of the values it is given.

    ``update_state(values, sample_weight=None)``: ``sample_weight`` may be a number
    (every value counts that many times, e.g. a batch size) or a tensor.
    """

    def __init__(self, name="mean"):
        super().__init__(name=name)
        self.reset_state()

    def reset_state(self):
        self.total = None
        self.count = 0

    def update_state(self, values, sample_weight=None):
        values = values.detach()
        if self.total is None:
            self.total = torch.zeros((), dtype=torch.float32, device=values.device)
        if values.dim() == 0 and isinstance(sample_weight, (int, float)):
            self.total.add_(values, alpha=sample_weight)  # a batch's loss: one kernel
            self.count += sample_weight
        elif sample_weight is None:
            self.total.add_(values.sum(dtype=torch.float32))
            self.count += values.numel()
        elif isinstance(sample_weight, (int, float)):
            self.total.add_(values.sum(dtype=torch.float32), alpha=sample_weight)
            self.count += sample_weight * values.numel()
        else:
            weight = torch.as_tensor(sample_weight, device=values.device, dtype=torch.float32)
            weight = weight.reshape(weight.shape + (1,) * (values.dim() - weight.dim()))
            weight = torch.broadcast_to(weight, values.shape)
            self.total.add_((values.float() * weight).sum())
            self.count = self.count + weight.sum()

    def result(self):
        if self.total is None:
            return torch.tensor(0.0)
        return self.total / (self.count if isinstance(self.count, torch.Tensor) else max(self.count, 1e-12))


class MeanMetricWrapper(Mean):
    """Mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", type(fn).__name__))
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)


class Accuracy(MeanMetricWrapper):
    """Fraction of predictions exactly equal to the targets."""

    def __init__(self, name="accuracy"):
        super().__init__(accuracy, name=name)


class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of ``(y_pred > threshold) == y_true``. Use ``threshold=0.0`` for logits."""

    def __init__(self, name="binary_accuracy", threshold=0.5):
        super().__init__(binary_accuracy, name=name, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose predicted class (argmax) matches one-hot targets."""

    def __init__(self, name="categorical_accuracy"):
        super().__init__(categorical_accuracy, name=name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose predicted class (argmax) equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name=name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean absolute error."""

    def __init__(self, name="mean_absolute_error"):
        super().__init__(losses_module.mean_absolute_error, name=name)


class MeanSquaredError(MeanMetricWrapper):
    """Mean squared error."""

    def __init__(self, name="mean_squared_error"):
        super().__init__(_squared_error, name=name)


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over everything seen."""

    def __init__(self, name="root_mean_squared_error"):
        super().__init__(name=name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(_squared_error(y_true, y_pred), sample_weight)

    def result(self):
        return torch.sqrt(super().result())


class _TorchStyleMetric(Mean):
    """Mean of a torch loss module/function, called ``fn(y_pred, y_true)``."""

    def __init__(self, fn, name):
        super().__init__(name=name)
        self.fn = fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        if y_true.is_floating_point():
            y_true = losses_module._align(y_true, y_pred)
        super().update_state(self.fn(y_pred, y_true), sample_weight)


_FACTORIES = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "binary_crossentropy": lambda name: MeanMetricWrapper(losses_module.binary_crossentropy, name),
    "categorical_crossentropy": lambda name: MeanMetricWrapper(losses_module.categorical_crossentropy, name),
    "sparse_categorical_crossentropy": lambda name: MeanMetricWrapper(
        losses_module.sparse_categorical_crossentropy, name),
}
_ACCURACY = ("accuracy", "acc")
NAMES = sorted(list(_FACTORIES) + list(_ACCURACY))


def check(identifier, where="compile"):
    """Raises a clear error for a metric spec that :func:`get` cannot resolve."""
    if isinstance(identifier, str):
        if identifier not in _FACTORIES and identifier not in _ACCURACY:
            raise ValueError(
                f"{where}: unknown metric {identifier!r}. Valid names: {NAMES}. Fix: use one of "
                "them, a tkl.training.metrics.Metric object or a callable fn(y_true, y_pred)."
            )
    elif not (isinstance(identifier, Metric) or callable(identifier)):
        raise TypeError(
            f"{where}: a metric must be a name, a Metric object or a callable, received "
            f"{identifier!r} (of type {type(identifier).__name__})."
        )


def _accuracy_for(loss, y_true, y_pred, name):
    """Keras's choice of accuracy: from the loss when it tells, else from the shapes."""
    if isinstance(loss, losses_module.BinaryCrossentropy) or isinstance(loss, nn.BCELoss):
        return BinaryAccuracy(name=name, threshold=0.0 if getattr(loss, "from_logits", False) else 0.5)
    if isinstance(loss, nn.BCEWithLogitsLoss):
        return BinaryAccuracy(name=name, threshold=0.0)
    if isinstance(loss, losses_module.CategoricalCrossentropy):
        return CategoricalAccuracy(name=name)
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy(name=name)
    if y_pred.dim() and y_pred.shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if y_true.dim() < y_pred.dim() or (y_true.dim() and y_true.shape[-1] == 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get(identifier, loss=None, y_true=None, y_pred=None):
    """A :class:`Metric` for a name, Metric object or callable.

    ``"accuracy"``/``"acc"`` need the output's ``loss`` and a batch of ``y_true`` and
    ``y_pred`` to pick the right accuracy.
    """
    check(identifier)
    if isinstance(identifier, str):
        if identifier in _ACCURACY:
            return _accuracy_for(loss, y_true, y_pred, identifier)
        return _FACTORIES[identifier](name=identifier)
    if isinstance(identifier, Metric):
        return identifier
    name = getattr(identifier, "__name__", None) or losses_module._snake(type(identifier).__name__)
    if losses_module._torch_style(identifier):
        return _TorchStyleMetric(identifier, name)
    return MeanMetricWrapper(identifier, name=name)


# ----------------------------------------------------------- compiled metrics
class CompiledMetrics:
    """The metrics given to ``compile``, matched to the model's outputs by :meth:`bind`.

    Args:
        metrics: None; a list of specs (one output), or for several outputs a list with
            one entry per output (a spec, a list of specs or None) or a dict
            ``{output_name: spec or list of specs}``.
    """

    def __init__(self, metrics, prefix=""):
        self.spec = metrics
        for item in self._all_specs(metrics):
            check(item)
        self.entries = []
        self.output_names = []
        self.prefix = prefix  # "weighted_" for compile's weighted_metrics

    @staticmethod
    def _all_specs(spec):
        if spec is None:
            return []
        if isinstance(spec, dict):
            return [s for value in spec.values() for s in CompiledMetrics._all_specs(value)]
        if isinstance(spec, (list, tuple)):
            return [s for value in spec for s in CompiledMetrics._all_specs(value)]
        return [spec]

    def bind(self, output_names, losses_by_index, targets, preds):
        """Creates the metric objects for the first batch's flat ``targets``/``preds``."""
        spec, count = self.spec, len(output_names)
        if spec is None:
            per_output = [[] for _ in output_names]
        elif isinstance(spec, dict):
            unknown = [key for key in spec if key not in output_names]
            if unknown:
                raise ValueError(
                    f"compile: metrics has keys {unknown} that are not outputs of the model "
                    f"{list(output_names)}. Fix: key the metrics dict by these names."
                )
            per_output = [_as_list(spec.get(name)) for name in output_names]
        elif count == 1:
            per_output = [_as_list(spec)]
        else:
            if not isinstance(spec, (list, tuple)) or len(spec) != count:
                raise ValueError(
                    f"compile: the model has {count} outputs {list(output_names)}, so metrics must "
                    f"be a list with one entry per output (a metric, a list of metrics or None) or "
                    f"a dict keyed by output name; received {spec!r}. Fix: e.g. "
                    f"metrics={{{output_names[0]!r}: ['mae']}}."
                )
            per_output = [_as_list(item) for item in spec]
        entries, seen = [], set()
        self.output_names = list(output_names)
        for index, items in enumerate(per_output):
            for item in items:
                if targets[index] is None:
                    continue
                metric = get(item, losses_by_index.get(index), targets[index], preds[index])
                if id(metric) in seen:
                    metric = copy.deepcopy(metric)
                seen.add(id(metric))
                metric.reset_state()
                log_name = metric.name if count == 1 else f"{output_names[index]}_{metric.name}"
                log_name = self.prefix + log_name
                entries.append((index, metric, log_name))
        self.entries = entries

    def update(self, targets, preds, sample_weight=None):
        """Updates every metric; ``sample_weight`` (compile's ``weighted_metrics``) is one
        array of weights per sample, or a list/dict of them per output."""
        if sample_weight is None:
            for index, metric, _ in self.entries:
                metric.update_state(targets[index], preds[index])
            return
        for index, metric, name in self.entries:
            weight = sample_weight
            if isinstance(sample_weight, (list, tuple)):
                weight = sample_weight[index]
            elif isinstance(sample_weight, dict):
                weight = sample_weight.get(self.output_names[index])
            metric.update_state(targets[index], preds[index], sample_weight=weight)

    def reset(self):
        for _, metric, _ in self.entries:
            metric.reset_state()

    @property
    def names(self):
        return [name for _, _, name in self.entries]

    def results(self):
        """``{log_name: result tensor}``."""
        return {name: metric.result() for _, metric, name in self.entries}


def _as_list(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def flat(structure):
    """Flat list of a tensor or a structure of tensors."""
    return [structure] if isinstance(structure, torch.Tensor) else flatten(structure)
