"""``CallbackList``: how ``fit``/``evaluate``/``predict`` call their callbacks.

Batch hooks are only dispatched to callbacks that override them, so an ordinary
``fit`` pays nothing per step. ``train_begin``/``train_end`` pair up like a context
manager: every callback whose ``on_train_begin`` returned gets exactly one
``on_train_end``, also when the run ends with an exception.

Example:
    >>> from torch_keraslike.callbacks import CallbackList, LambdaCallback
    >>> seen = []
    >>> cbs = CallbackList([LambdaCallback(on_train_end=lambda logs: seen.append(logs))])
    >>> cbs.train_begin()
    >>> cbs.train_end({"loss": 0.5})
    >>> cbs.train_end({"loss": 0.5})  # already ended: nothing is called twice
    >>> seen
    [{'loss': 0.5}]
"""

from .callback import Callback
from .history import History

__all__ = ["CallbackList", "check_callbacks"]


def check_callbacks(callbacks, where=None):
    """``callbacks`` as a list, after checking that it is a list of :class:`Callback`.

    Args:
        callbacks: None, or a list/tuple of callbacks.
        where: the caller (``"fit"``...), named in the error message.
    """
    prefix = f"{where}: " if where else ""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        raise TypeError(
            f"{prefix}callbacks must be a list of callbacks, received a single "
            f"{type(callbacks).__name__} object. Fix: wrap it in a list, callbacks=[cb]."
        )
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"{prefix}callbacks must be a list of tkl.callbacks.Callback objects, received "
            f"{type(callbacks).__name__}. Fix: callbacks=[cb1, cb2]."
        )
    for item in callbacks:
        if not isinstance(item, Callback):
            raise TypeError(
                f"{prefix}callbacks must be tkl.callbacks.Callback objects, received {item!r} (of "
                f"type {type(item).__name__}). Fix: subclass tkl.callbacks.Callback, or wrap "
                "functions in tkl.callbacks.LambdaCallback(on_epoch_end=...)."
            )
    return list(callbacks)


def _implements(callback, hook):
    if hook in vars(callback):
        return True
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


def _add_note(error, note):
    if hasattr(error, "add_note"):  # Python >= 3.11
        error.add_note(note)


class CallbackList:
    """Calls a list of callbacks.

    Args:
        callbacks: list of :class:`Callback` objects (or None).
        add_history: append a :class:`History`.
        model: the model, given to every callback.
        **params: the run's parameters (see :class:`Callback`).
    """

    def __init__(self, callbacks=None, add_history=False, model=None, **params):
        callbacks = check_callbacks(callbacks)
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
        self._begun = []

    def wants_batch_logs(self, phase):
        """Whether some callback reads the logs of ``phase``'s batches."""
        return bool(self.batch_hooks[f"on_{phase}_batch_end"])

    def call(self, hook, *args):
        # Hooks always receive a logs dict (Keras code reads logs["loss"] without checks).
        if args and args[-1] is None:
            args = args[:-1] + ({},)
        for item in self.callbacks:
            getattr(item, hook)(*args)

    def batch(self, hook, batch, logs=None):
        logs = {} if logs is None else logs
        for fn in self.batch_hooks[hook]:
            fn(batch, logs)

    def train_begin(self, logs=None):
        """Calls ``on_train_begin`` of each callback, remembering those that returned."""
        logs = {} if logs is None else logs
        for item in self.callbacks:
            item.on_train_begin(logs)
            self._begun.append(item)

    def train_end(self, logs=None, error=None):
        """Calls ``on_train_end`` once for each callback begun by :meth:`train_begin`.

        Every callback gets the call even if an earlier one raises. Without ``error``
        the first failure is raised afterwards; with ``error`` (the exception that is
        ending the run) failures are added as notes to it, so that it is the one that
        propagates.
        """
        begun, self._begun = self._begun, []
        logs = {} if logs is None else logs
        failures = []
        for item in begun:
            try:
                item.on_train_end(logs)
            except Exception as failure:  # noqa: BLE001  (the others still need their cleanup)
                failures.append((item, failure))
        notes = [f"{type(item).__name__}.on_train_end also raised {type(failure).__name__}: {failure}"
                 for item, failure in failures]
        if error is not None:
            for note in notes:
                _add_note(error, note)
            return
        if failures:
            first = failures[0][1]
            for note in notes[1:]:
                _add_note(first, note)
            raise first
