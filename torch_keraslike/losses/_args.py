"""Checks of loss and metric constructor arguments, with messages naming the class,
the argument, what was expected and what was received.

Example:
    >>> from torch_keraslike.losses._args import check_float
    >>> check_float(0.5, "alpha", "Tversky", low=0.0)
    0.5
"""

import math
import numbers

__all__ = ["check_axis", "check_bool", "check_float", "check_int"]


def check_bool(value, arg, owner):
    """``value`` if it is a bool, else a ``TypeError``."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: `{arg}` must be True or False, received {arg}={value!r}.")
    return value


def check_float(value, arg, owner, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a float inside the given bounds (open when ``*_open``), else a
    ``ValueError`` stating the accepted range."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if low is not None and high is not None:
            bounds = f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            bounds = f" {'>' if low_open else '>='} {low}"
        elif high is not None:
            bounds = f" {'<' if high_open else '<='} {high}"
        else:
            bounds = ""
        raise ValueError(f"{owner}: `{arg}` must be a finite number{bounds}, received {arg}={value!r}.")
    return float(value)


def check_int(value, arg, owner, low=None, allow_none=False):
    """``value`` as an int (>= ``low`` when given; None passes with ``allow_none``)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (low is not None and value < low):
        bound = f" >= {low}" if low is not None else ""
        none = " or None" if allow_none else ""
        raise ValueError(f"{owner}: `{arg}` must be an integer{bound}{none}, received {arg}={value!r}.")
    return int(value)


def check_axis(axis, owner, allow_none=False, allow_tuple=False):
    """``axis`` as an int (or a tuple of ints with ``allow_tuple``; None with
    ``allow_none``), else a ``ValueError``."""
    def is_int(a):
        return isinstance(a, numbers.Integral) and not isinstance(a, bool)

    if axis is None and allow_none:
        return None
    if is_int(axis):
        return int(axis)
    if allow_tuple and isinstance(axis, (tuple, list)) and axis and all(is_int(a) for a in axis):
        return tuple(int(a) for a in axis)
    kinds = "`int`" + (" or a tuple of ints" if allow_tuple else "") + (" or None" if allow_none else "")
    raise ValueError(f"{owner}: `axis` must be of type {kinds}. Received: axis={axis!r} of type {type(axis)}.")
