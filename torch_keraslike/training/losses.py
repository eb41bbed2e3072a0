"""Keras losses on torch tensors, and the per-output loss of a compiled model.

Loss objects are called Keras's way, ``loss(y_true, y_pred, sample_weight=None)``, and
return a scalar (``reduction="sum_over_batch_size"``: the mean over all samples).
Loss functions (``mean_squared_error``...) return one value per sample. Keras's
default ``from_logits=False`` means ``y_pred`` holds probabilities: they are clipped
to ``[1e-7, 1 - 1e-7]`` before the logarithm, as Keras does.

``Model.compile(loss=...)`` takes, per output:

- a Keras name: ``"mse"``/``"mean_squared_error"``, ``"mae"``/``"mean_absolute_error"``,
  ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
  ``"sparse_categorical_crossentropy"`` (or the class names);
- a :class:`Loss` object (e.g. ``SparseCategoricalCrossentropy(from_logits=True)``);
- a torch loss module (``torch.nn.MSELoss()``) or a function of the ``torch``
  namespace (``torch.nn.functional.cross_entropy``): called torch's way,
  ``loss(input, target)`` = ``loss(y_pred, y_true)``;
- any other callable: a Keras custom loss, called ``loss(y_true, y_pred)``; a
  non-scalar result is averaged.

Example:
    >>> import torch
    >>> from torch_keraslike.training import losses
    >>> mse = losses.MeanSquaredError()
    >>> mse(torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [4.0]]))
    tensor(2.)
"""

import torch
import torch.nn.functional as F
from torch import nn

from .._numerics import clip_probabilities
from .data import flatten

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "get",
    "mean_absolute_error",
    "mean_squared_error",
    "sparse_categorical_crossentropy",
]



def _align(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank`` plus a cast of ``y_true`` to the
    prediction's dtype: ``(N,)`` targets against ``(N, 1)`` predictions must not
    broadcast to ``(N, N)``."""
    if y_true.dim() == y_pred.dim() - 1 and y_pred.shape[-1] == 1:
        y_true = y_true.unsqueeze(-1)
    elif y_pred.dim() == y_true.dim() - 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.to(y_pred.dtype)
    return y_true


def _sparse_labels(y_true, y_pred):
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return y_true if y_true.dtype == torch.long else y_true.long()


# ------------------------------------------------------------------ functions
def mean_squared_error(y_true, y_pred):
    """Per-sample ``mean(square(y_pred - y_true), axis=-1)``."""
    y_true = _align(y_true, y_pred)
    return torch.square(y_pred - y_true).mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    """Per-sample ``mean(abs(y_pred - y_true), axis=-1)``."""
    y_true = _align(y_true, y_pred)
    return torch.abs(y_pred - y_true).mean(dim=-1)


def _bce_elements(y_true, y_pred, from_logits, label_smoothing):
    y_true = _align(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return y_true, y_pred, True
    return y_true, clip_probabilities(y_pred), False


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample binary cross-entropy, averaged over the last axis."""
    y_true, y_pred, logits = _bce_elements(y_true, y_pred, from_logits, label_smoothing)
    fn = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
    return fn(y_pred, y_true, reduction="none").mean(dim=-1)


def _log_probs(y_pred, from_logits, axis):
    if from_logits:
        return F.log_softmax(y_pred, dim=axis)
    y_pred = y_pred / y_pred.sum(dim=axis, keepdim=True)
    return torch.log(clip_probabilities(y_pred))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample ``-sum(y_true * log(p), axis)`` with one-hot ``y_true``."""
    y_true = _align(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return -(y_true * _log_probs(y_pred, from_logits, axis)).sum(dim=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Per-sample cross-entropy with integer class labels ``y_true``."""
    labels = _sparse_labels(y_true, y_pred)
    log_probs = _log_probs(y_pred, from_logits, axis)
    return F.nll_loss(log_probs.movedim(axis, 1), labels, reduction="none")


# -------------------------------------------------------------------- classes
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", None)


class Loss:
    """Base class of Keras losses: ``loss(y_true, y_pred, sample_weight=None)``.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample values.

    Args:
        name: name of the loss (used in logs of multi-output models).
        reduction: ``"sum_over_batch_size"`` (mean, default), ``"sum"`` or ``None``
            (per-sample values).
    """

    #: what the targets look like: "elementwise" (same shape as y_pred) or "sparse"
    target_kind = "elementwise"

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: invalid reduction={reduction!r}. Expected one of "
                f"{list(_REDUCTIONS)}."
            )
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _mean(self, y_true, y_pred):
        return self.call(y_true, y_pred).mean()

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is None and self.reduction == "sum_over_batch_size":
            return self._mean(y_true, y_pred)
        values = self.call(y_true, y_pred)
        if sample_weight is not None:
            weight = torch.as_tensor(sample_weight, dtype=values.dtype, device=values.device)
            while weight.dim() < values.dim():
                weight = weight.unsqueeze(-1)
            values = values * weight
        if self.reduction == "sum":
            return values.sum()
        if self.reduction == "sum_over_batch_size":
            return values.sum() / max(values.numel(), 1)
        return values

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


