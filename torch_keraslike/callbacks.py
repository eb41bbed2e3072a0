"""Keras callbacks: hooks called by ``Model.fit``/``evaluate``/``predict``.

``Callback`` is the base class; ``History`` (added to every ``fit``),
``ModelCheckpoint``, ``EarlyStopping``, ``CSVLogger`` and ``LambdaCallback`` are the
built-ins. Logs are dicts of Python floats: ``loss``, the metrics, and ``val_``
versions of both when there is validation data.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> stop = tkl.callbacks.EarlyStopping(monitor="loss", patience=0)
    >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=3, verbose=0,
    ...                     callbacks=[stop])
    >>> sorted(history.history)
    ['loss']
"""

import copy
import csv
import math
import os
import string
import sys

import torch

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "ModelCheckpoint",
]

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end", "on_batch_begin", "on_batch_end",
)


class Callback:
    """Base class of callbacks. Override the hooks you need.

    Attributes:
        model: the model being trained (set by :meth:`set_model`).
        params: ``{"verbose", "epochs", "steps", "metrics"}`` of the current run;
            ``metrics`` lists the keys the epoch logs will have.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        """Called at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called at the end of ``fit`` with the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (0-based ``epoch``)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with its logs (validation included)."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` and of each validation."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` and of each validation."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step (calls the legacy ``on_batch_begin``)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step with the running logs (calls ``on_batch_end``)."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation step."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation step."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction step."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction step."""

    def on_batch_begin(self, batch, logs=None):
        """Legacy alias of :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Legacy alias of :meth:`on_train_batch_end`."""


def _implements(callback, hook):
    if hook in vars(callback):
        return True
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


class CallbackList:
    """Calls a list of callbacks. Batch hooks are only dispatched to callbacks that
    override them, so an ordinary ``fit`` pays nothing per step.

    Args:
        callbacks: list of :class:`Callback` objects (or None).
        add_history: append a :class:`History`.
        model: the model, given to every callback.
        **params: the run's parameters (see :class:`Callback`).
    """

    def __init__(self, callbacks=None, add_history=False, model=None, **params):
        callbacks = list(callbacks or [])
        for item in callbacks:
            if not isinstance(item, Callback):
                raise TypeError(
                    f"callbacks must be tkl.callbacks.Callback objects, received {item!r} (of "
                    f"type {type(item).__name__}). Fix: subclass tkl.callbacks.Callback, or wrap "
                    "functions in tkl.callbacks.LambdaCallback(on_epoch_end=...)."
                )
        self.history = None
        if add_history:
            self.history = History()
            callbacks.append(self.history)
        self.callbacks = callbacks
        for item in callbacks:
            item.set_model(model)
            item.set_params(params)
        self.batch_hooks = {}
        for phase in ("train", "test", "predict"):
            for when in ("begin", "end"):
                hook = f"on_{phase}_batch_{when}"
                legacy = f"on_batch_{when}" if phase == "train" else None
                self.batch_hooks[hook] = [
                    getattr(c, hook) for c in callbacks
                    if _implements(c, hook) or (legacy and _implements(c, legacy))
                ]

    def wants_batch_logs(self, phase):
        """Whether some callback reads the logs of ``phase``'s batches."""
        return bool(self.batch_hooks[f"on_{phase}_batch_end"])

    def call(self, hook, *args):
        for item in self.callbacks:
            getattr(item, hook)(*args)

    def batch(self, hook, batch, logs=None):
        for fn in self.batch_hooks[hook]:
            fn(batch, logs)


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is the list of epoch losses.

    ``fit`` returns it, and sets it as ``model.history``.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


def _resolve_mode(mode, monitor, cls):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{cls}: mode must be 'auto', 'min' or 'max', received mode={mode!r}.")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def _check_monitor(callback, monitor, cls, why):
    available = callback.params.get("metrics")
    if available is not None and monitor not in available:
        hint = (" Validation values (val_*) exist only with validation_data or validation_split."
                if monitor.startswith("val_") else "")
        raise ValueError(
            f"{cls}: monitor={monitor!r} {why}, but the logs will only hold {list(available)}.{hint} "
            f"Fix: monitor one of {list(available)}, or add the metric in compile(metrics=[...])."
        )


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has stopped improving (sets
    ``model.stop_training``).

    Args:
        monitor: log value to watch (``"val_loss"``, ``"loss"``, ``"val_accuracy"``...).
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a line when stopping / restoring.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``"max"`` when the name contains
            ``"acc"``, else ``"min"``).
        baseline: training stops unless the value beats this within ``patience`` epochs.
        restore_best_weights: at the end of training, load the weights (and buffers) of
            the best epoch.
        start_from_epoch: epochs to wait before watching (warm-up).

    Example:
        >>> import torch_keraslike as tkl
        >>> stop = tkl.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        cls = type(self).__name__
        if not isinstance(monitor, str):
            raise TypeError(f"{cls}: monitor must be a log name (str), received {monitor!r}.")
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"{cls}: patience must be an int >= 0, received patience={patience!r}.")
        if not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError(f"{cls}: start_from_epoch must be an int >= 0, received {start_from_epoch!r}.")
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, cls)
        self.min_delta = abs(float(min_delta))
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None
        self.best_epoch = 0

    def _improved(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        _check_monitor(self, self.monitor, type(self).__name__, "is watched")
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model)
            if self.baseline is None or self._improved(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", file=sys.stdout)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.",
                      file=sys.stdout)
            self.model.load_state_dict(self.best_weights)


def _snapshot(model):
    """A detached copy of the model's state dict (weights and buffers)."""
    return {key: value.detach().clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)
            for key, value in model.state_dict().items()}


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) at the end of every epoch, or only when
    ``monitor`` improves.

    Args:
        filepath: where to save; may hold format fields filled from the epoch (1-based)
            and the logs, e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.pt"``.
        monitor: log value compared when ``save_best_only``.
        verbose: 1 prints a line for each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save ``model.state_dict()`` only: with ``torch.save`` (load
            with ``model.load_state_dict(torch.load(path))``), or as safetensors when
            ``filepath`` ends with ``.safetensors``. Otherwise the whole model is saved
            with ``tkl.saving.save_model``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``"max"`` for names with ``"acc"``).
        save_freq: only ``"epoch"``.
        initial_value_threshold: a value ``monitor`` must beat for the first save.

    Example:
        >>> import torch_keraslike as tkl
        >>> ckpt = tkl.callbacks.ModelCheckpoint("best.pt", save_best_only=True,
        ...                                      save_weights_only=True)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        cls = type(self).__name__
        filepath = os.fspath(filepath)
        if save_freq != "epoch":
            raise ValueError(f"{cls}: only save_freq='epoch' is supported, received {save_freq!r}.")
        self.filepath = filepath
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = _resolve_mode(mode, monitor, cls)
        self.initial_value_threshold = initial_value_threshold
        self.best = None

    def on_train_begin(self, logs=None):
        cls = type(self).__name__
        if self.save_best_only:
            _check_monitor(self, self.monitor, cls, "decides which epochs are saved")
        available = self.params.get("metrics")
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.filepath) if f]
        except ValueError as error:
            raise ValueError(f"{cls}: filepath {self.filepath!r} is not a valid format string: {error}.") from None
        if available is not None:
            unknown = [f for f in fields if f != "epoch" and f.split(".")[0].split("[")[0] not in available]
            if unknown:
                raise ValueError(
                    f"{cls}: filepath {self.filepath!r} uses {unknown}, which the logs will not hold "
                    f"(they hold 'epoch' and {list(available)}). Fix: use only these fields."
                )
        if not self.save_weights_only:
            from . import saving

            if not hasattr(saving, "save_model"):
                raise RuntimeError(
                    f"{cls}: save_weights_only=False needs tkl.saving.save_model, which this "
                    "version lacks. Fix: pass save_weights_only=True."
                )
        self.best = self.initial_value_threshold

    def _better(self, value):
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                return
            if not self._better(value):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}",
                          file=sys.stdout)
                return
            if self.verbose > 0:
                before = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {before} to {value:.5f}, "
                      f"saving model to {path}", file=sys.stdout)
            self.best = value
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}", file=sys.stdout)
        self._save(path)

    def _save(self, path):
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if not self.save_weights_only:
            from .saving import save_model

            save_model(self.model, path)
        elif path.endswith(".safetensors"):
            from safetensors.torch import save_file

            tensors = {key: value.detach().to("cpu", copy=True).contiguous()
                       for key, value in self.model.state_dict().items() if isinstance(value, torch.Tensor)}
            save_file(tensors, path)
        else:
            torch.save(self.model.state_dict(), path)


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file: an ``epoch`` column, then the log keys
    in sorted order.

    Args:
        filename: the CSV file.
        separator: column separator.
        append: append to an existing file (the header is written only to an empty one).

    Example:
        >>> import torch_keraslike as tkl
        >>> logger = tkl.callbacks.CSVLogger("training.csv")
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, received {separator!r}.")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        write_header = not (self.append and os.path.exists(self.filename)
                            and os.path.getsize(self.filename) > 0)
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._write_header = write_header
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys,
                                          delimiter=self.sep, extrasaction="ignore")
            if self._write_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update({key: logs.get(key, "NA") for key in self.keys})
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


class LambdaCallback(Callback):
    """A callback from plain functions.

    ``on_epoch_begin``/``on_epoch_end`` take ``(epoch, logs)``, ``on_train_batch_begin``/
    ``on_train_batch_end`` take ``(batch, logs)``, ``on_train_begin``/``on_train_end``
    take ``(logs)``. Other hooks (``on_test_end=...``) may be given by keyword.

    Example:
        >>> import torch_keraslike as tkl
        >>> losses = []
        >>> record = tkl.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        unknown = [key for key in kwargs if key not in _HOOKS]
        if unknown:
            raise TypeError(
                f"LambdaCallback: unknown hook(s) {unknown}. Valid hooks: {list(_HOOKS)}."
            )
        hooks.update(kwargs)
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, received {fn!r}.")
            setattr(self, name, fn)
