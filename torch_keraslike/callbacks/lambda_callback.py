"""``LambdaCallback``: a callback made of plain functions.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> epochs = []
    >>> record = tkl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append(epoch))
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[record])
    >>> epochs
    [0, 1]
"""

from .callback import HOOKS, Callback

__all__ = ["LambdaCallback"]


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
        unknown = [key for key in kwargs if key not in HOOKS]
        if unknown:
            raise TypeError(
                f"LambdaCallback: unknown hook(s) {unknown}. Valid hooks: {list(HOOKS)}."
            )
        hooks.update(kwargs)
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, received {fn!r}.")
            setattr(self, name, fn)
