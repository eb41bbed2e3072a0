"""``ReduceLROnPlateau``: divides the learning rate when a watched value stalls.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile(tkl.training.optimizers.SGD(learning_rate=0.1), "mse")
    >>> stalled = tkl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(loss=1.0))
    >>> reduce = tkl.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> history = model.fit(np.ones((4, 3)), np.zeros((4, 1)), epochs=3, verbose=0,
    ...                     callbacks=[stalled, reduce])
    >>> history.history["learning_rate"], model.optimizer.param_groups[0]["lr"]
    ([0.1, 0.1, 0.05], 0.025)
"""

import sys

from ._args import check_int, check_number
from ._learning_rate import get_lr, learning_rate_logs, param_groups, set_lr
from ._monitor import check_monitor, is_improvement, resolve_mode
from ._rank import say
from .callback import Callback

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate of every parameter group of ``model.optimizer``
    by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    Each epoch's logs get the learning rate it trained with (``learning_rate``).

    Args:
        monitor: log value to watch.
        factor: ``new_lr = lr * factor``; must be in ``[0, 1)``.
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints a line at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``"max"`` for names with ``"acc"``).
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is never reduced below this.

    Example:
        >>> import torch_keraslike as tkl
        >>> reduce = tkl.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        cls = type(self).__name__
        factor = check_number(factor, "factor", cls, minimum=0.0)
        if factor >= 1.0:
            raise ValueError(
                f"{cls} does not support a factor >= 1.0. Received factor={factor}. "
                "Fix: pass a factor in [0, 1), e.g. factor=0.1 divides the rate by 10."
            )
        self.mode = resolve_mode(mode, monitor, cls)
        self.monitor = monitor
        self.factor = factor
        self.patience = check_int(patience, "patience", cls)
        self.verbose = verbose
        self.min_delta = abs(check_number(min_delta, "min_delta", cls))
        self.cooldown = check_int(cooldown, "cooldown", cls)
        self.min_lr = check_number(min_lr, "min_lr", cls, minimum=0.0)
        self._reset()

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        param_groups(self)
        check_monitor(self, self.monitor, type(self).__name__, "decides when the learning rate is reduced")
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        groups = param_groups(self)
        logs.update(learning_rate_logs(self.model.optimizer))
        current = logs.get(self.monitor)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if is_improvement(current, self.best, self.mode, self.min_delta):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(groups, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, groups, epoch):
        reduced = False
        for index, group in enumerate(groups):
            old = get_lr(group)
            if old <= self.min_lr:
                continue
            new = max(old * self.factor, self.min_lr)
            set_lr(group, new)
            reduced = True
            if self.verbose > 0:
                which = f" of param group {index}" if len(groups) > 1 else ""
                say(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate{which} to {new}.",
                      file=sys.stdout)
        return reduced