class LossFunctionWrapper(Loss):
    """Wraps a per-sample loss function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)


class MeanSquaredError(Loss):
    """Mean of squared errors (Keras ``"mse"``)."""

    def __init__(self, name="mean_squared_error", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)

    def _mean(self, y_true, y_pred):
        return F.mse_loss(y_pred, _align(y_true, y_pred))


class MeanAbsoluteError(Loss):
    """Mean of absolute errors (Keras ``"mae"``)."""

    def __init__(self, name="mean_absolute_error", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)

    def _mean(self, y_true, y_pred):
        return F.l1_loss(y_pred, _align(y_true, y_pred))


class BinaryCrossentropy(Loss):
    """Binary cross-entropy for 0/1 targets.

    Args:
        from_logits: ``y_pred`` holds logits (no sigmoid applied) instead of
            probabilities (Keras's default False).
        label_smoothing: squeezes the targets towards 0.5 by this fraction.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, name="binary_crossentropy",
                 reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing, type(self).__name__)

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)

    def _mean(self, y_true, y_pred):
        y_true, y_pred, logits = _bce_elements(y_true, y_pred, self.from_logits, self.label_smoothing)
        fn = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
        return fn(y_pred, y_true)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(Loss):
    """Cross-entropy for one-hot targets (same shape as ``y_pred``).

    Args:
        from_logits: ``y_pred`` holds logits instead of probabilities.
        label_smoothing: mixes the one-hot targets with the uniform distribution.
        axis: the class axis.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 name="categorical_crossentropy", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing, type(self).__name__)
        self.axis = int(axis)

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer class labels (``y_pred`` has one more axis).

    Args:
        from_logits: ``y_pred`` holds logits instead of probabilities.
        axis: the class axis of ``y_pred``.
    """

    target_kind = "sparse"

    def __init__(self, from_logits=False, axis=-1, name="sparse_categorical_crossentropy",
                 reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = bool(from_logits)
        self.axis = int(axis)

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits, self.axis)

    def _mean(self, y_true, y_pred):
        labels = _sparse_labels(y_true, y_pred)
        if self.from_logits:
            logits = y_pred if y_pred.dim() == 2 and self.axis in (-1, 1) else y_pred.movedim(self.axis, 1)
            return F.cross_entropy(logits, labels)
        return F.nll_loss(_log_probs(y_pred, False, self.axis).movedim(self.axis, 1), labels)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "axis": self.axis}


def _check_smoothing(value, cls):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{cls}: label_smoothing must be a float in [0, 1], received {value!r}.")
    return float(value)


_BY_NAME = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "MeanSquaredError": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "MeanAbsoluteError": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "BinaryCrossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "CategoricalCrossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
}
_KERAS_FUNCTIONS = {
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
}


def get(identifier):
    """A :class:`Loss` for a Keras name or a Keras loss function; other loss objects
    and callables are returned as they are.

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
    """
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown loss {identifier!r}. Valid names: {sorted(_BY_NAME)}. Fix: use one of "
                "them, a Loss object (e.g. tkl.training.losses.SparseCategoricalCrossentropy("
                "from_logits=True)), a torch loss module or a callable."
            )
        return cls()
    if identifier in _KERAS_FUNCTIONS:
        return _KERAS_FUNCTIONS[identifier]()
    if not callable(identifier):
        raise TypeError(
            f"A loss must be a Keras name, a Loss object, a torch loss module or a callable, "
            f"received {identifier!r} (of type {type(identifier).__name__})."
        )
    return identifier


