"""``TerminateOnNaN``: ends training at the first batch whose loss is NaN or infinite.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((1,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> history = model.fit(np.ones((4, 1)), np.full((4, 1), np.inf), batch_size=1, epochs=3,
    ...                     verbose=0, callbacks=[tkl.callbacks.TerminateOnNaN()])
    Batch 0: Invalid loss, terminating training
    >>> len(history.history["loss"])
    1
"""

import math
import sys

from ._rank import say
from .callback import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops ``fit`` when a training batch's loss is NaN or infinite.

    It reads the loss of every batch, so each step waits for the device (one host
    sync per step).

    Args:
        raise_error: False (default) stops gracefully: it prints a line and sets
            ``model.stop_training``, so the epoch ends normally (its logs hold the
            invalid loss). True raises a ``RuntimeError`` at once; unlike Keras, the
            other callbacks' ``on_train_end`` still runs (their files are closed), and
            ``BackupAndRestore`` keeps its backup because the run did not finish.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        if raise_error not in (True, False):
            raise TypeError(f"TerminateOnNaN: raise_error must be True or False, received {raise_error!r}.")
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        say(f"Batch {batch}: Invalid loss, terminating training", file=sys.stdout)
        self.model.stop_training = True
