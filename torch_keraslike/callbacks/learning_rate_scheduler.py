"""``LearningRateScheduler``: sets the learning rate at the start of every epoch from
a function of the epoch (and of the current rate).

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile(tkl.training.optimizers.SGD(learning_rate=0.1), "mse")
    >>> halve = tkl.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    >>> history = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[halve])
    >>> history.history["learning_rate"]
    [0.1, 0.05, 0.025]
"""

import inspect
import math
import sys

import numpy as np
import torch

from ._learning_rate import get_lr, learning_rate_logs, param_groups, set_lr
from ._rank import say
from .callback import Callback

__all__ = ["LearningRateScheduler"]


def _takes_rate(schedule):
    """Whether ``schedule`` is called ``(epoch, lr)`` rather than ``(epoch)``; None when
    its signature cannot be read."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(0, 0.1)
    except TypeError:
        return False
    return True


class LearningRateScheduler(Callback):
    """At the start of each epoch, sets the learning rate of every parameter group of
    ``model.optimizer`` to ``schedule(epoch, lr)`` (or ``schedule(epoch)``).

    Each epoch's logs get the rate it trained with (``learning_rate``).

    Args:
        schedule: a function of the 0-based epoch and the group's current learning
            rate (a float), returning the new rate as a float; a function of the epoch
            alone is accepted too.
        verbose: 1 prints the rate set at each epoch.

    Example:
        >>> import math, torch_keraslike as tkl
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * math.exp(-0.1)
        >>> scheduler = tkl.callbacks.LearningRateScheduler(schedule)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, received "
                f"{schedule!r}. Fix: LearningRateScheduler(lambda epoch, lr: lr * 0.9)."
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_rate = _takes_rate(schedule)

    def _new_rate(self, epoch, lr):
        if self._takes_rate is None:  # a signature inspect cannot read: try both forms
            try:
                value = self.schedule(epoch, lr)
            except TypeError:
                value = self.schedule(epoch)
        elif self._takes_rate:
            value = self.schedule(epoch, lr)
        else:
            value = self.schedule(epoch)
        if isinstance(value, torch.Tensor) and value.numel() == 1 and value.is_floating_point():
            value = value.item()
        if not isinstance(value, (float, np.floating)):
            raise ValueError(
                "LearningRateScheduler: the output of the `schedule` function should be a float. "
                f"Got: {value!r} (of type {type(value).__name__}) at epoch {epoch}. "
                "Fix: return the new learning rate as a float, e.g. `return float(lr * 0.9)`."
            )
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"LearningRateScheduler: the `schedule` function returned the learning rate {value} "
                f"at epoch {epoch}; a learning rate must be a finite number >= 0."
            )
        return value

    def on_train_begin(self, logs=None):
        param_groups(self)

    def on_epoch_begin(self, epoch, logs=None):
        groups = param_groups(self)
        rates = [self._new_rate(epoch, get_lr(group)) for group in groups]
        for group, rate in zip(groups, rates):  # all checked before any is set
            set_lr(group, rate)
        if self.verbose > 0:
            shown = rates[0] if len(set(rates)) == 1 else rates
            say(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {shown}.",
                  file=sys.stdout)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(learning_rate_logs(self.model.optimizer))