# --------------------------------------------------------------- compiled loss
def _torch_style(fn):
    """torch loss modules and functions of the torch namespace take (input, target)."""
    if isinstance(fn, nn.Module):
        return True
    module = getattr(fn, "__module__", None) or ""
    return module == "torch" or module.startswith("torch.")


def _call_torch_style(fn):
    def call(y_true, y_pred):
        if y_true.is_floating_point():
            y_true = _align(y_true, y_pred)
        return fn(y_pred, y_true)

    return call


def _call_keras_style(fn):
    def call(y_true, y_pred):
        value = fn(y_true, y_pred)
        return value if value.dim() == 0 else value.mean()

    return call


class _Entry:
    """One output's loss: index into the flat outputs, callable, weight, log name."""

    __slots__ = ("index", "fn", "call", "weight", "name")

    def __init__(self, index, fn, weight, name):
        self.index, self.fn, self.weight, self.name = index, fn, weight, name
        if isinstance(fn, Loss):
            self.call = fn
        elif _torch_style(fn):
            self.call = _call_torch_style(fn)
        else:
            self.call = _call_keras_style(fn)


class CompiledLoss:
    """The loss given to ``compile``: one loss, a list or a dict keyed by output name,
    matched to the model's outputs once their structure is known (:meth:`bind`).

    Args:
        loss: loss spec (see the module docstring), a list (one per output, ``None``
            for none), or a dict ``{output_name: loss}``.
        loss_weights: None, a list or a dict of floats weighting each output's loss.
    """

    def __init__(self, loss, loss_weights=None):
        if isinstance(loss, dict):
            self.spec = {key: None if v is None else get(v) for key, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            self.spec = [None if v is None else get(v) for v in loss]
        else:
            self.spec = get(loss)
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, dict)):
            raise TypeError(
                f"compile: loss_weights must be a list or dict of floats, received {loss_weights!r}."
            )
        self.loss_weights = loss_weights
        self.entries = None
        self.output_names = None

    def bind(self, output_names):
        """Matches the losses to the model's (flat) outputs ``output_names``."""
        count = len(output_names)
        spec = self.spec
        if isinstance(spec, dict):
            unknown = [key for key in spec if key not in output_names]
            if unknown:
                raise ValueError(
                    f"compile: loss has keys {unknown} that are not outputs of the model. The "
                    f"model's outputs are {list(output_names)}. Fix: key the loss dict by these names."
                )
            fns = [spec.get(name) for name in output_names]
        elif isinstance(spec, list):
            if len(spec) != count:
                raise ValueError(
                    f"compile: loss is a list of {len(spec)} losses, but the model has {count} "
                    f"output(s) {list(output_names)}. Fix: pass one loss per output (None for "
                    "none), a dict keyed by output name, or a single loss for all outputs."
                )
            fns = spec
        else:
            fns = [spec] * count
        weights = self._weights(output_names)
        multi = count > 1
        self.entries = [
            _Entry(i, fn, weights[i], f"{name}_loss" if multi else "loss")
            for i, (name, fn) in enumerate(zip(output_names, fns)) if fn is not None
        ]
        if not self.entries:
            raise ValueError(
                "compile: the loss gives no output a loss (every entry is None). Fix: give at "
                f"least one of the outputs {list(output_names)} a loss."
            )
        self.output_names = list(output_names)
        self.single = count == 1

    def _weights(self, names):
        weights = self.loss_weights
        if weights is None:
            return [1.0] * len(names)
        if isinstance(weights, dict):
            unknown = [key for key in weights if key not in names]
            if unknown:
                raise ValueError(
                    f"compile: loss_weights has keys {unknown} that are not outputs of the "
                    f"model {list(names)}."
                )
            return [float(weights.get(name, 1.0)) for name in names]
        if len(weights) != len(names):
            raise ValueError(
                f"compile: loss_weights has {len(weights)} entries, but the model has "
                f"{len(names)} output(s) {list(names)}."
            )
        return [float(w) for w in weights]

    def flat_targets(self, y_true):
        """``y_true`` as a list aligned with the flat outputs."""
        if self.single:
            return [y_true] if isinstance(y_true, torch.Tensor) else flatten(y_true)
        if isinstance(y_true, dict):
            return [y_true.get(name) for name in self.output_names]
        return flatten(y_true)

    def __call__(self, y_true, y_pred):
        """Returns ``(total, per_output)``; ``per_output`` is None for one output."""
        if self.single and isinstance(y_pred, torch.Tensor) and isinstance(y_true, torch.Tensor):
            entry = self.entries[0]
            value = entry.call(y_true, y_pred)
            return (value if entry.weight == 1.0 else value * entry.weight), None
        targets = self.flat_targets(y_true)
        preds = flatten(y_pred)
        values = [entry.call(targets[entry.index], preds[entry.index]) for entry in self.entries]
        total = values[0] * self.entries[0].weight
        for entry, value in zip(self.entries[1:], values[1:]):
            total = total + value * entry.weight
        return total, (values if len(values) > 1 else None)

    def validate(self, y_true, y_pred, where, run=True):
        """Checks ``y_true`` against the first batch's predictions, with errors that
        name the output and both shapes; ``run`` also computes the loss once. Runs
        before training."""
        preds = flatten(y_pred)
        if y_true is None:
            raise ValueError(
                f"{where}: a loss was compiled, but no targets y were given. Fix: pass y "
                f"({where}(x, y)), or make the DataLoader yield (x, y) batches."
            )
        targets = self.flat_targets(y_true)
        if isinstance(y_true, dict) and not self.single:
            missing = [self.output_names[e.index] for e in self.entries if targets[e.index] is None]
            if missing:
                raise ValueError(
                    f"{where}: y has no targets for output(s) {missing}; y has keys "
                    f"{list(y_true)}. Fix: key y by the model's output names {self.output_names}."
                )
        if len(targets) != len(preds):
            raise ValueError(
                f"{where}: the model has {len(preds)} output(s) {self.output_names}, but y holds "
                f"{len(targets)} array(s). Fix: pass one target array per output (a list in "
                "output order, or a dict keyed by output name)."
            )
        for entry in self.entries:
            target, pred = targets[entry.index], preds[entry.index]
            problem = _shape_problem(entry.fn, target, pred)
            if problem:
                out = self.output_names[entry.index]
                raise ValueError(
                    f"{where}: the targets y{'' if self.single else f' of output {out!r}'} do "
                    f"not fit the loss {_loss_name(entry.fn)}: {problem}. Fix: pass targets of "
                    "the shape the loss expects, or change the loss or the model's output."
                )
            if not run:
                continue
            try:
                entry.call(target, pred)
            except Exception as error:  # noqa: BLE001 - re-raised with context
                raise ValueError(
                    f"{where}: computing the loss {_loss_name(entry.fn)} failed on the first "
                    f"batch: y_pred has shape {tuple(pred.shape)} ({pred.dtype}), y_true has shape "
                    f"{tuple(target.shape)} ({target.dtype}): {error}"
                ) from error


