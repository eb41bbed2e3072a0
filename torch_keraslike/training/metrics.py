"""The metrics of a compiled model (``Model.compile(metrics=[...])``).

The metrics themselves are :mod:`torch_keraslike.metrics` (Keras's ``keras.metrics``);
their names are re-exported here for code written against this module.

``compile`` takes, per output, names, :class:`~torch_keraslike.metrics.Metric` objects
and callables:

- ``"accuracy"``/``"acc"``: binary, categorical or sparse categorical accuracy, picked
  from the output's loss and the shapes (as Keras does);
- any name of ``tkl.metrics`` (``"mae"``, ``"auc"``, ``"precision"``,
  ``"sparse_top_k_categorical_accuracy"``...), a loss or metric function name
  (``"huber"``), or a registered name (``"my_pkg>my_metric"``); the log shows the name
  as written;
- a callable ``fn(y_true, y_pred)`` returning per-sample values (its mean is logged);
  torch loss modules and functions of the ``torch`` namespace are called torch's way,
  ``fn(y_pred, y_true)``.

Example:
    >>> import torch
    >>> from torch_keraslike.training import metrics
    >>> m = metrics.resolve("acc", y_true=torch.tensor([0, 1]), y_pred=torch.rand(2, 3))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
"""

import copy
import warnings

import torch
from torch import nn

from .. import losses as losses_module
from .._dtypes import dtype_name
from .._naming import to_snake_case
from ..losses import Loss
from ..metrics import *  # noqa: F401,F403  (the metric classes and functions, for old imports)
from ..metrics import ALL_OBJECTS_DICT, FUNCTIONS, BinaryAccuracy, CategoricalAccuracy, Mean
from ..metrics import MeanMetricWrapper, Metric, SparseCategoricalAccuracy, get
from . import losses as compiled_losses
from .data import flatten

__all__ = ["CompiledMetrics", "check", "flat", "resolve"]

_ACCURACY = ("accuracy", "acc")
#: Every metric name ``compile`` accepts.
NAMES = sorted(set(ALL_OBJECTS_DICT) | set(FUNCTIONS) | set(_ACCURACY))


class _TorchStyleMetric(Mean):
    """Mean of a torch loss module/function, called ``fn(y_pred, y_true)``."""

    def __init__(self, fn, name):
        super().__init__(name=name)
        self.fn = fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        if y_true.is_floating_point():
            y_true = compiled_losses._align(y_true, y_pred)
        super().update_state(self.fn(y_pred, y_true), sample_weight)


def check(identifier, where="compile"):
    """Raises a clear error for a metric spec that :func:`resolve` cannot resolve."""
    if isinstance(identifier, str):
        if identifier not in NAMES and ">" not in identifier:
            raise ValueError(
                f"{where}: unknown metric {identifier!r}. Valid names: {NAMES}. Fix: use one of "
                "them, a tkl.metrics.Metric object, a registered function ('my_pkg>my_metric') or a "
                "callable fn(y_true, y_pred)."
            )
    elif not (isinstance(identifier, (Metric, dict)) or callable(identifier)):
        raise TypeError(
            f"{where}: a metric must be a name, a Metric object or a callable, received "
            f"{identifier!r} (of type {type(identifier).__name__})."
        )


def _accuracy_for(loss, y_true, y_pred, name):
    """Keras's choice of accuracy: from the loss when it tells, else from the shapes."""
    if isinstance(loss, (losses_module.BinaryCrossentropy, losses_module.BinaryFocalCrossentropy,
                         nn.BCELoss)):
        return BinaryAccuracy(name=name, threshold=0.0 if getattr(loss, "from_logits", False) else 0.5)
    if isinstance(loss, nn.BCEWithLogitsLoss):
        return BinaryAccuracy(name=name, threshold=0.0)
    if isinstance(loss, (losses_module.CategoricalCrossentropy, losses_module.CategoricalFocalCrossentropy)):
        return CategoricalAccuracy(name=name)
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy(name=name)
    if y_pred.dim() and y_pred.shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if y_true.dim() < y_pred.dim() or (y_true.dim() and y_true.shape[-1] == 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def resolve(identifier, loss=None, y_true=None, y_pred=None):
    """The :class:`~torch_keraslike.metrics.Metric` ``compile`` uses for ``identifier``.

    ``"accuracy"``/``"acc"`` need the output's ``loss`` and a batch of ``y_true`` and
    ``y_pred`` to pick the right accuracy. A name becomes the metric's log name.
    """
    check(identifier)
    if isinstance(identifier, str) and identifier in _ACCURACY:
        return _accuracy_for(loss, y_true, y_pred, identifier)
    found = get(identifier)
    if isinstance(found, Metric):
        if isinstance(identifier, str):
            found.name = identifier
        return found
    name = identifier if isinstance(identifier, str) else (
        getattr(found, "__name__", None) or getattr(found, "name", None)
        or to_snake_case(type(found).__name__))
    if isinstance(found, Loss):
        return MeanMetricWrapper(found, name=name)
    if compiled_losses._torch_style(found):
        return _TorchStyleMetric(found, name)
    return MeanMetricWrapper(found, name=name)


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
                metric = resolve(item, losses_by_index.get(index), targets[index], preds[index])
                if id(metric) in seen:
                    metric = copy.deepcopy(metric)
                seen.add(id(metric))
                metric.reset_state()
                log_name = metric.name if count == 1 else f"{output_names[index]}_{metric.name}"
                log_name = self.prefix + log_name
                _probe(metric, log_name, targets[index], preds[index])
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


def _probe(metric, log_name, target, pred):
    """Runs a copy of ``metric`` on the first batch, so that a metric that cannot take
    these targets fails before training with its name and the shapes, and one whose
    result the logs cannot hold (a dict, several values) is refused. The metric itself
    is left unchanged."""
    probe = copy.deepcopy(metric)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings about this partial result are not the user's
            probe.update_state(target, pred)
            result = probe.result()
    except Exception as error:  # noqa: BLE001 - re-raised with the metric and the shapes
        raise ValueError(
            f"compile: the metric {log_name!r} ({type(metric).__name__}) failed on the first batch: "
            f"y_pred has shape {tuple(pred.shape)} ({dtype_name(pred.dtype)}), y_true has shape "
            f"{tuple(target.shape)} ({dtype_name(target.dtype)}): {error}"
        ) from error
    if not isinstance(result, torch.Tensor) or result.numel() != 1:
        what = (f"a dict {sorted(result)}" if isinstance(result, dict) else
                f"a value of shape {tuple(result.shape)}" if isinstance(result, torch.Tensor) else repr(result))
        raise ValueError(
            f"compile: the metric {log_name!r} ({type(metric).__name__}) returns {what}, but the logs of "
            "fit/evaluate hold one number per metric. Fix: configure it to give one number (e.g. "
            "F1Score(average='macro'), Precision(thresholds=0.5)), or compute it outside compile "
            "(metric.update_state(y, model.predict(x)))."
        )


def _as_list(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def flat(structure):
    """Flat list of a tensor or a structure of tensors."""
    return [structure] if isinstance(structure, torch.Tensor) else flatten(structure)
