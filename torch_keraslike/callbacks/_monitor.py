"""What the monitoring callbacks share: the direction of the watched log value
(``mode``), its presence in the logs, and what counts as an improvement.

Example:
    >>> from torch_keraslike.callbacks._monitor import is_improvement, resolve_mode
    >>> resolve_mode("auto", "val_accuracy", "EarlyStopping")
    'max'
    >>> is_improvement(0.9, 1.0, "min", min_delta=0.05), is_improvement(0.97, 1.0, "min", 0.05)
    (True, False)
"""

__all__ = ["check_monitor", "is_improvement", "resolve_mode"]


def resolve_mode(mode, monitor, cls):
    """``"min"`` or ``"max"``; ``"auto"`` is ``"max"`` for names with ``"acc"``, else ``"min"``."""
    if not isinstance(monitor, str):
        raise TypeError(f"{cls}: monitor must be a log name (str), received {monitor!r}.")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{cls}: mode must be 'auto', 'min' or 'max', received mode={mode!r}.")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def check_monitor(callback, monitor, cls, why):
    """Fails before training when the logs of the run will not hold ``monitor``."""
    available = callback.params.get("metrics")
    if available is not None and monitor not in available:
        hint = (" Validation values (val_*) exist only with validation_data or validation_split."
                if monitor.startswith("val_") else "")
        raise ValueError(
            f"{cls}: monitor={monitor!r} {why}, but the logs will only hold {list(available)}.{hint} "
            f"Fix: monitor one of {list(available)}, or add the metric in compile(metrics=[...])."
        )


def is_improvement(value, reference, mode, min_delta=0.0):
    """Whether ``value`` beats ``reference`` by more than ``min_delta`` (None: always)."""
    if reference is None:
        return True
    if mode == "min":
        return value + min_delta < reference
    return value - min_delta > reference
