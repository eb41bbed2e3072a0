"""The per-output loss of a compiled model (``Model.compile(loss=...)``).

The losses themselves are :mod:`torch_keraslike.losses` (Keras's ``keras.losses``);
their names are re-exported here for code written against this module.

``Model.compile(loss=...)`` takes, per output:

- a Keras name: any of ``tkl.losses.ALL_OBJECTS_DICT`` (``"mse"``, ``"huber"``,
  ``"sparse_categorical_crossentropy"``, ``"Huber"``...), ``"crossentropy"``/``"ce"``
  (binary, sparse or categorical from the shapes, as Keras) or a registered name
  (``"my_pkg>my_loss"``);
- a :class:`~torch_keraslike.losses.Loss` object (e.g.
  ``SparseCategoricalCrossentropy(from_logits=True)``);
- a torch loss module (``torch.nn.MSELoss()``) or a function of the ``torch``
  namespace (``torch.nn.functional.cross_entropy``): called torch's way,
  ``loss(input, target)`` = ``loss(y_pred, y_true)``;
- any other callable: a Keras loss function ``fn(y_true, y_pred)`` returning per-sample
  values, wrapped in a :class:`~torch_keraslike.losses.LossFunctionWrapper` (Keras's rank
  alignment, mean over the batch).

Example:
    >>> import torch
    >>> from torch_keraslike.training import losses
    >>> compiled = losses.CompiledLoss("huber")
    >>> compiled.bind(["output"])
    >>> compiled(torch.tensor([[0.0]]), torch.tensor([[3.0]]))[0]
    tensor(2.5000)
"""

import inspect

import torch
from torch import nn

from .. import losses as _losses
from ..losses import *  # noqa: F401,F403  (the loss classes and functions, for old imports)
from ..losses import ALL_OBJECTS_DICT, Loss, LossFunctionWrapper, get
from .data import flatten

__all__ = ["CompiledLoss", "resolve"]


def _align(y_true, y_pred):
    """``y_true`` rank-aligned with ``y_pred`` (Keras's rule) and cast to its dtype:
    ``(N,)`` targets against ``(N, 1)`` predictions must not broadcast to ``(N, N)``."""
    if y_true.dim() == y_pred.dim() - 1 and y_pred.shape[-1] == 1:
        y_true = y_true.unsqueeze(-1)
    elif y_pred.dim() == y_true.dim() - 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.to(y_pred.dtype)
    return y_true


# Keras's loss functions -> the class computing the same at its defaults: compile uses
# the class (torch's fused kernels, the target checks of fit).
_FUNCTION_CLASSES = {
    getattr(_losses, name): getattr(_losses, cls) for name, cls in (
        ("mean_squared_error", "MeanSquaredError"), ("mean_absolute_error", "MeanAbsoluteError"),
        ("mean_absolute_percentage_error", "MeanAbsolutePercentageError"),
        ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError"),
        ("cosine_similarity", "CosineSimilarity"), ("huber", "Huber"), ("log_cosh", "LogCosh"),
        ("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"), ("categorical_hinge", "CategoricalHinge"),
        ("kl_divergence", "KLDivergence"), ("poisson", "Poisson"),
        ("binary_crossentropy", "BinaryCrossentropy"), ("binary_focal_crossentropy", "BinaryFocalCrossentropy"),
        ("categorical_crossentropy", "CategoricalCrossentropy"),
        ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy"),
        ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
        ("categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"),
        ("dice", "Dice"), ("tversky", "Tversky"), ("circle", "Circle"), ("ctc", "CTC"),
    )
}


class _CrossentropyByShape(Loss):
    """Keras's ``"crossentropy"``/``"ce"`` loss name: binary cross-entropy for one
    output unit, sparse categorical for integer labels (``y_true`` without the class axis,
    or with a size-1 one), categorical otherwise, decided from each batch's shapes."""

    def call(self, y_true, y_pred):
        if y_pred.dim() and y_pred.shape[-1] == 1:
            return _losses.binary_crossentropy(y_true, y_pred)
        if y_true.dim() < y_pred.dim() or (y_true.dim() and y_true.shape[-1] == 1):
            return _losses.sparse_categorical_crossentropy(y_true, y_pred)
        return _losses.categorical_crossentropy(y_true, y_pred)


