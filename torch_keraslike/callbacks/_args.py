"""Checks of callback constructor arguments, with messages naming the callback.

Example:
    >>> from torch_keraslike.callbacks._args import check_int
    >>> check_int(3, "patience", "EarlyStopping")
    3
"""

import math
import numbers

__all__ = ["check_int", "check_number"]


def check_int(value, name, cls, minimum=0):
    """``value`` as an int, or a ``ValueError`` unless it is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{cls}: {name} must be an int >= {minimum}, received {name}={value!r}.")
    return int(value)


def check_number(value, name, cls, minimum=None):
    """``value`` as a finite float (>= ``minimum`` when given), else a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a number, received {name}={value!r}.")
    value = float(value)
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{cls}: {name} must be a finite number{bound}, received {name}={value!r}.")
    return value
