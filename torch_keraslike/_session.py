"""``clear_session``: forget per-session state (auto-name counters, compiled caches)."""

from ._naming import reset_names

_RESET_CALLBACKS = []


def on_clear_session(callback):
    """Registers ``callback()`` to run at every :func:`clear_session` (used by modules
    that cache compiled functions)."""
    _RESET_CALLBACKS.append(callback)
    return callback


def clear_session():
    """Resets layer auto-names (the next ``Dense`` is ``dense`` again) and the caches
    other modules registered.

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.clear_session()
        >>> tkl.layers.Dense(2).name
        'dense'
    """
    reset_names()
    for callback in _RESET_CALLBACKS:
        callback()