def resolve(identifier):
    """The loss ``compile`` uses for ``identifier``: a :class:`Loss` object, a torch loss
    (called torch's way), or a Keras function wrapped in a :class:`LossFunctionWrapper`.

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
        TypeError: for something that is neither a name nor a callable.
    """
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        return _CrossentropyByShape(name=identifier)
    if isinstance(identifier, str):
        try:
            found = get(identifier)
        except ValueError:
            raise ValueError(
                f"Unknown loss {identifier!r}. Valid names: {sorted(ALL_OBJECTS_DICT)}. Fix: use one of "
                "them, a Loss object (e.g. tkl.losses.SparseCategoricalCrossentropy(from_logits=True)), a "
                "registered function ('my_pkg>my_loss'), a torch loss module or a callable."
            ) from None
        name = identifier
    elif isinstance(identifier, dict):
        found, name = get(identifier), None
    elif inspect.isclass(identifier) and issubclass(identifier, Loss):
        found, name = identifier(), None
    else:
        if not callable(identifier):
            raise TypeError(
                f"A loss must be a Keras name, a Loss object, a torch loss module or a callable, "
                f"received {identifier!r} (of type {type(identifier).__name__})."
            )
        found, name = identifier, None
    if isinstance(found, Loss) or _torch_style(found):
        return found
    cls = _FUNCTION_CLASSES.get(found)
    if cls is not None:
        return cls() if name is None else cls(name=name)
    return LossFunctionWrapper(found, name=name or getattr(found, "__name__", None))


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


class _Entry:
    """One output's loss: index into the flat outputs, callable, weight, log name."""

    __slots__ = ("index", "fn", "call", "weight", "name")

    def __init__(self, index, fn, weight, name):
        self.index, self.fn, self.weight, self.name = index, fn, weight, name
        self.call = fn if isinstance(fn, Loss) else _call_torch_style(fn)

    def weighted(self, y_true, y_pred, sample_weight):
        """The loss with one weight per sample (Keras: sum of weighted values over the
        number of values)."""
        if isinstance(self.fn, Loss):
            return self.fn(y_true, y_pred, sample_weight)
        if _torch_style(self.fn):
            raise ValueError(
                f"The loss of output {self.name!r} is a torch loss ({self.fn!r}), which reduces "
                "its values itself, so sample weights cannot be applied. Fix: use a Keras loss "
                "(e.g. 'mse' or tkl.losses.MeanSquaredError()) with sample_weight/class_weight."
            )
        values = self.fn(y_true, y_pred)
        weight = torch.as_tensor(sample_weight, dtype=values.dtype, device=values.device)
        if values.dim() == 0:
            raise ValueError(
                f"The loss function of output {self.name!r} returns one number per batch, so "
                "sample weights cannot be applied. Fix: return one value per sample."
            )
        while weight.dim() < values.dim():
            weight = weight.unsqueeze(-1)
        return (values * weight).sum() / max(values.numel(), 1)


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
            self.spec = {key: None if v is None else resolve(v) for key, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            self.spec = [None if v is None else resolve(v) for v in loss]
        else:
            self.spec = resolve(loss)
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

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Returns ``(total, per_output)``; ``per_output`` is None for one output.

        ``sample_weight``: one weight per sample for every output, or a list/dict with
        one array (or None) per output.
        """
        if sample_weight is not None:
            return self._weighted(y_true, y_pred, sample_weight)
        if self.single and isinstance(y_pred, torch.Tensor) and isinstance(y_true, torch.Tensor):
            entry = self.entries[0]
            value = entry.call(y_true, y_pred)
            return (value if entry.weight == 1.0 else value * entry.weight), None
        targets = self.flat_targets(y_true)
        preds = flatten(y_pred)
        values = [entry.call(targets[entry.index], preds[entry.index]) for entry in self.entries]
        return self._total(values)

    def _weighted(self, y_true, y_pred, sample_weight):
        targets, preds = self.flat_targets(y_true), flatten(y_pred)
        if isinstance(sample_weight, dict):
            weights = [sample_weight.get(name) for name in self.output_names]
        elif isinstance(sample_weight, (list, tuple)):
            weights = list(sample_weight)
        else:
            weights = [sample_weight] * len(self.output_names)
        values = [
            entry.call(targets[entry.index], preds[entry.index]) if weights[entry.index] is None
            else entry.weighted(targets[entry.index], preds[entry.index], weights[entry.index])
            for entry in self.entries
        ]
        return self._total(values)

    def _total(self, values):
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
    if not isinstance(fn, Loss) or fn.target_kind is None or not isinstance(target, torch.Tensor):
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
