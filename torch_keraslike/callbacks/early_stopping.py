"""``EarlyStopping``: ends ``fit`` once a watched log value stops improving.

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
import math
import sys

import torch

from ._args import check_int
from ._monitor import check_monitor, is_improvement, resolve_mode
from ._rank import say
from .callback import Callback

__all__ = ["EarlyStopping"]


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
        self.mode = resolve_mode(mode, monitor, cls)
        self.monitor = monitor
        self.patience = check_int(patience, "patience", cls)
        self.start_from_epoch = check_int(start_from_epoch, "start_from_epoch", cls)
        self.min_delta = abs(float(min_delta))
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None
        self.best_epoch = 0

    def _improved(self, value, reference):
        return is_improvement(value, reference, self.mode, self.min_delta)

    def on_train_begin(self, logs=None):
        check_monitor(self, self.monitor, type(self).__name__, "is watched")
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
            say(f"Epoch {self.stopped_epoch + 1}: early stopping", file=sys.stdout)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                say(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.",
                      file=sys.stdout)
            self.model.load_state_dict(self.best_weights)


def _snapshot(model):
    """A detached copy of the model's state dict (weights and buffers)."""
    return {key: value.detach().clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)
            for key, value in model.state_dict().items()}