def _loss_name(fn):
    if isinstance(fn, Loss):
        return repr(fn.name)
    return getattr(fn, "__name__", type(fn).__name__)


def _shape_problem(fn, target, pred):
    if not isinstance(fn, Loss) or not isinstance(target, torch.Tensor):
        return None
    shape_t, shape_p = tuple(target.shape), tuple(pred.shape)
    if fn.target_kind == "sparse":
        labels_shape = shape_t[:-1] if len(shape_t) == len(shape_p) and shape_t[-1:] == (1,) else shape_t
        if labels_shape != shape_p[:-1]:
            return (f"integer labels of shape {shape_p[:-1]} (y_pred {shape_p} without its class "
                    f"axis) were expected, received y_true of shape {shape_t}; one-hot targets "
                    "need categorical_crossentropy")
        if target.is_floating_point() and not torch.equal(target, target.round()):
            return "y_true holds non-integer values, but sparse losses take class indices"
        if target.numel() and (target.min() < 0 or target.max() >= shape_p[-1]):
            return (f"class indices must lie in [0, {shape_p[-1] - 1}] for y_pred with "
                    f"{shape_p[-1]} classes, received values in [{int(target.min())}, {int(target.max())}]")
        return None
    aligned = tuple(_align(target, pred).shape) if target.dim() else shape_t
    if aligned != shape_p:
        return f"y_true of shape {shape_t} does not match y_pred of shape {shape_p}"
    return None
