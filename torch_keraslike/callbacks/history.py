"""``History``: the callback every ``fit`` adds; it records the epoch logs.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> history = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0)
    >>> history.epoch, len(history.history["loss"])
    ([0, 1], 2)
"""

from .callback import Callback

__all__ = ["History"]


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
