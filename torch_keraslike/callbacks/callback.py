"""``Callback``: the base class of the hooks that ``fit``/``evaluate``/``predict`` call.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> class CountEpochs(tkl.callbacks.Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.count = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.count += 1
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> counter = CountEpochs()
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[counter])
    >>> counter.count
    2
"""

__all__ = ["HOOKS", "Callback"]

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end", "on_batch_begin", "on_batch_end",
)


class Callback:
    """Base class of callbacks. Override the hooks you need.

    ``fit`` calls ``on_train_begin`` once, then per epoch ``on_epoch_begin``, the batch
    hooks and ``on_epoch_end``, and finally ``on_train_end``. ``on_train_end`` runs for
    every callback whose ``on_train_begin`` returned, exactly once, also when ``fit``
    is ended by an exception or ``KeyboardInterrupt`` (the exception then propagates):
    release files and other resources there.

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
        """Called at the end of ``fit`` with the last epoch's logs (also after an error)."""

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
