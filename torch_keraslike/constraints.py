"""Keras-style weight constraints: callables ``constraint(w) -> projected w``.

A constraint returns a new tensor and never modifies ``w`` in place; the caller assigns
the result (typically under ``torch.no_grad()`` after an optimizer step). Norms are taken
over ``axis`` and use Keras's ``epsilon = 1e-7``: ``w * desired / (epsilon + norms)``.

Example:
    >>> NonNeg()(torch.tensor([-1.0, 2.0])).tolist()
    [-0.0, 2.0]
"""

import difflib
import math
import numbers

import torch

from . import config


def _check_number(value, arg, cls_name, low=None, high=None):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or (low is not None and value < low)
            or (high is not None and value > high)):
        bounds = " in [{}, {}]".format(low, high) if high is not None else (
            f" >= {low}" if low is not None else "")
        raise ValueError(f"{cls_name} expected `{arg}` to be a finite number{bounds}, but "
                         f"received {arg}={value!r}.")
    return value


def _check_axis(axis, cls_name):
    def is_int(a):
        return isinstance(a, numbers.Integral) and not isinstance(a, bool)
    if is_int(axis):
        return int(axis)
    if isinstance(axis, (tuple, list)) and axis and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    raise ValueError(f"{cls_name} expected `axis` to be an int or a non-empty list of ints, "
                     f"but received axis={axis!r}. Pass e.g. axis=0 for a Dense kernel.")


def _norms(w, axis, cls_name):
    axes = axis if isinstance(axis, list) else [axis]
    if any(not -w.dim() <= a < w.dim() for a in axes):
        raise ValueError(
            f"{cls_name} has axis={axis!r}, which is out of range for a weight of shape "
            f"{tuple(w.shape)}. Use axes in [-{w.dim()}, {w.dim() - 1}].")
    return torch.sqrt(torch.sum(torch.square(w), dim=axes, keepdim=True))


class Constraint:
    """Base class of constraints: ``__call__(w)`` returns the projected weight.

    Subclasses implement ``__call__`` and ``get_config``; ``from_config`` calls the
    constructor with the config dict. The base class returns ``w`` unchanged.

    Example:
        >>> class Clip(Constraint):
        ...     def __call__(self, w):
        ...         return w.clamp(-1, 1)
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """Returns the JSON-serialisable constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds a constraint from the dict returned by ``get_config``."""
        config = dict(config or {})
        try:
            return cls(**config)
        except TypeError as e:
            raise ValueError(f"Could not build {cls.__name__} from config {config!r}: {e}. "
                             f"Use the dict returned by {cls.__name__}.get_config().") from None

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__


class MaxNorm(Constraint):
    """Rescales slices whose L2 norm over ``axis`` exceeds ``max_value``.

    Args:
        max_value: Maximum norm (>= 0).
        axis: Int or list of ints to compute norms over; ``0`` for a Dense kernel
            ``(in, out)`` constrains each output unit's incoming weights.

    Example:
        >>> MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).flatten().tolist()
        [0.6000000238418579, 0.800000011920929]
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _check_number(max_value, "max_value", "MaxNorm", low=0)
        self.axis = _check_axis(axis, "MaxNorm")

    def __call__(self, w):
        norms = _norms(w, self.axis, "MaxNorm")
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm over ``axis`` into ``[min_value, max_value]``.

    ``desired = rate * clip(norms, min_value, max_value) + (1 - rate) * norms``.

    Args:
        min_value: Minimum norm (>= 0).
        max_value: Maximum norm (>= min_value).
        rate: In ``[0, 1]``; 1 enforces the bounds strictly, smaller values move the norm
            only part of the way at each call.
        axis: Int or list of ints to compute norms over.

    Example:
        >>> w = MinMaxNorm(1.0, 2.0)(torch.tensor([[0.3], [0.4]]))
        >>> [round(v, 4) for v in w.flatten().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _check_number(min_value, "min_value", "MinMaxNorm", low=0)
        self.max_value = _check_number(max_value, "max_value", "MinMaxNorm", low=min_value)
        self.rate = _check_number(rate, "rate", "MinMaxNorm", low=0, high=1)
        self.axis = _check_axis(axis, "MinMaxNorm")

    def __call__(self, w):
        norms = _norms(w, self.axis, "MinMaxNorm")
        desired = (self.rate * torch.clamp(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes negative weights: ``w * (w >= 0)``.

    Example:
        >>> NonNeg()(torch.tensor([-1.0, 0.5])).abs().tolist()
        [0.0, 0.5]
    """

    def __call__(self, w):
        return w * (w >= 0).to(w.dtype)


class UnitNorm(Constraint):
    """Rescales weights to unit L2 norm over ``axis``: ``w / (epsilon + norms)``.

    Args:
        axis: Int or list of ints to compute norms over.

    Example:
        >>> UnitNorm()(torch.tensor([[3.0], [4.0]])).flatten().tolist()
        [0.6000000238418579, 0.800000011920929]
    """

    def __init__(self, axis=0):
        self.axis = _check_axis(axis, "UnitNorm")

    def __call__(self, w):
        return w / (config.epsilon() + _norms(w, self.axis, "UnitNorm"))

    def get_config(self):
        return {"axis": self.axis}


# Keras's lower-case names of the classes (``keras.constraints.max_norm`` is ``MaxNorm``).
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

ALL_OBJECTS = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
#: Every accepted name (class names and Keras snake_case aliases) -> class.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({"constraint": Constraint, "max_norm": MaxNorm,
                         "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm})
_USABLE = sorted(k for k in ALL_OBJECTS_DICT if k.lower() != "constraint")


def _lookup(name):
    if name not in _USABLE:
        close = difflib.get_close_matches(str(name), _USABLE, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown constraint name {name!r}.{hint} Valid names: {_USABLE}. "
                         "You can also pass a Constraint instance or any callable.")
    return ALL_OBJECTS_DICT[name]


def serialize(constraint):
    """Returns ``{"class_name": ..., "config": ...}`` for a constraint (None stays None).

    Example:
        >>> serialize(NonNeg())
        {'class_name': 'NonNeg', 'config': {}}
    """
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise ValueError(
            f"serialize expected a Constraint instance, but received {constraint!r}. Plain "
            "callables cannot be serialized; subclass Constraint and implement get_config().")
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config):
    """Builds a constraint from :func:`serialize` output (or a name string).

    Example:
        >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3}})
        MaxNorm(max_value=3, axis=0)
    """
    if isinstance(config, str):
        return _lookup(config)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("deserialize expected a dict like {'class_name': 'MaxNorm', 'config': "
                         f"{{'max_value': 2}}}} or a name string, but received {config!r}.")
    return _lookup(config["class_name"]).from_config(config.get("config") or {})


def get(identifier):
    """Returns a constraint for a name, a config dict, an instance or a callable.

    Args:
        identifier: ``None`` (returns ``None``); a :class:`Constraint` or any callable
            (returned as is; a Constraint subclass is instantiated); a name such as
            ``"max_norm"`` or ``"MaxNorm"`` (a new default instance); or a config dict.

    Example:
        >>> get("unit_norm")
        UnitNorm(axis=0)
    """
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier {identifier!r}. Expected None, a name "
        f"(one of {_USABLE}), a config dict, a Constraint or a callable.")
